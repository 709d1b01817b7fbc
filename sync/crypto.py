"""All of motcua's cryptography, built only from `cryptography`'s standard constructions.

A point or the center holds one `Identity`: an Ed25519 key that signs and an X25519 key that receives.
Only `PublicKeys` ever leave the machine. `seal` encrypts to a recipient with a fresh ephemeral X25519
key, HKDF-SHA256 and ChaCha20-Poly1305, and signs header + ciphertext with the sender's Ed25519 key;
`open_sealed` checks that signature against the sender's pinned key before it decrypts anything.
Every failure is one exception type, `CryptoRefused`, with a stable reason code.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from motcua.files import write_durably

KEY_BYTES = 32
SIGNATURE_BYTES = 64
TAG_BYTES = 16
SEAL_OVERHEAD = KEY_BYTES + TAG_BYTES + SIGNATURE_BYTES  # ephemeral key + AEAD tag + signature

_SEAL_LABEL = b"motcua/seal/v1"          # HKDF info prefix and the seal's signature namespace
_SIGN_LABEL = b"motcua/sign/v1/"         # namespace for sign(); the purpose follows it
_RAW = serialization.Encoding.Raw
_IDENTITY_FILE_VERSION = 1


class CryptoRefused(Exception):
    """A key, signature or ciphertext was refused; `reason` is a stable machine code."""

    def __init__(self, reason: str, message: str):
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class PublicKeys:
    """What a party publishes and others pin: raw Ed25519 and X25519 public keys."""
    sign_pub: bytes
    enc_pub: bytes

    def __post_init__(self) -> None:
        if len(self.sign_pub) != KEY_BYTES or len(self.enc_pub) != KEY_BYTES:
            raise CryptoRefused("bad_key", "public keys must be 32 raw bytes each")

    def to_dict(self) -> dict[str, str]:
        return {"sign_pub": _b64(self.sign_pub), "enc_pub": _b64(self.enc_pub)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "PublicKeys":
        """Read keys published by `to_dict` (base64 or hex). :raises CryptoRefused: bad_key."""
        try:
            return cls(_decode_key_text(data["sign_pub"]), _decode_key_text(data["enc_pub"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise CryptoRefused("bad_key", f"unreadable public keys: {exc}") from None

    def canonical_bytes(self) -> bytes:
        """The fixed byte form that fingerprints and key endorsements cover."""
        return self.sign_pub + self.enc_pub

    def fingerprint(self) -> str:
        """A short text a technician can read aloud to compare keys, e.g. `3f2a-9c01-77be-0d4e`."""
        digest = hashlib.sha256(b"motcua/fingerprint/v1" + self.canonical_bytes()).hexdigest()[:16]
        return "-".join(digest[i:i + 4] for i in range(0, 16, 4))


@dataclass(frozen=True)
class Identity:
    """One party's private keys. Made on the machine that uses them; never sent anywhere."""
    sign_key: Ed25519PrivateKey
    enc_key: X25519PrivateKey

    def public_keys(self) -> PublicKeys:
        return PublicKeys(self.sign_key.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw),
                          self.enc_key.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw))

    def to_bytes(self) -> bytes:
        """The private keys as a small JSON document (raw keys in base64), for a 0600 file."""
        raw = serialization.PrivateFormat.Raw
        none = serialization.NoEncryption()
        doc = {"version": _IDENTITY_FILE_VERSION,
               "sign_private": _b64(self.sign_key.private_bytes(_RAW, raw, none)),
               "enc_private": _b64(self.enc_key.private_bytes(_RAW, raw, none))}
        return json.dumps(doc, sort_keys=True).encode() + b"\n"

    @classmethod
    def from_bytes(cls, data: bytes) -> "Identity":
        """Read `to_bytes` output. :raises CryptoRefused: bad_key when it is not one."""
        try:
            doc = json.loads(data)
            if doc.get("version") != _IDENTITY_FILE_VERSION:
                raise ValueError(f"unknown identity file version {doc.get('version')!r}")
            sign_raw = base64.b64decode(doc["sign_private"], validate=True)
            enc_raw = base64.b64decode(doc["enc_private"], validate=True)
            return cls(Ed25519PrivateKey.from_private_bytes(sign_raw),
                       X25519PrivateKey.from_private_bytes(enc_raw))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise CryptoRefused("bad_key", f"unreadable identity: {exc}") from None


