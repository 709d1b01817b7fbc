"""Pure merge: fold a dossier's events into its state plus conflicts, identically on node and center.

The state is a function of the *set* of events only: events are deduplicated by id and applied in
`Event.sort_key()` order (hlc, origin, id), so any arrival order gives the same result. Each event is
applied by one step function, used both by `fold` and by the incremental `apply`:

- an event later than everything seen (the common case) is appended in O(fields it touches);
- an older event (out-of-order delivery) re-folds this one dossier from its own journal.

Rules (details at each handler): plain fields are last-writer-wins per field with the losers kept in
a history; attachments are add-wins where a removal only removes adds that sort before it; status
follows `motcua.lifecycle`, and what it cannot reconcile becomes a `sync.conflict_rules.Conflict`.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from motcua.lifecycle import Status, parse_status
from sync.conflict_rules import (
    APPLY,
    RECEIVED_TWICE,
    Conflict,
    EventRef,
    Resolution,
    decide,
    judge_transition,
    raise_conflict,
    take_resolution,
)
from sync.events import Event

Win = tuple  # (hlc, origin, event_id): the sort key of the event that wrote a value

_SCALARS = ("code", "lookup_secret", "procedure_code", "catalogue_version", "channel",
            "received_at", "due_at", "notes")
_GROUPS = ("applicant", "owner", "fee", "book")


class _Journal:
    """The sorted events behind a state, shared by the chain of states built from it in order.

    A state owns the first `_n` events. It appends in place only while nobody has appended past
    `_n` (len(events) == _n); otherwise it copies its prefix first. States therefore behave as
    immutable values while the in-order append stays O(1).
    """
    __slots__ = ("events", "ids")

    def __init__(self, events: list[Event]):
        self.events = events
        self.ids = {e.id: e for e in events}


@dataclass(frozen=True, eq=False)
class Attachment:
    requirement_id: str
    sha256: str
    size: Any
    mime: Any
    filename: Any
    added: Win

    def to_dict(self) -> dict[str, Any]:
        return {"requirement_id": self.requirement_id, "sha256": self.sha256, "size": self.size,
                "mime": self.mime, "filename": self.filename, "added": list(self.added)}


@dataclass(frozen=True, eq=False)
class DossierState:
    """A dossier as folded from its events. Treat the mappings as read-only.

    `fields` holds plain values under dotted names ("applicant.phone", "fee.amount", "rating",
    "returned_to"…), `field_wins` the (hlc, origin, event_id) that wrote each, `history` the losing
    values per field (a linked list, oldest last; see `field_history`).
    """
    dossier_id: str
    received: EventRef | None = None
    status: int | None = None
    status_win: Win | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)
    field_wins: Mapping[str, Win] = field(default_factory=dict)
    history: Mapping[str, tuple] = field(default_factory=dict)
    attachments: Mapping[tuple[str, str], Attachment] = field(default_factory=dict)
    supplement_count: int = 0
    conflict_map: Mapping[str, Conflict] = field(default_factory=dict)
    pending_resolutions: Mapping[str, tuple[Resolution, ...]] = field(default_factory=dict)
    left_from: Mapping[int, EventRef] = field(default_factory=dict)
    last_transition: EventRef | None = None
    _journal: _Journal = field(default_factory=lambda: _Journal([]), repr=False)
    _n: int = 0

    code = property(lambda self: self.fields.get("code"))
    procedure_code = property(lambda self: self.fields.get("procedure_code"))
    received_at = property(lambda self: self.fields.get("received_at"))
    due_at = property(lambda self: self.fields.get("due_at"))
    notes = property(lambda self: self.fields.get("notes"))
    rating = property(lambda self: self.fields.get("rating"))
    returned_to = property(lambda self: self.fields.get("returned_to"))
    applicant = property(lambda self: self._group("applicant"))
    owner = property(lambda self: self._group("owner"))

    def _group(self, prefix: str) -> dict[str, Any]:
        cut = len(prefix) + 1
        return {k[cut:]: v for k, v in self.fields.items() if k.startswith(prefix + ".")}

    event_count = property(lambda self: self._n)

    @property
    def conflicts(self) -> list[Conflict]:
        """All conflicts, open and closed, sorted by id."""
        return [self.conflict_map[k] for k in sorted(self.conflict_map)]

    @property
    def open_conflicts(self) -> list[Conflict]:
        return [c for c in self.conflicts if c.is_open]

    def field_history(self, name: str) -> list[tuple[Any, Win]]:
        """The values `name` had before its current one, oldest first, each with its writer."""
        out, node = [], self.history.get(name)
        while node is not None:
            out.append(node[0])
            node = node[1]
        return out[::-1]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able snapshot; two states are equal when their snapshots are."""
        return {
            "dossier_id": self.dossier_id,
            "received": self.received.to_dict() if self.received else None,
            "status": self.status,
            "status_win": list(self.status_win) if self.status_win else None,
            "fields": {k: self.fields[k] for k in sorted(self.fields)},
            "field_wins": {k: list(self.field_wins[k]) for k in sorted(self.field_wins)},
            "history": {k: [[v, list(w)] for v, w in self.field_history(k)]
                        for k in sorted(self.history)},
            "attachments": [self.attachments[k].to_dict() for k in sorted(self.attachments)],
            "supplement_count": self.supplement_count,
            "conflicts": [c.to_dict() for c in self.conflicts],
            "pending_resolutions": {k: [r.to_dict() for r in self.pending_resolutions[k]]
                                    for k in sorted(self.pending_resolutions)},
            "event_count": self._n,
        }

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DossierState):
            return NotImplemented
        return states_equal(self, other)

    __hash__ = None  # type: ignore[assignment]


