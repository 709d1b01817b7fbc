"""The authorization policy and the payload schema, pure and table-tested; the HLC under wrong
clocks; and the policy table in docs/protocol.md kept equal to the code."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from sync import hlc, merge
from sync.events import Event
from sync.policy import CENTER, authorize, authorize_all, judge_events, policy_markdown
from sync.schema import SchemaError, check_event

B, M = "07024", "07027"
UID = "a" * 32
T0 = "001772000000000-00000"


def ev(kind, origin=B, dossier=UID, payload=None, hlc_text=T0, eid="e" * 32):
    return Event(eid, kind, dossier, origin, f"lan@{origin}", hlc_text, payload or {})


RECEIVED = {"code": f"{B}-260302-0001", "procedure_code": "1.001193", "received_at":
            "2026-03-02T09:00:00", "status": 2, "channel": 1,
            "applicant": {"full_name": "Nguyễn Văn An", "id_number": "022085001234"}}

# (event, sender, owner, receiver) → expected refusal code or None
CASES = [
    (ev("dossier.received", payload=RECEIVED), B, None, CENTER, None),
    (ev("dossier.received", M, payload={**RECEIVED, "code": f"{B}-260302-0002"}), M, None, CENTER,
     "code_prefix"),
    (ev("dossier.received", M, payload={**RECEIVED, "code": f"{M}-260302-0001"}), M, B, CENTER,
     "not_owner"),
    (ev("dossier.received", CENTER, payload=RECEIVED), CENTER, None, CENTER, "not_owner"),
    (ev("dossier.corrected", M), M, B, CENTER, "not_owner"),
    (ev("dossier.corrected", B), M, B, CENTER, "foreign_origin"),
    (ev("dossier.corrected", B), B, B, CENTER, None),
    (ev("dossier.corrected", CENTER), CENTER, B, CENTER, None),
    (ev("dossier.transitioned", B), B, None, CENTER, "unknown_dossier"),
    (ev("conflict.resolved", M), M, B, CENTER, "not_owner"),
    (ev("holidays.updated", B, None), B, None, CENTER, "center_only"),
    (ev("catalogue.updated", CENTER, UID), CENTER, None, CENTER, "center_only"),
    (ev("catalogue.updated", CENTER, None), CENTER, None, B, None),
    # at a point: only its own dossiers, whoever relays
    (ev("dossier.corrected", M), CENTER, None, B, "not_owner"),
    (ev("dossier.corrected", CENTER), CENTER, B, B, None),
    (ev("dossier.corrected", CENTER), CENTER, None, B, "not_owner"),
    (ev("dossier.received", M, payload={**RECEIVED, "code": f"{M}-1"}), CENTER, None, B,
     "not_owner"),
]


@pytest.mark.parametrize("event,sender,owner,receiver,expected", CASES)
def test_policy_cases(event, sender, owner, receiver, expected):
    got = authorize(event, sender=sender, owner=owner, receiver=receiver)
    assert (got.code if got else None) == expected


def test_a_dossier_received_earlier_in_the_same_parcel_is_owned_by_its_point():
    first = ev("dossier.received", payload=RECEIVED, eid="1" * 32)
    then = ev("attachment.added", eid="2" * 32)
    assert authorize_all([first, then], sender=B, owners={}) == []
    assert [r.code for r in authorize_all([then], sender=B, owners={})] == ["unknown_dossier"]


def test_the_table_in_the_protocol_page_is_the_code():
    page = (Path(__file__).resolve().parent.parent / "docs/protocol.md").read_text("utf-8")
    assert policy_markdown() in page


GOOD = {
    "dossier.received": RECEIVED,
    "dossier.corrected": {"fields": {"applicant.phone": "0912345678", "fee.paid": True,
                                     "fee.method": "transfer", "fee.stage": "return",
                                     "fee.receipt_no": "07024-2026-00001",
                                     "fee.collected_at": "2026-03-05T09:05:00"}},
    "dossier.transitioned": {"from": 2, "to": 4, "reason": None, "at": "2026-03-03T10:00:00"},
    "attachment.added": {"sha256": "0" * 64, "size": 10, "mime": "image/png"},
    "attachment.removed": {"sha256": "0" * 64, "requirement_id": "x"},
    "dossier.rated": {"rating": "satisfied"},
    "conflict.resolved": {"conflict_id": "c1", "decision": "keep_a", "value": None},
}

BAD = [
    ("dossier.received", {**RECEIVED, "applicant": {"full_name": {"a": 1}}}),
    ("dossier.received", {**RECEIVED, "status": 11}),
    ("dossier.received", {**RECEIVED, "channel": True}),
    ("dossier.received", {**RECEIVED, "code": None}),
    ("dossier.received", {**RECEIVED, "received_at": "hôm qua"}),
    ("dossier.received", {**RECEIVED, "fee": {"vnd": 2 ** 70}}),
    ("dossier.received", {**RECEIVED, "applicant": {"full_name": "An\ud800"}}),
    ("dossier.corrected", {"fields": {"status": 9}}),
    ("dossier.corrected", {"fields": {"applicant.full_name": ["x"]}}),
    ("dossier.corrected", {"fields": {"due_at": "mai"}}),
    ("dossier.corrected", {"fields": {"apology.secret": "x"}}),
    ("dossier.corrected", {"fields": {"fee.vnd": 1}}),                 # the amount is not corrected
    ("dossier.corrected", {"fields": {"fee.paid": "yes"}}),
    ("dossier.corrected", {"fields": {"fee.method": "bitcoin"}}),
    ("dossier.corrected", {"fields": {"fee.stage": "later"}}),
    ("dossier.corrected", {"fields": {"fee.receipt_no": ""}}),
    ("dossier.corrected", {"fields": {"fee.collected_at": "hôm nay"}}),
    ("dossier.received", {**RECEIVED, "fee": {"vnd": 1, "paid": True, "method": "gold"}}),
    ("dossier.received", {**RECEIVED, "fee": {"vnd": 1, "pages": 0}}),
    ("dossier.transitioned", {"from": 2, "to": "4"}),
    ("dossier.transitioned", {"from": 2}),
    ("attachment.added", {"sha256": "../../etc/passwd", "size": 1}),
    ("attachment.added", {"sha256": "0" * 64, "size": 2 ** 70}),
    ("dossier.rated", {"rating": {"x": 1}}),
    ("conflict.resolved", {"conflict_id": "c1", "decision": "delete_everything"}),
    ("dossier.rated", {"rating": "x", "deep": [[[[[[[[[["too deep"]]]]]]]]]]}),
]


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_well_formed_payloads_pass(kind):
    check_event(ev(kind, payload=GOOD[kind]))


@pytest.mark.parametrize("kind,payload", BAD)
def test_malformed_payloads_are_refused(kind, payload):
    with pytest.raises(SchemaError):
        check_event(ev(kind, payload=payload))
    assert judge_events([ev(kind, payload=payload)], sender=B, owners={UID: B}).code == \
        "bad_payload"


def test_a_payload_nested_fifty_thousand_deep_is_refused_without_recursion():
    deep: list = []
    for _ in range(50_000):
        deep = [deep]
    with pytest.raises(SchemaError):
        check_event(ev("dossier.rated", payload={"rating": "x", "extra": deep}))


# --- clocks wrong by minutes to decades ------------------------------------------------------------

YEAR_MS = 365 * 86_400_000
NOW = 1_772_000_000_000
skews = st.one_of(st.integers(-60 * 60_000, 60 * 60_000),        # minutes
                  st.integers(-30 * YEAR_MS, 100 * YEAR_MS))       # years


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(skews, st.integers(0, hlc.MAX_COUNTER)), min_size=1, max_size=30))
def test_no_remote_clock_drags_the_receiver_beyond_the_bound(remotes):
    clock = hlc.Stamp(NOW, 0)
    for skew, counter in remotes:
        remote = hlc.Stamp(max(0, NOW + skew), counter)
        before = clock
        clock = hlc.observe(clock, remote, NOW, hlc.MAX_AHEAD_MS)
        assert clock > before                                        # never backwards
        assert clock.wall_ms <= NOW + hlc.MAX_AHEAD_MS + 1           # never dragged
        event_stamp, after = hlc.stamp_after(before, remote, NOW, hlc.MAX_AHEAD_MS)
        assert event_stamp > remote or remote.wall_ms >= hlc.MAX_WALL_MS  # causality kept
        assert after.wall_ms <= NOW + hlc.MAX_AHEAD_MS + 1
        hlc.Stamp.parse(str(event_stamp))                            # never overflows its digits
        hlc.Stamp.parse(str(clock))


@settings(max_examples=100, deadline=None)
@given(st.lists(skews, min_size=2, max_size=8), st.randoms(use_true_random=False))
def test_convergence_holds_whatever_the_clocks(skews_ms, rnd):
    """Points with clocks wrong by minutes to decades: every arrival order folds to one state."""
    events = [Event("r" * 32, "dossier.received", UID, B, "lan", str(hlc.Stamp(NOW, 0)), RECEIVED)]
    for i, skew in enumerate(skews_ms):
        origin = CENTER if i % 2 else B
        events.append(ev("dossier.corrected", origin, payload={
            "fields": {"applicant.phone": f"09{i:08d}"}}, eid=f"{i:032d}",
            hlc_text=str(hlc.Stamp(max(0, NOW + skew), i))))
    want = merge.fold(events).to_dict()
    shuffled = list(events)
    rnd.shuffle(shuffled)
    state = None
    for e in shuffled:
        state = merge.apply(state, e)
    assert state.to_dict() == want


def test_a_full_counter_carries_instead_of_overflowing():
    top = hlc.Stamp(NOW, hlc.MAX_COUNTER)
    assert hlc.tick(top, NOW) == hlc.Stamp(NOW + 1, 0)
    assert hlc.observe(hlc.ZERO, top, NOW) == hlc.Stamp(NOW + 1, 0)
