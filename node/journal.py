"""The journal: every change becomes an immutable event in the same transaction as the change.

This is the spine sync stands on. `record_event` must run inside the caller's `db.atomic()` block, so a
crash either keeps both the change and its event or neither. The hybrid logical clock is kept in the
`state` table and advanced in that same transaction, so stamps never go backwards across restarts,
even when the PC's clock is turned back.
"""
from __future__ import annotations

import time
from datetime import datetime

from motcua import legaltime
from node.facts import get_state, set_state, unit_code
from node.models import Event
from sync import hlc
from sync.events import KINDS, Event as WireEvent, new_event_id

CENTER_OFFSET_KEY = "clock:center_offset_ms"


def _now_ms() -> int:
    """The wall clock for stamps: this PC's, or the center's time (learned from its signed
    receipts) when the PC's clock is off from it by more than `hlc.MAX_AHEAD_MS`."""
    local = int(time.time() * 1000)
    offset = center_offset_ms()
    return local + offset if offset is not None and abs(offset) > hlc.MAX_AHEAD_MS else local


def center_offset_ms() -> int | None:
    """How far the center's clock was ahead (+) of this PC's at the last signed receipt."""
    value = get_state(CENTER_OFFSET_KEY)
    return int(value) if value not in (None, "") else None


def note_center_time(center_stamp: str, local_ms: int | None = None) -> None:
    """Remember the center's time from a verified receipt's stamp (its `applied_at`)."""
    try:
        center_ms = hlc.Stamp.parse(center_stamp).wall_ms
    except ValueError:
        return
    local = int(time.time() * 1000) if local_ms is None else local_ms
    set_state(CENTER_OFFSET_KEY, str(center_ms - local))


def next_stamp(now_ms: int | None = None) -> hlc.Stamp:
    """Advance this node's HLC for a local event; caller holds the write transaction."""
    last = hlc.Stamp.parse(get_state("hlc", str(hlc.ZERO)))
    stamp = hlc.tick(last, _now_ms() if now_ms is None else now_ms)
    set_state("hlc", str(stamp))
    return stamp


def observe_stamp(remote: str, now_ms: int | None = None) -> hlc.Stamp:
    """Advance the HLC past a stamp received from the center, so later local events follow it;
    a stamp too far ahead of this clock is not followed (`hlc.observe`)."""
    last = hlc.Stamp.parse(get_state("hlc", str(hlc.ZERO)))
    stamp = hlc.observe(last, hlc.Stamp.parse(remote), _now_ms() if now_ms is None else now_ms,
                        hlc.MAX_AHEAD_MS)
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
                        recorded_at=now or legaltime.now())


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
