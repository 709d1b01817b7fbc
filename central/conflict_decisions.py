"""Conflicts at the center: what an officer sees of them, and the decision that closes them.

A conflict is raised by the merge (`sync.conflict_rules`) on the center and on the point alike, under the
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

from central.apply import record_center_event
from central.db import is_postgres, write_transaction
from central.models import ConflictRecord, Dossier, Event, Point
from motcua import errors as E, legaltime
from motcua.errors import Conflict as Refused
from sync.conflict_review import (
    CENTER_NAME_VI,
    check_request,
    check_value,
    resolution_payload,
)
from sync.conflict_table import ConflictBook
from sync.events import CENTER_ID

logger = logging.getLogger(__name__)


def _point_names(codes: set[str]) -> dict[str, str]:
    """The center and the enrolled points among `codes`."""
    names = {CENTER_ID: CENTER_NAME_VI}
    codes = codes - {CENTER_ID}
    if codes:
        names.update(Point.select(Point.unit_code, Point.name)
                     .where(Point.unit_code.in_(codes)).tuples())
    return names


book = ConflictBook(ConflictRecord, Dossier, Event, _point_names)
list_open_conflicts = book.list_open
get_conflict = book.get


def resolve_conflict(conflict_id: str, decision: str, value: Any, actor: str, *,
                     note: str | None = None, now: datetime | None = None) -> dict:
    """Journal a person's decision as `conflict.resolved`; it closes the conflict here and, once
    synced, at the point. Returns the conflict as `get_conflict` shows it.

    :raises InvalidInput (422): unknown decision, unusable value or note; NotFound (404): no such
        conflict; Conflict (409): it is already resolved. Nothing is written when any is raised.
    """
    check_request(decision, note)
    now = now or legaltime.now()
    with write_transaction():
        row = book.row(conflict_id, lock=is_postgres())
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
