"""Reception points as the center sees them: who they are, their keys and their health.

The parcel layer calls `note_contact` on every good parcel and `note_refusal` on every refused one;
the nodes view (`list_points`) reads what they wrote.
"""
from __future__ import annotations

import logging
from datetime import datetime

from peewee import fn

from central.db import db
from central.models import Point, Refusal
from central.outbound import backlogs
from motcua import errors as E, legaltime
from motcua.errors import NotFound

logger = logging.getLogger(__name__)


def get_point(unit_code: str) -> Point:
    """:raises NotFound: no point with this unit code."""
    point = Point.get_or_none(Point.unit_code == (unit_code or "").strip())
    if point is None:
        raise NotFound(E.POINT_NOT_FOUND(unit=unit_code))
    return point


def note_contact(unit_code: str, *, now: datetime, sender_clock_ms: int | None = None,
                 backlog: int | None = None) -> None:
    """Record a good contact: when, how far its clock looked off, what it said still waits."""
    values = {Point.last_contact: now}
    if sender_clock_ms is not None:
        values[Point.clock_skew_ms] = int(sender_clock_ms) - legaltime.to_ms(now)
    if backlog is not None:
        values[Point.backlog_reported] = int(backlog)
    Point.update(values).where(Point.unit_code == unit_code).execute()


def note_refusal(sender: str | None, reason_code: str, message: str, *, now: datetime,
                 counted: bool = True) -> Refusal:
    """Log a refused parcel (and, when `counted`, i.e. its signature verified, count it against
    the sender it names). Commit it even when the parcel's own transaction was rolled back: call
    it outside that transaction."""
    with db.atomic():
        row = Refusal.create(sender=sender, reason_code=reason_code, message=message[:2000], at=now)
        if sender and counted:
            Point.update(refused_count=Point.refused_count + 1).where(
                Point.unit_code == sender).execute()
    logger.warning("refused parcel from %s: %s (%s)", sender or "?", reason_code, message)
    return row


def revoke_point(unit_code: str) -> Point:
    """Refuse this point's parcels from now on. :raises NotFound: no such point."""
    point = get_point(unit_code)
    Point.update(key_status="revoked").where(Point.id == point.id).execute()
    return get_point(unit_code)


def last_refusals() -> dict[str, str]:
    """The latest refusal of each point, as a technician reads it: when, code, why."""
    latest = (Refusal.select(Refusal.sender, fn.MAX(Refusal.id).alias("last"))
              .where(Refusal.sender.is_null(False)).group_by(Refusal.sender))
    rows = Refusal.select().where(Refusal.id.in_([r.last for r in latest]))
    return {r.sender: f"{r.at:%Y-%m-%d %H:%M} {r.reason_code}: {r.message}"[:300] for r in rows}


def list_points() -> list[dict]:
    """Each point with last contact, backlogs both ways, clock skew, key status, refusals and
    its last heartbeat (version, disk, last backup…; `central.heartbeats`)."""
    from central.heartbeats import latest
    down = backlogs()
    refusals = last_refusals()
    beats = latest()
    return [{
        "unit_code": p.unit_code, "name": p.name, "key_status": p.key_status,
        "key_fingerprint": _fingerprint(p.sign_pub, p.enc_pub),
        "rotated_at": p.rotated_at.isoformat() if p.rotated_at else None,
        "previous_key_until": (p.prev_until.isoformat()
                               if p.prev_until and p.prev_until > legaltime.now() else None),
        "enrolled_at": p.enrolled_at.isoformat() if p.enrolled_at else None,
        "last_contact": p.last_contact.isoformat() if p.last_contact else None,
        "clock_skew_ms": p.clock_skew_ms, "backlog_up": p.backlog_reported,
        "backlog_down": down.get(p.id, 0), "refused_parcels": p.refused_count,
        "last_refusal": refusals.get(p.unit_code),
        "last_seq_in": p.last_seq_in, "next_seq_out": p.next_seq_out,
        "heartbeat": beats.get(p.unit_code),
    } for p in Point.select().order_by(Point.unit_code)]


def _fingerprint(sign_pub: str | None, enc_pub: str | None) -> str | None:
    from sync.crypto import CryptoRefused, PublicKeys
    try:
        return PublicKeys.from_dict({"sign_pub": sign_pub, "enc_pub": enc_pub}).fingerprint()
    except CryptoRefused:             # not enrolled yet, or keys unreadable: nothing to show
        return None


def fleet(*, now: datetime, silent_after_hours: float) -> list[dict]:
    """`list_points` as a technician watches it: each point also says whether it has been silent
    for longer than `silent_after_hours` (never heard from counts as silent) and for how long."""
    out = []
    for p in list_points():
        last = datetime.fromisoformat(p["last_contact"]) if p["last_contact"] else None
        hours = (now - last).total_seconds() / 3600 if last else None
        out.append({**p, "silent_hours": round(hours, 1) if hours is not None else None,
                    "is_silent": p["key_status"] != "revoked"
                    and (hours is None or hours > silent_after_hours)})
    return out
