"""Resumable uploads on disk, after the tus protocol: create, ask the offset, append at that offset.

An upload belongs to the point that created it (every call is signed by it, `central.sync_api`) and
lives in that point's own folder, `uploads/<unit>/<sha>.*`, so no one else can extend, finish or
spoil it. It is named by the SHA-256 of the parcel it will hold, and its creation carries the
signed SHA-256 of every 64 KiB piece. The body of an append is streamed to `<sha>.part` and fsynced
as it arrives, so a cut keeps every byte that got through and the offset query answers that exact
byte; each piece is checked against its signed hash as soon as it is complete, and a piece that
fails is cut off alone (the pieces before it stay). Bounded: a largest upload, a quota of open
bytes per point, and `sweep` forgets uploads left untouched for too long. A finished upload's
receipt is kept as `<sha>.receipt`: asking again after a lost answer returns the same receipt.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO, Callable

from filelock import FileLock

from motcua import errors as E, legaltime
from motcua.errors import Conflict, InvalidInput, NotFound, TooLarge

logger = logging.getLogger(__name__)

_SHA = re.compile(r"[0-9a-f]{64}")
_UNIT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_BLOCK = 16 * 1024                      # read, write and fsync the stream in blocks this size
MIN_PIECE, MAX_PIECES = 4 * 1024, 4096


class OffsetMismatch(Conflict):
    """A PATCH at the wrong offset (a retry of a chunk that did land), or a damaged piece cut off:
    tells the offset to go on from."""

    def __init__(self, offset: int, asked: int, message: E.Said | None = None):
        super().__init__(message or E.UPLOAD_OFFSET_MISMATCH(offset=offset, asked=asked))
        self.offset = offset


class UploadStore:
    """The folder `<data dir>/uploads`: one sub-folder per point."""

    def __init__(self, root: str | os.PathLike, *, max_bytes: int = 16 * 1024 * 1024,
                 quota_bytes: int = 64 * 1024 * 1024):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.max_bytes, self.quota_bytes = max_bytes, quota_bytes

    def _paths(self, owner: str, upload_id: str) -> tuple[Path, Path, Path]:
        if not _SHA.fullmatch(upload_id or ""):
            raise InvalidInput(E.BAD_UPLOAD_ID)
        if not _UNIT.fullmatch(owner or ""):
            raise InvalidInput(E.BAD_UPLOAD_OWNER)
        base = self.root / owner / upload_id
        return base.with_suffix(".part"), base.with_suffix(".json"), base.with_suffix(".receipt")

    def create(self, owner: str, upload_id: str, length: int, piece_bytes: int,
               pieces: list[str], *, now: datetime | None = None,
               body: Callable[[], tuple[BinaryIO, int]] | None = None) -> int:
        """Start (or find) `owner`'s upload of `length` bytes; returns its current offset.

        A new upload takes its first bytes from `body()` (stream, size) under the same lock, so
        no offset query or second create sees it before they are written: on a fast link a cut
        can reach the point before the center has even started on the request, and an answer
        of 0 then would have the point send again what is already arriving.
        :raises InvalidInput: bad id or piece list; TooLarge: over the largest upload or the
            point's quota of open bytes; Conflict: same id, other length.
        """
        if not isinstance(length, int) or length < 1:
            raise InvalidInput(E.BAD_UPLOAD_LENGTH)
        if length > self.max_bytes:
            raise TooLarge(E.UPLOAD_TOO_LARGE)
        if (not MIN_PIECE <= piece_bytes <= self.max_bytes
                or len(pieces) != -(-length // piece_bytes) or len(pieces) > MAX_PIECES
                or not all(_SHA.fullmatch(p) for p in pieces)):
            raise InvalidInput(E.BAD_UPLOAD_PIECES)
        part, meta, receipt = self._paths(owner, upload_id)
        if receipt.exists():
            return length
        part.parent.mkdir(exist_ok=True)
        with self._locked(part):
            if meta.exists():
                known = json.loads(meta.read_text())
                if known["length"] != length or known["pieces"] != pieces:
                    raise Conflict(E.UPLOAD_LENGTH_CONFLICT)
                return part.stat().st_size
            if self.open_bytes(owner) + length > self.quota_bytes:
                raise TooLarge(E.UPLOAD_QUOTA_EXCEEDED)
            stream, size = body() if body is not None else (None, 0)
            meta.write_text(json.dumps({"length": length, "piece_bytes": piece_bytes,
                                        "pieces": pieces,
                                        "created_at": (now or legaltime.now()).isoformat()}))
            part.touch()
            if not size:
                return 0
            return self._append_locked(owner, upload_id, 0, stream, size)[0]

    def open_bytes(self, owner: str) -> int:
        """Bytes declared by `owner`'s uploads that are not finished (its quota's use)."""
        total = 0
        for meta in (self.root / owner).glob("*.json"):
            if not meta.with_suffix(".receipt").exists():
                try:
                    total += int(json.loads(meta.read_text())["length"])
                except (OSError, ValueError, KeyError):
                    continue
        return total

    def status(self, owner: str, upload_id: str, *,
               wait: bool = False) -> tuple[int, int, bytes | None]:
        """(offset, length, receipt or None): the exact byte held. :raises NotFound."""
        part, meta, receipt = self._paths(owner, upload_id)
        if receipt.exists():
            done = receipt.read_bytes()
            length = json.loads(meta.read_text())["length"] if meta.exists() else 0
            return length, length, done
        if not meta.exists():
            raise NotFound(E.UPLOAD_NOT_FOUND)
        if wait:
            # A stream cut a moment ago may still be writing what was in flight: answer the byte
            # it ends at, or the point would send from a stale offset and be refused (409).
            with self._locked(part):
                return part.stat().st_size, json.loads(meta.read_text())["length"], None
        return part.stat().st_size, json.loads(meta.read_text())["length"], None

    def append(self, owner: str, upload_id: str, offset: int, stream: BinaryIO | bytes,
               size: int) -> tuple[int, int]:
        """Write `size` bytes read from `stream` at `offset`, fsyncing as they come; returns
        (new offset, length). A cut stream keeps what arrived.

        :raises NotFound: unknown upload; OffsetMismatch (409) when `offset` is not where the upload
            stands or a piece failed its hash (then cut back to that piece's start);
            InvalidInput: more bytes than declared.
        """
        if isinstance(stream, (bytes, bytearray)):
            import io
            stream, size = io.BytesIO(stream), len(stream)
        part, meta_path, receipt = self._paths(owner, upload_id)
        if receipt.exists():
            length = json.loads(meta_path.read_text())["length"]
            return length, length
        if not meta_path.exists():
            raise NotFound(E.UPLOAD_NOT_FOUND)
        with self._locked(part):
            return self._append_locked(owner, upload_id, offset, stream, size)

    def _append_locked(self, owner: str, upload_id: str, offset: int, stream: BinaryIO,
                       size: int) -> tuple[int, int]:
        """`append`, the upload's lock held."""
        part, meta_path, _ = self._paths(owner, upload_id)
        meta = json.loads(meta_path.read_text())
        length, piece, pieces = meta["length"], meta["piece_bytes"], meta["pieces"]
        pos = part.stat().st_size
        if offset != pos:
            raise OffsetMismatch(pos, offset)
        if pos + size > length:
            raise InvalidInput(E.UPLOAD_OVERFLOW)
        with open(part, "r+b") as fh:
            start = pos - pos % piece
            fh.seek(start)
            hasher = hashlib.sha256(fh.read(pos - start))
            fh.seek(pos)
            left = size
            try:
                while left > 0:
                    try:
                        block = stream.read(min(_BLOCK, left))
                    except (OSError, ValueError):     # the link broke mid-body
                        block = b""
                    if not block:
                        break
                    left -= len(block)
                    while block:
                        take = min(len(block), start + piece - pos)
                        fh.write(block[:take])
                        hasher.update(block[:take])
                        pos += take
                        block = block[take:]
                        if pos == start + piece or pos == length:
                            if hasher.hexdigest() != pieces[start // piece]:
                                fh.truncate(start)
                                raise OffsetMismatch(
                                    start, offset, E.UPLOAD_PIECE_DAMAGED(offset=start))
                            start, hasher = pos, hashlib.sha256()
                            # Durable at each verified piece (and when the body ends, below):
                            # bytes written but not yet synced still count after a cut, since
                            # the process lives on; after a power cut the piece hashes catch
                            # any tail the disk lost. A sync per 16 KiB block cost the point
                            # re-sent bytes under load, the server lagging behind the link.
                            fh.flush()
                            os.fsync(fh.fileno())
            finally:
                fh.flush()
                os.fsync(fh.fileno())
        os.utime(meta_path)                            # touched: not abandoned
        if left:
            logger.info("upload %s of %s cut at byte %d", upload_id[:12], owner, pos)
        return pos, length

    def read_complete(self, owner: str, upload_id: str) -> bytes | None:
        """The whole parcel once every byte is in, else None."""
        part, meta, _ = self._paths(owner, upload_id)
        if not meta.exists() or not part.exists():
            return None
        length = json.loads(meta.read_text())["length"]
        if part.stat().st_size != length:
            return None
        return part.read_bytes()

    def finish(self, owner: str, upload_id: str, receipt_bytes: bytes) -> None:
        """Keep the receipt and drop the bytes: the parcel is applied, held elsewhere or refused."""
        part, _, receipt = self._paths(owner, upload_id)
        from motcua.files import write_durably
        write_durably(receipt, receipt_bytes)
        part.unlink(missing_ok=True)

    def discard(self, owner: str, upload_id: str) -> None:
        """Forget an upload whose bytes are not the parcel they claim to be (sent again)."""
        part, meta, _ = self._paths(owner, upload_id)
        part.unlink(missing_ok=True)
        meta.unlink(missing_ok=True)
        part.with_suffix(".lock").unlink(missing_ok=True)

    def sweep(self, *, now: datetime, max_age: timedelta) -> int:
        """Forget uploads (and kept receipts) untouched for `max_age`; returns how many went."""
        limit = legaltime.to_ms(now - max_age) / 1000
        gone = 0
        for meta in self.root.glob("*/*.json"):
            try:
                if meta.stat().st_mtime >= limit:
                    continue
            except FileNotFoundError:
                continue
            for suffix in (".part", ".receipt", ".lock", ".json"):
                meta.with_suffix(suffix).unlink(missing_ok=True)
            gone += 1
        for stray in list(self.root.glob("*.part")) + list(self.root.glob("*.json")):
            if stray.stat().st_mtime < limit:          # the layout before per-point folders
                stray.unlink(missing_ok=True)
        if gone:
            logger.info("%d abandoned uploads swept", gone)
        return gone

    @contextmanager
    def _locked(self, part: Path):
        """One writer per upload across the server's threads and processes (also on Windows)."""
        with FileLock(part.with_suffix(".lock")):
            yield