def generate_identity() -> Identity:
    """Fresh signing and encryption keys from the OS random source."""
    return Identity(Ed25519PrivateKey.generate(), X25519PrivateKey.generate())


def save_identity(identity: Identity, path: str | os.PathLike) -> None:
    """Write the private keys with mode 0600: tmp file, fsync, rename, so a power cut leaves old or new."""
    write_durably(path, identity.to_bytes(), mode=0o600)


def load_identity(path: str | os.PathLike) -> Identity:
    """Read keys written by `save_identity`. :raises CryptoRefused: bad_key; OSError when absent."""
    return Identity.from_bytes(Path(path).read_bytes())


def seal(plaintext: bytes, header: bytes, sender: Identity, recipient_enc_pub: bytes) -> bytes:
    """Encrypt to the recipient and sign; returns `ephemeral_pub | aead_ciphertext | signature`.

    The header is AEAD associated data, is bound into the HKDF info, and is covered by the signature,
    so it cannot be swapped without both checks failing.
    """
    recipient = _x25519_public(recipient_enc_pub)
    ephemeral = X25519PrivateKey.generate()
    ephemeral_pub = ephemeral.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
    try:
        shared = ephemeral.exchange(recipient)
    except ValueError:                  # a low-order point: no secret could come of it
        raise CryptoRefused("bad_key", "recipient key is not usable for X25519") from None
    key, nonce = _derive(shared, ephemeral_pub, recipient_enc_pub, header)
    body = ephemeral_pub + ChaCha20Poly1305(key).encrypt(nonce, plaintext, header)
    return body + sender.sign_key.sign(_seal_signed_message(header, body))


def open_sealed(sealed: bytes, header: bytes, sender_sign_pub: bytes, recipient: Identity) -> bytes:
    """Check the sender's signature, then decrypt. :raises CryptoRefused: truncated, bad_key,
    bad_signature (nothing decrypted), decrypt_failed."""
    if len(sealed) < SEAL_OVERHEAD:
        raise CryptoRefused("truncated", "sealed data shorter than its fixed overhead")
    verify_sealed_signature(sealed, header, sender_sign_pub)
    body = sealed[:-SIGNATURE_BYTES]
    ephemeral_pub, ciphertext = body[:KEY_BYTES], body[KEY_BYTES:]
    own_pub = recipient.public_keys().enc_pub
    try:
        shared = recipient.enc_key.exchange(_x25519_public(ephemeral_pub))
        key, nonce = _derive(shared, ephemeral_pub, own_pub, header)
        return ChaCha20Poly1305(key).decrypt(nonce, ciphertext, header)
    except (InvalidTag, ValueError, CryptoRefused):
        raise CryptoRefused("decrypt_failed", "not encrypted to this recipient, or altered") from None


def verify_sealed_signature(sealed: bytes, header: bytes, sender_sign_pub: bytes) -> None:
    """Check only the signature of a `seal` result: needs public keys alone, reveals nothing.
    :raises CryptoRefused: truncated, bad_key, bad_signature."""
    if len(sealed) < SEAL_OVERHEAD:
        raise CryptoRefused("truncated", "sealed data shorter than its fixed overhead")
    body, signature = split_sealed(sealed)
    try:
        _ed25519_public(sender_sign_pub).verify(signature, _seal_signed_message(header, body))
    except InvalidSignature:
        raise CryptoRefused("bad_signature", "signature does not match the sender's key") from None


def split_sealed(sealed: bytes) -> tuple[bytes, bytes]:
    """`(ciphertext, signature)` of a `seal` result, for formats that store them apart."""
    return sealed[:-SIGNATURE_BYTES], sealed[-SIGNATURE_BYTES:]


def sign(data: bytes, identity: Identity, purpose: str = "message") -> bytes:
    """Sign `data` in the namespace `purpose`, so a receipt signature never passes as an enrollment one."""
    return identity.sign_key.sign(_namespaced(purpose, data))


