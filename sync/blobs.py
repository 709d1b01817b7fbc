"""Scans on the wire: cut into chunks, each sealed in its own "blob-chunk" parcel addressed by the
scan's SHA-256 (outside the sequence chain), and rejoined and checked on arrival, whatever trip or
connection brought each chunk.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from motcua import errors as E
from sync import crypto
from sync.parcel import DEFAULT_CHUNK_BYTES, ParcelHeader, ParcelRefused, seal_parcel


@dataclass(frozen=True)
class BlobChunk:
    offset: int
    data: bytes


def split_blob(blob: bytes, chunk_size: int = DEFAULT_CHUNK_BYTES) -> list[BlobChunk]:
    """Cut a scan into chunks with their offsets (an empty scan is one empty chunk)."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    return [BlobChunk(off, bytes(blob[off:off + chunk_size]))
            for off in range(0, max(len(blob), 1), chunk_size)]


def build_blob_parcels(sender_id: str, sender_identity: crypto.Identity, recipient_id: str,
                       recipient_enc_pub: bytes, created_at: str, blob: bytes,
                       chunk_size: int = DEFAULT_CHUNK_BYTES) -> list[bytes]:
    """One sealed "blob-chunk" parcel per chunk of a scan, addressed by the scan's sha256."""
    blob_sha256 = crypto.sha256_hex(blob)
    parcels = []
    for chunk in split_blob(blob, chunk_size):
        header = ParcelHeader(sender_id, recipient_id, 0, "", str(created_at), "blob-chunk",
                              crypto.sha256_hex(chunk.data), len(chunk.data), blob_sha256,
                              len(blob), chunk.offset)
        parcels.append(seal_parcel(header, chunk.data, sender_identity, recipient_enc_pub))
    return parcels


def assemble_blob(chunks: Iterable[BlobChunk], blob_sha256: str, blob_length: int) -> bytes:
    """Rejoin chunks (any order, duplicates allowed) and check the scan's hash.
    :raises ParcelRefused: blob_incomplete, blob_hash_mismatch."""
    buffer = bytearray(blob_length)
    reached = 0                    # chunks sorted by offset must cover [0, blob_length) without a hole
    for chunk in sorted(chunks, key=lambda c: c.offset):
        if chunk.offset + len(chunk.data) > blob_length:
            raise ParcelRefused(E.BLOB_OUT_OF_RANGE)
        if chunk.offset > reached:
            break
        buffer[chunk.offset:chunk.offset + len(chunk.data)] = chunk.data
        reached = max(reached, chunk.offset + len(chunk.data))
    if reached < blob_length:
        raise ParcelRefused(E.BLOB_INCOMPLETE)
    if crypto.sha256_hex(bytes(buffer)) != blob_sha256:
        raise ParcelRefused(E.BLOB_HASH_MISMATCH)
    return bytes(buffer)
