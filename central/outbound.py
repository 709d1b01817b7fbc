"""What the center owes each point: journal events to send down, until a verified receipt acks them.

Rows are written in the same transaction as the events they point at (by `central.apply`), so an
event is never applied at the center without also being owed to the point that must hear of it. The
down-going order is the order of queueing (`Outbound.id`), which is the center's own journal order.
"""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from central.db import bulk_insert
from central.models import Event, Outbound, Point
from motcua import errors as E
from motcua.errors import NotFound
from sync.events import Event as WireEvent

_CHUNK = 500     # rows per statement: well under SQLite's bound-variable limit


def _chunks(items: list, size: int = _CHUNK):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _point(unit_code: str) -> Point:
    point = Point.get_or_none(Point.unit_code == unit_code)
    if point is None:
        raise NotFound(E.POINT_NOT_FOUND(unit=unit_code))
    return point


def queue_events(pairs: Iterable[tuple[str, str]], *, now: datetime) -> int:
    """Owe each (unit_code, event_id) pair's event to that point; unknown points are skipped.

    Idempotent: a pair already queued is left as it is. Returns how many pairs were asked for.
    """
    pairs = list(dict.fromkeys(pairs))
    if not pairs:
        return 0
    ids = {p.unit_code: p.id for p in
           Point.select(Point.id, Point.unit_code).where(Point.unit_code.in_({u for u, _ in pairs}))}
    rows = [{"point": ids[u], "event_id": e, "queued_at": now} for u, e in pairs if u in ids]
    bulk_insert(Outbound, rows, ignore=True)
    return len(rows)


def pending_outbound(unit_code: str, limit: int | None = None) -> list[WireEvent]:
    """Events not yet acknowledged by `unit_code`, in the order they must go down.

    :raises NotFound: no such point.
    """
    point = _point(unit_code)
    query = (Event.select(Event.event_id, Event.kind, Event.dossier_uid, Event.origin, Event.actor,
                          Event.hlc, Event.payload)
             .join(Outbound, on=(Outbound.event_id == Event.event_id))
             .where((Outbound.point == point.id) & Outbound.acked_at.is_null())
             .order_by(Outbound.id))
    if limit:
        query = query.limit(limit)
    return [WireEvent(id=r.event_id, kind=r.kind, dossier_id=r.dossier_uid, origin=r.origin,
                      actor=r.actor, hlc=r.hlc, payload=r.payload) for r in query]


def ack_outbound(unit_code: str, event_ids: Iterable[str], *, now: datetime) -> int:
    """Mark these events received by the point (call on a verified receipt); returns rows changed.

    :raises NotFound: no such point.
    """
    point = _point(unit_code)
    changed = 0
    for chunk in _chunks(list(dict.fromkeys(event_ids))):
        changed += (Outbound.update(acked_at=now)
                    .where((Outbound.point == point.id) & Outbound.event_id.in_(chunk)
                           & Outbound.acked_at.is_null()).execute())
    return changed


def outbound_backlog(unit_code: str) -> int:
    """How many events still wait to go down to `unit_code`. :raises NotFound: no such point."""
    point = _point(unit_code)
    return (Outbound.select().where((Outbound.point == point.id) & Outbound.acked_at.is_null())
            .count())


def backlogs() -> dict[int, int]:
    """Unacknowledged down-going events per point id (for the nodes view)."""
    from peewee import fn
    query = (Outbound.select(Outbound.point, fn.COUNT(Outbound.id))
             .where(Outbound.acked_at.is_null()).group_by(Outbound.point).tuples())
    return {point_id: count for point_id, count in query}


def allocate_seq_out(unit_code: str) -> int:
    """Take the next down-going parcel sequence number for `unit_code` (inside the caller's
    transaction, so a rolled-back parcel gives its number back). :raises NotFound: no such point."""
    from central.db import is_postgres
    query = Point.select().where(Point.unit_code == unit_code)
    point = (query.for_update() if is_postgres() else query).first()
    if point is None:
        raise NotFound(E.POINT_NOT_FOUND(unit=unit_code))
    seq = point.next_seq_out
    Point.update(next_seq_out=seq + 1).where(Point.id == point.id).execute()
    return seq
