"""What this point tells the center about itself on every round (`sync.heartbeat`): the figures a
technician would otherwise have to travel to read — software version, backlog (events, scans,
bytes, the oldest waiting), disk free, last backup, clock, catalogue and calendar versions.

Reads only; the node database must be open. `LAST_BACKUP_KEY` is written by `node.backup`.
"""
from __future__ import annotations

import os
import shutil
from datetime import datetime
from importlib import metadata
from pathlib import Path

from peewee import fn

from motcua import legaltime
from node.facts import get_state, unit_code
from node.models import Blob, Event, Holiday, Procedure
from sync import crypto, heartbeat, hlc

LAST_BACKUP_KEY = "backup:last_at"


def software_version() -> str:
    try:
        return metadata.version("motcua")
    except metadata.PackageNotFoundError:     # run from a source tree that was never installed
        return "0+unknown"


def gather(data_dir: str | os.PathLike, *, now: datetime | None = None) -> dict:
    """This point's heartbeat body, as of `now`."""
    data_dir = Path(data_dir)
    now = now or legaltime.now()
    waiting = Event.select().where(Event.acked_at.is_null())
    oldest = waiting.select(fn.MIN(Event.recorded_at)).scalar() if waiting.exists() else None
    scans = Blob.select().where(~Blob.at_center & Blob.purged_at.is_null())
    scan_bytes = scans.select(fn.COALESCE(fn.SUM(Blob.size), 0)).scalar() or 0
    spooled = sum(p.stat().st_size for p in (data_dir / "outbox").glob("*.mcp") if p.is_file())
    return {
        "unit_code": unit_code(),
        "sent_at": now.isoformat(timespec="milliseconds"),
        "version": software_version(),
        "backlog": {"events": waiting.count(), "scans": scans.count(),
                    "bytes": int(scan_bytes) + spooled,
                    "oldest_waiting": _iso(oldest)},
        "disk_free_bytes": shutil.disk_usage(data_dir).free,
        "last_backup_at": get_state(LAST_BACKUP_KEY),
        "clock": {"wall": now.isoformat(timespec="seconds"),
                  "hlc": get_state("hlc", str(hlc.ZERO)) or str(hlc.ZERO)},
        "catalogue_versions": sorted({p.catalogue_version for p in
                                      Procedure.select(Procedure.catalogue_version).distinct()
                                      if p.catalogue_version})[:32],
        "calendar_versions": sorted({h.calendar_version for h in
                                     Holiday.select(Holiday.calendar_version).distinct()
                                     if h.calendar_version})[:32],
    }


def sealed(data_dir: str | os.PathLike, identity: crypto.Identity, *,
           now: datetime | None = None) -> bytes:
    """The signed heartbeat document a carrier takes to the center."""
    return heartbeat.seal(gather(data_dir, now=now), identity)


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.isoformat(timespec="seconds")
