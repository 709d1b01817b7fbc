"""`motcua node verify`: re-fold every dossier's journal and compare it with the stored row.

The node keeps each dossier's current state in its `dossier` row, updated event by event; this check
recomputes that state from the journal alone with the same pure merge both sides use (`sync.merge`) and
reports any field where the two disagree, so a bug or a hand edit cannot hide. The `conflict` table is
derived the same way, so its ids and open flags are compared with the conflicts the fold raises.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from node.conflicts import book as conflicts_book
from node.journal import to_wire
from node.models import Attachment, Dossier, Event
from sync import merge
from sync.conflict_book import conflict_drift


def _iso(value):
    return value.isoformat() if isinstance(value, datetime) else value


def stored_view(d: Dossier, attachments: set[tuple[str, str]]) -> dict:
    """The parts of a row that the journal also determines."""
    return {"code": d.code, "status": d.status, "applicant": dict(d.applicant),
            "due_at": _iso(d.due_at), "supplement_count": d.supplement_count,
            "rating": d.rating, "returned_to": d.returned_to, "attachments": attachments}


def folded_view(state: merge.DossierState) -> dict:
    return {"code": state.code, "status": state.status, "applicant": state.applicant,
            "due_at": state.due_at, "supplement_count": state.supplement_count,
            "rating": state.rating, "returned_to": state.returned_to,
            "attachments": set(state.attachments)}


def conflict_problems(code: str, stored: dict[str, bool], state: merge.DossierState) -> list[str]:
    """Differences between the stored {conflict id: open} of a dossier and its fold's conflicts."""
    out = []
    for cid, have, want in conflict_drift(stored, state):
        if want is None:
            out.append(f"{code}: xung đột {cid} có trong bảng nhưng nhật ký không sinh ra")
        elif have is None:
            out.append(f"{code}: xung đột {cid} nhật ký sinh ra nhưng không có trong bảng")
        else:
            out.append(f"{code}: xung đột {cid} lưu là open={have}, nhật ký cho open={want}")
    return out


def verify_node(batch: int = 2000) -> tuple[int, list[str]]:
    """Check every dossier; returns (how many were checked, the differences found)."""
    events_by_dossier: dict[str, list] = defaultdict(list)
    for row in Event.select().where(Event.dossier_uid.is_null(False)).iterator():
        events_by_dossier[row.dossier_uid].append(to_wire(row))
    live = defaultdict(set)
    for a in Attachment.select().where(Attachment.removed_at.is_null()).iterator():
        live[a.dossier_id].add((a.requirement_key, a.sha256))
    conflicts = conflicts_book.open_flags()
    problems, checked = [], 0
    for d in Dossier.select().iterator():
        checked += 1
        events = events_by_dossier.pop(d.uid, [])
        if not events:
            problems.append(f"{d.code}: không có sự kiện nào trong nhật ký")
            continue
        state = merge.fold(events)
        want = folded_view(state)
        have = stored_view(d, live[d.id])
        for key in have:
            if have[key] != want[key]:
                problems.append(f"{d.code}: {key} lưu là {have[key]!r}, nhật ký cho {want[key]!r}")
        problems.extend(conflict_problems(d.code, conflicts.pop(d.uid, {}), state))
    for uid in events_by_dossier:
        problems.append(f"hồ sơ {uid}: có sự kiện nhưng không có bản ghi hồ sơ")
    for uid, stored in conflicts.items():
        problems.extend(f"xung đột {cid}: hồ sơ {uid} không có ở điểm này"
                        for cid in sorted(stored))
    return checked, problems