def states_equal(a: DossierState, b: DossierState) -> bool:
    """True when two states hold the same dossier, history and conflicts."""
    return a.to_dict() == b.to_dict()


# --- the step -------------------------------------------------------------------------------------

class _Draft:
    """Copy-on-write changes to one state while one event is applied."""
    __slots__ = ("s", "ch")

    def __init__(self, s: DossierState):
        self.s, self.ch = s, {}

    def get(self, name: str) -> Any:
        return self.ch[name] if name in self.ch else getattr(self.s, name)

    def mut(self, name: str) -> dict:
        if name not in self.ch:
            self.ch[name] = dict(getattr(self.s, name))
        return self.ch[name]

    def set(self, name: str, value: Any) -> None:
        self.ch[name] = value


def _evolve(s: DossierState, changes: dict[str, Any]) -> DossierState:
    new = object.__new__(DossierState)
    new.__dict__.update(s.__dict__)
    new.__dict__.update(changes)
    return new


def _write(d: _Draft, name: str, value: Any, win: Win) -> None:
    """Last writer wins: the step only ever sees writes newer than the current one, so the new
    value wins and the old one goes to the field's history."""
    fields, wins = d.mut("fields"), d.mut("field_wins")
    if name in fields:
        hist = d.mut("history")
        hist[name] = ((fields[name], wins[name]), hist.get(name))
    fields[name] = value
    wins[name] = win


def _received_fields(payload: Mapping[str, Any]) -> list[tuple[str, Any]]:
    out = [(k, payload[k]) for k in _SCALARS if k in payload]
    for group in _GROUPS:
        value = payload.get(group)
        if isinstance(value, dict):
            out.extend((f"{group}.{k}", value[k]) for k in sorted(value))
    return out


def _add_conflict(d: _Draft, c: Conflict) -> None:
    conflicts, held, c = raise_conflict(d.get("conflict_map"), d.get("pending_resolutions"), c)
    d.set("conflict_map", conflicts)
    d.set("pending_resolutions", held)
    if c.resolution is not None:
        _take_decision(d, c, c.resolution)


def _set_status(d: _Draft, status: int, win: Win) -> None:
    if status == Status.SUPPLEMENT_REQUESTED and d.get("status") != status:
        d.set("supplement_count", d.get("supplement_count") + 1)
    d.set("status", status)
    d.set("status_win", win)


