"""Enrollment tokens: hashed, single use, expiring, bound to their unit code."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from central_fixtures import *  # noqa: F401,F403

from motcua import legaltime
from motcua.errors import Forbidden, InvalidInput, Unauthorized

NOW = datetime(2026, 3, 5, 12, 0)


def _keys():
    from sync.crypto import generate_identity
    return generate_identity().public_keys()


def test_token_is_stored_only_as_a_digest_and_redeems_once(central_db):
    from central.enrollment import issue_enroll_token, redeem_enroll_token
    from central.models import EnrollToken
    token = issue_enroll_token("07024", "Quan Lạn", ttl=timedelta(hours=24), now=NOW)
    assert not EnrollToken.select().where(EnrollToken.token_sha256 == token).exists()
    keys = _keys()
    point = redeem_enroll_token(token, "07024", keys.to_dict(), now=NOW + timedelta(hours=1))
    assert point.unit_code == "07024" and point.name == "Quan Lạn"
    assert point.sign_pub == keys.to_dict()["sign_pub"] and point.key_status == "active"
    with pytest.raises(Forbidden) as err:
        redeem_enroll_token(token, "07024", _keys(), now=NOW + timedelta(hours=2))
    assert err.value.code == "enroll_token_used"
    from central.models import Point
    assert Point.get().sign_pub == keys.to_dict()["sign_pub"]     # the second use changed nothing


def test_expired_unknown_and_wrong_unit_are_refused(central_db):
    from central.enrollment import issue_enroll_token, redeem_enroll_token
    from central.models import Point
    token = issue_enroll_token("07024", "Quan Lạn", ttl=timedelta(minutes=30), now=NOW)
    with pytest.raises(Forbidden) as err:
        redeem_enroll_token(token, None, _keys(), now=NOW + timedelta(minutes=31))
    assert err.value.code == "enroll_token_expired"
    with pytest.raises(Unauthorized):
        redeem_enroll_token("enr_nope", None, _keys(), now=NOW)
    with pytest.raises(Forbidden) as err:
        redeem_enroll_token(token, "07006", _keys(), now=NOW)
    assert err.value.code == "enroll_token_wrong_unit"
    with pytest.raises(InvalidInput):
        redeem_enroll_token(token, None, {"sign_pub": "xx", "enc_pub": "yy"}, now=NOW)
    assert Point.select().count() == 0
    # Still unused after all those refusals: the right point can spend it in time.
    assert redeem_enroll_token(token, None, _keys(), now=NOW).unit_code == "07024"


@pytest.mark.parametrize("unit,name,ttl", [("", "Quan Lạn", timedelta(hours=1)),
                                           ("07 024", "Quan Lạn", timedelta(hours=1)),
                                           ("07024", "", timedelta(hours=1)),
                                           ("07024", "Quan Lạn", timedelta(0)),
                                           ("07024", "Quan Lạn", timedelta(days=60))])
def test_bad_issue_input(central_db, unit, name, ttl):
    from central.enrollment import issue_enroll_token
    with pytest.raises(InvalidInput):
        issue_enroll_token(unit, name, ttl=ttl, now=NOW)


def test_notes_on_contact_and_refusal(central_db):
    from central.enrollment import issue_enroll_token, redeem_enroll_token
    from central.points import list_points, note_contact, note_refusal
    redeem_enroll_token(issue_enroll_token("07024", "Quan Lạn", ttl=timedelta(hours=1), now=NOW),
                        None, _keys(), now=NOW)
    note_contact("07024", now=NOW, sender_clock_ms=legaltime.to_ms(NOW) - 90_000, backlog=3)
    note_refusal("07024", "bad_signature", "chữ ký sai", now=NOW)
    [p] = list_points()
    assert p["clock_skew_ms"] == -90_000 and p["backlog_up"] == 3 and p["refused_parcels"] == 1
    assert p["last_contact"] == NOW.isoformat()
