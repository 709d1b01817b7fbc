"""`motcua node verify`: re-fold every dossier's journal and compare it with the stored rows.

Every dossier row is written by one path (`node.apply`) as a function of its journal; this check
recomputes that function from the journal alone (`sync.merge`, then `node.apply.dossier_columns`)
and reports every column where the two disagree (`node.apply.JOURNAL_COLUMNS`: all but the rowid and
the columns no event determines), the live attachments, and the `conflict` table's ids and open
flags, so a bug or a hand edit cannot hide.
"""
from __future__ import annotations

from collections import defaultdict

from node.apply import JOURNAL_COLUMNS, attachment_keys, dossier_columns
from node.conflict_decisions import book as conflicts_book
from node.journal import to_wire
from node.models import Attachment, Blob, Dossier, Event
from sync import merge
from sync.conflict_table import conflict_drift


def column_problems(d: Dossier, want: dict) -> list[str]:
    """The journal-determined columns whose stored value is not the fold's."""
    return [f"{d.code}: {name} lưu là {getattr(d, name)!r}, nhật ký cho {want[name]!r}"
            for name in JOURNAL_COLUMNS if getattr(d, name) != want[name]]


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
    events_by_dossier: dict[str, dict] = defaultdict(dict)
    for row in Event.select().where(Event.dossier_uid.is_null(False)).iterator():
        events_by_dossier[row.dossier_uid][row.event_id] = to_wire(row)
    live = defaultdict(set)
    for a in Attachment.select().where(Attachment.removed_at.is_null()).iterator():
        live[a.dossier_id].add((str(a.requirement_key), a.sha256))
    held = {sha for (sha,) in Blob.select(Blob.sha256).tuples()}
    conflicts = conflicts_book.open_flags()
    problems, checked = [], 0
    for d in Dossier.select().iterator():
        checked += 1
        journal = events_by_dossier.pop(d.uid, {})
        if not journal:
            problems.append(f"{d.code}: không có sự kiện nào trong nhật ký")
            continue
        state = merge.fold(journal.values())
        want = dossier_columns(state, journal)
        if want is None:
            problems.append(f"{d.code}: nhật ký không có sự kiện tiếp nhận")
            continue
        problems.extend(column_problems(d, want))
        have, folded = live[d.id], attachment_keys(state, held)
        if have != folded:
            problems.append(f"{d.code}: attachments lưu là {sorted(have)!r}, "
                            f"nhật ký cho {sorted(folded)!r}")
        problems.extend(conflict_problems(d.code, conflicts.pop(d.uid, {}), state))
    for uid in events_by_dossier:
        problems.append(f"hồ sơ {uid}: có sự kiện nhưng không có bản ghi hồ sơ")
    for uid, stored in conflicts.items():
        problems.extend(f"xung đột {cid}: hồ sơ {uid} không có ở điểm này"
                        for cid in sorted(stored))
    return checked, problems
