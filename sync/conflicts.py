"""Conflict records: what the merge could not reconcile on its own, named the same on every side.

A conflict names the events involved (a = the provisional winner, b = the other one) and gets an id
derived only from its kind and event ids, so a node and the center that hold the same events call it by
the same name, and a `conflict.resolved` event written on either side closes it everywhere. Pure: no
clock, no database.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

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
    return datetime.fromtimestamp(wall_ms / 1000, tz=timezone.utc).replace(tzinfo=None)


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
