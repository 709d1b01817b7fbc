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
from pathlib import Path

import requests

from motcua.errors import DomainError, Forbidden
from node.state import get_state, set_state, unit_code
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
        raise EnrollRefused("Điểm chưa ghi danh với trung tâm: chạy `motcua node enroll`.",
                            code="not_enrolled")
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
        raise EnrollRefused(f"Không đọc được khóa của trung tâm tại {base} ({exc}).",
                            code="center_unreachable") from None
    _check_center(center, expected_fingerprint)

    path = keys_path(data_dir)
    if path.exists():
        identity = crypto.load_identity(path)
    else:
        identity = crypto.generate_identity()
        crypto.save_identity(identity, path)          # 0600; never leaves this folder
    mine = identity.public_keys()
    proof = crypto.sign(token.encode(), identity, purpose="enrollment")
    try:
        r = http.post(f"{base}/sync/v1/enroll", timeout=TIMEOUT, json={
            "token": token, "unit_code": me, "public_keys": mine.to_dict(),
            "signature": base64.b64encode(proof).decode()})
    except requests.RequestException as exc:
        raise EnrollRefused(f"Không liên lạc được với trung tâm ({exc}).",
                            code="center_unreachable") from None
    if r.status_code != 201:
        try:
            error = r.json()["error"]
        except (ValueError, KeyError, TypeError):
            error = {"code": f"http_{r.status_code}", "message": f"HTTP {r.status_code}"}
        raise EnrollRefused(f"Trung tâm từ chối ghi danh: {error['message']}", code=error["code"])
    answer = r.json()
    try:
        returned = crypto.PublicKeys.from_dict(answer["center_keys"])
        crypto.verify(mine.canonical_bytes() + me.encode(),
                      base64.b64decode(answer["signature"], validate=True), center.sign_pub,
                      purpose="enrollment")
    except (KeyError, ValueError, crypto.CryptoRefused):
        raise EnrollRefused("Câu trả lời ghi danh không mang chữ ký của trung tâm.",
                            code="wrong_center_key") from None
    if returned != center:
        raise EnrollRefused("Trung tâm trả về khóa khác khóa đã công bố.", code="wrong_center_key")
    set_state("central_url", base)
    set_state("central_keys", json.dumps(center.to_dict()))
    set_state("central_fingerprint", center.fingerprint())
    logger.info("enrolled %s with %s (center %s)", me, base, center.fingerprint())
    return {"unit_code": me, "central_url": base, "center_fingerprint": center.fingerprint(),
            "node_fingerprint": mine.fingerprint()}


def _check_center(center: crypto.PublicKeys, expected_fingerprint: str | None) -> None:
    if expected_fingerprint and center.fingerprint() != expected_fingerprint.strip().lower():
        raise EnrollRefused(f"Khóa trung tâm ({center.fingerprint()}) không khớp dấu vân tay được "
                            f"cấp ({expected_fingerprint}).", code="wrong_center_key")
    pinned = pinned_center_keys()
    if pinned is not None and pinned != center:
        raise EnrollRefused(f"Trung tâm trả lời bằng khóa {center.fingerprint()}, khác khóa đã ghim "
                            f"{pinned.fingerprint()}.", code="wrong_center_key")


__all__ = ["DomainError", "EnrollRefused", "enroll", "node_identity", "pinned_center_keys"]
