"""Resumable uploads after the tus protocol (create, ask the offset, append at that offset), their
state in the database and their bytes in the object store, so any center process can take any chunk.

An upload belongs to the point that created it (every call is signed by it, `central.sync_api`); its
row (`central.models.Upload`) is keyed by that point and the SHA-256 of the parcel it will hold, so
no one else can extend, finish or spoil it. Its creation carries the signed SHA-256 of every piece
(64 KiB from the point). Each piece is checked against its signed hash as soon as it is complete and
kept as one object, `uploads/<unit>/<sha>/p<index>`; a piece that fails is cut off alone (the
pieces before it stay). When a stream ends or is cut mid-piece, the bytes of the piece begun are
kept as `…/t<start>`, so the offset query answers the exact byte that got through; a process
killed mid-stream loses only the piece it was in. One writer per upload across every process
(`central.locks`). Bounded: a largest upload, a quota of open bytes per point, and `sweep` forgets
uploads left untouched for too long. A finished upload keeps its receipt in its row: asking again
after a lost answer returns the same receipt.
"""
from __future__ import annotations

import hashlib
import io
import json
import logging
import re
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import BinaryIO, Callable

from peewee import fn

from central.locks import LockBusy, named_lock
from central.models import Upload
from motcua import errors as E, legaltime
from motcua.errors import Conflict, InvalidInput, NotFound, TooLarge
from motcua.objectstore import ObjectStore

logger = logging.getLogger(__name__)

_SHA = re.compile(r"[0-9a-f]{64}")
_UNIT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_BLOCK = 16 * 1024                      # read the stream in blocks this size
MIN_PIECE, MAX_PIECES = 4 * 1024, 4096
PREFIX = "uploads/"
LOCK_WAIT_S = 60.0                      # a stream cut elsewhere ends within the server's timeout


class OffsetMismatch(Conflict):
    """A PATCH at the wrong offset (a retry of a chunk that did land), or a damaged piece cut off:
    tells the offset to go on from."""

    def __init__(self, offset: int, asked: int, message: E.Said | None = None):
        super().__init__(message or E.UPLOAD_OFFSET_MISMATCH(offset=offset, asked=asked))
        self.offset = offset


