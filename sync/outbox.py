"""The sender's spool: parcels built once, kept on disk until a verified receipt lets them go.

A parcel in the chain must be sent byte-identical until acknowledged (a rebuilt one would carry a
new ephemeral key, hence other bytes: the receiver would call it `replayed`), and a half-sent blob
chunk must resume on the same bytes. So every parcel is written here (tmp → fsync → rename) before
it is offered, and the chain state (`chain.json`: last seq, its hash, the last journal row spooled)
is advanced only after. After a crash, a parcel file newer than `chain.json` is adopted, not rebuilt.
Pure of any database: callers hand in the journal rows and do the acknowledging.
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from motcua.files import sweep_temporaries, write_durably
from sync import crypto
from sync.events import Event
from sync.parcel import DEFAULT_CHUNK_BYTES, ParcelHeader, build_parcel, encode_body, seal_parcel

logger = logging.getLogger(__name__)

MAX_EVENTS_PER_PARCEL = 500
MAX_PLAINTEXT_PER_PARCEL = 512 * 1024


@dataclass(frozen=True)
class Spooled:
    seq: int
    path: Path
    first: int        # journal rows (the sender's local order) this parcel carries, inclusive
    last: int
    sha256: str

    def read(self) -> bytes:
        return self.path.read_bytes()




class Spool:
    """One sender → one recipient: `<seq>.mcp` + `<seq>.json` files and `chain.json`."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        (self.folder / "blobs").mkdir(parents=True, exist_ok=True)
        sweep_temporaries(self.folder)
        self._recover()

    def chain(self) -> dict:
        path = self.folder / "chain.json"
        if not path.exists():
            return {"last_seq": 0, "last_hash": "", "through": 0}
        return json.loads(path.read_text())

    def _recover(self) -> None:
        chain = self.chain()
        for item in self.waiting():
            if item.seq > chain["last_seq"]:       # built, but the crash came before chain.json
                chain = {"last_seq": item.seq, "last_hash": item.sha256, "through": item.last}
                write_durably(self.folder / "chain.json", json.dumps(chain).encode())
                logger.info("spool: adopted parcel %d written before a crash", item.seq)

    def waiting(self) -> list[Spooled]:
        """Parcels built and not yet acknowledged, oldest first."""
        out = []
        for meta in sorted(self.folder.glob("*.json")):
            if not meta.stem.isdigit():
                continue
            path = meta.with_suffix(".mcp")
            if not path.exists():               # the crash came between the two files
                meta.unlink(missing_ok=True)
                continue
            info = json.loads(meta.read_text())
            out.append(Spooled(int(meta.stem), path, info["first"], info["last"], info["sha256"]))
        return out

    def add_events(self, sender: str, identity: crypto.Identity, recipient: str,
                   recipient_enc_pub: bytes, rows: Sequence[tuple[int, Event]], created_at: str,
                   *, max_events: int = MAX_EVENTS_PER_PARCEL,
                   max_bytes: int = MAX_PLAINTEXT_PER_PARCEL) -> list[Spooled]:
        """Build chained `events` parcels of `rows` ((journal row, event), in journal order) not
        spooled yet; returns the new parcels. Whole batches, compressed once (docs/protocol.md)."""
        chain = self.chain()
        rows = [r for r in rows if r[0] > chain["through"]]
        built = []
        while rows:
            batch, size = [], 0
            for row in rows:
                cost = len(encode_body("events", [row[1]]))
                if batch and (len(batch) >= max_events or size + cost > max_bytes):
                    break
                batch.append(row)
                size += cost
            rows = rows[len(batch):]
            seq = chain["last_seq"] + 1
            data = build_parcel(sender, identity, recipient, recipient_enc_pub, seq,
                                chain["last_hash"], created_at, "events", [e for _, e in batch])
            item = Spooled(seq, self.folder / f"{seq:010d}.mcp", batch[0][0], batch[-1][0],
                           crypto.sha256_hex(data))
            write_durably(self.folder / f"{seq:010d}.json", json.dumps(
                {"first": item.first, "last": item.last, "sha256": item.sha256}).encode())
            write_durably(item.path, data)
            chain = {"last_seq": seq, "last_hash": item.sha256, "through": item.last}
            write_durably(self.folder / "chain.json", json.dumps(chain).encode())
            built.append(item)
            logger.info("parcel %d spooled (%d events)", seq, len(batch))
        return built

    def remove(self, item: Spooled) -> None:
        """Forget a parcel the recipient acknowledged (after the caller recorded the ack)."""
        item.path.unlink(missing_ok=True)
        item.path.with_suffix(".json").unlink(missing_ok=True)

    def blob_chunk(self, sender: str, identity: crypto.Identity, recipient: str,
                   recipient_enc_pub: bytes, created_at: str, blob: bytes, blob_sha256: str,
                   offset: int, chunk_bytes: int = DEFAULT_CHUNK_BYTES, *,
                   keep: bool = True) -> tuple[Path, bytes]:
        """The `blob-chunk` parcel for `blob[offset:…]`: the one kept at `path` when there is
        one, else built now and (with `keep`) kept there until acknowledged. Without `keep` the
        caller writes it only if it must wait (a live upload cut off)."""
        path = self.folder / "blobs" / f"{blob_sha256}_{offset:015d}.mcp"
        if path.exists():
            return path, path.read_bytes()
        chunk = blob[offset:offset + chunk_bytes]
        header = ParcelHeader(sender, recipient, 0, "", created_at, "blob-chunk",
                              crypto.sha256_hex(chunk), len(chunk), blob_sha256, len(blob), offset)
        data = seal_parcel(header, chunk, identity, recipient_enc_pub)
        if keep:
            write_durably(path, data)
        return path, data
