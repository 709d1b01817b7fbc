"""Conflicts at the center: what an officer sees of them, and the decision that closes them.

A conflict is raised by the merge (`sync.conflicts`) on the center and on the point alike, under the
same id. Here we lay it out for a person — both sides' events with who, where, when and what, and the
two versions of the dossier side by side — and turn the officer's decision into a `conflict.resolved`
event. That event goes through `central.apply.record_center_event` like any other officer action, so
the fold closes the conflict here and the same event, synced down, closes it at the point.

Decisions (payload {"conflict_id", "decision", "value", "note"}):
- status conflicts (concurrent_transition, status_stale): keep_a, keep_b, or value = a status code;
- received_twice: keep_a, keep_b, or value = {field name: value} (e.g. {"applicant.phone": "09…"});
- possible_duplicate (two dossiers, two points): keep_a = "keep both, they are different filings";
  keep_b = "B is a duplicate of A" (recorded only: to stop B, move B to 7 → 8 like any dossier).
  A value makes no sense there and is refused. The merge takes no state change for either, and the
  event rides on B's dossier (the later filing), which is the point that must hear of it.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from motcua import errors as E
from motcua.errors import Conflict as Refused, NotFound
from central.apply import record_center_event
from central.db import is_postgres, write_transaction
from central.models import ConflictRecord, Dossier, Event, Point
from sync.events import CENTER_ID
from sync.conflict_view import (CENTER_NAME_VI, check_request, check_value, dossier_brief,
                                event_refs, present_conflict, resolution_payload)

logger = logging.getLogger(__name__)


def _point_names(codes: set[str]) -> dict[str, str]:
    names = {CENTER_ID: CENTER_NAME_VI}
    codes = codes - {CENTER_ID}
    if codes:
        names.update(Point.select(Point.unit_code, Point.name)
                     .where(Point.unit_code.in_(codes)).tuples())
    return names


def _payloads(ids: set[str]) -> dict[str, dict]:
    if not ids:
        return {}
    return {r.event_id: r.payload for r in
            Event.select(Event.event_id, Event.payload).where(Event.event_id.in_(ids))}


def _present(rows: list[ConflictRecord]) -> list[dict]:
    """Conflict records as people read them (`sync.conflict_view`); three queries for the whole
    list, not per row."""
    details = [r.detail for r in rows]
    refs = event_refs(details)
    names = _point_names({x["origin"] for x in refs})
    payloads = _payloads({x["id"] for x in refs if x["kind"] == "dossier.received"})
    uids = {x.get("dossier_id") for x in refs} | {d.get("dossier_id") for d in details}
    uids.discard(None)
    dossiers = {d.uid: dossier_brief(d) for d in Dossier.select().where(Dossier.uid.in_(uids))} \
        if uids else {}
    names.update(_point_names({d["point"] for d in dossiers.values()} - set(names)))
    return [present_conflict(d, first_seen=r.first_seen, names=names, payloads=payloads,
                             dossiers=dossiers) for r, d in zip(rows, details)]


def list_open_conflicts(limit: int = 500) -> list[dict]:
    """Open conflicts across points, newest first, each with both sides' events and its dossier."""
    rows = list(ConflictRecord.select().where(ConflictRecord.is_open == True)  # noqa: E712
                .order_by(ConflictRecord.updated_at.desc(), ConflictRecord.conflict_id)
                .limit(limit))
    return _present(rows)


def get_conflict(conflict_id: str) -> dict:
    """One conflict (open or closed) with both versions side by side.

    :raises NotFound: no conflict with this id.
    """
    row = ConflictRecord.get_or_none(ConflictRecord.conflict_id == str(conflict_id or "")[:64])
    if row is None:
        raise NotFound(E.CONFLICT_NOT_FOUND)
    return _present([row])[0]


def resolve_conflict(conflict_id: str, decision: str, value: Any, actor: str, *,
                     note: str | None = None, now: datetime | None = None) -> dict:
    """Journal a person's decision as `conflict.resolved`; it closes the conflict here and, once
    synced, at the point. Returns the conflict as `get_conflict` shows it.

    :raises InvalidInput (422): unknown decision, unusable value or note; NotFound (404): no such
        conflict; Conflict (409): it is already resolved. Nothing is written when any is raised.
    """
    check_request(decision, note)
    now = now or datetime.now()
    with write_transaction():
        query = ConflictRecord.select().where(
            ConflictRecord.conflict_id == str(conflict_id or "")[:64])
        row = (query.for_update() if is_postgres() else query).first()
        if row is None:
            raise NotFound(E.CONFLICT_NOT_FOUND)
        if not row.is_open:
            raise Refused(E.ALREADY_RESOLVED)
        value = check_value(row.kind, decision, value)
        payload = resolution_payload(row.conflict_id, decision, value, note)
        uid = row.dossier_uid or (row.detail.get("b") or {}).get("dossier_id")
        ev = record_center_event("conflict.resolved", uid, actor, payload, now=now)
        if row.dossier_uid is None:
            _close_cross_dossier(row, ev, now)
    logger.info("conflict %s resolved (%s) by %s in event %s", row.conflict_id, decision, actor,
                ev.id)
    return get_conflict(row.conflict_id)


def _close_cross_dossier(row: ConflictRecord, ev, now: datetime) -> None:
    """A possible duplicate spans two dossiers, so no single fold closes it: record the decision on
    the row ourselves (`central.verify` re-derives it from the journal the same way)."""
    detail = dict(row.detail)
    detail["resolution"] = {"event_id": ev.id, "origin": ev.origin, "actor": ev.actor,
                            "hlc": ev.hlc, "decision": ev.payload["decision"],
                            "value": ev.payload.get("value")}
    detail["open"] = False
    (ConflictRecord.update(is_open=False, detail=detail, updated_at=now)
     .where(ConflictRecord.conflict_id == row.conflict_id).execute())
