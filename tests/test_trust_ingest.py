"""Trust boundaries at the center's ingest: a point whose keys were stolen can do no more than that
point could do legitimately. Each test is one finding of the attacker's report, run through the
real `Ingestor` with real keys and sealed parcels, on SQLite and PostgreSQL."""
from __future__ import annotations

import time
import uuid
from datetime import datetime

import pytest
from central_fixtures import *  # noqa: F401,F403
from central_fixtures import corrected, received, stamp, transitioned

from sync import crypto
from sync.events import Event
from sync.hlc import Stamp
from sync.parcel import build_parcel

B, M = "07024", "07027"          # B: the honest island point; M: the point whose PC was stolen


class Sender:
    """An enrolled point with real keys that seals its own chain of parcels."""

    def __init__(self, unit: str, center_keys: crypto.PublicKeys):
        from central.models import Point
        self.unit, self.center_keys = unit, center_keys
        self.identity = crypto.generate_identity()
        keys = self.identity.public_keys().to_dict()
        Point.create(unit_code=unit, name=f"Điểm {unit}", sign_pub=keys["sign_pub"],
                     enc_pub=keys["enc_pub"], key_status="active", enrolled_at=datetime(2026, 3, 1))
        self.seq, self.prev = 0, ""

    def parcel(self, body, kind: str = "events") -> bytes:
        self.seq += 1
        data = build_parcel(self.unit, self.identity, "central", self.center_keys.enc_pub,
                            self.seq, self.prev, str(Stamp(int(time.time() * 1000), 0)), kind,
                            [e.to_wire() if isinstance(e, Event) else e for e in body]
                            if isinstance(body, list) else body)
        self.prev = crypto.sha256_hex(data)
        return data


@pytest.fixture
def world(central_db, tmp_path):
    from central.ingest import Ingestor
    center = crypto.generate_identity()
    ingestor = Ingestor(center, tmp_path / "central")
    b, m = Sender(B, center.public_keys()), Sender(M, center.public_keys())
    uid = uuid.uuid4().hex
    assert ingestor.ingest(b.parcel([received(uid, origin=B, hlc=_now())])).result == "applied"
    return ingestor, b, m, uid


def _now(counter: int = 0) -> str:
    return stamp(int(time.time() * 1000), counter)


def _dossier(uid):
    from central.models import Dossier
    return Dossier.get(Dossier.uid == uid)


def _owed_to(unit: str) -> int:
    from central.models import Outbound, Point
    return Outbound.select().join(Point).where(Point.unit_code == unit).count()


def _refusals(reason: str, sender: str) -> int:
    from central.models import Refusal
    return Refusal.select().where((Refusal.reason_code == reason)
                                  & (Refusal.sender == sender)).count()


def test_a_point_cannot_correct_or_move_another_points_dossier(world):
    ingestor, b, m, uid = world
    before = _dossier(uid)
    for ev in (corrected(uid, {"applicant.full_name": "Kẻ Mạo Danh"}, _now(1), origin=M),
               transitioned(uid, 2, 7, _now(2), origin=M)):
        out = ingestor.ingest(m.parcel([ev]))
        assert (out.result, out.reason) == ("refused", "unauthorized")
    after = _dossier(uid)
    assert after.applicant["full_name"] == before.applicant["full_name"]
    assert after.status == 2
    assert _owed_to(B) == 0, "nothing may flow down to the honest point"
    assert _refusals("unauthorized", M) == 2


def test_a_point_cannot_take_over_a_dossier_by_its_uid(world):
    ingestor, b, m, uid = world
    out = ingestor.ingest(m.parcel([received(uid, origin=M, hlc=_now(3))]))
    assert out.reason == "unauthorized"
    assert _dossier(uid).origin == B


def test_a_point_cannot_squat_another_points_codes(world):
    ingestor, b, m, uid = world
    fake = received(uuid.uuid4().hex, origin=M, hlc=_now(4), code=f"{B}-260302-0002")
    out = ingestor.ingest(m.parcel([fake]))
    assert out.reason == "unauthorized"
    from central.models import Dossier
    assert not Dossier.select().where(Dossier.code == f"{B}-260302-0002").exists()


@pytest.mark.parametrize("kind", ["holidays.updated", "catalogue.updated"])
def test_a_point_cannot_push_rules(world, kind):
    ingestor, b, m, uid = world
    rule = Event(uuid.uuid4().hex, kind, None, M, f"x@{M}", _now(5), {"version": "fake"})
    assert ingestor.ingest(m.parcel([rule])).reason == "unauthorized"
    assert _owed_to(B) == 0


def test_a_refused_parcel_does_not_stop_the_senders_later_good_parcels(world):
    ingestor, b, m, uid = world
    assert ingestor.ingest(m.parcel([transitioned(uid, 2, 7, _now(6), origin=M)])).result == "refused"
    good = received(uuid.uuid4().hex, origin=M, hlc=_now(7))
    assert ingestor.ingest(m.parcel([good])).result == "applied"
    assert _dossier(good.dossier_id).origin == M


def test_a_refused_parcel_sent_again_gets_the_same_refusal(world):
    ingestor, b, m, uid = world
    data = m.parcel([transitioned(uid, 2, 7, _now(8), origin=M)])
    first, again = ingestor.ingest(data), ingestor.ingest(data)
    assert first.result == "refused" and again.receipt == first.receipt


