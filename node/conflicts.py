"""Conflicts at the point: kept from each re-fold, shown to the clerk, and decided here or centrally.

The merge (`sync.merge`) raises a conflict under the same id at the point and at the center, so the
`conflict` table here is derived, like the center's: whenever a dossier is re-folded (events from
the center, or any act here) `node.apply` makes its rows match the fold. A clerk's decision is a
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

from motcua.errors import Conflict as Refused, NotFound
from node.apply import Change, commit
from node.models import ConflictRecord, Dossier, Event, db
from node.state import get_state
from sync.conflict_view import (CENTER_NAME_VI, CENTER_ORIGIN, check_request, check_value,
                                dossier_brief, event_refs, present_conflict, resolution_payload)

logger = logging.getLogger(__name__)


def _point_names() -> dict[str, str]:
    """Names a point knows: itself and the center (a dossier's events come from these two)."""
    names = {CENTER_ORIGIN: CENTER_NAME_VI}
    unit = get_state("unit_code")
    if unit:
        names[unit] = get_state("unit_name") or unit
    return names


def _present(rows: list[ConflictRecord]) -> list[dict]:
    """Conflict rows as people read them; three queries for the whole list, not per row."""
    details = [r.detail for r in rows]
    refs = event_refs(details)
    ids = {x["id"] for x in refs if x["kind"] == "dossier.received"}
    payloads = ({e.event_id: e.payload for e in Event.select(Event.event_id, Event.payload)
                 .where(Event.event_id.in_(ids))} if ids else {})
    uids = {x.get("dossier_id") for x in refs} | {d.get("dossier_id") for d in details}
    uids.discard(None)
    dossiers = ({d.uid: dossier_brief(d) for d in Dossier.select().where(Dossier.uid.in_(uids))}
                if uids else {})
    names = _point_names()
    return [present_conflict(d, first_seen=r.first_seen, names=names, payloads=payloads,
                             dossiers=dossiers) for r, d in zip(rows, details)]


def list_open_conflicts(limit: int = 500) -> list[dict]:
    """Open conflicts at this point, newest first, each with both sides' events and its dossier."""
    rows = list(ConflictRecord.select().where(ConflictRecord.is_open == True)  # noqa: E712
                .order_by(ConflictRecord.updated_at.desc(), ConflictRecord.conflict_id)
                .limit(limit))
    return _present(rows)


def open_conflict_ids(dossier_uid: str) -> list[str]:
    """The open conflicts of one dossier (the dossier page links to them)."""
    return [cid for (cid,) in ConflictRecord.select(ConflictRecord.conflict_id)
            .where((ConflictRecord.dossier_uid == dossier_uid)
                   & (ConflictRecord.is_open == True))  # noqa: E712
            .order_by(ConflictRecord.conflict_id).tuples()]


def count_open_conflicts() -> int:
    """How many conflicts wait for a person here (the sync badge)."""
    return ConflictRecord.select().where(ConflictRecord.is_open == True).count()  # noqa: E712


def _row(conflict_id: Any) -> ConflictRecord:
    row = ConflictRecord.get_or_none(ConflictRecord.conflict_id == str(conflict_id or "")[:64])
    if row is None:
        raise NotFound("Không tìm thấy xung đột này.", code="conflict_not_found")
    return row


def get_conflict(conflict_id: str) -> dict:
    """One conflict (open or closed) with both versions side by side.

    :raises NotFound: no conflict with this id here.
    """
    return _present([_row(conflict_id)])[0]


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
    now = now or datetime.now()
    with db.atomic("IMMEDIATE"):
        row = _row(conflict_id)
        if not row.is_open:
            raise Refused("Xung đột này đã được giải quyết.", code="already_resolved")
        value = check_value(row.kind, decision, value)
        uid = row.dossier_uid or (row.detail.get("b") or {}).get("dossier_id")
        if not uid or not Dossier.select().where(Dossier.uid == uid).exists():
            raise NotFound("Hồ sơ của xung đột này không có ở điểm này.", code="dossier_not_found")
        [ev] = commit([Change("conflict.resolved", uid,
                              resolution_payload(row.conflict_id, decision, value, note))],
                      actor, now=now)
    logger.info("conflict %s resolved (%s) by %s in event %s", row.conflict_id, decision, actor,
                ev.event_id)
    return get_conflict(row.conflict_id)
