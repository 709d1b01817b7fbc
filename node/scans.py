"""Scanned papers on the node's disk, content-addressed by SHA-256, outside any web root.

A file is written tmp → fsync → rename → fsync(dir), so a power cut leaves either the whole file under
its final name or nothing but a `.tmp` that the next start sweeps away. The type is read from the
bytes, never from the name or the browser's word.
"""
from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from motcua import errors as E
from motcua.errors import InvalidInput, TooLarge
from motcua.files import TMP_GLOB, ContentFolder, sweep_temporaries, write_durably

logger = logging.getLogger(__name__)

ALLOWED_TYPES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG",
                 "image/tiff": "TIFF"}


def sniff_mime(data: bytes) -> str | None:
    """The file type from its first bytes, or None when it is not one we accept."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    return None


def check_scan(data: bytes, max_bytes: int) -> str:
    """Return the scan's MIME type.

    :raises InvalidInput/TooLarge: empty, too big, or not PDF/JPEG/PNG/TIFF.
    """
    if not data:
        raise InvalidInput(E.EMPTY_FILE, field="file")
    if len(data) > max_bytes:
        raise TooLarge(E.FILE_TOO_LARGE(size=len(data) / 1e6, max=max_bytes / 1e6), field="file")
    mime = sniff_mime(data)
    if mime is None:
        raise InvalidInput(E.UNSUPPORTED_FILE_TYPE, field="file")
    return mime


class BlobStore(ContentFolder):
    """The point's scans, named by their SHA-256 under `root/ab/abcdef…` (`motcua.files`)."""

    def __init__(self, root: str | Path):
        super().__init__(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def put(self, data: bytes) -> str:
        """Store `data` durably and return its SHA-256 (a second put of the same bytes is free)."""
        sha = hashlib.sha256(data).hexdigest()
        final = self.path_for(sha)
        if final.exists():
            return sha
        write_durably(final, data)
        return sha

    def sweep_temporaries(self) -> int:
        """Remove `.tmp` files a crash left behind; returns how many."""
        count = sweep_temporaries(self.root, f"*/{TMP_GLOB}")
        if count:
            logger.info("removed %d unfinished scan files", count)
        return count
