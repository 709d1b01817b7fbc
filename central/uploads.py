"""Resumable uploads on disk, after the tus protocol: create, ask the offset, append at that offset.

An upload is named by the SHA-256 of the parcel it will hold (the node knows it before sending), so
creating the same upload twice is harmless and a node that crashed after "create" simply asks again.
Bytes land in `uploads/<sha>.part`, appended under an exclusive file lock and fsynced before the new
offset is reported, so several center processes may serve one node's chunks. A finished upload's
receipt is kept as `uploads/<sha>.receipt`: asking again after a lost answer returns the same receipt.
"""
from __future__ import annotations

import json
import logging
import os
import re
from contextlib import contextmanager
from pathlib import Path

from motcua.errors import Conflict, InvalidInput, NotFound, TooLarge
from sync.parcel import MAX_CONTENT_BYTES

try:                                   # POSIX; a Windows center falls back to one process per folder
    import fcntl
except ImportError:                    # pragma: no cover
    fcntl = None

logger = logging.getLogger(__name__)

_SHA = re.compile(r"[0-9a-f]{64}")
MAX_UPLOAD_BYTES = MAX_CONTENT_BYTES + 64 * 1024


class OffsetMismatch(Conflict):
    """A PATCH at the wrong offset (a retry of a chunk that did land): tells the right one."""

    def __init__(self, offset: int, asked: int):
        super().__init__(f"Vị trí tải lên là {offset}, không phải {asked}.",
                         code="upload_offset_mismatch")
        self.offset = offset


class UploadStore:
    """The folder `<data dir>/uploads` of partial and finished parcel uploads."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _paths(self, upload_id: str) -> tuple[Path, Path, Path]:
        if not _SHA.fullmatch(upload_id or ""):
            raise InvalidInput("Mã tải lên phải là SHA-256 của gói.", code="bad_upload_id")
        base = self.root / upload_id
        return base.with_suffix(".part"), base.with_suffix(".json"), base.with_suffix(".receipt")

    def create(self, upload_id: str, length: int) -> int:
        """Start (or find) an upload of `length` bytes; returns its current offset.

        :raises InvalidInput: bad id; TooLarge: over the parcel limit; Conflict: same id, other length.
        """
        if not isinstance(length, int) or length < 1:
            raise InvalidInput("Upload-Length phải là số nguyên dương.", code="bad_upload_length")
        if length > MAX_UPLOAD_BYTES:
            raise TooLarge("Gói quá lớn.", code="upload_too_large")
        part, meta, receipt = self._paths(upload_id)
        if receipt.exists():
            return length
        with self._locked(part):
            if meta.exists():
                known = json.loads(meta.read_text())["length"]
                if known != length:
                    raise Conflict("Đã có lượt tải lên này với độ dài khác.", code="upload_length_conflict")
            else:
                meta.write_text(json.dumps({"length": length}))
                part.touch()
            return part.stat().st_size

    def status(self, upload_id: str) -> tuple[int, int, bytes | None]:
        """(offset, length, receipt or None). :raises NotFound: no such upload."""
        part, meta, receipt = self._paths(upload_id)
        if receipt.exists():
            done = receipt.read_bytes()
            length = json.loads(meta.read_text())["length"] if meta.exists() else 0
            return length, length, done
        if not meta.exists():
            raise NotFound("Không có lượt tải lên này (có thể đã hết hạn).", code="upload_not_found")
        return part.stat().st_size, json.loads(meta.read_text())["length"], None

    def append(self, upload_id: str, offset: int, data: bytes) -> tuple[int, int]:
        """Append `data` at `offset`; returns (new offset, length).

        :raises NotFound: unknown upload; Conflict (409) when `offset` is not where the upload stands.
        """
        part, meta, receipt = self._paths(upload_id)
        if receipt.exists():
            length = json.loads(meta.read_text())["length"]
            return length, length
        if not meta.exists():
            raise NotFound("Không có lượt tải lên này (có thể đã hết hạn).", code="upload_not_found")
        length = json.loads(meta.read_text())["length"]
        with self._locked(part):
            size = part.stat().st_size
            if offset != size:
                raise OffsetMismatch(size, offset)
            if size + len(data) > length:
                raise InvalidInput("Dữ liệu vượt quá độ dài đã khai.", code="upload_overflow")
            with open(part, "ab") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            return size + len(data), length

    def read_complete(self, upload_id: str) -> bytes | None:
        """The whole parcel once every byte is in, else None."""
        part, meta, _ = self._paths(upload_id)
        if not meta.exists() or not part.exists():
            return None
        length = json.loads(meta.read_text())["length"]
        data = part.read_bytes()
        return data if len(data) == length else None

    def finish(self, upload_id: str, receipt_bytes: bytes) -> None:
        """Keep the receipt and drop the bytes: the parcel is applied, held elsewhere or refused."""
        part, _, receipt = self._paths(upload_id)
        from motcua.files import write_durably
        write_durably(receipt, receipt_bytes)
        part.unlink(missing_ok=True)

    def discard(self, upload_id: str) -> None:
        """Forget an upload whose bytes are not the parcel they claim to be (sent again from zero)."""
        part, meta, _ = self._paths(upload_id)
        part.unlink(missing_ok=True)
        meta.unlink(missing_ok=True)

    @contextmanager
    def _locked(self, part: Path):
        if fcntl is None:
            yield
            return
        with open(part.with_suffix(".lock"), "a+b") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
