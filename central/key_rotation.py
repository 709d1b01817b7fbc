"""A point's key rotation at the center: check the endorsement, swap the keys, keep a grace set.

The new keys are taken only when endorsed by the point's CURRENT pinned signing key (an endorsement
by any other key, a revoked point, or an unreadable request is refused and logged, and nothing
changes). The replaced keys stay accepted for a grace period, so parcels the point spooled and
signed before it switched still go in: until the first chained parcel signed with the new key is
applied (chain order means every older one is in by then) or `KEY_GRACE_DAYS` have passed. The same
request twice is a no-op answered again, so a lost HTTP answer or a stick read twice is harmless.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from central.db import is_postgres, write_transaction
from central.models import Point
from central.points import note_refusal
from motcua import errors as E, legaltime
from motcua.errors import Forbidden, NotFound
from sync import crypto
from sync.key_rotation import RotationRequest, build_answer, read_request

logger = logging.getLogger(__name__)

DEFAULT_GRACE = timedelta(days=30)


class RotationRefused(Forbidden):
    code = "bad_endorsement"


def current_keys(point: Point) -> crypto.PublicKeys:
    return crypto.PublicKeys.from_dict({"sign_pub": point.sign_pub, "enc_pub": point.enc_pub})


def previous_keys(point: Point) -> crypto.PublicKeys | None:
    if not point.prev_sign_pub:
        return None
    return crypto.PublicKeys.from_dict({"sign_pub": point.prev_sign_pub,
                                        "enc_pub": point.prev_enc_pub})


def accepted_keys(point: Point, *, now: datetime | None = None) -> list[crypto.PublicKeys]:
    """The keys a point's parcels, receipts and requests may be signed with: current first, then
    the replaced ones while their grace lasts."""
    keys = [current_keys(point)]
    prev = previous_keys(point)
    if prev is not None and point.prev_until and (now or legaltime.now()) < point.prev_until:
        keys.append(prev)
    return keys


def rotate_point_keys(data: bytes | dict, center: crypto.Identity, *, lane_unit: str | None = None,
                      grace: timedelta = DEFAULT_GRACE, now: datetime | None = None) -> bytes:
    """Take a point's rotation request; returns the center's signed answer (also for a no-op).

    :raises InvalidInput: unreadable request (or one in another point's lane); NotFound: unknown
        point; RotationRefused: revoked point, or not endorsed by the point's current key.
    """
    now = now or legaltime.now()
    try:
        request = read_request(data)
    except Exception as exc:
        note_refusal(lane_unit, getattr(exc, "code", "bad_rotation_request"), str(exc), now=now)
        raise
    unit = request.unit_code
    if lane_unit is not None and unit != lane_unit:
        note_refusal(lane_unit, "bad_rotation_request", f"rotation for {unit} in lane {lane_unit}",
                     now=now)
        raise RotationRefused(E.ROTATION_WRONG_LANE(unit=unit, lane=lane_unit))
    with write_transaction():
        query = Point.select().where(Point.unit_code == unit)
        point = (query.for_update() if is_postgres() else query).first()
        if point is None or not point.sign_pub:
            raise NotFound(E.POINT_NOT_FOUND(unit=unit))
        refusal = _refusal(point, request)
        if refusal is None and request.new_keys != current_keys(point):
            Point.update(prev_sign_pub=point.sign_pub, prev_enc_pub=point.enc_pub,
                         prev_until=now + grace, rotated_at=now,
                         **request.new_keys.to_dict()).where(Point.id == point.id).execute()
            logger.info("point %s rotated keys %s -> %s (grace until %s)", unit,
                        current_keys(point).fingerprint(), request.new_keys.fingerprint(),
                        now + grace)
            point = Point.get_by_id(point.id)
    if refusal is not None:
        note_refusal(unit, refusal.code, refusal.text("vi"), now=now)
        raise RotationRefused(refusal)
    return build_answer(center, unit, current_keys(point),
                        (point.rotated_at or now).isoformat(timespec="seconds"))


def _refusal(point: Point, request: RotationRequest) -> E.Said | None:
    """Why this request cannot be taken, or None. Keys already current are a no-op when endorsed
    by the key they replaced (the same request again)."""
    if point.key_status == "revoked":
        return E.ROTATION_REVOKED(unit=point.unit_code)
    signers = [current_keys(point)]
    if request.new_keys == current_keys(point) and previous_keys(point) is not None:
        signers.append(previous_keys(point))
    for keys in signers:
        try:
            crypto.verify_endorsement(keys.sign_pub, request.new_keys, request.endorsement,
                                      point.unit_code)
            return None
        except crypto.CryptoRefused:
            continue
    return E.ROTATION_NOT_ENDORSED(unit=point.unit_code)


def end_grace(unit_code: str, *, now: datetime) -> None:
    """The point has switched (a parcel signed with its new key was applied): its old key is done."""
    changed = (Point.update(prev_until=now).where(
        (Point.unit_code == unit_code) & Point.prev_until.is_null(False) & (Point.prev_until > now))
        .execute())
    if changed:
        logger.info("point %s: old key no longer accepted (new key in use)", unit_code)
