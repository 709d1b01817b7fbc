"""The one write path for a dossier's state on the node: journal, fold, rows.

Domain functions (`node.reception`, `node.clerk`, `node.conflict_decisions`) validate a clerk's act and say
which events it makes (`Change`); `commit` journals them with this node's HLC (`node.journal`) and
`refold` lays the pure fold of each touched dossier's journal (`sync.merge`) onto its rows with the
layout the center uses (`sync.folding`). Events from the center (`node.inbox`) are stored and go
through `refold` too. So the `dossier`, `attachment` and `conflict` rows of a dossier are always a
function of its journal, and `node verify` checks every column of that function.

Columns the center does not keep (the lookup secret, who received it, fee, book, notes, last
reason) are read from the same fold here, in `local_columns`; `NOT_FROM_JOURNAL` names the columns
no event determines. A column added to `node.models.Dossier` must be named in one of the three lists
(a test checks it).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Mapping

from node.journal import record_event, to_wire
from node.models import Attachment, Blob, ConflictRecord, Dossier, Event
from sync import folding, merge
from sync.events import Event as WireEvent

logger = logging.getLogger(__name__)

# `sync.folding.dossier_row` keys kept on the node (the center's open_conflicts and event_count are
# not: the node counts its conflict rows, and its journal, directly).
FOLDED_COLUMNS = ("uid", "code", "official_code", "origin", "procedure_code", "catalogue_version",
                  "channel", "status", "applicant", "owner", "applicant_id_number", "received_at",
                  "due_at", "original_due_at", "paused_at", "finished_at", "returned_at", "returned_to",
                  "supplement_count", "rating", "updated_hlc", "search_text")
LOCAL_COLUMNS = ("lookup_secret", "received_by", "fee_vnd", "fee_paid", "fee_receipt_no",
                 "book_volume", "book_number", "notes", "last_reason")
NOT_FROM_JOURNAL = ("id",)              # local rowid (also the search index's)
JOURNAL_COLUMNS = FOLDED_COLUMNS + LOCAL_COLUMNS


@dataclass(frozen=True)
class Change:
    """One event a domain function wants written: what happened, to which dossier, with what."""
    kind: str
    dossier_uid: str | None
    payload: dict


def _last_reason(journal: Mapping[str, WireEvent]) -> str | None:
    """The reason of the latest status move (in clock order) that gave one: what a supplement
    request asks for, why a dossier was refused or withdrawn. Moves without one keep it."""
    moves = sorted((ev for ev in journal.values()
                    if ev.kind == "dossier.transitioned" and ev.payload.get("reason")),
                   key=WireEvent.sort_key)
    return str(moves[-1].payload["reason"]) if moves else None


def local_columns(state: merge.DossierState, journal: Mapping[str, WireEvent]) -> dict[str, Any]:
    """The node-only columns, from the fold (fields of `dossier.received`) and the journal."""
    f = state.fields
    number = f.get("book.number")
    return {
        "lookup_secret": str(f.get("lookup_secret") or ""),
        "received_by": state.received.actor,
        "fee_vnd": f.get("fee.vnd"),
        "fee_paid": bool(f.get("fee.paid")),
        "fee_receipt_no": str(f["fee.receipt_no"])[:255] if f.get("fee.receipt_no") else None,
        "book_volume": str(f.get("book.volume") or ""),
        "book_number": number if isinstance(number, int) and not isinstance(number, bool) else 0,
        "notes": f.get("notes"),
        "last_reason": _last_reason(journal),
    }


def dossier_columns(state: merge.DossierState,
                    journal: Mapping[str, WireEvent]) -> dict[str, Any] | None:
    """Every journal-determined column of the dossier's row, or None while it is not received here."""
    row = folding.dossier_row(state, journal)
    if row is None:
        return None
    out = {name: row[name] for name in FOLDED_COLUMNS}
    out["applicant_id_number"] = out["applicant_id_number"] or ""     # NOT NULL on the node
    # NOT NULL on the node too: a dossier not yet received (status 1) has no clock; its row holds
    # the submission time, and the desk's lists leave status 1 out of what can run late.
    out["due_at"] = out["due_at"] or out["received_at"]
    out.update(local_columns(state, journal))
    # The clerk may find a dossier by its lookup secret (the citizen reads it off Form 01); the
    # center's search does not hold the secret.
    out["search_text"] = folding.node_search_text(out["search_text"], out["lookup_secret"])
    return out