def _take_decision(d: _Draft, c: Conflict, res: Resolution) -> None:
    """Make the state follow a person's decision (see `sync.conflict_rules.decide`)."""
    out = decide(c, res)
    if out is None:
        return
    if out.adopt is not None:
        d.mut("left_from")[out.adopt.from_status] = out.adopt
        d.set("last_transition", out.adopt)
    if out.status is not None and out.status != d.get("status"):
        _set_status(d, out.status, res.win())
    writes = list(out.writes)
    if out.received_id is not None:
        other = d.s._journal.ids.get(out.received_id)
        writes = _received_fields(other.payload) if other is not None else []
    for name, value in writes:
        _write(d, name, value, res.win())


def _on_received(d: _Draft, e: Event, win: Win) -> None:
    """The first received (by sort key) creates the dossier; any other one is a conflict."""
    first = d.get("received")
    if first is not None:
        _add_conflict(d, Conflict.between(RECEIVED_TWICE, e.dossier_id, first, EventRef.of(e)))
        return
    d.set("received", EventRef.of(e))
    try:
        status = int(parse_status(e.payload.get("status", Status.RECEIVED)))
    except ValueError:
        status = int(Status.RECEIVED)
    d.set("status", status)
    d.set("status_win", win)
    for name, value in _received_fields(e.payload):
        _write(d, name, value, win)


def _on_transitioned(d: _Draft, e: Event, win: Win) -> None:
    """Apply a lifecycle move that fits the current status; otherwise record why it did not."""
    ref = EventRef.of(e)
    verdict = judge_transition(d.get("status"), d.get("left_from"), d.get("last_transition"), ref)
    if isinstance(verdict, Conflict):
        _add_conflict(d, verdict)
    elif verdict == APPLY:
        _set_status(d, ref.to_status, win)
        d.mut("left_from")[ref.from_status] = ref
        d.set("last_transition", ref)
        if e.payload.get("received_at") is not None:     # 1→2: the clock starts now
            _write(d, "received_at", e.payload["received_at"], win)
        if e.payload.get("due_at") is not None:
            _write(d, "due_at", e.payload["due_at"], win)
        if ref.to_status == Status.RETURNED and e.payload.get("returned_to") is not None:
            _write(d, "returned_to", e.payload["returned_to"], win)


def _on_attachment(d: _Draft, e: Event, win: Win) -> None:
    """Add-wins set keyed by (requirement_id, sha256). In sort order a removal sees exactly the adds
    that sort before it, so it removes those; an add sorting after it re-adds."""
    key = (str(e.payload.get("requirement_id")), str(e.payload.get("sha256")))
    if e.kind == "attachment.added":
        p = e.payload
        d.mut("attachments")[key] = Attachment(key[0], key[1], p.get("size"), p.get("mime"),
                                               p.get("filename"), win)
    elif key in d.get("attachments"):
        d.mut("attachments").pop(key)


def _on_corrected(d: _Draft, e: Event, win: Win) -> None:
    """Plain-field writes. Status and counters are not plain fields: such keys are ignored."""
    writes = e.payload.get("fields") or {}
    for name in sorted(writes):
        if not str(name).startswith(("status", "supplement_count")):
            _write(d, str(name), writes[name], win)


def _on_resolved(d: _Draft, e: Event, win: Win) -> None:
    """Close a conflict on this side as on every other (see `sync.conflict_rules.take_resolution`)."""
    conflicts, held, closed = take_resolution(d.get("conflict_map"), d.get("pending_resolutions"),
                                              str(e.payload.get("conflict_id")), Resolution.of(e))
    d.set("conflict_map", conflicts)
    d.set("pending_resolutions", held)
    if closed is not None:
        _take_decision(d, closed, closed.resolution)


_HANDLERS = {
    "dossier.received": _on_received,
    "dossier.transitioned": _on_transitioned,
    "attachment.added": _on_attachment,
    "attachment.removed": _on_attachment,
    "dossier.corrected": _on_corrected,
    "dossier.rated": lambda d, e, win: _write(d, "rating", e.payload.get("rating"), win),
    "conflict.resolved": _on_resolved,
}


def _step(s: DossierState, e: Event) -> DossierState:
    """Apply one event that sorts after every event `s` has seen (its journal already holds it)."""
    d = _Draft(s)
    _HANDLERS[e.kind](d, e, e.sort_key())
    d.ch["_n"] = s._n + 1
    return _evolve(s, d.ch)


# --- public API -------------------------------------------------------------------------------------

