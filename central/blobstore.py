"""Scans at the center, content-addressed in the object store, rejoined from `blob-chunk` parcels.

Each decrypted chunk is kept as the object `blobs/partial/<sha>/<sender>/<offset>`, so chunks may
arrive in any order, twice, through any center process sharing the store. When the chunks cover the
scan, it is rejoined, checked against its hash (`sync.blobs.assemble_blob`) and stored as
`blobs/<sha[:2]>/<sha>`; only then does the database learn that the center holds it. With the folder
store these keys are the paths under the data dir they always were. Result PDFs the officers attach
(`central.results`) are stored under the same keys. Each point may keep a bounded number of bytes
of chunks not yet joined (`BLOB_PARTIAL_QUOTA_BYTES`), so a point cannot fill the store with
scans it never finishes.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from central.db import db
from central.models import Attachment, Blob
from motcua import errors as E, legaltime
from motcua.errors import InvalidInput
from motcua.objectstore import ObjectStore
from sync.blobs import BlobChunk, assemble_blob
from sync.parcel import ParcelRefused

logger = logging.getLogger(__name__)


class CenterBlobs:
    """The center's scans and the partial chunks of scans on the way, over one object store;
    each point may keep at most `partial_quota` bytes of chunks not yet joined (None: no bound)."""

    def __init__(self, store: ObjectStore, *, partial_quota: int | None = None):
        self.store = store
        self.partial_quota = partial_quota

    @staticmethod
    def key_for(sha256: str) -> str:
        """:raises InvalidInput: `sha256` is not 64 lowercase hex digits."""
        if not isinstance(sha256, str) or len(sha256) != 64 or sha256.strip("0123456789abcdef"):
            raise InvalidInput(E.BAD_SHA256, field="sha256")
        return f"blobs/{sha256[:2]}/{sha256}"

    def has(self, sha256: str) -> bool:
        return self.store.has(self.key_for(sha256))

    def read(self, sha256: str) -> bytes:
        """The scan's bytes. :raises FileNotFoundError: not held here."""
        return self.store.get(self.key_for(sha256))

    def put_whole(self, sha256: str, data: bytes) -> None:
        """Store a whole file the center made itself (a result PDF); content-addressed, so a
        retry stores nothing twice. The caller has checked `data` hashes to `sha256`."""
        if not self.has(sha256):
            self.store.put(self.key_for(sha256), data)

    def partial_bytes(self, sender: str) -> int:
        """Bytes of `sender`'s chunks kept for scans not yet whole (its quota's use)."""
        return sum(i.size for i in self.store.list("blobs/partial/")
                   if _chunk_of(i.key, sender))

    def confirm_held(self, sha256: str, *, now: datetime) -> bool:
        """True when the whole scan is here, recording it first if a crash came between the
        object's write and its row (a node told "held" must find the scan counted at the center)."""
        info = self.store.stat(self.key_for(sha256))
        if info is None:
            return False
        self._record(sha256, info.size, now)
        return True

    def partial_offsets(self, sha256: str, *, sender: str) -> list[int]:
        """Offsets of the chunks `sender` sent for a scan not yet complete (for its resume)."""
        prefix = self._partial(sha256, sender)
        return sorted(int(i.key.rpartition("/")[2]) for i in self.store.list(prefix)
                      if i.key.rpartition("/")[2].isdigit())

    def _partial(self, sha256: str, sender: str) -> str:
        self.key_for(sha256)                                 # checks it is a sha256
        if not sender or "/" in sender or sender.startswith("."):
            raise ValueError(f"not a node id: {sender[:80]!r}")
        return f"blobs/partial/{sha256}/{sender}/"

    def add_chunk(self, blob_sha256: str, blob_length: int, offset: int, data: bytes, *,
                  now: datetime, sender: str) -> bool:
        """Keep one chunk; when the scan is whole, store it and mark it present. True when whole.

        Chunks are kept per sender: a point's chunks are joined only with its own, so a bogus
        chunk naming another point's scan spoils nothing of that point. When the joined chunks
        do not hash to the scan, only the chunk just added is dropped (the sender sends its
        chunks again and the good ones replace any bad one). Two processes adding the last two
        chunks at once: each writes before it lists, so the later one sees both.
        :raises ParcelRefused: blob_hash_mismatch when the rejoined chunks do not hash to the scan.
        """
        if self.has(blob_sha256):
            self._record(blob_sha256, blob_length, now)
            return True
        prefix = self._partial(blob_sha256, sender)
        added = f"{prefix}{offset:015d}"
        self._check_quota(prefix, added, len(data), blob_length, sender)
        try:
            self.store.put(added, data)
            held = [i for i in self.store.list(prefix) if i.key.rpartition("/")[2].isdigit()]
            if sum(i.size for i in held) < blob_length:   # (or another request has just joined it)
                return self._joined_meanwhile(blob_sha256, blob_length, now)
            chunks = [BlobChunk(int(i.key.rpartition("/")[2]), self.store.get(i.key))
                      for i in held]
            whole = assemble_blob(chunks, blob_sha256, blob_length)
        except FileNotFoundError:
            # Chunks of one scan arrive side by side (a point keeps two uploads in flight, and
            # several center processes share the store): another request joined the scan and
            # cleared its chunks meanwhile. Whole is whole; otherwise the point sends again.
            return self._joined_meanwhile(blob_sha256, blob_length, now)
        except ParcelRefused as exc:
            if exc.reason == "blob_incomplete":       # overlapping sizes: wait for the rest
                return False
            self.store.delete(added)                  # this chunk alone goes
            raise
        self.store.put(self.key_for(blob_sha256), whole)
        self._record(blob_sha256, blob_length, now)
        self.store.delete_prefix(f"blobs/partial/{blob_sha256}/")
        logger.info("blob %s complete (%d bytes)", blob_sha256[:12], blob_length)
        return True

    def _check_quota(self, prefix: str, added: str, size: int, blob_length: int,
                     sender: str) -> None:
        """Refuse a chunk that would take `sender` over its quota of unjoined bytes, unless it
        completes its scan (then its chunks leave `partial/`; a chunk whose scan does not then
        hash right is dropped at once, so declaring a short scan keeps nothing).
        :raises ParcelRefused: blob_quota_exceeded."""
        if self.partial_quota is None:
            return
        known = self.store.stat(added)
        again = known.size if known else 0            # the same chunk sent again replaces itself
        if sum(i.size for i in self.store.list(prefix)
               if i.key.rpartition("/")[2].isdigit()) - again + size >= blob_length:
            return
        held = self.partial_bytes(sender) - again
        if held + size > self.partial_quota:
            raise ParcelRefused(E.BLOB_QUOTA_EXCEEDED(unit=sender, held=held,
                                                      quota=self.partial_quota))

    def _joined_meanwhile(self, sha256: str, length: int, now: datetime) -> bool:
        if not self.has(sha256):
            return False
        self.store.delete_prefix(f"blobs/partial/{sha256}/")   # a chunk that came late
        self._record(sha256, length, now)
        return True

    def sweep(self, *, now: datetime, max_age: timedelta) -> int:
        """Drop partial chunk sets no chunk was added to for `max_age`; returns how many."""
        limit = legaltime.to_ms(now - max_age) / 1000
        newest: dict[str, float] = {}
        for info in self.store.list("blobs/partial/"):
            parts = info.key.split("/")
            if len(parts) == 5:
                folder = "/".join(parts[:4]) + "/"
                newest[folder] = max(newest.get(folder, 0.0), info.modified)
        gone = 0
        for folder, modified in newest.items():
            if modified < limit:
                self.store.delete_prefix(folder)
                gone += 1
        return gone

    @staticmethod
    def _record(sha256: str, size: int, now: datetime) -> None:
        with db.atomic():
            Blob.insert(sha256=sha256, size=size, received_at=now).on_conflict_ignore().execute()
            Attachment.update(present=True).where(Attachment.sha256 == sha256).execute()


def _chunk_of(key: str, sender: str) -> bool:
    """Is `key` (under `blobs/partial/`) one of `sender`'s chunks: `…/<sha>/<sender>/<offset>`."""
    parts = key.split("/")
    return len(parts) == 5 and parts[3] == sender and parts[4].isdigit()
