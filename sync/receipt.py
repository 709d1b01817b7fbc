"""Signed receipts: how a receiver tells a sender that a parcel was applied (or why not).

Only "applied" and "duplicate" let the sender forget the parcel; "held" and "refused" keep it.
The receipt names the parcel by its SHA-256, so it can be filed beside it on a stick.
"""
from __future__ import annotations

import base64
import json
from typing import Any

from motcua import errors as E
from sync import crypto
from sync.parcel import ParcelHeader, ParcelRefused, canonical_json

RECEIPT_RESULTS = frozenset({"applied", "duplicate", "held", "refused"})


# Refusals of a verified parcel for what it carries. The receiver took the parcel's place in the
# sender's chain without applying any of it, so sending it again cannot help: the sender drops it
# and reports it, and its later parcels go through.
FINAL_REFUSALS = frozenset({"malformed_plaintext", "bad_payload", "unauthorized"})


def build_receipt(center_identity: crypto.Identity, parcel_header: ParcelHeader, parcel_sha256: str,
                  applied_at_hlc: str, result: str, reason: str = "") -> bytes:
    """A receipt signed by whoever received the parcel (the center, or a node downstream).
    Only "applied" and "duplicate" let the sender forget the parcel."""
    if result not in RECEIPT_RESULTS:
        raise ValueError(f"unknown receipt result {result!r}")
    body = {"v": 1, "parcel_sha256": parcel_sha256, "sender": parcel_header.sender,
            "recipient": parcel_header.recipient, "seq": parcel_header.seq,
            "kind": parcel_header.kind, "content_sha256": parcel_header.content_sha256,
            "applied_at": str(applied_at_hlc), "result": result, "reason": reason}
    signature = crypto.sign(canonical_json(body), center_identity, purpose="receipt")
    return canonical_json({"receipt": body, "signature": base64.b64encode(signature).decode()})


def verify_receipt(receipt_bytes: bytes, center_sign_pub: bytes,
                   expected_parcel_sha256: str) -> dict[str, Any]:
    """The receipt's body once its signature and parcel hash check out.
    :raises ParcelRefused: malformed_receipt, bad_signature (forged), receipt_mismatch."""
    try:
        doc = json.loads(bytes(receipt_bytes).decode("utf-8"))
        body, signature = doc["receipt"], base64.b64decode(doc["signature"], validate=True)
        if not isinstance(body, dict):
            raise TypeError("receipt body is not an object")
        signed = canonical_json(body)
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, RecursionError):
        raise ParcelRefused(E.MALFORMED_RECEIPT) from None
    try:
        crypto.verify(signed, signature, center_sign_pub, purpose="receipt")
    except crypto.CryptoRefused:
        raise ParcelRefused(E.RECEIPT_BAD_SIGNATURE) from None
    if not crypto.constant_time_equal(str(body.get("parcel_sha256", "")), expected_parcel_sha256):
        raise ParcelRefused(E.RECEIPT_MISMATCH)
    return body