class UploadStore:
    """Uploads of every point: rows in the center's database, pieces in `store`."""

    def __init__(self, store: ObjectStore, *, max_bytes: int = 16 * 1024 * 1024,
                 quota_bytes: int = 64 * 1024 * 1024):
        self.store = store
        self.max_bytes, self.quota_bytes = max_bytes, quota_bytes

    @staticmethod
    def _check(owner: str, upload_id: str) -> None:
        if not _SHA.fullmatch(upload_id or ""):
            raise InvalidInput(E.BAD_UPLOAD_ID)
        if not _UNIT.fullmatch(owner or ""):
            raise InvalidInput(E.BAD_UPLOAD_OWNER)

    @staticmethod
    def _row(owner: str, upload_id: str) -> Upload | None:
        return Upload.get_or_none((Upload.owner == owner) & (Upload.upload_id == upload_id))

    @staticmethod
    def _prefix(owner: str, upload_id: str) -> str:
        return f"{PREFIX}{owner}/{upload_id}/"

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
        self._check(owner, upload_id)
        now = now or legaltime.now()
        # The upload's own lock first (then the owner's, never the other way round): held from
        # before its row exists until its first bytes are in, so an offset query or a second
        # create waits for them. The owner's lock, for the quota, only around the row's insert:
        # the point's other upload in flight is not held up by this one's body.
        with self._locked(self._lock_name(owner, upload_id)):
            with self._locked(f"upload-owner:{owner}"):   # the quota is checked by one at a time
                known = self._row(owner, upload_id)
                if known is not None:
                    if known.receipt is not None:
                        return known.length
                    if known.length != length or json.loads(known.pieces) != pieces:
                        raise Conflict(E.UPLOAD_LENGTH_CONFLICT)
                    return known.received
                if self.open_bytes(owner) + length > self.quota_bytes:
                    raise TooLarge(E.UPLOAD_QUOTA_EXCEEDED)
                stream, size = body() if body is not None else (None, 0)   # refused: no row
                Upload.insert(owner=owner, upload_id=upload_id, length=length,
                              piece_bytes=piece_bytes, pieces=json.dumps(pieces), received=0,
                              created_at=now, touched_at=now).on_conflict_ignore().execute()
            if not size:
                return 0
            row = self._row(owner, upload_id)
            return self._append_locked(row, 0, stream, size)[0]

    def open_bytes(self, owner: str) -> int:
        """Bytes declared by `owner`'s uploads that are not finished (its quota's use)."""
        return int(Upload.select(fn.COALESCE(fn.SUM(Upload.length), 0))
                   .where((Upload.owner == owner) & Upload.receipt.is_null()).scalar() or 0)

    def status(self, owner: str, upload_id: str, *,
               wait: bool = False) -> tuple[int, int, bytes | None]:
        """(offset, length, receipt or None): the exact byte held. :raises NotFound."""
        self._check(owner, upload_id)
        row = self._row(owner, upload_id)
        if row is None:
            raise NotFound(E.UPLOAD_NOT_FOUND)
        if row.receipt is not None:
            return row.length, row.length, bytes(row.receipt)
        if wait:
            # A stream cut a moment ago (in this process or another) may still be writing what
            # was in flight: answer the byte it ends at, or the point would send from a stale
            # offset and be refused (409).
            with self._locked(self._lock_name(owner, upload_id)):
                row = self._row(owner, upload_id)
                if row is None:
                    raise NotFound(E.UPLOAD_NOT_FOUND)
        return row.received, row.length, bytes(row.receipt) if row.receipt is not None else None

    def append(self, owner: str, upload_id: str, offset: int, stream: BinaryIO | bytes,
               size: int) -> tuple[int, int]:
        """Take `size` bytes read from `stream` at `offset`, piece by checked piece; returns
        (new offset, length). A cut stream keeps what arrived.

        :raises NotFound: unknown upload; OffsetMismatch (409) when `offset` is not where the upload
            stands or a piece failed its hash (then cut back to that piece's start);
            InvalidInput: more bytes than declared.
        """
        if isinstance(stream, (bytes, bytearray)):
            stream, size = io.BytesIO(stream), len(stream)
        self._check(owner, upload_id)
        with self._locked(self._lock_name(owner, upload_id)):
            row = self._row(owner, upload_id)
            if row is None:
                raise NotFound(E.UPLOAD_NOT_FOUND)
            if row.receipt is not None:
                return row.length, row.length
            return self._append_locked(row, offset, stream, size)

    def _append_locked(self, row: Upload, offset: int, stream: BinaryIO,
                       size: int) -> tuple[int, int]:
        """`append`, the upload's lock held."""
        length, piece, pieces = row.length, row.piece_bytes, json.loads(row.pieces)
        prefix = self._prefix(row.owner, row.upload_id)
        pos = row.received
        if offset != pos:
            raise OffsetMismatch(pos, offset)
        if pos + size > length:
            raise InvalidInput(E.UPLOAD_OVERFLOW)
        start = pos - pos % piece
        tail = bytearray()
        if pos > start:
            try:
                tail += self.store.get(f"{prefix}t{start:015d}")
            except FileNotFoundError:
                tail = bytearray()
            if len(tail) != pos - start:               # lost with a crash: from the piece's start
                self._set_received(row, start)
                raise OffsetMismatch(start, offset)
        left, damaged = size, False
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
                    tail += block[:take]
                    pos += take
                    block = block[take:]
                    if pos == start + piece or pos == length:
                        if hashlib.sha256(tail).hexdigest() != pieces[start // piece]:
                            damaged = True
                            self._set_received(row, start)
                            raise OffsetMismatch(start, offset,
                                                 E.UPLOAD_PIECE_DAMAGED(offset=start))
                        self.store.put(f"{prefix}p{start // piece:06d}", bytes(tail))
                        self._set_received(row, pos)
                        start, tail = pos, bytearray()
        finally:
            if tail and not damaged:
                # The piece begun: kept so the offset is the exact byte that got through.
                self.store.put(f"{prefix}t{start:015d}", bytes(tail))
                self._set_received(row, pos)
        if left:
            logger.info("upload %s of %s cut at byte %d", row.upload_id[:12], row.owner, pos)
        return pos, length

    @staticmethod
    def _set_received(row: Upload, received: int) -> None:
        Upload.update(received=received, touched_at=legaltime.now()).where(
            Upload.id == row.id).execute()
        row.received = received

    def read_complete(self, owner: str, upload_id: str) -> bytes | None:
        """The whole parcel once every byte is in, else None."""
        self._check(owner, upload_id)
        row = self._row(owner, upload_id)
        if row is None or row.received != row.length:
            return None
        prefix = self._prefix(owner, upload_id)
        try:
            return b"".join(self.store.get(f"{prefix}p{i:06d}")
                            for i in range(-(-row.length // row.piece_bytes)))
        except FileNotFoundError:
            return None

    def finish(self, owner: str, upload_id: str, receipt_bytes: bytes) -> None:
        """Keep the receipt and drop the bytes: the parcel is applied, held elsewhere or refused."""
        self._check(owner, upload_id)
        Upload.update(receipt=receipt_bytes, received=Upload.length,
                      touched_at=legaltime.now()).where(
            (Upload.owner == owner) & (Upload.upload_id == upload_id)).execute()
        self.store.delete_prefix(self._prefix(owner, upload_id))

    def discard(self, owner: str, upload_id: str) -> None:
        """Forget an upload whose bytes are not the parcel they claim to be (sent again)."""
        self._check(owner, upload_id)
        Upload.delete().where((Upload.owner == owner) & (Upload.upload_id == upload_id)).execute()
        self.store.delete_prefix(self._prefix(owner, upload_id))

    def sweep(self, *, now: datetime, max_age: timedelta) -> int:
        """Forget uploads (and kept receipts) untouched for `max_age`, and objects under
        `uploads/` no upload names that old (from before uploads lived in the database);
        returns how many uploads went."""
        limit = now - max_age
        gone = 0
        for row in list(Upload.select(Upload.id, Upload.owner, Upload.upload_id)
                        .where(Upload.touched_at < limit)):
            self.store.delete_prefix(self._prefix(row.owner, row.upload_id))
            Upload.delete().where(Upload.id == row.id).execute()
            gone += 1
        seconds = legaltime.to_ms(limit) / 1000
        live = {(r.owner, r.upload_id) for r in Upload.select(Upload.owner, Upload.upload_id)}
        for info in list(self.store.list(PREFIX)):
            parts = info.key.split("/")
            if info.modified < seconds and (len(parts) != 4 or (parts[1], parts[2]) not in live):
                self.store.delete(info.key)
        if gone:
            logger.info("%d abandoned uploads swept", gone)
        return gone

    @staticmethod
    def _lock_name(owner: str, upload_id: str) -> str:
        return f"upload:{owner}:{upload_id}"

    @contextmanager
    def _locked(self, name: str):
        """One writer per upload across the server's threads and every center process."""
        try:
            with named_lock(name, timeout=LOCK_WAIT_S):
                yield
        except LockBusy:
            raise Conflict(E.UPLOAD_BUSY) from None
