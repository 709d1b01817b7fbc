"""The parcel: motcua's one versioned wire format, identical over HTTP and on a USB stick.

Byte layout (all integers big-endian; see docs/protocol.md):

    "MCP1" | version u8 | header_len u32 | header | ciphertext_len u32 | ciphertext | signature[64]

The header is canonical JSON readable without keys (routing, `motcua parcel verify`); it is AEAD
associated data and covered by the sender's Ed25519 signature. The ciphertext seals the
zstd-compressed (level 3) body for the recipient only. Pure functions: callers pass keys, clocks and
the receiver's sequence state in. Receipts are in
`sync.receipt`, scan chunking in `sync.blobs`.
"""
from __future__ import annotations

import json
import re
import struct
from dataclasses import asdict, dataclass
from typing import Any, Callable, Sequence

import zstandard

from motcua import errors as E
from motcua.errors import DomainError
from sync import crypto
from sync.events import Event
from sync.hlc import Stamp

MAGIC = b"MCP1"
FORMAT_VERSION = 1
KINDS = frozenset({"events", "receipt-batch", "blob-chunk", "control"})
CHAINED_KINDS = KINDS - {"blob-chunk"}   # blob chunks are content-addressed, outside the seq chain
MAX_HEADER_BYTES = 16 * 1024
# The largest plaintext a parcel may announce: events parcels are built at <= 512 KiB, scan chunks
# at 1 MiB; a bigger claim is refused before anything is inflated.
MAX_CONTENT_BYTES = 8 * 1024 * 1024
_INFLATE_BLOCK = 256 * 1024
DEFAULT_CHUNK_BYTES = 1024 * 1024
ZSTD_LEVEL = 3

_PREFIX = struct.Struct(">4sBI")          # magic, version, header length
_CT_LEN = struct.Struct(">I")
_NODE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")   # fullmatch; also safe in file names
_HEX64 = re.compile(r"[0-9a-f]{64}")
_BASE_FIELDS = ("sender", "recipient", "seq", "prev_hash", "created_at", "kind",
                "content_sha256", "content_length")
_BLOB_FIELDS = ("blob_sha256", "blob_length", "offset")

KeysLookup = Callable[[str], "crypto.PublicKeys | Sequence[crypto.PublicKeys] | None"]


class ParcelRefused(DomainError):
    """A parcel, receipt or blob was refused; `reason` is a stable code, the message is for people."""
    status = 422

    def __init__(self, message: "E.Message | E.Said | str", message_vi: str | None = None):
        """`ParcelRefused(CATALOGUE_ENTRY(details…))`; the reason is the entry's code. (The older
        `ParcelRefused(reason, message_vi)` still works for code not yet moved to the catalogue.)"""
        if message_vi is None:
            super().__init__(message)
        else:
            super().__init__(message_vi, code=message)
        self.reason = self.code


@dataclass(frozen=True)
class ParcelHeader:
    sender: str
    recipient: str
    seq: int
    prev_hash: str
    created_at: str
    kind: str
    content_sha256: str
    content_length: int
    blob_sha256: str = ""     # the three blob fields are on the wire only for kind "blob-chunk"
    blob_length: int = 0
    offset: int = 0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return data if self.kind == "blob-chunk" else {k: data[k] for k in _BASE_FIELDS}

    @classmethod
    def from_dict(cls, data: Any) -> "ParcelHeader":
        """Validate a decoded header. :raises ParcelRefused: malformed_header."""
        if not isinstance(data, dict):
            raise _malformed("header is not an object")
        expected = set(_BASE_FIELDS) | (set(_BLOB_FIELDS) if data.get("kind") == "blob-chunk" else set())
        if set(data) != expected:
            raise _malformed(f"header fields {sorted(set(data) ^ expected)} missing or unexpected")
        header = cls(**data)
        header.validate()
        return header

    def validate(self) -> None:
        """:raises ParcelRefused: malformed_header when a field has the wrong type or range."""
        def is_int(value: Any) -> bool:
            return isinstance(value, int) and not isinstance(value, bool) and value >= 0
        for name in ("sender", "recipient", "prev_hash", "created_at", "kind", "content_sha256",
                     "blob_sha256"):
            if not isinstance(getattr(self, name), str):
                raise _malformed(f"{name} is not text")
        if not _NODE_ID.fullmatch(self.sender) or not _NODE_ID.fullmatch(self.recipient):
            raise _malformed("sender or recipient is not a node id")
        if self.kind not in KINDS:
            raise _malformed(f"unknown kind {self.kind!r}")
        if not all(is_int(v) for v in (self.seq, self.content_length, self.blob_length, self.offset)):
            raise _malformed("seq and lengths must be non-negative integers")
        if self.kind in CHAINED_KINDS:
            if self.seq < 1 or (self.prev_hash == "") != (self.seq == 1):
                raise _malformed("seq starts at 1, and only seq 1 has no prev_hash")
        elif self.seq != 0 or self.prev_hash != "":
            raise _malformed("blob chunks carry seq 0 and no prev_hash")
        if self.prev_hash and not _HEX64.fullmatch(self.prev_hash):
            raise _malformed("prev_hash is not a sha256")
        if not _HEX64.fullmatch(self.content_sha256):
            raise _malformed("content_sha256 is not a sha256")
        if self.content_length > MAX_CONTENT_BYTES:
            raise _malformed("content too large")
        if self.kind == "blob-chunk" and (not _HEX64.fullmatch(self.blob_sha256)
                                          or self.offset + self.content_length > self.blob_length):
            raise _malformed("blob chunk does not fit its blob")
        try:
            Stamp.parse(self.created_at)
        except ValueError:
            raise _malformed("created_at is not an HLC stamp") from None


