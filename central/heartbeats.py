"""Points' heartbeats at the center (`sync.heartbeat`): taken over HTTP (`POST /sync/v1/heartbeat`)
or from a stick (`central.ferry`), checked (signature with the point's pinned key, shape, a point
speaks only for itself), and kept, the latest per point, in `point_heartbeat`. A heartbeat counts as
contact (`central.points.note_contact`), so an idle point that still syncs is never flagged silent;
one older than the kept one (an old stick brought again) changes nothing.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime

from central.db import write_transaction
from central.ingest import point_keys
from central.models import Heartbeat
from central.points import note_contact
from motcua import legaltime
from motcua.errors import Forbidden
from sync.heartbeat import open_heartbeat
from sync.parcel import ParcelRefused

logger = logging.getLogger(__name__)


def take_heartbeat(raw: bytes, *, sender: str, via: str, now: datetime | None = None) -> bool:
    """Check and keep a heartbeat `sender` signed; True when it was newer than the kept one.
    :raises InvalidInput: bad or foreign heartbeat; Forbidden: a revoked point."""
    now = now or legaltime.now()
    try:
        keys = point_keys(sender)
    except ParcelRefused as exc:
        raise Forbidden(exc.said or exc.message_vi) from None
    body = open_heartbeat(raw, keys, sender=sender)
    sent_at = _time(body["sent_at"])
    backlog = body["backlog"]
    values = {"received_at": now, "via": via, "sent_at": sent_at, "version": body["version"],
              "backlog_events": backlog["events"], "backlog_scans": backlog["scans"],
              "backlog_bytes": backlog["bytes"],
              "oldest_waiting": _time(backlog.get("oldest_waiting")),
              "disk_free_bytes": body["disk_free_bytes"],
              "last_backup_at": _time(body.get("last_backup_at")),
              "body": json.dumps(body, ensure_ascii=False, sort_keys=True)}
    with write_transaction():
        kept = Heartbeat.get_or_none(Heartbeat.unit_code == sender)
        if kept is not None and kept.sent_at >= sent_at:
            return False
        if kept is None:
            Heartbeat.create(unit_code=sender, **values)
        else:
            Heartbeat.update(values).where(Heartbeat.unit_code == sender).execute()
        clock_ms = legaltime.to_ms(_time(body["clock"]["wall"]))
        note_contact(sender, now=now, backlog=backlog["events"],
                     sender_clock_ms=clock_ms if via == "http" else None)
    logger.info("heartbeat of %s (%s): version %s, %d events and %d scans waiting", sender, via,
                body["version"], backlog["events"], backlog["scans"])
    return True


def latest() -> dict[str, dict]:
    """Each point's last heartbeat as the nodes view shows it."""
    out = {}
    for row in Heartbeat.select():
        body = json.loads(row.body)
        out[row.unit_code] = {
            "received_at": row.received_at.isoformat(timespec="seconds"), "via": row.via,
            "sent_at": row.sent_at.isoformat(timespec="milliseconds"), "version": row.version,
            "backlog": body.get("backlog"), "disk_free_bytes": row.disk_free_bytes,
            "last_backup_at": _iso(row.last_backup_at), "clock": body.get("clock"),
            "catalogue_versions": body.get("catalogue_versions") or [],
            "calendar_versions": body.get("calendar_versions") or []}
    return out


def _time(text: str | None) -> datetime | None:
    """A legal wall time (naive) from the point's ISO text (naive: legal already)."""
    return legaltime.from_aware(datetime.fromisoformat(text)) if text else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None
