"""Enrolling a point with no network at all: an enrollment file in, a sealed request out by stick.

1. The center writes an *offer* (`motcua central enroll-token … --file F`): the point's unit code and
   name, a one-time token, its expiry, and the center's public keys, signed by the center.
2. `motcua node enroll --enroll-file F` checks the offer's signature (and, when the technician was
   given one, the center's fingerprint), makes the point's keys here, pins the center's keys, and
   keeps a *request*: the point's public keys in an authenticated header, and the token with a proof
   of key possession sealed to the center, so the token never lies in clear on the stick.
3. The next `node export` carries the request in the point's lane; `central import` redeems it
   (`central.enrollment.redeem_enroll_request`) before it ingests that lane's parcels.

Pure: bytes in, bytes or values out; all cryptography through `sync.crypto`.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime

from motcua import errors as E
from motcua.errors import InvalidInput
from sync import crypto
from sync.parcel import canonical_json

OFFER_FORMAT = "motcua-enroll-offer-1"
REQUEST_FORMAT = "motcua-enroll-request-1"
REQUEST_FILE_NAME = "enroll-request.json"


@dataclass(frozen=True)
class EnrollOffer:
    unit_code: str
    name: str
    token: str
    expires_at: datetime
    center_keys: crypto.PublicKeys
    history: bool = False        # the center holds a past of this unit code (see below)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _refused(message: E.Said | E.Message) -> InvalidInput:
    return InvalidInput(message, field="enroll_file")


def history_message(keys: crypto.PublicKeys, unit_code: str, history: bool) -> bytes:
    """What the center signs (purpose `enrollment`) in its HTTP answer to tell the point it
    enrolled whether it holds a past of that unit code: a point installed from nothing then waits
    for the center's standing before it sends anything (docs/protocol.md "Enrollment")."""
    return canonical_json({"format": "motcua-enroll-history-1", "unit_code": unit_code,
                           "public_keys": keys.to_dict(), "history": bool(history)})


def build_offer(center: crypto.Identity, unit_code: str, name: str, token: str,
                expires_at: datetime, *, history: bool = False) -> bytes:
    """The file a technician carries to a point that has no link; `history`: the center holds
    a past of this unit code (a point installed from nothing waits for its standing)."""
    body = {"format": OFFER_FORMAT, "unit_code": unit_code, "name": name, "token": token,
            "expires_at": expires_at.isoformat(timespec="seconds"),
            "center_keys": center.public_keys().to_dict(), "history": bool(history)}
    signature = crypto.sign(canonical_json(body), center, purpose="enroll-offer")
    return json.dumps({**body, "signature": _b64(signature)}, ensure_ascii=False,
                      indent=1).encode("utf-8")


def read_offer(data: bytes) -> EnrollOffer:
    """Parse and check an offer against the keys it carries. :raises InvalidInput: not a valid one."""
    try:
        doc = json.loads(data.decode("utf-8"))
        signature = base64.b64decode(doc.pop("signature"), validate=True)
        if doc.get("format") != OFFER_FORMAT:
            raise ValueError("format")
        keys = crypto.PublicKeys.from_dict(doc["center_keys"])
        crypto.verify(canonical_json(doc), signature, keys.sign_pub, purpose="enroll-offer")
        return EnrollOffer(str(doc["unit_code"]), str(doc["name"]), str(doc["token"]),
                           datetime.fromisoformat(doc["expires_at"]), keys,
                           doc.get("history") is True)
    except crypto.CryptoRefused:
        raise _refused(E.ENROLL_FILE_FORGED) from None
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        raise _refused(E.ENROLL_FILE_BAD) from None


def _request_header(unit_code: str, keys: crypto.PublicKeys) -> bytes:
    return canonical_json({"format": REQUEST_FORMAT, "unit_code": unit_code,
                           "public_keys": keys.to_dict()})


def build_request(point: crypto.Identity, unit_code: str, token: str,
                  center_enc_pub: bytes) -> bytes:
    """The point's answer to an offer, sealed to the center and signed with the point's new key."""
    keys = point.public_keys()
    header = _request_header(unit_code, keys)
    proof = crypto.sign(token.encode(), point, purpose="enrollment")
    secret = canonical_json({"token": token, "proof": _b64(proof)})
    sealed = crypto.seal(secret, header, point, center_enc_pub)
    return canonical_json({"header": _b64(header), "sealed": _b64(sealed)})


def open_request(data: bytes, center: crypto.Identity) -> tuple[str, crypto.PublicKeys, str]:
    """(unit code, the point's public keys, token) from a request.

    :raises InvalidInput: malformed, not signed by the keys it announces, or not for this center.
    """
    try:
        doc = json.loads(data.decode("utf-8"))
        header = base64.b64decode(doc["header"], validate=True)
        sealed = base64.b64decode(doc["sealed"], validate=True)
        head = json.loads(header)
        if head.get("format") != REQUEST_FORMAT:
            raise ValueError("format")
        keys = crypto.PublicKeys.from_dict(head["public_keys"])
        secret = json.loads(crypto.open_sealed(sealed, header, keys.sign_pub, center))
        token = str(secret["token"])
        crypto.verify(token.encode(), base64.b64decode(secret["proof"], validate=True),
                      keys.sign_pub, purpose="enrollment")
        return str(head["unit_code"]), keys, token
    except crypto.CryptoRefused as exc:
        raise _refused(E.ENROLL_REQUEST_INVALID(reason=exc.reason)) from None
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        raise _refused(E.ENROLL_REQUEST_BAD) from None
