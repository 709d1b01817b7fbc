"""A point's key rotation as two small signed documents, the same over HTTP and on a USB stick.

1. The *request* (point → center): the point's unit code, its NEW public keys, and the
   endorsement of those keys by its CURRENT signing key (`crypto.endorse_new_key`). No secret in
   it: it may lie in clear on a stick (`up/rotate-request.json`).
2. The *answer* (center → point): the center's signature (purpose `key-rotation`) over the unit
   code and the keys it now holds for the point. The point switches to its new keys only on an
   answer that verifies with the pinned center key and names exactly its pending new keys; on a
   stick it lies at `down/rotate-answer.json`.

Pure: bytes in, values out; all cryptography through `sync.crypto`.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from motcua import errors as E
from motcua.errors import InvalidInput
from sync import crypto
from sync.parcel import canonical_json

REQUEST_FORMAT = "motcua-key-rotation-1"
ANSWER_FORMAT = "motcua-key-rotation-answer-1"
REQUEST_FILE_NAME = "rotate-request.json"
ANSWER_FILE_NAME = "rotate-answer.json"


@dataclass(frozen=True)
class RotationRequest:
    unit_code: str
    new_keys: crypto.PublicKeys
    endorsement: bytes


def _refused(message: E.Said | E.Message) -> InvalidInput:
    return InvalidInput(message)


def build_request(old: crypto.Identity, new_keys: crypto.PublicKeys, unit_code: str) -> bytes:
    """The point's request: new public keys, endorsed by the key the center has pinned."""
    return canonical_json({"format": REQUEST_FORMAT, "unit_code": unit_code,
                           "public_keys": new_keys.to_dict(),
                           "endorsement": base64.b64encode(
                               crypto.endorse_new_key(old, new_keys, unit_code)).decode()})


def read_request(data: bytes | dict) -> RotationRequest:
    """Parse a request (the endorsement is checked by the center, against its pinned key).
    :raises InvalidInput: bad_rotation_request when it is not one."""
    try:
        doc = data if isinstance(data, dict) else json.loads(bytes(data).decode("utf-8"))
        if doc.get("format") != REQUEST_FORMAT:
            raise ValueError("format")
        return RotationRequest(str(doc["unit_code"]), crypto.PublicKeys.from_dict(doc["public_keys"]),
                               base64.b64decode(str(doc["endorsement"]), validate=True))
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError,
            crypto.CryptoRefused):
        raise _refused(E.ROTATION_REQUEST_BAD) from None


def build_answer(center: crypto.Identity, unit_code: str, keys: crypto.PublicKeys,
                 rotated_at: str) -> bytes:
    """The center's word that it now holds `keys` for `unit_code`."""
    body = {"format": ANSWER_FORMAT, "unit_code": unit_code, "public_keys": keys.to_dict(),
            "rotated_at": rotated_at}
    signature = crypto.sign(canonical_json(body), center, purpose="key-rotation")
    return canonical_json({**body, "signature": base64.b64encode(signature).decode()})


def read_answer(data: bytes | dict, center_sign_pub: bytes, unit_code: str) -> crypto.PublicKeys:
    """The keys the center confirms for this point. :raises InvalidInput: bad_rotation_answer when
    unreadable, not signed by the pinned center key, or for another point."""
    try:
        doc = dict(data) if isinstance(data, dict) else json.loads(bytes(data).decode("utf-8"))
        signature = base64.b64decode(str(doc.pop("signature")), validate=True)
        if doc.get("format") != ANSWER_FORMAT:
            raise ValueError("format")
        crypto.verify(canonical_json(doc), signature, center_sign_pub, purpose="key-rotation")
        keys = crypto.PublicKeys.from_dict(doc["public_keys"])
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError,
            crypto.CryptoRefused):
        raise InvalidInput(E.ROTATION_ANSWER_UNSIGNED) from None
    if doc.get("unit_code") != unit_code:
        raise InvalidInput(E.ROTATION_ANSWER_WRONG_UNIT(unit=doc.get('unit_code'), me=unit_code))
    return keys
