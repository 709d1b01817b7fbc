"""Joining a center: the node makes its keys here, registers the public half, pins the center's.

The center's keys are read and checked (against a fingerprint the technician was given, and against
keys pinned by an earlier enrollment) BEFORE the one-time token is spent, so a wrong center never
gets the token. The center's answer must be signed by the key it announced, over this node's keys.
"""
from __future__ import annotations

import base64
import json
import logging
import os
from datetime import datetime
from pathlib import Path

import requests

from motcua import errors as E, legaltime
from motcua.errors import DomainError, Forbidden
from node.backup import await_standing_if_new, needs_standing
from node.facts import get_state, set_state, unit_code
from sync import crypto

logger = logging.getLogger(__name__)

KEYS_FILENAME = "node_keys.json"
TIMEOUT = (10, 30)


class EnrollRefused(Forbidden):
    code = "enroll_refused"


def keys_path(data_dir: str | os.PathLike) -> Path:
    return Path(data_dir) / KEYS_FILENAME


def node_identity(data_dir: str | os.PathLike) -> crypto.Identity:
    """This node's private keys. :raises EnrollRefused: the node has none yet (not enrolled)."""
    path = keys_path(data_dir)
    if not path.exists():
        raise EnrollRefused(E.NOT_ENROLLED)
    return crypto.load_identity(path)


def pinned_center_keys() -> crypto.PublicKeys | None:
    raw = get_state("central_keys")
    return crypto.PublicKeys.from_dict(json.loads(raw)) if raw else None


def enroll(data_dir: str | os.PathLike, central_url: str, token: str, *,
           expected_fingerprint: str | None = None,
           session: requests.Session | None = None) -> dict:
    """Register this node with the center at `central_url` using a one-time `token`.

    :raises EnrollRefused: center unreachable, token refused (used, expired, other point), center
        keys not the expected or pinned ones, or an answer not signed by the center.
    """
    http = session or requests.Session()
    base = central_url.rstrip("/")
    me = unit_code()
    try:
        announced = http.get(f"{base}/sync/v1/center", timeout=TIMEOUT)
        announced.raise_for_status()
        center = crypto.PublicKeys.from_dict(announced.json()["public_keys"])
    except (requests.RequestException, ValueError, KeyError, crypto.CryptoRefused) as exc:
        logger.info("center keys at %s unreadable: %r", base, exc)
        raise EnrollRefused(E.CENTER_KEYS_UNREADABLE(url=base, detail=_why(exc))) from None
    _check_center(center, expected_fingerprint)

    identity = _own_identity(data_dir)
    mine = identity.public_keys()
    proof = crypto.sign(token.encode(), identity, purpose="enrollment")
    try:
        r = http.post(f"{base}/sync/v1/enroll", timeout=TIMEOUT, json={
            "token": token, "unit_code": me, "public_keys": mine.to_dict(),
            "signature": base64.b64encode(proof).decode()})
    except requests.RequestException as exc:
        logger.info("enroll request to %s failed: %r", base, exc)
        raise EnrollRefused(E.CENTER_UNREACHABLE(detail=_why(exc))) from None
    if r.status_code != 201:
        try:
            error = r.json()["error"]
        except (ValueError, KeyError, TypeError):
            error = {"code": f"http_{r.status_code}", "message": f"HTTP {r.status_code}"}
        raise EnrollRefused(E.ENROLL_REFUSED(detail=error['message']), code=error["code"])
    answer = r.json()
    try:
        returned = crypto.PublicKeys.from_dict(answer["center_keys"])
        crypto.verify(mine.canonical_bytes() + me.encode(),
                      base64.b64decode(answer["signature"], validate=True), center.sign_pub,
                      purpose="enrollment")
    except (KeyError, ValueError, crypto.CryptoRefused):
        raise EnrollRefused(E.ENROLL_ANSWER_UNSIGNED) from None
    if returned != center:
        raise EnrollRefused(E.CENTER_KEY_CHANGED)
    if _history(answer, mine, me, center):
        await_standing_if_new(data_dir, since=legaltime.now().isoformat(timespec="seconds"))
    set_state("central_url", base)
    set_state("central_keys", json.dumps(center.to_dict()))
    set_state("central_fingerprint", center.fingerprint())
    logger.info("enrolled %s with %s (center %s)", me, base, center.fingerprint())
    return {"unit_code": me, "central_url": base, "center_fingerprint": center.fingerprint(),
            "node_fingerprint": mine.fingerprint(),
            "waits_for_standing": needs_standing()}


