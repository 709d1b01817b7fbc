"""Conflicts at the point: kept from each re-fold, shown to the clerk, and decided here or centrally.

The merge (`sync.merge`) raises a conflict under the same id at the point and at the center, so the
`conflict` table here is derived, like the center's: whenever a dossier is re-folded (events from
the center, or any act here) `node.apply` makes its rows match the fold. A clerk's decision is a
`conflict.resolved` event journalled in the same transaction as the re-fold it causes, so the row
and the conflict close here at once, and the event ships up like any other and closes the conflict
at the center. A decision taken at the center comes down and closes it here the same way.

Possible duplicates (two dossiers at two points) are only seen at the center; a point shows what its
own journal raises. Layout and checks are shared with the center (`sync.conflict_review`).
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from motcua import errors as E, legaltime
from motcua.errors import Conflict as Refused, NotFound
from node.apply import Change, commit
from node.facts import get_state
from node.models import ConflictRecord, Dossier, Event, db
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
    check_request(decision, note)
    now = now or legaltime.now()
    with db.atomic("IMMEDIATE"):
        row = book.row(conflict_id)
        if not row.is_open:
            raise Refused(E.ALREADY_RESOLVED)
        value = check_value(row.kind, decision, value)
        uid = row.dossier_uid or (row.detail.get("b") or {}).get("dossier_id")
        if not uid or not Dossier.select().where(Dossier.uid == uid).exists():
            raise NotFound(E.CONFLICT_DOSSIER_NOT_HERE)
        [ev] = commit([Change("conflict.resolved", uid,
                              resolution_payload(row.conflict_id, decision, value, note))],
                      actor, now=now)
    logger.info("conflict %s resolved (%s) by %s in event %s", row.conflict_id, decision, actor,
                ev.event_id)
    return get_conflict(row.conflict_id)
