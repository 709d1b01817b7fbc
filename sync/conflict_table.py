"""The `conflict` table of either side, read the same way at a point and at the center.

Both sides keep conflicts under the same ids in the same table (`motcua.tables`); what differs is
which names of points they know and how a decision is journalled (`node.conflict_decisions`,
`central.conflict_decisions`). A `ConflictBook` is given one side's models and its way of naming points, and
lists, counts and lays out that side's conflicts with `sync.conflict_review`, in three queries for a
whole list, not per row.
"""
from __future__ import annotations

from typing import Any, Callable

from motcua import errors as E
from motcua.errors import NotFound
from sync.conflict_review import dossier_brief, event_refs, present_conflict


class ConflictBook:
    """Conflicts over one side's `ConflictRecord`, `Dossier` and `Event` models.

    `point_names(codes)` returns {unit code: name} for the origins and points in `codes` that it
    knows (the center included).
    """

    def __init__(self, conflict_model, dossier_model, event_model,
                 point_names: Callable[[set[str]], dict[str, str]]):
        self.Conflict, self.Dossier, self.Event = conflict_model, dossier_model, event_model
        self.point_names = point_names

    def present(self, rows: list) -> list[dict]:
        """Conflict rows as people read them: both sides' events, the dossiers side by side."""
        details = [r.detail for r in rows]
        refs = event_refs(details)
        ids = {x["id"] for x in refs if x["kind"] == "dossier.received"}
        Event, Dossier = self.Event, self.Dossier
        payloads = ({e.event_id: e.payload for e in Event.select(Event.event_id, Event.payload)
                     .where(Event.event_id.in_(ids))} if ids else {})
        uids = {x.get("dossier_id") for x in refs} | {d.get("dossier_id") for d in details}
        uids.discard(None)
        dossiers = ({d.uid: dossier_brief(d) for d in Dossier.select().where(Dossier.uid.in_(uids))}
                    if uids else {})
        names = self.point_names({x["origin"] for x in refs}
                                 | {d["point"] for d in dossiers.values()})
        return [present_conflict(d, first_seen=r.first_seen, names=names, payloads=payloads,
                                 dossiers=dossiers) for r, d in zip(rows, details)]

    def list_open(self, limit: int = 500) -> list[dict]:
        """Open conflicts, newest first, each with both sides' events and its dossier."""
        C = self.Conflict
        rows = list(C.select().where(C.is_open == True)  # noqa: E712
                    .order_by(C.updated_at.desc(), C.conflict_id).limit(limit))
        return self.present(rows)

    def row(self, conflict_id: Any, *, lock: bool = False):
        """The stored row (locked for the transaction when `lock`, on PostgreSQL).

        :raises NotFound: no conflict with this id here.
        """
        C = self.Conflict
        query = C.select().where(C.conflict_id == str(conflict_id or "")[:64])
        row = (query.for_update() if lock else query).first()
        if row is None:
            raise NotFound(E.CONFLICT_NOT_FOUND)
        return row

    def get(self, conflict_id: str) -> dict:
        """One conflict (open or closed) with both versions side by side.

        :raises NotFound: no conflict with this id here.
        """
        return self.present([self.row(conflict_id)])[0]

    def open_ids(self, dossier_uid: str) -> list[str]:
        """The open conflicts of one dossier (its page links to them)."""
        C = self.Conflict
        return [cid for (cid,) in C.select(C.conflict_id)
                .where((C.dossier_uid == dossier_uid) & (C.is_open == True))  # noqa: E712
                .order_by(C.conflict_id).tuples()]

    def count_open(self) -> int:
        """How many conflicts wait for a person (the sync badge)."""
        return self.Conflict.select().where(self.Conflict.is_open == True).count()  # noqa: E712

    def open_flags(self, uids: list[str] | None = None) -> dict[str, dict[str, bool]]:
        """{dossier uid: {conflict id: open}} as stored: for `uids`, or every dossier's."""
        C = self.Conflict
        query = C.select(C.conflict_id, C.dossier_uid, C.is_open)
        if uids is not None:
            query = query.where(C.dossier_uid.in_(uids))
        out: dict[str, dict[str, bool]] = {u: {} for u in uids or ()}
        for cid, uid, is_open in query.tuples():
            out.setdefault(uid, {})[cid] = bool(is_open)
        return out


def conflict_drift(stored: dict[str, bool], state) -> list[tuple[str, bool | None, bool | None]]:
    """Where a dossier's stored {conflict id: open} and its fold's conflicts disagree (the check
    both sides' `verify` make): (id, stored open or None when not stored, folded open or None when
    the journal does not raise it), in id order."""
    want = {c.id: c.is_open for c in state.conflicts}
    return [(cid, stored.get(cid), want.get(cid)) for cid in sorted(set(stored) | set(want))
            if stored.get(cid) != want.get(cid)]