def enroll_from_file(data_dir: str | os.PathLike, offer_path: str | os.PathLike, *,
                     expected_fingerprint: str | None = None, now: datetime | None = None) -> dict:
    """Join a center with no network: read its signed enrollment file, make this point's keys,
    pin the center's, and keep a sealed request for the next USB export (`sync.enrollfile`).

    :raises InvalidInput: not a valid file; EnrollRefused: for another point, expired, or the center
        keys are not the expected or pinned ones.
    """
    from sync.enrollfile import build_request, read_offer
    try:
        offer = read_offer(Path(offer_path).read_bytes())
    except OSError as exc:
        raise EnrollRefused(E.ENROLL_FILE_UNREADABLE(detail=exc.strerror)) from None
    me = unit_code()
    if offer.unit_code != me:
        raise EnrollRefused(E.ENROLL_FILE_WRONG_UNIT(expected=offer.unit_code, given=me))
    if (now or legaltime.now()) > offer.expires_at:
        raise EnrollRefused(E.ENROLL_FILE_EXPIRED)
    _check_center(offer.center_keys, expected_fingerprint)
    identity = _own_identity(data_dir)
    if offer.history:
        await_standing_if_new(data_dir, since=legaltime.now().isoformat(timespec="seconds"))
    set_state("central_keys", json.dumps(offer.center_keys.to_dict()))
    set_state("central_fingerprint", offer.center_keys.fingerprint())
    set_state("enroll:request", base64.b64encode(
        build_request(identity, me, offer.token, offer.center_keys.enc_pub)).decode())
    logger.info("enrolled %s by file (center %s); request waits for the next export", me,
                offer.center_keys.fingerprint())
    return {"unit_code": me, "central_url": None,
            "center_fingerprint": offer.center_keys.fingerprint(),
            "node_fingerprint": identity.public_keys().fingerprint(),
            "waits_for_standing": needs_standing()}


def _history(answer: dict, mine: crypto.PublicKeys, me: str, center: crypto.PublicKeys) -> bool:
    """Whether the center says it holds a past of this unit code (signed by it; an older center
    says nothing: no past). :raises EnrollRefused: the statement is not the center's."""
    from sync.enrollfile import history_message
    if "history_signature" not in answer:
        return False
    history = answer.get("history") is True
    try:
        crypto.verify(history_message(mine, me, history),
                      base64.b64decode(str(answer["history_signature"]), validate=True),
                      center.sign_pub, purpose="enrollment")
    except (ValueError, crypto.CryptoRefused):
        raise EnrollRefused(E.ENROLL_ANSWER_UNSIGNED) from None
    return history


def _why(exc: Exception) -> E.Phrase:
    """What went wrong reaching the center, in words a technician can act on, in both languages
    (never library text, which the log keeps)."""
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema
                  | requests.exceptions.InvalidSchema):
        return E.WHY_BAD_ADDRESS
    if isinstance(exc, requests.exceptions.SSLError):
        return E.WHY_TLS
    if isinstance(exc, requests.exceptions.Timeout):
        return E.WHY_TIMEOUT
    if isinstance(exc, requests.exceptions.ConnectionError):
        return E.WHY_NO_CONNECTION
    if isinstance(exc, requests.exceptions.HTTPError) and exc.response is not None:
        status = exc.response.status_code
        return E.Phrase(E.WHY_HTTP.vi.format(status=status), E.WHY_HTTP.en.format(status=status))
    if isinstance(exc, requests.RequestException):
        return E.WHY_NETWORK
    return E.WHY_NOT_A_CENTER


def pending_request() -> bytes | None:
    """The sealed enrollment request still to carry to the center, if this point enrolled by file."""
    raw = get_state("enroll:request")
    return base64.b64decode(raw) if raw else None


def forget_request() -> None:
    """The center has answered this point's parcels: the request has done its work."""
    from node.models import State
    State.delete().where(State.key == "enroll:request").execute()


def _own_identity(data_dir: str | os.PathLike) -> crypto.Identity:
    """This point's keys, made here on first use (0600; they never leave this folder)."""
    path = keys_path(data_dir)
    if path.exists():
        return crypto.load_identity(path)
    identity = crypto.generate_identity()
    crypto.save_identity(identity, path)
    return identity


def _check_center(center: crypto.PublicKeys, expected_fingerprint: str | None) -> None:
    if expected_fingerprint and center.fingerprint() != expected_fingerprint.strip().lower():
        raise EnrollRefused(E.CENTER_FINGERPRINT(actual=center.fingerprint(),
                                                  expected=expected_fingerprint))
    pinned = pinned_center_keys()
    if pinned is not None and pinned != center:
        raise EnrollRefused(E.CENTER_NOT_PINNED(actual=center.fingerprint(),
                                                 pinned=pinned.fingerprint()))


__all__ = ["DomainError", "EnrollRefused", "enroll", "enroll_from_file", "forget_request",
           "node_identity", "pending_request", "pinned_center_keys"]
