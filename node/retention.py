"""Dropping local copies of scans the center already holds, once their dossier is long closed.

Scans are personal data (Decree 13/2023/NĐ-CP): a point should not keep them longer than it needs.
A file is removed only when (1) the center confirmed it holds the blob, (2) every dossier using it is
closed (refused, stopped or returned), and (3) it closed more than `retention_days` ago. The blob row
and the journal stay, so the history still names the file by its hash.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from motcua import legaltime
from motcua.lifecycle import TERMINAL
from node.models import Attachment, Blob, Dossier, db

logger = logging.getLogger(__name__)


def purgeable_blobs(retention_days: int, now: datetime | None = None) -> list[Blob]:
    """Blobs whose local file may go now, under the rule above."""
    if retention_days <= 0:
        return []
    cutoff = (now or legaltime.now()) - timedelta(days=retention_days)
    closed = [int(s) for s in TERMINAL]
    candidates = Blob.select().where(Blob.at_center & Blob.purged_at.is_null())
    result = []
    for blob in candidates:
        users = (Dossier.select(Dossier.status, Dossier.finished_at, Dossier.returned_at)
                 .join(Attachment).where(Attachment.blob == blob.sha256))
        if all(d.status in closed and (d.returned_at or d.finished_at)
               and (d.returned_at or d.finished_at) <= cutoff for d in users):
            result.append(blob)
    return result


def purge_scans(store, retention_days: int, now: datetime | None = None) -> tuple[int, int]:
    """Remove the local files of purgeable blobs; returns (files removed, bytes freed)."""
    now = now or legaltime.now()
    removed = freed = 0
    for blob in purgeable_blobs(retention_days, now):
        with db.atomic():
            Blob.update(purged_at=now).where(Blob.sha256 == blob.sha256).execute()
        store.path_for(blob.sha256).unlink(missing_ok=True)
        removed += 1
        freed += blob.size
    if removed:
        logger.info("purged %d scans (%d bytes) held by the center", removed, freed)
    return removed, freed
