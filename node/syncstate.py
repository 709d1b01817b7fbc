"""What the clerk sees of sync: last contact, what waits to go, conflicts waiting for a person.

Reads only; the sync client (`sync/`) writes `state` keys `sync:last_contact`, `sync:last_error`,
`sync:up_refused`, `sync:down_refused` and the center's clock offset (`node.journal`).
"""
from __future__ import annotations

from peewee import fn

from node.conflicts import count_open_conflicts
from node.journal import center_offset_ms, pending_count
from node.models import Blob, Event
from node.state import get_state
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


def enrollment_state() -> str:
    """`none` (never enrolled), `waiting` (enrolled by file: the center has not yet answered any
    parcel, so it has not redeemed the request) or `confirmed` (the center's signed answer came:
    at once over HTTP, with the first receipt by stick)."""
    if not get_state("central_keys"):
        return "none"
    return "waiting" if get_state("enroll:request") else "confirmed"