def verify(data: bytes, signature: bytes, sign_pub: bytes, purpose: str = "message") -> None:
    """Check a `sign` signature. :raises CryptoRefused: bad_signature or bad_key."""
    try:
        _ed25519_public(sign_pub).verify(bytes(signature), _namespaced(purpose, data))
    except (InvalidSignature, ValueError):
        raise CryptoRefused("bad_signature", f"{purpose} signature does not verify") from None


def endorse_new_key(old_identity: Identity, new_keys: PublicKeys, node_id: str = "") -> bytes:
    """The old signing key vouches for the new keys (rotation): a signature to send with them."""
    return sign(_endorsement_message(new_keys, node_id), old_identity, purpose="key-endorsement")


def verify_endorsement(old_sign_pub: bytes, new_keys: PublicKeys, signature: bytes,
                       node_id: str = "") -> None:
    """Accept new keys only when signed by the pinned old key. :raises CryptoRefused: bad_endorsement."""
    try:
        verify(_endorsement_message(new_keys, node_id), signature, old_sign_pub,
               purpose="key-endorsement")
    except CryptoRefused:
        raise CryptoRefused("bad_endorsement", "new keys are not signed by the old key") from None


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def random_token(nbytes: int = 32) -> str:
    """An unguessable URL-safe token (enrollment, sessions)."""
    return secrets.token_urlsafe(nbytes)


def constant_time_equal(a: bytes | str, b: bytes | str) -> bool:
    """Compare secrets without leaking, through timing, how many leading bytes matched."""
    if isinstance(a, str):
        a = a.encode()
    if isinstance(b, str):
        b = b.encode()
    return hmac.compare_digest(a, b)


def _derive(shared: bytes, ephemeral_pub: bytes, recipient_pub: bytes,
            header: bytes) -> tuple[bytes, bytes]:
    # Each derived key encrypts exactly one message (the ephemeral key is fresh), so deriving the
    # nonce alongside the key is safe and keeps it off the wire.
    okm = HKDF(algorithm=hashes.SHA256(), length=32 + 12, salt=ephemeral_pub + recipient_pub,
               info=_SEAL_LABEL + b"\x00" + hashlib.sha256(header).digest()).derive(shared)
    return okm[:32], okm[32:]


def _seal_signed_message(header: bytes, body: bytes) -> bytes:
    # Length-prefix the header so no split of header|body can be shifted into another valid one.
    return _SEAL_LABEL + struct.pack(">I", len(header)) + header + body


def _namespaced(purpose: str, data: bytes) -> bytes:
    if not purpose or "\x00" in purpose:
        raise ValueError("a signing purpose must be a non-empty name")
    return _SIGN_LABEL + purpose.encode() + b"\x00" + bytes(data)


def _endorsement_message(new_keys: PublicKeys, node_id: str) -> bytes:
    return node_id.encode() + b"\x00" + new_keys.canonical_bytes()


def _ed25519_public(raw: bytes) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(bytes(raw))
    except ValueError:
        raise CryptoRefused("bad_key", "not a 32-byte Ed25519 public key") from None


def _x25519_public(raw: bytes) -> X25519PublicKey:
    try:
        return X25519PublicKey.from_public_bytes(bytes(raw))
    except ValueError:
        raise CryptoRefused("bad_key", "not a 32-byte X25519 public key") from None


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _decode_key_text(text: str) -> bytes:
    """Accept a key as 64 hex digits or base64 (what `to_dict` writes)."""
    text = str(text).strip()
    if len(text) == 2 * KEY_BYTES and all(c in "0123456789abcdefABCDEF" for c in text):
        return bytes.fromhex(text)
    return base64.b64decode(text, validate=True)



# --- passphrase encryption (backups) --------------------------------------------------------------
#
# `MCB1` ‖ version 1 ‖ salt (16) ‖ u8 log2(N) ‖ u8 r ‖ u8 p, then records `u32 length ‖ AEAD output`.
# Key: scrypt(passphrase, salt, N, r, p) → 32 bytes for ChaCha20-Poly1305. Each record seals up to
# `BACKUP_CHUNK` bytes of plaintext under the nonce `u88 record number ‖ u8 last?` with the header as
# associated data (the STREAM construction): records cannot be reordered, dropped, or cut off at the
# end unnoticed, and a file can be of any size without being held in memory.

