"""Scans at the center, content-addressed on disk, rejoined from `blob-chunk` parcels.

Each decrypted chunk is written to `blobs/partial/<sha>/<sender>/<offset>` (tmp → fsync → rename), so chunks
may arrive in any order, twice, from any center process sharing the folder. When the chunks cover the
scan, it is rejoined, checked against its hash (`sync.blobs.assemble_blob`) and stored under
`blobs/<sha[:2]>/<sha>`; only then does the database learn that the center holds it.
"""
from __future__ import annotations

import logging
import shutil
from datetime import datetime, timedelta
from pathlib import Path

from central.db import db
from central.models import Attachment, Blob
from motcua import errors as E, legaltime
from motcua.files import ContentFolder, write_durably
from sync.blobs import BlobChunk, assemble_blob
from sync.parcel import ParcelRefused

logger = logging.getLogger(__name__)


class CenterBlobs(ContentFolder):
    """The center's scan folder (`<data dir>/blobs`), with the partial chunks of scans on the way;
    each point may keep at most `partial_quota` bytes of chunks not yet joined (None: no bound)."""

    def __init__(self, root, *, partial_quota: int | None = None):
        super().__init__(root)
        self.partial_quota = partial_quota

    def partial_bytes(self, sender: str) -> int:
        """Bytes of `sender`'s chunks kept for scans not yet whole (its quota's use)."""
        total, partial = 0, self.root / "partial"
        for scan in (partial.iterdir() if partial.is_dir() else ()):
            total += _sizes(scan / sender)
        return total

    def confirm_held(self, sha256: str, *, now: datetime) -> bool:
        """True when the whole scan is here, recording it first if a crash came between the file's
        rename and its row (a node told "held" must find the scan counted at the center)."""
        path = self.path_for(sha256)
        if not path.exists():
            return False
        self._record(sha256, path.stat().st_size, now)
        return True

    def partial_offsets(self, sha256: str, *, sender: str) -> list[int]:
        """Offsets of the chunks `sender` sent for a scan not yet complete (for its resume)."""
        folder = self._partial(sha256, sender)
        if not folder.is_dir():
            return []
        return sorted(int(p.name) for p in folder.iterdir() if p.name.isdigit())

    def _partial(self, sha256: str, sender: str) -> Path:
        self.path_for(sha256)                                # checks it is a sha256
        if not sender or "/" in sender or sender.startswith("."):
            raise ValueError(f"not a node id: {sender[:80]!r}")
        return self.root / "partial" / sha256 / sender

    def add_chunk(self, blob_sha256: str, blob_length: int, offset: int, data: bytes, *,
                  now: datetime, sender: str) -> bool:
        """Keep one chunk; when the scan is whole, store it and mark it present. True when whole.

        Chunks are kept per sender: a point's chunks are joined only with its own, so a bogus
        chunk naming another point's scan spoils nothing of that point. When the joined chunks
        do not hash to the scan, only the chunk just added is dropped (the sender sends its
        chunks again and the good ones replace any bad one).
        :raises ParcelRefused: blob_hash_mismatch when the rejoined chunks do not hash to the scan.
        """
        if self.has(blob_sha256):
            self._record(blob_sha256, blob_length, now)
            return True
        folder = self._partial(blob_sha256, sender)
        added = folder / f"{offset:015d}"
        self._check_quota(folder, added, len(data), blob_length, sender)
        try:
            write_durably(added, data)
            chunks, covered = [], 0
            for path in sorted(folder.iterdir()):
                if path.name.isdigit():
                    size = path.stat().st_size
                    chunks.append((int(path.name), path))
                    covered += size
            if covered < blob_length:         # (or another request has just joined it)
                return self._joined_meanwhile(blob_sha256, blob_length, now)
            whole = assemble_blob([BlobChunk(off, p.read_bytes()) for off, p in chunks],
                                  blob_sha256, blob_length)
        except FileNotFoundError:
            # Chunks of one scan arrive side by side (a point keeps two uploads in flight, and
            # several center processes may share the folder): another request joined the scan
            # and cleared its chunks meanwhile. Whole is whole; otherwise the point sends again.
            return self._joined_meanwhile(blob_sha256, blob_length, now)
        except ParcelRefused as exc:
            if exc.reason == "blob_incomplete":       # overlapping sizes: wait for the rest
                return False
            added.unlink(missing_ok=True)             # this chunk alone goes
            raise
        write_durably(self.path_for(blob_sha256), whole)
        self._record(blob_sha256, blob_length, now)
        shutil.rmtree(self.root / "partial" / blob_sha256, ignore_errors=True)
        logger.info("blob %s complete (%d bytes)", blob_sha256[:12], blob_length)
        return True

    def _check_quota(self, folder: Path, added: Path, size: int, blob_length: int,
                     sender: str) -> None:
        """Refuse a chunk that would take `sender` over its quota of unjoined bytes, unless it
        completes its scan (then its chunks leave `partial/`; a chunk whose scan does not then
        hash right is dropped at once, so declaring a short scan keeps nothing).
        :raises ParcelRefused: blob_quota_exceeded."""
        if self.partial_quota is None:
            return
        again = _size(added)                          # the same chunk sent again replaces itself
        if _sizes(folder) - again + size >= blob_length:
            return
        held = self.partial_bytes(sender) - again
        if held + size > self.partial_quota:
            raise ParcelRefused(E.BLOB_QUOTA_EXCEEDED(unit=sender, held=held,
                                                      quota=self.partial_quota))

    def _joined_meanwhile(self, sha256: str, length: int, now: datetime) -> bool:
        if not self.has(sha256):
            return False
        shutil.rmtree(self.root / "partial" / sha256, ignore_errors=True)   # a chunk that came late
        self._record(sha256, length, now)
        return True

    def sweep(self, *, now: datetime, max_age: timedelta) -> int:
        """Drop partial chunk sets no chunk was added to for `max_age`; returns how many."""
        limit, gone = legaltime.to_ms(now - max_age) / 1000, 0
        for folder in (self.root / "partial").glob("*/*"):
            try:
                if folder.is_dir() and folder.stat().st_mtime < limit:
                    shutil.rmtree(folder, ignore_errors=True)
                    gone += 1
            except FileNotFoundError:
                continue
        return gone

    @staticmethod
    def _record(sha256: str, size: int, now: datetime) -> None:
        with db.atomic():
            Blob.insert(sha256=sha256, size=size, received_at=now).on_conflict_ignore().execute()
            Attachment.update(present=True).where(Attachment.sha256 == sha256).execute()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _sizes(folder: Path) -> int:
    """Bytes of the chunk files in `folder` (none when it is gone)."""
    try:
        return sum(_size(p) for p in folder.iterdir() if p.name.isdigit())
    except (FileNotFoundError, NotADirectoryError):
        return 0
