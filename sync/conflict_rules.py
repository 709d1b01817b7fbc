"""Conflict records: what the merge could not reconcile on its own, named the same on every side.

A conflict names the events involved (a = the provisional winner, b = the other one) and gets an id
derived only from its kind and event ids, so a node and the center that hold the same events call it by
the same name, and a `conflict.resolved` event written on either side closes it everywhere. Pure: no
clock, no database.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Mapping

from motcua import legaltime
from motcua.lifecycle import is_allowed, parse_status
from sync.events import Event
from sync.hlc import Stamp

RECEIVED_TWICE = "received_twice"                # two dossier.received events for one dossier id
CONCURRENT_TRANSITION = "concurrent_transition"  # two origins moved the dossier on from one status
STATUS_STALE = "status_stale"                    # a transition that fits no status the dossier had
POSSIBLE_DUPLICATE = "possible_duplicate"        # same citizen + procedure at two points (cross-dossier)

DECISIONS = frozenset({"keep_a", "keep_b", "value"})


def make_conflict_id(kind: str, *event_ids: str) -> str:
    """A deterministic id: the same kind and events give the same id whatever order they arrived in."""
    text = kind + ":" + ",".join(sorted(event_ids))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _status_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class EventRef:
    """What a conflict shows a person about one event: who, where, when, and the status move if any."""
    id: str
    origin: str
    actor: str
    hlc: str
    kind: str
    dossier_id: str | None = None
    from_status: int | None = None
    to_status: int | None = None

    @classmethod
    def of(cls, ev: Event) -> "EventRef":
        frm = to = None
        if ev.kind == "dossier.transitioned":
            frm, to = _status_or_none(ev.payload.get("from")), _status_or_none(ev.payload.get("to"))
        return cls(ev.id, ev.origin, ev.actor, ev.hlc, ev.kind, ev.dossier_id, frm, to)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "origin": self.origin, "actor": self.actor, "hlc": self.hlc,
                "kind": self.kind, "dossier_id": self.dossier_id, "from": self.from_status,
                "to": self.to_status}


@dataclass(frozen=True)
class Resolution:
    """A person's decision on a conflict, as carried by a `conflict.resolved` event."""
    event_id: str
    origin: str
    actor: str
    hlc: str
    decision: str
    value: Any = None

    @classmethod
    def of(cls, ev: Event) -> "Resolution":
        return cls(ev.id, ev.origin, ev.actor, ev.hlc, str(ev.payload.get("decision")),
                   ev.payload.get("value"))

    def win(self) -> tuple[str, str, str]:
        """The resolution's own sort key, used as the stamp of whatever it writes."""
        return (self.hlc, self.origin, self.event_id)

    def to_dict(self) -> dict[str, Any]:
        return {"event_id": self.event_id, "origin": self.origin, "actor": self.actor,
                "hlc": self.hlc, "decision": self.decision, "value": self.value}


@dataclass(frozen=True)
class Conflict:
    """One unreconciled disagreement; open until the first resolution (by sort key) closes it.

    Later resolutions of an already closed conflict take no effect; their event ids are kept in
    `ignored` so that nothing is silently dropped.
    """
    id: str
    kind: str
    dossier_id: str | None
    a: EventRef | None
    b: EventRef | None
    resolution: Resolution | None = None
    ignored: tuple[str, ...] = ()

    @property
    def is_open(self) -> bool:
        return self.resolution is None

    @classmethod
    def between(cls, kind: str, dossier_id: str | None, a: EventRef | None,
                b: EventRef) -> "Conflict":
        """A conflict about `b` (against `a` when given); the id covers both events except for a
        stale transition, which is about `b` alone whatever status it was stale against."""
        ids = (b.id,) if kind == STATUS_STALE or a is None else (a.id, b.id)
        return cls(make_conflict_id(kind, *ids), kind, dossier_id, a, b)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "dossier_id": self.dossier_id,
                "a": self.a.to_dict() if self.a else None, "b": self.b.to_dict() if self.b else None,
                "resolution": self.resolution.to_dict() if self.resolution else None,
                "ignored": list(self.ignored), "open": self.is_open}


APPLY, ABSORB = "apply", "absorb"


def judge_transition(current: int | None, left_from: Mapping[int, EventRef],
                     last: EventRef | None, move: EventRef) -> str | Conflict:
    """What to do with a status move, given the status and the moves applied so far (in sort order).

    APPLY when it is legal from the current status. Otherwise, when another origin already left the
    same status (`left_from`) the two are concurrent: ABSORB when both went to the same status (e.g.
    both asked for a supplement: counted once, no conflict), else a CONCURRENT_TRANSITION conflict.
    Anything else is STATUS_STALE against the last applied move.

    Tie-breaker: the earlier sort key wins, simply because the fold applied it first. We do not give
    the citizen's withdrawal precedence: that would mean undoing an applied move and every later one
    built on it (9→10 "returned"), which breaks the O(1) in-order step and could make a handed-over
    result vanish. The loser stays a conflict for a person; keep_b then moves the dossier its way.
    """
    try:
        legal = is_allowed(parse_status(move.from_status), parse_status(move.to_status))
    except ValueError:
        legal = False
    if legal and current is not None and move.from_status == current:
        return APPLY
    sibling = left_from.get(move.from_status) if legal else None
    if sibling is not None and sibling.origin != move.origin:
        if sibling.to_status == move.to_status:
            return ABSORB
        return Conflict.between(CONCURRENT_TRANSITION, move.dossier_id, sibling, move)
    return Conflict.between(STATUS_STALE, move.dossier_id, last, move)


