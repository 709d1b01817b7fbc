"""The journal: every change becomes an immutable event in the same transaction as the change.

This is the spine sync stands on. `record_event` must run inside the caller's `db.atomic()` block, so a
crash either keeps both the change and its event or neither. The hybrid logical clock is kept in the
`state` table and advanced in that same transaction, so stamps never go backwards across restarts,
even when the PC's clock is turned back.
"""
from __future__ import annotations

import time
from datetime import datetime

from node.models import Event
from node.state import get_state, set_state, unit_code
from sync import hlc
from sync.events import KINDS, Event as WireEvent, new_event_id


def _now_ms() -> int:
    return int(time.time() * 1000)


def next_stamp(now_ms: int | None = None) -> hlc.Stamp:
    """Advance this node's HLC for a local event; caller holds the write transaction."""
    last = hlc.Stamp.parse(get_state("hlc", str(hlc.ZERO)))
    stamp = hlc.tick(last, _now_ms() if now_ms is None else now_ms)
    set_state("hlc", str(stamp))
    return stamp


def observe_stamp(remote: str, now_ms: int | None = None) -> hlc.Stamp:
    """Advance the HLC past a stamp received from elsewhere (the center), so later local events follow it."""
    last = hlc.Stamp.parse(get_state("hlc", str(hlc.ZERO)))
    stamp = hlc.observe(last, hlc.Stamp.parse(remote), _now_ms() if now_ms is None else now_ms)
    set_state("hlc", str(stamp))
    return stamp


def record_event(kind: str, dossier_uid: str | None, actor: str, payload: dict,
                 *, now: datetime | None = None) -> Event:
    """Append one event to the journal. Call inside `db.atomic()` together with the change itself."""
    if kind not in KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    stamp = next_stamp()
    return Event.create(event_id=new_event_id(), kind=kind, dossier_uid=dossier_uid,
                        origin=unit_code(), actor=actor, hlc=str(stamp), payload=payload,
                        recorded_at=now or datetime.now())


def to_wire(row: Event) -> WireEvent:
    """The journal row as the event that sync ships."""
    return WireEvent(id=row.event_id, kind=row.kind, dossier_id=row.dossier_uid, origin=row.origin,
                     actor=row.actor, hlc=row.hlc, payload=row.payload)


def dossier_history(dossier_uid: str) -> list[Event]:
    """A dossier's events in clock order (the timeline the UI shows)."""
    return list(Event.select().where(Event.dossier_uid == dossier_uid)
                .order_by(Event.hlc, Event.origin, Event.event_id))


def pending_events(limit: int | None = None):
    """Events not yet acknowledged by a signed receipt, in the order they were written."""
    query = Event.select().where(Event.acked_at.is_null()).order_by(Event.seq)
    return query.limit(limit) if limit else query


def pending_count() -> int:
    return Event.select().where(Event.acked_at.is_null()).count()
