"""Enrolling a point: a one-time, expiring token issued by an admin, redeemed with the point's keys.

Only the token's SHA-256 is stored. Redemption marks it used with one conditional UPDATE, so two
center processes racing on the same token cannot both succeed.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from central.db import db
from central.models import EnrollToken, Point
from motcua import errors as E
from motcua.errors import Forbidden, InvalidInput, Unauthorized
from motcua.identity import to_nfc
from motcua.passwords import token_digest
from sync.events import CENTER_ID

logger = logging.getLogger(__name__)

UNIT_CODE = re.compile(r"[0-9A-Za-z.]{2,20}")


def _check_unit(unit_code: str, name: str) -> tuple[str, str]:
    unit_code, name = (unit_code or "").strip(), to_nfc((name or "").strip())
    if not UNIT_CODE.fullmatch(unit_code) or unit_code == CENTER_ID:
        raise InvalidInput(E.BAD_UNIT_CODE,
                           field="unit_code")
    if not name or len(name) > 200:
        raise InvalidInput(E.POINT_NAME_BAD,
                           field="name")
    return unit_code, name


def issue_enroll_token(unit_code: str, name: str, *, ttl: timedelta, now: datetime) -> str:
    """A new one-time token for the point `unit_code`; printed once, stored as a digest.

    :raises InvalidInput: bad unit code, name or lifetime.
    """
    from sync.crypto import random_token
    unit_code, name = _check_unit(unit_code, name)
    if ttl <= timedelta(0) or ttl > timedelta(days=30):
        raise InvalidInput(E.ENROLL_TTL, field="ttl")
    token = "enr_" + random_token(24)
    EnrollToken.create(token_sha256=token_digest(token), unit_code=unit_code, name=name,
                       created_at=now, expires_at=now + ttl)
    logger.info("enroll token issued for %s, expires %s", unit_code, now + ttl)
    return token


def _public_keys(public_keys) -> dict[str, str]:
    from sync.crypto import CryptoRefused, PublicKeys
    try:
        keys = public_keys if isinstance(public_keys, PublicKeys) else PublicKeys.from_dict(public_keys)
    except CryptoRefused:
        raise InvalidInput(E.BAD_PUBLIC_KEYS, field="public_keys") from None
    return keys.to_dict()


def redeem_enroll_token(token: str, unit_code: str | None, public_keys, *, now: datetime) -> Point:
    """Spend `token` to register (or re-key) its point with these public keys; returns the point.

    The same token with the same keys again (its answer was lost on the link) returns the point
    again, unchanged, while the enrollment it made is still the point's latest and the point is
    not revoked; any other keys presenting a spent token are refused. `public_keys` is a
    `sync.crypto.PublicKeys` or its dict. :raises Unauthorized: unknown token; Forbidden: used,
    expired, or for another unit code; InvalidInput: unreadable keys.
    """
    keys = _public_keys(public_keys)
    digest = token_digest(token or "")
    with db.atomic():
        row = EnrollToken.get_or_none(EnrollToken.token_sha256 == digest)
        if row is None:
            raise Unauthorized(E.ENROLL_TOKEN_UNKNOWN)
        if unit_code and unit_code.strip() != row.unit_code:
            raise Forbidden(E.ENROLL_TOKEN_WRONG_UNIT(expected=row.unit_code, given=unit_code))
        if row.used_at is not None:
            point = _redeemed_by(row, keys)
            if point is None:
                raise Forbidden(E.ENROLL_TOKEN_USED)
            logger.info("point %s enrolled again with the same token and keys (a lost answer)",
                        point.unit_code)
            return point
        if now > row.expires_at:
            raise Forbidden(E.ENROLL_TOKEN_EXPIRED)
        spent = (EnrollToken.update(used_at=now)
                 .where((EnrollToken.id == row.id) & EnrollToken.used_at.is_null()).execute())
        if spent != 1:                       # another process redeemed it a moment ago
            raise Forbidden(E.ENROLL_TOKEN_USED)
        point = Point.get_or_none(Point.unit_code == row.unit_code)
        if point is None:
            point = Point.create(unit_code=row.unit_code, name=row.name, sign_pub=keys["sign_pub"],
                                 enc_pub=keys["enc_pub"], key_status="active", enrolled_at=now)
        else:
            # A replaced PC re-enrolls; an admin issued the token, so it may. The inbound chain
            # (`last_seq_in`) is kept: a point with a history here (`has_history`) continues it
            # after asking where the center stands (`central.standing`), whether it was restored
            # from a backup or installed from nothing. Keys replaced here are refused at once (no
            # rotation grace): the old install's parcels are no longer this point's.
            changed = (point.sign_pub, point.enc_pub) != (keys["sign_pub"], keys["enc_pub"])
            Point.update(sign_pub=keys["sign_pub"], enc_pub=keys["enc_pub"], key_status="active",
                         name=row.name, enrolled_at=now,
                         **({"prev_sign_pub": None, "prev_enc_pub": None, "prev_until": None}
                            if changed else {})).where(Point.id == point.id).execute()
            point = Point.get_by_id(point.id)
    logger.info("point %s enrolled", point.unit_code)
    return point


def _redeemed_by(row: EnrollToken, keys: dict[str, str]) -> Point | None:
    """The point this spent token enrolled with exactly `keys`, if that enrollment still stands
    (the latest one, same keys, not revoked); else None."""
    point = Point.get_or_none(Point.unit_code == row.unit_code)
    if point is None or point.key_status != "active" or point.enrolled_at != row.used_at:
        return None
    if (point.sign_pub, point.enc_pub) != (keys["sign_pub"], keys["enc_pub"]):
        return None
    return point


def has_history(point: Point) -> bool:
    """Whether the center holds anything of this point's past (parcels taken from it, parcels
    sent to it, events it wrote): a new install of it must first learn where the center stands
    (`central.standing`), or it would number its parcels and dossiers from 1 again."""
    from central.models import Event
    return (point.last_seq_in > 0 or point.next_seq_out > 1
            or Event.select().where(Event.origin == point.unit_code).exists())


def issue_enroll_offer(unit_code: str, name: str, identity, *, ttl: timedelta,
                       now: datetime) -> bytes:
    """A one-time token packed with the center's keys in a signed file, for a point with no link
    (see `sync.enrollfile`)."""
    from sync.enrollfile import build_offer
    token = issue_enroll_token(unit_code, name, ttl=ttl, now=now)
    row = EnrollToken.get(EnrollToken.token_sha256 == token_digest(token))
    point = Point.get_or_none(Point.unit_code == row.unit_code)
    return build_offer(identity, row.unit_code, row.name, token, row.expires_at,
                       history=point is not None and has_history(point))


def redeem_enroll_request(data: bytes, identity, *, lane_unit: str, now: datetime) -> Point | None:
    """Enroll a point from the sealed request it sent by stick; None when it is already enrolled
    with exactly these keys (the same stick read twice).

    :raises InvalidInput: a bad request or one in another point's lane; Unauthorized/Forbidden:
        the token is unknown, used, expired or for another point.
    """
    from sync.enrollfile import open_request
    unit_code, keys, token = open_request(data, identity)
    if unit_code != lane_unit:
        raise InvalidInput(E.ENROLL_REQUEST_WRONG_LANE(unit=unit_code, lane=lane_unit))
    point = Point.get_or_none(Point.unit_code == unit_code)
    mine = keys.to_dict()
    if point is not None and point.key_status == "active" and \
            (point.sign_pub, point.enc_pub) == (mine["sign_pub"], mine["enc_pub"]):
        return None
    return redeem_enroll_token(token, unit_code, keys, now=now)