def _check(ev: Event) -> None:
    if ev.dossier_id is None or ev.kind not in _HANDLERS:  # catalogue.updated, holidays.updated
        raise ValueError(f"not a dossier event: {ev.kind!r} {ev.id}")


def _rank(ev: Event) -> tuple:
    """Which copy wins when two different events claim one id (a bug or a forgery): the smallest."""
    return (ev.sort_key(), ev.kind, ev.actor, ev.payload_json())


def _fold_sorted(dossier_id: str, events: list[Event]) -> DossierState:
    s = DossierState(dossier_id=dossier_id, _journal=_Journal(events))
    for ev in events:
        s = _step(s, ev)
    return s


def fold(events: Iterable[Event]) -> DossierState:
    """The state of one dossier from all its events, in any order, duplicates allowed.

    :raises ValueError: when there are no events, events of several dossiers, or non-dossier events.
    """
    best: dict[str, Event] = {}
    for ev in events:
        _check(ev)
        cur = best.get(ev.id)
        if cur is None or _rank(ev) < _rank(cur):
            best[ev.id] = ev
    ids = {ev.dossier_id for ev in best.values()}
    if len(ids) != 1:
        raise ValueError(f"fold needs the events of exactly one dossier, got {sorted(map(str, ids))}")
    return _fold_sorted(ids.pop(), sorted(best.values(), key=Event.sort_key))


def fold_all(events: Iterable[Event]) -> dict[str, DossierState]:
    """States per dossier id; events that belong to no dossier (catalogue, holidays) are skipped."""
    groups: dict[str, list[Event]] = {}
    for ev in events:
        if ev.kind in _HANDLERS and ev.dossier_id is not None:
            groups.setdefault(ev.dossier_id, []).append(ev)
    return {k: fold(v) for k, v in groups.items()}


def apply(state: DossierState | None, event: Event) -> DossierState:
    """The state after one more event, equal to `fold` of everything seen so far.

    A duplicate returns `state` unchanged. An event later than all seen costs O(fields touched);
    an older one (out-of-order delivery) re-folds this dossier's journal: O(its events).
    :raises ValueError: for a non-dossier event or an event of another dossier.
    """
    _check(event)
    if state is None:
        state = DossierState(dossier_id=event.dossier_id)
    elif event.dossier_id != state.dossier_id:
        raise ValueError(f"event {event.id} is for {event.dossier_id}, not {state.dossier_id}")
    journal, n = state._journal, state._n
    if len(journal.events) != n:  # a sibling state appended past our prefix: take our own copy
        journal = _Journal(journal.events[:n])
        state = _evolve(state, {"_journal": journal})
    seen = journal.ids.get(event.id)
    if seen is not None:
        if seen == event or _rank(seen) <= _rank(event):
            return state
        events = [ev for ev in journal.events if ev.id != event.id]
        bisect.insort(events, event, key=Event.sort_key)
        return _fold_sorted(state.dossier_id, events)
    if n == 0 or event.sort_key() > journal.events[-1].sort_key():
        journal.events.append(event)
        journal.ids[event.id] = event
        return _step(state, event)
    events = list(journal.events)
    bisect.insort(events, event, key=Event.sort_key)
    return _fold_sorted(state.dossier_id, events)


def verify(events: Iterable[Event], stored_state: DossierState | Mapping[str, Any]) -> list[str]:
    """Differences between a stored state and the fold of the journal (empty when they agree).

    `stored_state` may be a DossierState or its `to_dict()`; only the keys it holds are compared.
    """
    got = stored_state.to_dict() if isinstance(stored_state, DossierState) else dict(stored_state)
    dossier_id = got.get("dossier_id")
    mine = [ev for ev in events if ev.dossier_id == dossier_id and ev.kind in _HANDLERS]
    if not mine:
        return [f"{dossier_id}: no events in the journal"]
    want = fold(mine).to_dict()
    out = []
    for key in sorted(got):
        a, b = got[key], want.get(key)
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            out.extend(f"{key}.{sub}: stored {a.get(sub)!r}, journal says {b.get(sub)!r}"
                       for sub in sorted(set(a) | set(b)) if a.get(sub) != b.get(sub))
        else:
            out.append(f"{key}: stored {a!r}, journal says {b!r}")
    return out