@dataclass(frozen=True)
class Parcel:
    """A parsed parcel as it travels; nothing in it is readable beyond the header."""
    header: ParcelHeader
    header_bytes: bytes
    ciphertext: bytes
    signature: bytes
    version: int = FORMAT_VERSION

    def to_wire(self) -> bytes:
        return b"".join((_PREFIX.pack(MAGIC, self.version, len(self.header_bytes)), self.header_bytes,
                         _CT_LEN.pack(len(self.ciphertext)), self.ciphertext, self.signature))

    @classmethod
    def from_wire(cls, data: bytes) -> "Parcel":
        """Parse the layout, without keys. :raises ParcelRefused: bad_magic, unsupported_version,
        truncated, trailing_bytes, malformed_header."""
        data = bytes(data)
        if len(data) < 4 or data[:4] != MAGIC:
            raise ParcelRefused(E.BAD_MAGIC)
        if len(data) < _PREFIX.size:
            raise _truncated()
        _, version, header_len = _PREFIX.unpack_from(data)
        if version != FORMAT_VERSION:
            raise ParcelRefused(E.UNSUPPORTED_VERSION(version=version))
        if header_len > MAX_HEADER_BYTES:
            raise _malformed("header length out of range")
        pos = _PREFIX.size + header_len
        if len(data) < pos + _CT_LEN.size:
            raise _truncated()
        header_bytes = data[_PREFIX.size:pos]
        (ct_len,) = _CT_LEN.unpack_from(data, pos)
        pos += _CT_LEN.size
        end = pos + ct_len + crypto.SIGNATURE_BYTES
        if len(data) != end:
            raise _truncated() if len(data) < end else ParcelRefused(E.TRAILING_BYTES)
        try:
            decoded = json.loads(header_bytes.decode("utf-8"))
            canonical = canonical_json(decoded)
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise _malformed("header is not JSON") from None
        if canonical != header_bytes:
            raise _malformed("header is not in canonical form")
        return cls(ParcelHeader.from_dict(decoded), header_bytes, data[pos:pos + ct_len],
                   data[pos + ct_len:end], version)

    def authenticated_header(self) -> bytes:
        """What the AEAD and the signature bind: magic, version and header, so none can be swapped."""
        return MAGIC + bytes([self.version]) + self.header_bytes


@dataclass(frozen=True)
class OpenedParcel:
    """A parcel that passed every check. `body`: list[Event] for "events", list[dict] for
    "receipt-batch", dict for "control", bytes for "blob-chunk"."""
    header: ParcelHeader
    body: Any
    parcel_sha256: str
    signed_by: crypto.PublicKeys | None = None    # which of the sender's keys verified (rotation)