def raise_conflict(conflicts: Mapping[str, Conflict], held: Mapping[str, tuple[Resolution, ...]],
                   c: Conflict) -> tuple[dict, dict, Conflict]:
    """Add `c` to copies of the maps; resolutions held for it (they sorted earlier, which only
    broken clocks allow) close it at once, the first one deciding."""
    held = dict(held)
    first, *later = held.pop(c.id, ()) or (None,)
    if first is not None:
        c = replace(c, resolution=first, ignored=tuple(r.event_id for r in later))
    return {**conflicts, c.id: c}, held, c


def take_resolution(conflicts: Mapping[str, Conflict], held: Mapping[str, tuple[Resolution, ...]],
                    cid: str, res: Resolution) -> tuple[dict, dict, Conflict | None]:
    """Record a resolution in copies of the maps; returns the conflict it newly closes, if any.
    The first resolution by sort key decides; later ones are kept in `ignored`, inert. One for a
    conflict not raised (yet) here is held until it is."""
    c = conflicts.get(cid)
    if c is None:
        return dict(conflicts), {**held, cid: held.get(cid, ()) + (res,)}, None
    if c.resolution is not None:
        return {**conflicts, cid: replace(c, ignored=c.ignored + (res.event_id,))}, dict(held), None
    c = replace(c, resolution=res)
    return {**conflicts, cid: c}, dict(held), c


@dataclass(frozen=True)
class Outcome:
    """What a resolution makes the state take: a status (and the move now counted as applied),
    the fields of another `dossier.received` event, or explicit field writes."""
    status: int | None = None
    adopt: EventRef | None = None
    received_id: str | None = None
    writes: tuple[tuple[str, Any], ...] = ()


def decide(c: Conflict, res: Resolution) -> Outcome | None:
    """The state change a resolution asks for; None when the provisional outcome stands (keep_a,
    an unknown decision, or a value that is not usable for this kind of conflict)."""
    if res.decision not in ("keep_b", "value") or c.b is None:
        return None
    if c.kind in (CONCURRENT_TRANSITION, STATUS_STALE):
        try:
            status = int(parse_status(c.b.to_status if res.decision == "keep_b" else res.value))
        except ValueError:
            return None
        adopt = c.b if res.decision == "keep_b" and c.b.from_status is not None else None
        return Outcome(status=status, adopt=adopt)
    if c.kind == RECEIVED_TWICE:
        if res.decision == "keep_b":
            return Outcome(received_id=c.b.id)
        if isinstance(res.value, dict):
            return Outcome(writes=tuple(sorted((str(k), v) for k, v in res.value.items())))
    return None


def _received_time(ev: Event) -> datetime:
    """When the desk says it received the dossier; the HLC wall time if it gave none we can read."""
    raw = ev.payload.get("received_at")
    if isinstance(raw, str):
        try:
            when = datetime.fromisoformat(raw)
        except ValueError:
            when = None
        if when is not None:
            # Compare everything as naive times; aware ones are brought to UTC first.
            return when.astimezone(timezone.utc).replace(tzinfo=None) if when.tzinfo else when
    wall_ms = Stamp.parse(ev.hlc).wall_ms
    return legaltime.from_ms(wall_ms)


def _id_number(ev: Event) -> str | None:
    applicant = ev.payload.get("applicant") or {}
    number = applicant.get("id_number") if isinstance(applicant, dict) else None
    return str(number).strip() or None if number else None


def find_possible_duplicates(received_events: Iterable[Event], window_days: float) -> list[Conflict]:
    """Flag pairs of dossiers with the same applicant ID number and procedure, received at two
    different origins within `window_days` of each other. Nothing is merged; a person decides.

    Non-`dossier.received` events are ignored; the result is sorted by conflict id.
    """
    by_id: dict[str, Event] = {}
    for ev in received_events:
        if ev.kind == "dossier.received" and ev.id not in by_id:
            by_id[ev.id] = ev
    groups: dict[tuple[str, str], list[tuple[datetime, Event]]] = {}
    for ev in by_id.values():
        number, procedure = _id_number(ev), ev.payload.get("procedure_code")
        if number and procedure:
            groups.setdefault((number, str(procedure)), []).append((_received_time(ev), ev))
    window = timedelta(days=window_days)
    found: dict[str, Conflict] = {}
    for members in groups.values():
        members.sort(key=lambda te: (te[0], te[1].sort_key()))
        for i, (t_i, ev_i) in enumerate(members):
            for t_j, ev_j in members[i + 1:]:
                if t_j - t_i > window:
                    break
                if ev_i.origin == ev_j.origin or ev_i.dossier_id == ev_j.dossier_id:
                    continue
                # a = the earlier by sort key, so both sides name the pair the same way round.
                first, second = sorted((ev_i, ev_j), key=Event.sort_key)
                c = Conflict.between(POSSIBLE_DUPLICATE, None, EventRef.of(first), EventRef.of(second))
                found[c.id] = c
    return [found[k] for k in sorted(found)]