def test_the_owner_and_the_center_still_may(world):
    ingestor, b, m, uid = world
    out = ingestor.ingest(b.parcel([corrected(uid, {"applicant.phone": "0987654321"}, _now(9),
                                              origin=B)]))
    assert out.result == "applied"
    assert _dossier(uid).applicant["phone"] == "0987654321"


@pytest.mark.parametrize("payload", [
    {"fields": {"applicant.full_name": {"nested": "object"}}},
    {"fields": {"applicant.full_name": "A" * 5000}},
    {"fields": {"status": 9}},
    {"fields": ["applicant.full_name", "x"]},
    {"fields": {}},
])
def test_a_malformed_correction_is_refused_before_anything_is_applied(world, payload):
    ingestor, b, m, uid = world
    ev = Event(uuid.uuid4().hex, "dossier.corrected", uid, B, f"lan@{B}", _now(10), payload)
    out = ingestor.ingest(b.parcel([ev]))
    assert (out.result, out.reason) == ("refused", "bad_payload")
    assert _dossier(uid).applicant["full_name"] == "Nguyễn Văn An"


@pytest.mark.parametrize("kind,body", [
    ("events", {"not": "a list"}),
    ("events", [["a", "list"]]),
    ("events", [{"id": "x", "kind": "dossier.rated", "dossier_id": "d1", "origin": B,
                 "actor": "a", "hlc": "0" * 15 + "-00000", "payload": [["rating", "x"]]}]),
    ("control", {"backlog": 2 ** 70}),
    ("receipt-batch", [{"receipt": {"parcel_sha256": ["x"]}}]),
    ("receipt-batch", ["text"]),
])
def test_malformed_bodies_inside_valid_seals_are_refused_not_500(world, kind, body):
    ingestor, b, m, uid = world
    out = ingestor.ingest(b.parcel(body, kind=kind))
    assert out.result in ("refused", "applied")       # a control with a silly backlog is ignored
    assert out.receipt
    if kind == "events":
        assert out.result == "refused" and out.reason in ("malformed_plaintext", "bad_payload")
        from central.models import Refusal
        assert Refusal.select().where(Refusal.sender == B).count() >= 1
    from central.models import Point
    assert Point.get(Point.unit_code == B).backlog_reported in (None, 0)
    good = corrected(uid, {"applicant.phone": "0911111111"}, _now(11), origin=B)
    assert ingestor.ingest(b.parcel([good])).result == "applied", "the chain goes on"


def test_a_stamp_a_century_ahead_does_not_drag_the_center_clock(world):
    from central.apply import record_center_event
    ingestor, b, m, uid = world
    future = stamp(int(time.time() * 1000) + 100 * 365 * 86_400_000)
    assert ingestor.ingest(b.parcel([corrected(uid, {"applicant.phone": "0900000001"}, future,
                                               origin=B)])).result == "applied"
    # the officer's event on that dossier still sorts after the point's (causality) …
    ev = record_center_event("dossier.transitioned", uid, "hoa@central",
                             {"from": 2, "to": 4, "reason": None, "at": None, "due_at": None,
                              "returned_to": None})
    assert ev.hlc > future
    # … but events on every other dossier keep true time
    other = uuid.uuid4().hex
    assert ingestor.ingest(b.parcel([received(other, origin=B, hlc=_now(12))])).result == "applied"
    ev2 = record_center_event("dossier.transitioned", other, "hoa@central",
                              {"from": 2, "to": 4, "reason": None, "at": None, "due_at": None,
                               "returned_to": None})
    assert abs(Stamp.parse(ev2.hlc).wall_ms - time.time() * 1000) < 60_000


def test_a_stamp_at_the_counters_maximum_does_not_break_an_officers_transition(world):
    from central.apply import record_center_event
    ingestor, b, m, uid = world
    top = f"{int(time.time() * 1000):015d}-99999"
    assert ingestor.ingest(b.parcel([corrected(uid, {"applicant.phone": "0900000002"}, top,
                                               origin=B)])).result == "applied"
    ev = record_center_event("dossier.transitioned", uid, "hoa@central",
                             {"from": 2, "to": 4, "reason": None, "at": None, "due_at": None,
                              "returned_to": None})
    assert ev.hlc > top and Stamp.parse(ev.hlc)       # parses: no 6-digit counter
    assert _dossier(uid).status == 4


def test_a_revoked_point_can_do_nothing(world):
    from central.points import revoke_point
    ingestor, b, m, uid = world
    revoke_point(M)
    out = ingestor.ingest(m.parcel([received(uuid.uuid4().hex, origin=M, hlc=_now(13))]))
    assert (out.result, out.reason) == ("refused", "revoked_sender")


def test_the_fleet_list_shows_each_points_last_refusal(world):
    from central.points import list_points
    ingestor, b, m, uid = world
    ingestor.ingest(m.parcel([transitioned(uid, 2, 7, _now(14), origin=M)]))
    rows = {p["unit_code"]: p for p in list_points()}
    assert "unauthorized" in rows[M]["last_refusal"] and rows[M]["refused_parcels"] == 1
    assert rows[B]["last_refusal"] is None