def attachment_keys(state: merge.DossierState, held: set[str]) -> set[tuple[str, str]]:
    """The folded attachments (requirement, sha256) this node can show: those whose scan it holds
    (a scan added at the center and never sent here has no `blob` row to point at)."""
    return {key for key in state.attachments if key[1] in held}


def _write_dossier(cols: dict[str, Any]) -> Dossier:
    """Insert or update the row to `cols`; returns it as now stored (no second read)."""
    row = Dossier.get_or_none(Dossier.uid == cols["uid"])
    if row is None:
        row = Dossier(**cols)
        row.save(force_insert=True)
        return row
    changed = {k: v for k, v in cols.items() if getattr(row, k) != v}
    if changed:     # the search index follows `search_text` through the table's triggers
        Dossier.update(**changed).where(Dossier.id == row.id).execute()
        for name, value in changed.items():
            setattr(row, name, value)
    return row


def _write_attachments(dossier: Dossier, state: merge.DossierState,
                       journal: Mapping[str, WireEvent], now: datetime) -> None:
    """Make the live attachment rows match the fold: removed ones get `removed_at` (the row stays
    for the history), added ones get a row."""
    if not any(ev.kind.startswith("attachment.") for ev in journal.values()):
        return          # no scan was ever added: there are no rows to match
    shas = {sha for _, sha in state.attachments}
    held = ({sha for (sha,) in Blob.select(Blob.sha256).where(Blob.sha256.in_(shas)).tuples()}
            if shas else set())
    wanted = attachment_keys(state, held)
    live = set()
    for row in Attachment.select().where((Attachment.dossier == dossier.id)
                                         & Attachment.removed_at.is_null()):
        key = (str(row.requirement_key), row.sha256)
        if key in wanted:
            live.add(key)
        else:
            Attachment.update(removed_at=now).where(Attachment.id == row.id).execute()
    for key in sorted(wanted - live):
        a = state.attachments[key]
        added = journal.get(a.added[2])
        Attachment.create(dossier=dossier.id, requirement_key=key[0], blob=key[1],
                          filename=a.filename if isinstance(a.filename, str) else None,
                          added_at=now, added_by=added.actor if added else "")


def record_conflicts(state: merge.DossierState, now: datetime) -> list[str]:
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


def journal_of(uid: str) -> dict[str, WireEvent]:
    """One dossier's events as sync ships them, by id."""
    return {row.event_id: to_wire(row) for row in Event.select().where(Event.dossier_uid == uid)}


def refold(uids: Iterable[str], *, now: datetime) -> dict[str, Dossier]:
    """Fold each dossier's journal and write its rows (dossier, attachments, conflicts); call inside
    a write transaction. Returns the rows written (a dossier not received here is skipped)."""
    out = {}
    for uid in sorted(set(uids)):
        journal = journal_of(uid)
        if not journal:
            continue
        state = merge.fold(journal.values())
        cols = dossier_columns(state, journal)
        if cols is None:
            continue
        dossier = _write_dossier(cols)
        _write_attachments(dossier, state, journal, now)
        record_conflicts(state, now)
        out[uid] = dossier
    return out


def commit(changes: Iterable[Change], actor: str, *, now: datetime) -> list[Event]:
    """Journal `changes` in order (each stamped by this node's HLC), then re-fold and write every
    dossier they touch. Call inside `db.atomic("IMMEDIATE")`, after validating: nothing here
    refuses. Returns the journal rows."""
    rows = [record_event(c.kind, c.dossier_uid, actor, c.payload, now=now) for c in changes]
    refold({r.dossier_uid for r in rows if r.dossier_uid}, now=now)
    return rows


def commit_one(change: Change, actor: str, *, now: datetime) -> Dossier:
    """`commit` one change on one dossier; returns its row as written."""
    record_event(change.kind, change.dossier_uid, actor, change.payload, now=now)
    return refold([change.dossier_uid], now=now)[change.dossier_uid]
