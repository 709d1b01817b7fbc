"""A point's side of the USB stick ("ferry mode"): export what waits for the center, import what
came back.

Both are `node.rounds.run_round` over the stick's carrier (`sync.stickcarrier.FolderCarrier`):
export is the round's sending half, import its taking half. So the same spool builds the same
parcels once, the same verified receipts acknowledge them, and down parcels go through the same
`node.inbox.take_down_parcel` as over HTTP: a parcel that arrives by stick and by HTTP, in any
order and any number of times, takes effect once. What the stick itself may hold (symlinks, FIFOs,
a read-only or full stick) is the carrier's business, checked before anything is acknowledged.
"""
from __future__ import annotations

import logging
import os

from motcua import errors as E
from node.rounds import Point, RoundReport, exclusive, run_round
from sync.folder import Progress, _no_progress
from sync.parcel import DEFAULT_CHUNK_BYTES
from sync.stickcarrier import FolderCarrier

logger = logging.getLogger(__name__)


def export_to(data_dir: str | os.PathLike, folder: str | os.PathLike, *,
              max_bytes: int | None = None, progress: Progress = _no_progress,
              chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> RoundReport:
    """Write every unacknowledged parcel and scan chunk for the center into this point's lane,
    records first, up to `max_bytes` for the lane (and the stick's free space); say what is left.
    :raises StickUnusable: the lane is not a real folder, or the stick cannot be written."""
    with exclusive(data_dir):
        carrier = _carrier(data_dir, folder, max_bytes)
        report = run_round(data_dir, carrier, down=False, progress=progress,
                           chunk_bytes=chunk_bytes)
    c = report.counts
    report.went.append(E.EXPORT_WENT(parcels=c.get("parcels", 0), events=c.get("events", 0),
                                     chunks=c.get("chunks", 0), mb=c.get("chunk_bytes", 0) / 1e6,
                                     lane=str(carrier.up)))
    if c.get("pruned"):
        report.went.append(E.EXPORT_PRUNED(n=c["pruned"]))
    if c.get("left_parcels") or c.get("left_chunks"):
        report.left.append(E.EXPORT_LEFT(parcels=c.get("left_parcels", 0), chunks=c.get("left_chunks", 0),
                                         mb=c.get("left_bytes", 0) / 1e6))
    logger.info("ferry export: %s", c)
    return report


def import_from(data_dir: str | os.PathLike, folder: str | os.PathLike, *,
                progress: Progress = _no_progress) -> RoundReport:
    """Take the center's receipts and parcels addressed to this point; write this point's receipts
    for the down parcels back into its lane. What is not this point's is left untouched.
    :raises StickUnusable: this point's lanes are not real folders, or the stick cannot be written."""
    with exclusive(data_dir):
        carrier = _carrier(data_dir, folder, None)
        report = run_round(data_dir, carrier, up=False, progress=progress)
    if carrier.absent:
        return report                     # no `motcua/` on it: nothing else to say
    c = report.counts
    report.came.append(E.IMPORT_RECEIPTS(parcels=c.get("acked_parcels", 0), events=c.get("acked_events", 0),
                                         chunks=c.get("acked_chunks", 0),
                                         blobs=c.get("blobs_complete", 0)))
    report.came.append(E.IMPORT_DOWN(applied=c.get("down_applied", 0),
                                     duplicate=c.get("down_duplicate", 0)))
    if c.get("stale_receipts"):
        report.ignored.append((E.IMPORT_STALE.text(n=c["stale_receipts"]), E.IMPORT_STALE_WHY()))
    logger.info("ferry import: %s", c)
    return report


def _carrier(data_dir, folder, max_bytes: int | None) -> FolderCarrier:
    me = Point(data_dir)
    return FolderCarrier(folder, me.id, me.identity, max_bytes=max_bytes)
