"""What the clerk sees of sync: last contact, what waits to go, conflicts waiting for a person.

Reads only; the round (`node.rounds`) writes the `state` keys `sync:last_contact`, `sync:last_error`
and `sync:up_refused`, the inbox (`node.inbox`) `sync:down_refused`, and `node.journal` the center's
clock offset from each verified receipt.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from peewee import fn

from motcua import legaltime
from node.conflict_decisions import count_open_conflicts
from node.facts import get_state
from node.journal import center_offset_ms, pending_count
from node.models import Blob, Event
from sync import hlc


def clock_note(offset_ms: int | None) -> str | None:
    """A sentence for the clerk and technician when this PC's clock is off from the center's by
    more than the bound (new events are then stamped with the center's time)."""
    if offset_ms is None or abs(offset_ms) <= hlc.MAX_AHEAD_MS:
        return None
    hours = abs(offset_ms) / 3_600_000
    way = "chậm" if offset_ms > 0 else "nhanh"
    return (f"Đồng hồ máy này {way} hơn trung tâm khoảng {hours:.1f} giờ: sự kiện mới được đóng "
            "dấu theo giờ trung tâm. Hãy chỉnh lại đồng hồ máy.")


def status_dict() -> dict:
    offset = center_offset_ms()
    pending_blobs = Blob.select().where(~Blob.at_center)
    return {
        "last_contact": get_state("sync:last_contact"),
        "last_error": get_state("sync:last_error"),
        "central_url": get_state("central_url"),
        "enrolled": bool(get_state("central_keys")),      # by HTTP or by file (USB only)
        "enroll_request_waiting": bool(get_state("enroll:request")),
        "enrollment": enrollment_state(),
        "pending_events": pending_count(),
        "pending_blobs": pending_blobs.count(),
        "pending_bytes": pending_blobs.select(fn.COALESCE(fn.SUM(Blob.size), 0)).scalar(),
        "acknowledged_events": Event.select().where(Event.acked_at.is_null(False)).count(),
        "open_conflicts": count_open_conflicts(),
        "center_clock_offset_ms": offset,
        "clock_warning": clock_note(offset),
        "up_refused": get_state("sync:up_refused"),
        "down_refused": get_state("sync:down_refused"),
    }


def pending_dossiers() -> int:
    """How many dossiers have events the center has not acknowledged yet."""
    return (Event.select(fn.COUNT(fn.DISTINCT(Event.dossier_uid)))
            .where(Event.acked_at.is_null() & Event.dossier_uid.is_null(False)).scalar() or 0)


def indicator(*, interval_s: float = 60, now: datetime | None = None) -> dict:
    """What the sync indicator on every page says, honestly:

    - `alone`: not joined to a center over the network (USB only, or not enrolled yet);
    - `never`: joined, but no round has reached the center yet;
    - `online`: the last round reached the center, within three sync intervals, with no error;
    - `offline`: the last round failed, or nothing reached the center for three intervals;
      `since` is then the last moment the center was reached.
    Also what waits to go (events, dossiers, scans and their bytes), the last error as the round
    wrote it (plain Vietnamese), open conflicts and the clock and refusal notes.
    """
    now = now or legaltime.now()
    base = status_dict()
    last = datetime.fromisoformat(base["last_contact"]) if base["last_contact"] else None
    if not (base["central_url"] and base["enrolled"]):
        state = "alone"
    elif base["last_error"] or (last and now - last > timedelta(seconds=3 * interval_s)):
        state = "offline"
    elif last is None:
        state = "never"
    else:
        state = "online"
    return {**base, "state": state, "since": last, "pending_dossiers": pending_dossiers(),
            "pending_mb": round((base["pending_bytes"] or 0) / 1_000_000, 1),
            "notes": [n for n in (base["clock_warning"], base["up_refused"], base["down_refused"])
                      if n]}


def enrollment_state() -> str:
    """`none` (never enrolled), `waiting` (enrolled by file: the center has not yet answered any
    parcel, so it has not redeemed the request) or `confirmed` (the center's signed answer came:
    at once over HTTP, with the first receipt by stick)."""
    if not get_state("central_keys"):
        return "none"
    return "waiting" if get_state("enroll:request") else "confirmed"
