"""What the clerk sees of sync: last contact, what waits to go, conflicts waiting for a person.

Reads only; the sync client (`sync/`) writes `state` keys `sync:last_contact`, `sync:last_error`.
"""
from __future__ import annotations

from peewee import fn

from node.conflicts import count_open_conflicts
from node.journal import pending_count
from node.models import Blob, Event
from node.state import get_state


def status_dict() -> dict:
    pending_blobs = Blob.select().where(~Blob.at_center)
    return {
        "last_contact": get_state("sync:last_contact"),
        "last_error": get_state("sync:last_error"),
        "central_url": get_state("central_url"),
        "enrolled": bool(get_state("central_keys")),      # by HTTP or by file (USB only)
        "enroll_request_waiting": bool(get_state("enroll:request")),
        "pending_events": pending_count(),
        "pending_blobs": pending_blobs.count(),
        "pending_bytes": pending_blobs.select(fn.COALESCE(fn.SUM(Blob.size), 0)).scalar(),
        "acknowledged_events": Event.select().where(Event.acked_at.is_null(False)).count(),
        "open_conflicts": count_open_conflicts(),
    }
