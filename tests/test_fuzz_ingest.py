"""Fuzzing the center's door: well-sealed parcels (a test point's real keys) with random event
bodies, and random bytes, against the parcel reader and the center's ingest. No input may raise,
and none may change state outside the policy: the stolen point M never touches the honest point
B's dossier, never sends anything down to B, never installs a rule."""
from __future__ import annotations

import json
import string
import time
import uuid
from datetime import datetime

import pytest
from central_fixtures import received, stamp
from hypothesis import HealthCheck, given, settings, strategies as st

from sync import crypto
from sync.events import KINDS
from sync.hlc import Stamp
from sync.parcel import ParcelHeader, ParcelRefused, build_parcel, open_parcel, seal_parcel

B, M = "07024", "07027"
B_UID, M_UID = "b" * 32, "c" * 32
FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-2 ** 80, 2 ** 80),
                         st.floats(allow_nan=True), st.text(max_size=40),
                         st.sampled_from(["\ud800", "A" * 5000, "07024-260302-0001", "0" * 64]))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12)
field_names = st.sampled_from(["applicant.full_name", "applicant.phone", "status", "owner.x",
                               "official_code", "notes", "returned_to", "code", ""])
payloads = st.one_of(
    json_values,
    st.fixed_dictionaries({"fields": st.dictionaries(field_names, json_values, max_size=3)}),
    st.fixed_dictionaries({"from": json_scalars, "to": json_scalars, "reason": json_scalars}),
    st.fixed_dictionaries({"code": st.sampled_from([f"{B}-260302-0009", f"{M}-260302-0009",
                                                    "x", None]),
                           "procedure_code": st.just("1.001193"),
                           "received_at": st.sampled_from(["2026-03-02T09:00:00", "hôm qua"]),
                           "applicant": json_values}),
)
stamps = st.one_of(st.builds(lambda ms, c: f"{ms:015d}-{c:05d}",
                             st.integers(0, 10 ** 15 - 1), st.integers(0, 99999)),
                   st.text(max_size=25))
events = st.fixed_dictionaries({
    "id": st.one_of(st.builds(lambda: uuid.uuid4().hex), st.text(max_size=70)),
    "kind": st.one_of(st.sampled_from(sorted(KINDS)), st.text(max_size=20)),
    "dossier_id": st.sampled_from([B_UID, M_UID, None, "", "x" * 100, uuid.uuid4().hex]),
    "origin": st.sampled_from([M, M, B, "central", ""]),
    "actor": st.text(max_size=30),
    "hlc": stamps,
    "payload": payloads,
})
bodies = st.one_of(st.lists(events, min_size=1, max_size=4), json_values)


class Point:
    def __init__(self, unit, center_keys):
        from central.models import Point as Row
        self.unit, self.center_keys = unit, center_keys
        self.identity = crypto.generate_identity()
        keys = self.identity.public_keys().to_dict()
        Row.create(unit_code=unit, name=unit, sign_pub=keys["sign_pub"], enc_pub=keys["enc_pub"],
                   key_status="active", enrolled_at=datetime(2026, 3, 1))
        self.seq, self.prev = 0, ""

    def seal(self, body, kind="events") -> bytes:
        """Seal any JSON, even what our own encoder refuses (NaN, lone surrogates as escapes)."""
        self.seq += 1
        content = json.dumps(body, ensure_ascii=True, allow_nan=True).encode()
        header = ParcelHeader(self.unit, "central", self.seq, self.prev,
                              str(Stamp(int(time.time() * 1000), 0)), kind,
                              crypto.sha256_hex(content), len(content))
        data = seal_parcel(header, content, self.identity, self.center_keys.enc_pub)
        self.prev = crypto.sha256_hex(data)
        return data


@pytest.fixture
def door(tmp_path):
    """A center on SQLite (the policy is backend-agnostic; test_trust_ingest runs both)."""
    from central.db import close_database, open_database
    from central.ingest import Ingestor
    open_database(tmp_path / "central", None)
    center = crypto.generate_identity()
    ingestor = Ingestor(center, tmp_path / "central")
    b, m = Point(B, center.public_keys()), Point(M, center.public_keys())
    ok = ingestor.ingest(b.seal([received(B_UID, origin=B, hlc=stamp(int(time.time() * 1000)))
                                 .to_wire()]))
    assert ok.result == "applied"
    ingestor.ingest(m.seal([received(M_UID, origin=M, hlc=stamp(int(time.time() * 1000)))
                            .to_wire()]))
    yield ingestor, b, m, center
    close_database()


def _b_state():
    from central.models import Dossier, Event, Outbound, Point
    d = Dossier.get(Dossier.uid == B_UID)
    owed = Outbound.select().join(Point).where(Point.unit_code == B).count()
    rules = Event.select().where(Event.kind.in_(["catalogue.updated", "holidays.updated"])).count()
    b_events = Event.select().where(Event.dossier_uid == B_UID).count()
    return (d.origin, d.status, d.applicant, d.code, owed, rules, b_events)


@FUZZ
@given(body=bodies, kind=st.sampled_from(["events", "events", "control", "receipt-batch"]))
def test_no_sealed_body_from_a_stolen_point_breaks_the_door_or_the_policy(door, body, kind):
    ingestor, b, m, center = door
    before = _b_state()
    out = ingestor.ingest(m.seal(body, kind))          # must not raise
    assert out.result in ("applied", "refused", "duplicate", "held")
    assert out.receipt
    if out.result == "refused":
        assert out.reason != "internal_error", "an unexpected error is a bug, even if caught"
    assert _b_state() == before


@FUZZ
@given(data=st.binary(max_size=2048))
def test_random_bytes_are_refused_by_reader_and_door(door, data):
    ingestor, b, m, center = door
    with pytest.raises(ParcelRefused):
        open_parcel(data, expected_recipient="central", recipient_identity=center,
                    sender_keys_lookup=lambda s: None)
    assert ingestor.ingest(data).result == "refused"


@FUZZ
@given(flips=st.lists(st.integers(0, 10 ** 6), min_size=1, max_size=3))
def test_any_bit_flip_of_a_good_parcel_is_refused(door, flips):
    ingestor, b, m, center = door
    good = bytearray(m.seal([received(uuid.uuid4().hex, origin=M,
                                      hlc=stamp(int(time.time() * 1000))).to_wire()]))
    m.seq, m.prev = m.seq - 1, m.prev        # the flipped copy does not advance the real chain
    for pos in flips:
        good[pos % len(good)] ^= 1 << (pos % 8)
    out = ingestor.ingest(bytes(good))
    assert out.result in ("refused", "held")   # a flipped seq may read as a gap: held, not applied
    assert out.events_applied == 0


@FUZZ
@given(text=st.text(alphabet=string.printable, max_size=64))
def test_a_stranger_naming_a_point_in_a_clear_header_changes_nothing(door, text):
    ingestor, b, m, center = door
    before = _b_state()
    stranger = crypto.generate_identity()
    data = build_parcel(B, stranger, "central", center.public_keys().enc_pub, 2,
                        "0" * 64, str(Stamp(1, 0)), "events",
                        [{"id": "x", "kind": "dossier.corrected", "dossier_id": B_UID,
                          "origin": B, "actor": text, "hlc": str(Stamp(1, 0)),
                          "payload": {"fields": {"applicant.full_name": text}}}])
    assert ingestor.ingest(data).reason == "bad_signature"
    assert _b_state() == before
