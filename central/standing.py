"""Where the center stands with one point, told to a point restored from an old backup
(`POST /sync/v1/standing`, docs/protocol.md "Restoring a point").

The answer is what the point must not repeat: the last parcel of its chain the center applied
(seq and hash), the last down parcel it acknowledged, the highest daily dossier number and
tracking-book number of each day and year among its dossiers here, its highest clock stamp. In
the same transaction the center owes the point again every event of its dossiers (its own and the
center's) plus the rules it was sent, in the center's journal order, so what the backup lacked
comes back down and is applied once (the point skips events it holds); down parcels built but not
acknowledged are dropped and the down chain continues after the last acknowledged one.
"""
from __future__ import annotations

import json
import logging
import re
from datetime import datetime

from central.db import bulk_insert, is_postgres, write_transaction
from central.models import Event, Outbound, Point
from central.outbound import DownParcel
from motcua import errors as E, legaltime
from motcua.errors import NotFound

logger = logging.getLogger(__name__)

_CODE = re.compile(r"-(\d{6})-(\d{4,})$")


def point_standing(unit_code: str, *, now: datetime | None = None) -> dict:
    """The standing of `unit_code`, and everything of its dossiers owed to it again.
    :raises NotFound: no such point."""
    now = now or legaltime.now()
    with write_transaction():
        query = Point.select().where(Point.unit_code == unit_code)
        point = (query.for_update() if is_postgres() else query).first()
        if point is None:
            raise NotFound(E.POINT_NOT_FOUND(unit=unit_code))
        acked = (DownParcel.select().where((DownParcel.point_id == point.id)
                                           & DownParcel.acked_at.is_null(False))
                 .order_by(DownParcel.seq.desc()).first())
        down_seq = acked.seq if acked else 0
        DownParcel.delete().where((DownParcel.point_id == point.id)
                                  & (DownParcel.seq > down_seq)).execute()
        Point.update(next_seq_out=down_seq + 1).where(Point.id == point.id).execute()

        counters, max_hlc = {}, ""
        owed_before = {e for (e,) in Outbound.select(Outbound.event_id)
                       .where(Outbound.point == point.id).tuples()}
        own = (Event.select(Event.event_id, Event.kind, Event.payload, Event.hlc)
               .where(Event.origin == unit_code))
        for row in own:
            max_hlc = max(max_hlc, row.hlc)
            if row.kind == "dossier.received":
                _count(counters, row.payload)
        dossiers = {uid for (uid,) in Event.select(Event.dossier_uid).where(
            (Event.origin == unit_code) & (Event.kind == "dossier.received")).tuples()}
        owed = [eid for (eid, uid, origin) in Event.select(Event.event_id, Event.dossier_uid,
                                                           Event.origin)
                .order_by(Event.id).tuples()
                if origin == unit_code or uid in dossiers or eid in owed_before]
        Outbound.delete().where(Outbound.point == point.id).execute()
        bulk_insert(Outbound, [{"point": point.id, "event_id": e, "queued_at": now}
                               for e in owed], ignore=True)
    logger.warning("point %s asked for its standing (restored from a backup): up %d, down %d, "
                   "%d events owed again", unit_code, point.last_seq_in, down_seq, len(owed))
    return {"unit_code": unit_code, "last_seq_in": int(point.last_seq_in),
            "last_hash_in": point.last_hash_in or "", "down_acked_seq": int(down_seq),
            "down_acked_hash": acked.sha256 if acked else "", "counters": counters,
            "max_hlc": max_hlc, "owed_again": len(owed)}


def _count(counters: dict, payload) -> None:
    """Raise the `code:YYMMDD` and `book:YYYY` counters to this `dossier.received`'s numbers
    (the names the point's `next_counter` uses)."""
    if isinstance(payload, str):
        payload = json.loads(payload)
    found = _CODE.search(str(payload.get("code") or ""))
    if found:
        key = f"code:{found.group(1)}"
        counters[key] = max(counters.get(key, 0), int(found.group(2)))
    book = payload.get("book") or {}
    if isinstance(book, dict) and str(book.get("volume", "")).isdigit() \
            and isinstance(book.get("number"), int):
        key = f"book:{book['volume']}"
        counters[key] = max(counters.get(key, 0), book["number"])
