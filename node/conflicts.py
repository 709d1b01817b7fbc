"""Conflicts at the point: kept from each re-fold, shown to the clerk, and decided here or centrally.

The merge (`sync.merge`) raises a conflict under the same id at the point and at the center, so the
`conflict` table here is derived, like the center's: whenever a dossier is re-folded (events from
the center, or a decision taken here) its rows are made to match the fold. A clerk's decision is a
`conflict.resolved` event journalled in the same transaction as the re-fold it causes, so the row
and the conflict close here at once, and the event ships up like any other and closes the conflict
at the center. A decision taken at the center comes down and closes it here the same way.

Possible duplicates (two dossiers at two points) are only seen at the center; a point shows what its
own journal raises. Layout and checks are shared with the center (`sync.conflict_view`).
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from motcua import errors as E
from motcua.errors import Conflict as Refused, NotFound
from node.journal import record_event, to_wire
from node.models import ConflictRecord, Dossier, Event, db
from node.state import get_state
from sync.conflict_book import ConflictBook
from sync.conflict_view import (
    CENTER_NAME_VI,
    check_request,
    check_value,
    resolution_payload,
)
from sync.events import CENTER_ID
from sync.merge import DossierState

logger = logging.getLogger(__name__)


def record_conflicts(state: DossierState, now: datetime) -> list[str]:
    """Make this dossier's `conflict` rows match its fold: add new ones, update changed ones (a
    resolution closes one), and drop ones the fold no longer raises (an earlier event was missing
    when they were raised). Call inside the re-fold's write transaction. Returns the ids changed."""
    uid = state.dossier_id
    found = {c.id: c for c in state.conflicts}
    have = {r.conflict_id: r
            for r in ConflictRecord.select().where(ConflictRecord.dossier_uid == uid)}
    gone = [cid for cid in have if cid not in found]
    if gone:
        ConflictRecord.delete().where(ConflictRecord.conflict_id.in_(gone)).execute()
    changed = list(gone)
    for cid, c in found.items():
        detail, row = c.to_dict(), have.get(cid)
        if row is not None and row.detail == detail and bool(row.is_open) == c.is_open:
            continue
        (ConflictRecord.insert(conflict_id=cid, kind=c.kind, dossier_uid=uid, is_open=c.is_open,
                               detail=detail, first_seen=now, updated_at=now)
         .on_conflict(conflict_target=[ConflictRecord.conflict_id],
                      update={ConflictRecord.is_open: c.is_open, ConflictRecord.detail: detail,
                              ConflictRecord.updated_at: now})
         .execute())
        changed.append(cid)
    if changed:
        logger.info("dossier %s: conflicts %s recorded", uid, ",".join(sorted(changed)))
    return sorted(changed)


def _point_names(codes: set[str]) -> dict[str, str]:
    """Names a point knows: itself and the center (a dossier's events come from these two)."""
    names = {CENTER_ID: CENTER_NAME_VI}
    unit = get_state("unit_code")
    if unit:
        names[unit] = get_state("unit_name") or unit
    return names


book = ConflictBook(ConflictRecord, Dossier, Event, _point_names)
list_open_conflicts = book.list_open
get_conflict = book.get
open_conflict_ids = book.open_ids
count_open_conflicts = book.count_open


def resolve_conflict(conflict_id: str, decision: str, value: Any, actor: str, *,
                     note: str | None = None, now: datetime | None = None) -> dict:
    """Journal a clerk's decision as `conflict.resolved` and re-fold the dossier in the same
    transaction, so the row and the conflict close here at once; the event syncs up and closes it
    at the center. Returns the conflict as `get_conflict` shows it.

    :raises InvalidInput (422): unknown decision, unusable value or note; NotFound (404): no such
        conflict (or its dossier is not held here); Conflict (409): it is already resolved.
        Nothing is written when any is raised.
    """
    from node.inbox import refold_dossier  # inbox records conflicts through this module
    check_request(decision, note)
    now = now or datetime.now()
    with db.atomic("IMMEDIATE"):
        row = book.row(conflict_id)
        if not row.is_open:
            raise Refused(E.ALREADY_RESOLVED)
        value = check_value(row.kind, decision, value)
        uid = row.dossier_uid or (row.detail.get("b") or {}).get("dossier_id")
        if not uid or not Dossier.select().where(Dossier.uid == uid).exists():
            raise NotFound(E.CONFLICT_DOSSIER_NOT_HERE)
        ev = record_event("conflict.resolved", uid, actor,
                          resolution_payload(row.conflict_id, decision, value, note), now=now)
        refold_dossier(uid, {ev.event_id: to_wire(ev)}, now=now)
    logger.info("conflict %s resolved (%s) by %s in event %s", row.conflict_id, decision, actor,
                ev.event_id)
    return get_conflict(row.conflict_id)
