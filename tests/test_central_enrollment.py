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


def test_a_spent_token_is_answered_again_only_for_its_latest_enrollment(central_db):
    """A lost answer: the same token and keys get the point back, unchanged, even past the
    token's expiry; not once another enrollment or a revocation came after it."""
    from central.enrollment import has_history, issue_enroll_token, redeem_enroll_token
    from central.models import Point
    from central.points import revoke_point
    keys = _keys()
    token = issue_enroll_token("07024", "Quan Lạn", ttl=timedelta(hours=1), now=NOW)
    first = redeem_enroll_token(token, "07024", keys, now=NOW + timedelta(minutes=5))
    again = redeem_enroll_token(token, "07024", keys.to_dict(), now=NOW + timedelta(hours=3))
    assert again.id == first.id and again.enrolled_at == first.enrolled_at
    assert not has_history(again)
    Point.update(last_seq_in=4).execute()
    assert has_history(Point.get())

    later, other = issue_enroll_token("07024", "Quan Lạn", ttl=timedelta(hours=1), now=NOW), _keys()
    redeem_enroll_token(later, "07024", other, now=NOW + timedelta(minutes=10))
    for stale in (keys, other):                   # the first token no longer answers anyone
        with pytest.raises(Forbidden) as err:
            redeem_enroll_token(token, "07024", stale, now=NOW + timedelta(minutes=11))
        assert err.value.code == "enroll_token_used"
    assert redeem_enroll_token(later, "07024", other, now=NOW + timedelta(minutes=12)).id == first.id
    revoke_point("07024")
    with pytest.raises(Forbidden):
        redeem_enroll_token(later, "07024", other, now=NOW + timedelta(minutes=13))


def test_new_keys_at_enrollment_end_a_rotation_grace(central_db):
    from central.enrollment import issue_enroll_token, redeem_enroll_token
    from central.key_rotation import accepted_keys
    from central.models import Point
    keys = _keys()
    redeem_enroll_token(issue_enroll_token("07024", "Quan Lạn", ttl=timedelta(hours=1), now=NOW),
                        "07024", keys, now=NOW)
    Point.update(prev_sign_pub=keys.to_dict()["sign_pub"], prev_enc_pub=keys.to_dict()["enc_pub"],
                 prev_until=legaltime.now() + timedelta(days=30)).execute()
    assert len(accepted_keys(Point.get())) == 2
    fresh = _keys()
    redeem_enroll_token(issue_enroll_token("07024", "Quan Lạn", ttl=timedelta(hours=1), now=NOW),
                        "07024", fresh, now=NOW)
    assert accepted_keys(Point.get()) == [fresh]
