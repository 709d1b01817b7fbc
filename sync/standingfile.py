"""Where the center stands with a restored point, by stick: two small signed documents.

A point restored from a backup must not send anything before the center has told it where it
stands (docs/protocol.md "Restoring a point"). With no network the question and the answer ride
the stick: the point writes `up/standing-request.json` (its unit code and a fresh nonce, signed by
its key, purpose `standing-request`); the center answers into `down/standing.json` (the standing,
the same nonce, signed by the center, purpose `standing`). The point takes only an answer that
verifies with its pinned center key, names it, and carries the nonce it is waiting for: an old
answer from an earlier restore, or one for another point, is refused. Pure: bytes in, values out.
"""
from __future__ import annotations

import base64
import json
from typing import Iterable

from motcua import errors as E
from motcua.errors import InvalidInput
from sync import crypto
from sync.parcel import canonical_json

REQUEST_FORMAT = "motcua-standing-request-1"
ANSWER_FORMAT = "motcua-standing-1"
REQUEST_FILE_NAME = "standing-request.json"
ANSWER_FILE_NAME = "standing.json"


def build_request(identity: crypto.Identity, unit_code: str, nonce: str) -> bytes:
    body = {"format": REQUEST_FORMAT, "unit_code": unit_code, "nonce": nonce}
    return _signed(body, identity, "standing-request")


def read_request(raw: bytes, keys: Iterable[crypto.PublicKeys], *, lane_unit: str) -> str:
    """The nonce of a request signed by one of the point's `keys`, for the lane it lies in.
    :raises InvalidInput: bad_standing_request."""
    body = _opened(raw, "request", REQUEST_FORMAT)
    if body.get("unit_code") != lane_unit or not _verifies(body, raw, keys, "standing-request"):
        raise InvalidInput(E.STANDING_FILE_BAD(what="câu hỏi"))
    return _nonce(body, "câu hỏi")


def seal_answer(standing: dict, nonce: str, identity: crypto.Identity) -> bytes:
    body = {"format": ANSWER_FORMAT, "nonce": nonce, "standing": standing}
    return _signed(body, identity, "standing")


def open_answer(raw: bytes, center_sign_pub: bytes, *, unit_code: str, nonce: str) -> dict:
    """The standing in the center's answer to this point's question `nonce`.
    :raises InvalidInput: bad_standing_request (unsigned, another point's, an older question's)."""
    body = _opened(raw, "answer", ANSWER_FORMAT)
    standing = body.get("standing")
    if not _verifies(body, raw, [center_sign_pub], "standing") or not isinstance(standing, dict) \
            or standing.get("unit_code") != unit_code or _nonce(body, "câu trả lời") != nonce:
        raise InvalidInput(E.STANDING_FILE_BAD(what="câu trả lời"))
    return standing


def _signed(body: dict, identity: crypto.Identity, purpose: str) -> bytes:
    signature = crypto.sign(canonical_json(body), identity, purpose=purpose)
    return canonical_json({"body": body, "signature": base64.b64encode(signature).decode()})


def _opened(raw: bytes, what: str, fmt: str) -> dict:
    try:
        body = json.loads(bytes(raw).decode("utf-8"))["body"]
        if not isinstance(body, dict) or body.get("format") != fmt:
            raise ValueError(fmt)
        return body
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise InvalidInput(E.STANDING_FILE_BAD(
            what="câu hỏi" if what == "request" else "câu trả lời")) from None


def _verifies(body: dict, raw: bytes, keys, purpose: str) -> bool:
    try:
        signature = base64.b64decode(str(json.loads(raw)["signature"]), validate=True)
    except (ValueError, KeyError, TypeError):
        return False
    for key in keys:
        pub = key.sign_pub if isinstance(key, crypto.PublicKeys) else key
        try:
            crypto.verify(canonical_json(body), signature, pub, purpose=purpose)
            return True
        except crypto.CryptoRefused:
            continue
    return False


def _nonce(body: dict, what: str) -> str:
    nonce = body.get("nonce")
    if not isinstance(nonce, str) or not 16 <= len(nonce) <= 128:
        raise InvalidInput(E.STANDING_FILE_BAD(what=what))
    return nonce
