"""What the center owes each point, and the parcels that carry it down until receipted.

Events owed (`outbound`): rows written in the same transaction as the events they point at (by
`central.apply`), so an event is never applied at the center without also being owed to the point
that must hear of it. The down-going order is the order of queueing (`Outbound.id`), which is the
center's own journal order.

Parcels (`down_parcel`): a parcel, once built from what is owed, is kept and served again and again
until the point's signed receipt for it arrives; only then is the next one built. So the point sees
one unbroken chain, and nothing it has not acknowledged is forgotten here.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Iterable

from peewee import BigAutoField, BigIntegerField, BlobField, CharField, IntegerField, TextField

from central.db import bulk_insert, is_postgres, write_transaction
from central.keys import CENTER_ID
from central.models import BaseModel, Event, Outbound, Point
from motcua import errors as E, legaltime
from motcua.dbfields import InstantField
from motcua.errors import NotFound
from sync import crypto, hlc
from sync.events import Event as WireEvent
from sync.parcel import ParcelRefused, build_parcel, canonical_json
from sync.receipt import verify_receipt

_CHUNK = 500     # rows per statement: well under SQLite's bound-variable limit


def _chunks(items: list, size: int = _CHUNK):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _point(unit_code: str) -> Point:
    point = Point.get_or_none(Point.unit_code == unit_code)
    if point is None:
        raise NotFound(E.POINT_NOT_FOUND(unit=unit_code))
    return point


def queue_events(pairs: Iterable[tuple[str, str]], *, now: datetime) -> int:
    """Owe each (unit_code, event_id) pair's event to that point; unknown points are skipped.

    Idempotent: a pair already queued is left as it is. Returns how many pairs were asked for.
    """
    pairs = list(dict.fromkeys(pairs))
    if not pairs:
        return 0
    ids = {p.unit_code: p.id for p in
           Point.select(Point.id, Point.unit_code).where(Point.unit_code.in_({u for u, _ in pairs}))}
    rows = [{"point": ids[u], "event_id": e, "queued_at": now} for u, e in pairs if u in ids]
    bulk_insert(Outbound, rows, ignore=True)
    return len(rows)


def pending_outbound(unit_code: str, limit: int | None = None) -> list[WireEvent]:
    """Events not yet acknowledged by `unit_code`, in the order they must go down.

    :raises NotFound: no such point.
    """
    point = _point(unit_code)
    query = (Event.select(Event.event_id, Event.kind, Event.dossier_uid, Event.origin, Event.actor,
                          Event.hlc, Event.payload)
             .join(Outbound, on=(Outbound.event_id == Event.event_id))
             .where((Outbound.point == point.id) & Outbound.acked_at.is_null())
             .order_by(Outbound.id))
    if limit:
        query = query.limit(limit)
    return [WireEvent(id=r.event_id, kind=r.kind, dossier_id=r.dossier_uid, origin=r.origin,
                      actor=r.actor, hlc=r.hlc, payload=r.payload) for r in query]


def ack_outbound(unit_code: str, event_ids: Iterable[str], *, now: datetime) -> int:
    """Mark these events received by the point (call on a verified receipt); returns rows changed.

    :raises NotFound: no such point.
    """
    point = _point(unit_code)
    changed = 0
    for chunk in _chunks(list(dict.fromkeys(event_ids))):
        changed += (Outbound.update(acked_at=now)
                    .where((Outbound.point == point.id) & Outbound.event_id.in_(chunk)
                           & Outbound.acked_at.is_null()).execute())
    return changed


def backlogs() -> dict[int, int]:
    """Unacknowledged down-going events per point id (for the nodes view)."""
    from peewee import fn
    query = (Outbound.select(Outbound.point, fn.COUNT(Outbound.id))
             .where(Outbound.acked_at.is_null()).group_by(Outbound.point).tuples())
    return {point_id: count for point_id, count in query}


def allocate_seq_out(unit_code: str) -> int:
    """Take the next down-going parcel sequence number for `unit_code` (inside the caller's
    transaction, so a rolled-back parcel gives its number back). :raises NotFound: no such point."""
    from central.db import is_postgres
    query = Point.select().where(Point.unit_code == unit_code)
    point = (query.for_update() if is_postgres() else query).first()
    if point is None:
        raise NotFound(E.POINT_NOT_FOUND(unit=unit_code))
    seq = point.next_seq_out
    Point.update(next_seq_out=seq + 1).where(Point.id == point.id).execute()
    return seq


logger = logging.getLogger(__name__)

MAX_EVENTS_PER_PARCEL = 500


class DownParcel(BaseModel):
    """One parcel built for a point; `acked_at` once its verified receipt came back."""
    id = BigAutoField()
    point_id = IntegerField()                # found through the (point_id, seq) index
    seq = BigIntegerField()
    sha256 = CharField(index=True)
    event_ids = TextField()                  # JSON list
    parcel = BlobField()
    created_at = InstantField()
    acked_at = InstantField(null=True)

    class Meta:
        table_name = "down_parcel"
        indexes = ((("point_id", "seq"), True),)


MIGRATION = [
    """CREATE TABLE "down_parcel" ("id" {serial}, "point_id" INTEGER NOT NULL, "seq" {bigint} NOT NULL, "sha256" VARCHAR(255) NOT NULL, "event_ids" TEXT NOT NULL, "parcel" {bytes} NOT NULL, "created_at" {ts} NOT NULL, "acked_at" {ts})""",  # noqa: E501 - shipped SQL
    """CREATE UNIQUE INDEX "down_parcel_point_id_seq" ON "down_parcel" ("point_id", "seq")""",
    """CREATE INDEX "down_parcel_sha256" ON "down_parcel" ("sha256")""",
    """CREATE INDEX "seen_parcel_sha256" ON "seen_parcel" ("sha256")""",
]


def next_parcel(unit_code: str, identity: crypto.Identity, *, now: datetime | None = None,
                max_events: int = MAX_EVENTS_PER_PARCEL, after_seq: int = 0) -> bytes | None:
    """The parcel the point must apply next (the oldest unacknowledged, else a new one), or None
    when nothing is owed. `after_seq`: the oldest unacknowledged one after that seq, else a new one
    (a USB stick carries several parcels ahead of their receipts; events already in an
    unacknowledged parcel are never put in a second one). :raises ParcelRefused: unknown_sender,
    revoked_sender."""
    now = now or legaltime.now()
    with write_transaction():
        query = Point.select().where(Point.unit_code == unit_code)
        point = (query.for_update() if is_postgres() else query).first()
        if point is None or not point.enc_pub:
            raise ParcelRefused(E.UNKNOWN_POINT(unit=unit_code))
        if point.key_status == "revoked":
            raise ParcelRefused(E.REVOKED_SENDER(unit=unit_code))
        waiting = (DownParcel.select().where((DownParcel.point_id == point.id)
                                             & DownParcel.acked_at.is_null()
                                             & (DownParcel.seq > after_seq))
                   .order_by(DownParcel.seq).first())
        if waiting is not None:
            return bytes(waiting.parcel)
        in_flight = {eid for row in DownParcel.select(DownParcel.event_ids).where(
            (DownParcel.point_id == point.id) & DownParcel.acked_at.is_null())
            for eid in json.loads(row.event_ids)}
        events = pending_outbound(unit_code, limit=None if in_flight else max_events)
        events = [e for e in events if e.id not in in_flight][:max_events]
        if not events:
            return None
        seq = allocate_seq_out(unit_code)
        prev = DownParcel.get_or_none((DownParcel.point_id == point.id) & (DownParcel.seq == seq - 1))
        stamp = str(hlc.Stamp(legaltime.to_ms(now), 0))
        keys = crypto.PublicKeys.from_dict({"sign_pub": point.sign_pub, "enc_pub": point.enc_pub})
        parcel = build_parcel(CENTER_ID, identity, unit_code, keys.enc_pub, seq,
                              prev.sha256 if prev else "", stamp, "events", events)
        DownParcel.create(point_id=point.id, seq=seq, sha256=crypto.sha256_hex(parcel),
                          event_ids=json.dumps([e.id for e in events]), parcel=parcel,
                          created_at=now)
    logger.info("down parcel %d for %s built (%d events)", seq, unit_code, len(events))
    return parcel


def accept_receipt(unit_code: str, receipt, *, now: datetime | None = None) -> int:
    """Check the point's signed receipt for a down parcel and forget what it covers; returns the
    number of events acknowledged (0 for a held/refused receipt).
    :raises ParcelRefused: malformed_receipt, bad_signature, receipt_mismatch, unknown_sender."""
    now = now or legaltime.now()
    raw = receipt if isinstance(receipt, (bytes, bytearray)) else canonical_json(receipt)
    try:
        body = json.loads(bytes(raw))["receipt"]
        parcel_sha = str(body["parcel_sha256"])
    except (ValueError, KeyError, TypeError):
        raise ParcelRefused(E.MALFORMED_RECEIPT) from None
    point = Point.get_or_none(Point.unit_code == unit_code)
    if point is None or not point.sign_pub:
        raise ParcelRefused(E.UNKNOWN_POINT(unit=unit_code))
    row = DownParcel.get_or_none((DownParcel.point_id == point.id) & (DownParcel.sha256 == parcel_sha))
    if row is None:
        raise ParcelRefused(E.RECEIPT_NOT_SENT)
    body = _verify_point_receipt(bytes(raw), point, row.sha256)
    if body.get("result") not in ("applied", "duplicate"):
        logger.warning("point %s answered %s for down parcel %d: %s", unit_code,
                       body.get("result"), row.seq, body.get("reason"))
        return 0
    with write_transaction():
        DownParcel.update(acked_at=now).where((DownParcel.id == row.id)
                                              & DownParcel.acked_at.is_null()).execute()
        count = ack_outbound(unit_code, json.loads(row.event_ids), now=now)
    logger.info("down parcel %d acknowledged by %s (%d events)", row.seq, unit_code, count)
    return count


def _verify_point_receipt(raw: bytes, point: Point, parcel_sha: str) -> dict:
    """A receipt signed with the point's current key, or the one a rotation replaced (receipts
    written before the point switched, still on a stick). :raises ParcelRefused: bad_signature…"""
    from central.key_rotation import accepted_keys
    keys = accepted_keys(point)
    for key in keys[1:]:
        try:
            return verify_receipt(raw, key.sign_pub, parcel_sha)
        except ParcelRefused:
            continue
    return verify_receipt(raw, keys[0].sign_pub, parcel_sha)