def canonical_json(value: Any) -> bytes:
    """The one JSON form that is hashed and signed: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      allow_nan=False).encode("utf-8")


def encode_body(kind: str, body: Any) -> bytes:
    """The plaintext for a body, before compression: raw bytes for blob chunks, else canonical JSON."""
    if kind == "blob-chunk":
        return bytes(body)
    if kind == "events":
        body = [ev.to_wire() if isinstance(ev, Event) else ev for ev in body]
    return canonical_json(body)


def seal_parcel(header: ParcelHeader, content: bytes, sender_identity: crypto.Identity,
                recipient_enc_pub: bytes) -> bytes:
    """Compress `content`, seal it under `header` and return the parcel's wire bytes."""
    header.validate()
    header_bytes = canonical_json(header.to_dict())
    draft = Parcel(header, header_bytes, b"", b"")
    compressed = zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(content)
    sealed = crypto.seal(compressed, draft.authenticated_header(), sender_identity, recipient_enc_pub)
    ciphertext, signature = crypto.split_sealed(sealed)
    return Parcel(header, header_bytes, ciphertext, signature).to_wire()


def build_parcel(sender_id: str, sender_identity: crypto.Identity, recipient_id: str,
                 recipient_enc_pub: bytes, seq: int, prev_hash: str, created_at: str, kind: str,
                 body: Any) -> bytes:
    """A signed, encrypted parcel of one whole batch. :raises ParcelRefused: malformed_header."""
    content = encode_body(kind, body)
    header = ParcelHeader(sender_id, recipient_id, seq, prev_hash, str(created_at), kind,
                          crypto.sha256_hex(content), len(content))
    return seal_parcel(header, content, sender_identity, recipient_enc_pub)


def peek_header(data: bytes) -> ParcelHeader:
    """The header, read without any key (routing; nothing is verified). :raises ParcelRefused."""
    return Parcel.from_wire(data).header


def verify_parcel(data: bytes, *, sender_keys_lookup: KeysLookup,
                  expected_recipient: str | None = None) -> ParcelHeader:
    """Check layout, sender and signature with public keys only; decrypts nothing.
    :raises ParcelRefused: layout codes, unknown_sender, bad_signature, wrong_recipient."""
    return _verified(data, sender_keys_lookup, expected_recipient)[0].header


def open_parcel(data: bytes, *, expected_recipient: str, sender_keys_lookup: KeysLookup,
                recipient_identity: crypto.Identity) -> OpenedParcel:
    """Verify, decrypt, decompress and validate a parcel; it is usable whole or refused whole.

    `sender_keys_lookup(sender_id)` returns the sender's pinned keys (a list during a key rotation),
    None for an unknown sender, or raises ParcelRefused("revoked_sender", …) itself.
    :raises ParcelRefused: any code of docs/protocol.md; sequence is checked by `check_sequence`.
    """
    parcel, keys = _verified(data, sender_keys_lookup, expected_recipient)
    header = parcel.header
    try:
        compressed = crypto.open_sealed(parcel.ciphertext + parcel.signature,
                                        parcel.authenticated_header(), keys.sign_pub,
                                        recipient_identity)
    except crypto.CryptoRefused:
        raise ParcelRefused(E.DECRYPT_FAILED) from None
    content = _decompress(compressed, header.content_length)
    if len(content) != header.content_length or crypto.sha256_hex(content) != header.content_sha256:
        raise ParcelRefused(E.CONTENT_HASH_MISMATCH)
    return OpenedParcel(header, _decode_body(header.kind, content), parcel_sha256(data), keys)


def parcel_sha256(data: bytes) -> str:
    """The parcel's identity: sha256 of its exact wire bytes (what prev_hash and receipts name)."""
    return crypto.sha256_hex(bytes(data))


def check_sequence(last_seq: int, last_hash: str, header: ParcelHeader, *,
                   parcel_sha256: str | None = None, applied_sha256: str | None = None) -> str:
    """Decide what a receiver does with a verified parcel, given what it applied from this sender.

    `last_seq`/`last_hash`: seq and sha256 of the last parcel applied from this sender (0, "" before
    any). `parcel_sha256`: this parcel's hash; `applied_sha256`: the hash the receiver recorded for
    `header.seq` when that seq is already applied (None if it kept no record). Returns "apply" (the
    next in the chain), "duplicate" (already applied: apply nothing, receipt again) or "hold" (a gap:
    keep it until the missing parcels arrive). Blob chunks are outside the chain: always "apply".
    :raises ParcelRefused: replayed (a different parcel reuses an applied seq: a node restored from an
        old backup, or a forgery), chain_broken (next seq, but it does not follow the parcel applied).
    """
    if header.kind not in CHAINED_KINDS:
        return "apply"
    if header.seq > last_seq + 1:
        return "hold"
    if header.seq == last_seq + 1:
        if not crypto.constant_time_equal(header.prev_hash, last_hash):
            raise ParcelRefused(E.CHAIN_BROKEN(seq=header.seq, last=last_seq,
                                                             sender=header.sender))
        return "apply"
    known = last_hash if header.seq == last_seq else applied_sha256
    if parcel_sha256 is not None and known and parcel_sha256 != known:
        raise ParcelRefused(E.REPLAYED(seq=header.seq, sender=header.sender))
    return "duplicate"


