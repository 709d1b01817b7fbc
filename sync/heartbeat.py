"""A point's heartbeat: what it tells the center on every round, even an idle one, and on every
stick — its software version, what still waits to go (events, scans, bytes, the oldest waiting),
disk free, its last backup, its clock, and the catalogue and calendar versions in force.

One small signed document, the same over HTTP (`POST /sync/v1/heartbeat`) and on a USB stick
(`up/heartbeat.json`): the body signed by the point's key (purpose `heartbeat`), so a stick cannot
forge or move one; its shape is checked (`sync.schema.HEARTBEAT`) and it speaks only for the point
that signed it (`sync.policy.authorize_heartbeat`). Pure: bytes in, values out.
"""
from __future__ import annotations

import base64
import json
from typing import Iterable

from motcua import errors as E
from motcua.errors import InvalidInput
from sync import crypto
from sync.parcel import canonical_json

FORMAT = "motcua-heartbeat-1"
FILE_NAME = "heartbeat.json"
PURPOSE = "heartbeat"
MAX_BYTES = 16 * 1024


def seal(body: dict, identity: crypto.Identity) -> bytes:
    """The signed document carrying `body` (built by `node.heartbeat.gather`)."""
    signed = canonical_json({"format": FORMAT, **body})
    return canonical_json({"heartbeat": json.loads(signed), "signature": base64.b64encode(
        crypto.sign(signed, identity, purpose=PURPOSE)).decode()})


def open_heartbeat(raw: bytes, keys: Iterable[crypto.PublicKeys] | None, *, sender: str) -> dict:
    """The body of a heartbeat from `sender`, once its signature verifies with one of `keys` (the
    point's pinned keys), its shape is right and it speaks for `sender` only.
    :raises InvalidInput: bad_heartbeat (damaged, unsigned, wrong shape) or foreign_heartbeat."""
    from sync.policy import authorize_heartbeat
    from sync.schema import SchemaError, check_heartbeat
    try:
        if len(raw) > MAX_BYTES:
            raise ValueError("too large")
        doc = json.loads(bytes(raw).decode("utf-8"))
        body, signature = doc["heartbeat"], base64.b64decode(str(doc["signature"]), validate=True)
        if not isinstance(body, dict) or body.get("format") != FORMAT:
            raise ValueError("format")
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        raise InvalidInput(E.HEARTBEAT_BAD(why="không đọc được")) from None
    if not _verifies(canonical_json(body), signature, keys or []):
        raise InvalidInput(E.HEARTBEAT_BAD(why="chữ ký không đúng"))
    try:
        check_heartbeat(body)
    except SchemaError as exc:
        raise InvalidInput(E.HEARTBEAT_BAD(why=str(exc))) from None
    refusal = authorize_heartbeat(body, sender=sender)
    if refusal is not None:
        raise InvalidInput(refusal)
    return body


def _verifies(message: bytes, signature: bytes, keys: Iterable[crypto.PublicKeys]) -> bool:
    for key in keys:
        try:
            crypto.verify(message, signature, key.sign_pub, purpose=PURPOSE)
            return True
        except crypto.CryptoRefused:
            continue
    return False
