"""`motcua central verify`: re-fold every dossier from the union journal and compare with the tables.

The center keeps its `dossier`, `attachment` and `conflict` rows incrementally (only the dossiers a
parcel touches are re-folded). This check re-derives all of them from the stored events with the same
`sync.merge.fold` the points use, so drift from a bug, a bad migration or a hand edit shows up as a
list of differences instead of a silent disagreement between center and point. The dashboard's
summary (`central.summary`) is recounted too and must equal what the table holds.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from central import summary
from central.apply import GLOBAL_KINDS, _stored_events, center_columns
from central.conflict_decisions import book as conflicts_book
from central.models import Attachment, ConflictRecord, Dossier, Event
from sync import folding, merge
from sync.conflict_rules import POSSIBLE_DUPLICATE
from sync.conflict_table import conflict_drift
from sync.events import KINDS

logger = logging.getLogger(__name__)

_CHUNK = 500
# Derived columns compared as they are; `id` is the row's own key, not part of the state.
_SKIP = frozenset({"id"})
_DOSSIER_KINDS = KINDS - GLOBAL_KINDS


@dataclass
class Report:
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _norm(value: Any) -> Any:
    """Make a stored value comparable with a freshly folded one (JSON text vs dict, int vs bool)."""
    if hasattr(value, "isoformat"):
        return value.isoformat(" ")
    return value


def _dossier_problems(uid: str, events: list, row: Dossier | None, attachments: set,
                      conflicts: dict[str, bool]) -> list[str]:
    state = merge.fold(events)
    want = folding.dossier_row(state, {e.id: e for e in events})
    if want is not None:
        want.update(center_columns(state))
    out = []
    if want is None:
        if row is not None:
            out.append(f"{uid}: stored as a dossier, but the journal holds no dossier.received")
    elif row is None:
        out.append(f"{uid}: missing from the dossier table")
    else:
        for key in want:
            if key in _SKIP:
                continue
            stored, folded = _norm(getattr(row, key)), _norm(want[key])
            if stored != folded:
                out.append(f"{uid}: {key}: stored {stored!r}, journal says {folded!r}")
    want_att = set(folding.attachment_rows(state))
    if attachments != want_att:
        out.append(f"{uid}: attachments: stored {sorted(attachments)}, journal says {sorted(want_att)}")
    for cid, have, want in conflict_drift(conflicts, state):
        if want is None:
            out.append(f"{uid}: conflict {cid} stored but not raised by the journal")
        elif have is None:
            out.append(f"{uid}: conflict {cid} raised by the journal but not stored")
        else:
            out.append(f"{uid}: conflict {cid}: stored open={have}, journal says open={want}")
    return out


def _check_chunk(uids: list[str]) -> list[str]:
    events = _stored_events(uids)
    rows = {d.uid: d for d in Dossier.select().where(Dossier.uid.in_(uids))}
    atts: dict[str, set] = {u: set() for u in uids}
    for uid, req, sha in (Attachment.select(Attachment.dossier_uid, Attachment.requirement,
                                            Attachment.sha256)
                          .where(Attachment.dossier_uid.in_(uids)).tuples()):
        atts[uid].add((req, sha))
    confs = conflicts_book.open_flags(uids)
    out = []
    for uid in uids:
        mine = [e for e in events.get(uid, []) if e.kind in _DOSSIER_KINDS]
        if not mine:
            if uid in rows:
                out.append(f"{uid}: stored as a dossier, but the journal holds none of its events")
            continue
        out.extend(_dossier_problems(uid, mine, rows.get(uid), atts[uid], confs[uid]))
    return out


def _cross_dossier_problems() -> list[str]:
    """Possible duplicates span two dossiers: open unless a `conflict.resolved` names them, and
    both filings must still be in the journal."""
    out = []
    rows = list(ConflictRecord.select().where(ConflictRecord.dossier_uid.is_null()))
    if not rows:
        return out
    resolved = set()
    for (payload,) in Event.select(Event.payload).where(Event.kind == "conflict.resolved").tuples():
        if isinstance(payload, str):
            payload = Event.payload.python_value(payload)
        resolved.add(str((payload or {}).get("conflict_id")))
    wanted = sorted({x["id"] for r in rows for x in (r.detail.get("a"), r.detail.get("b")) if x})
    held = set()
    for i in range(0, len(wanted), _CHUNK):
        held.update(eid for (eid,) in Event.select(Event.event_id)
                    .where(Event.event_id.in_(wanted[i:i + _CHUNK])).tuples())
    for r in rows:
        ids = {x["id"] for x in (r.detail.get("a"), r.detail.get("b")) if x}
        if r.kind != POSSIBLE_DUPLICATE or not ids or not ids <= held:
            out.append(f"conflict {r.conflict_id}: its events are not all in the journal")
        if bool(r.is_open) == (r.conflict_id in resolved):
            out.append(f"conflict {r.conflict_id}: stored open={bool(r.is_open)}, "
                       f"journal says open={r.conflict_id not in resolved}")
    return out


def verify_center() -> Report:
    """Re-fold every dossier (from events and from the dossier table, so orphans show too) and
    list the differences from the stored rows; an empty list means the tables match the journal."""
    uids = {u for (u,) in Event.select(Event.dossier_uid).distinct()
            .where(Event.dossier_uid.is_null(False)).tuples()}
    uids.update(u for (u,) in Dossier.select(Dossier.uid).tuples())
    ordered = sorted(uids)
    report = Report(checked=len(ordered))
    for i in range(0, len(ordered), _CHUNK):
        report.problems.extend(_check_chunk(ordered[i:i + _CHUNK]))
    report.problems.extend(_cross_dossier_problems())
    report.problems.extend(summary.drift())         # the dashboard's summary == a recount
    logger.info("verify: %d dossiers, %d differences", report.checked, len(report.problems))
    return report
