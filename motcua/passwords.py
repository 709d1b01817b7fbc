"""Password and API-token hashing for clerks and officers (both sides use it).

scrypt (memory-hard, in the standard library) for passwords; tokens are long random strings, so a
plain SHA-256 of them is enough to store and look up.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from motcua import errors as E

_N, _R, _P, _DKLEN = 2 ** 14, 8, 1, 32      # 16 MB of memory per hash


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=_DKLEN)
    return "scrypt${}${}${}${}${}".format(_N, _R, _P, base64.b64encode(salt).decode(),
                                          base64.b64encode(key).decode())


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(key)
        got = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n),
                             r=int(r), p=int(p), dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def new_api_token() -> str:
    return "mc_" + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_new_password(password: str) -> None:
    """:raises ValueError: with a Vietnamese reason when a password is too weak to set."""
    if len(password) < 8:
        raise ValueError(E.WEAK_PASSWORD(min=8))