def parcel_file_name(data: bytes) -> str:
    """A file name for a stick or spool: node ids, seq and a hash of the sealed bytes, no citizen data."""
    header = peek_header(data)
    digest = crypto.sha256_hex(bytes(data))
    if header.kind == "blob-chunk":
        return f"{header.sender}_{header.recipient}_blob_{digest[:32]}.mcp"
    return f"{header.sender}_{header.recipient}_{header.seq:010d}_{digest[:16]}.mcp"


def _verified(data: bytes, lookup: KeysLookup,
              expected_recipient: str | None) -> tuple[Parcel, crypto.PublicKeys]:
    """The parsed parcel and the sender key that signed it; recipient checked after the signature,
    so a flipped recipient byte reads as the tampering it is."""
    parcel = Parcel.from_wire(data)
    sender = parcel.header.sender
    found = lookup(sender)
    if found is None or (not isinstance(found, crypto.PublicKeys) and not found):
        raise ParcelRefused(E.UNKNOWN_SENDER(sender=sender))
    sealed = parcel.ciphertext + parcel.signature
    for keys in [found] if isinstance(found, crypto.PublicKeys) else list(found):
        try:
            crypto.verify_sealed_signature(sealed, parcel.authenticated_header(), keys.sign_pub)
        except crypto.CryptoRefused:
            continue
        if expected_recipient is not None and parcel.header.recipient != expected_recipient:
            raise ParcelRefused(E.WRONG_RECIPIENT(recipient=parcel.header.recipient,
                                                                expected=expected_recipient))
        return parcel, keys
    raise ParcelRefused(E.BAD_SIGNATURE(sender=sender))


def _decompress(compressed: bytes, content_length: int) -> bytes:
    # The frame's declared size must match the signed header, and inflating is streamed with a
    # hard limit (the header's size, itself capped by MAX_CONTENT_BYTES): whatever a frame claims,
    # no parcel inflates beyond what its signed header announced.
    limit = min(content_length, MAX_CONTENT_BYTES)
    try:
        declared = zstandard.frame_content_size(compressed)
        if declared not in (content_length, zstandard.CONTENTSIZE_UNKNOWN):
            raise zstandard.ZstdError("frame size differs from header")
        out = bytearray()
        with zstandard.ZstdDecompressor().stream_reader(compressed) as reader:
            while True:
                block = reader.read(_INFLATE_BLOCK)
                if not block:
                    break
                out += block
                if len(out) > limit:
                    raise zstandard.ZstdError("inflates beyond the announced size")
        return bytes(out)
    except zstandard.ZstdError:
        raise _malformed_plaintext("body is not zstd data of the announced size") from None


def _decode_body(kind: str, content: bytes) -> Any:
    if kind == "blob-chunk":
        return content
    try:
        value = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _malformed_plaintext("body is not UTF-8 JSON") from None
    if kind == "events":
        if not isinstance(value, list):
            raise _malformed_plaintext("events body is not a list")
        try:
            return [Event.from_wire(item) for item in value]
        except (ValueError, TypeError) as exc:
            raise _malformed_plaintext(str(exc)) from None
    if kind == "receipt-batch" and not (isinstance(value, list)
                                        and all(isinstance(r, dict) for r in value)):
        raise _malformed_plaintext("receipt batch is not a list of receipts")
    if kind == "control" and not isinstance(value, dict):
        raise _malformed_plaintext("control body is not an object")
    return value


def _malformed(detail: str) -> ParcelRefused:
    return ParcelRefused(E.MALFORMED_HEADER(detail=detail))


def _malformed_plaintext(detail: str) -> ParcelRefused:
    return ParcelRefused(E.MALFORMED_PLAINTEXT(detail=detail))


def _truncated() -> ParcelRefused:
    return ParcelRefused(E.TRUNCATED)