BACKUP_MAGIC = b"MCB1\x01"
BACKUP_CHUNK = 1 << 20
SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P = 15, 8, 1     # ~32 MB of memory, ~0.1 s here; fine on 2 GB


def _passphrase_key(passphrase: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    if not 10 <= log2_n <= 20 or not 1 <= r <= 32 or not 1 <= p <= 16:
        raise CryptoRefused("bad_backup", "unsupported scrypt parameters")
    return hashlib.scrypt(passphrase.encode("utf-8"), salt=salt, n=1 << log2_n, r=r, p=p,
                          maxmem=256 << 20, dklen=32)


def _stream_nonce(counter: int, last: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


class PassphraseWriter:
    """A write-only file object: what is written goes out encrypted under a passphrase.
    `close()` seals the last record (without it the file reads as cut short)."""

    def __init__(self, out, passphrase: str):
        salt = secrets.token_bytes(16)
        self.header = BACKUP_MAGIC + salt + bytes([SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P])
        self._aead = ChaCha20Poly1305(_passphrase_key(passphrase, salt, SCRYPT_LOG2_N,
                                                      SCRYPT_R, SCRYPT_P))
        self._out = out
        self._buffer = bytearray()
        self._counter = 0
        self._closed = False
        out.write(self.header)

    def write(self, data) -> int:
        self._buffer += data
        while len(self._buffer) > BACKUP_CHUNK:
            self._emit(bytes(self._buffer[:BACKUP_CHUNK]), last=False)
            del self._buffer[:BACKUP_CHUNK]
        return len(data)

    def _emit(self, chunk: bytes, last: bool) -> None:
        sealed = self._aead.encrypt(_stream_nonce(self._counter, last), chunk, self.header)
        self._out.write(struct.pack(">I", len(sealed)) + sealed)
        self._counter += 1

    def close(self) -> None:
        if not self._closed:
            self._emit(bytes(self._buffer), last=True)
            self._buffer.clear()
            self._closed = True


class PassphraseReader:
    """A read-only file object over a `PassphraseWriter` file.
    :raises CryptoRefused: `bad_backup` (not such a file), `bad_passphrase` (wrong passphrase or
        altered: the first record does not open), `truncated` (cut short or altered later)."""

    def __init__(self, src, passphrase: str):
        head = src.read(len(BACKUP_MAGIC) + 19)
        if len(head) != len(BACKUP_MAGIC) + 19 or not head.startswith(BACKUP_MAGIC):
            raise CryptoRefused("bad_backup", "not a motcua backup file")
        self.header = head
        salt, params = head[len(BACKUP_MAGIC):-3], head[-3:]
        self._aead = ChaCha20Poly1305(_passphrase_key(passphrase, salt, *params))
        self._src = src
        self._counter = 0
        self._buffer = b""
        self._done = False

    def _next(self) -> None:
        size_raw = self._src.read(4)
        if len(size_raw) != 4:
            raise CryptoRefused("truncated", "backup file cut short")
        (size,) = struct.unpack(">I", size_raw)
        if size > BACKUP_CHUNK + 16:
            raise CryptoRefused("truncated", "backup record too large: altered")
        sealed = self._src.read(size)
        if len(sealed) != size:
            raise CryptoRefused("truncated", "backup file cut short")
        for last in (False, True):
            try:
                self._buffer += self._aead.decrypt(_stream_nonce(self._counter, last), sealed,
                                                   self.header)
                self._done = last
                break
            except InvalidTag:
                continue
        else:
            if self._counter == 0:
                raise CryptoRefused("bad_passphrase", "wrong passphrase, or the file was altered")
            raise CryptoRefused("truncated", f"backup record {self._counter} altered")
        self._counter += 1
        if self._done and self._src.read(1):
            raise CryptoRefused("trailing_bytes", "bytes after the last backup record")

    def read(self, n: int = -1) -> bytes:
        while not self._done and (n < 0 or len(self._buffer) < n):
            self._next()
        if n < 0:
            out, self._buffer = self._buffer, b""
        else:
            out, self._buffer = self._buffer[:n], self._buffer[n:]
        return out
