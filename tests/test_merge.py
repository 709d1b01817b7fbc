"""Table-driven merge rules; every case is checked in both delivery directions (A then B, B then A)."""
from __future__ import annotations

import itertools
import random

import pytest

from sync.conflict_rules import (
    CONCURRENT_TRANSITION,
    POSSIBLE_DUPLICATE,
    RECEIVED_TWICE,
    STATUS_STALE,
    find_possible_duplicates,
    make_conflict_id,
)
from sync.events import Event
from sync.hlc import Stamp
from sync.merge import apply, fold, fold_all, states_equal, verify

D = "07024-260105-0001"
DAY = 86_400_000


def ev(eid, kind, t, origin="07024", payload=None, dossier=D, actor=None):
    """An event at wall time `t` ms (counter 0) on `origin`."""
    return Event(eid, kind, dossier, origin, actor or f"clerk@{origin}", str(Stamp(t, 0)),
                 payload or {})


def received(eid="r", t=1_000, origin="07024", dossier=D, id_number="022090001234",
             procedure="1.001", at="2026-01-05T09:00:00"):
    return ev(eid, "dossier.received", t, origin, dossier=dossier, payload={
        "code": f"{origin}-260105-0001", "procedure_code": procedure, "status": 2,
        "applicant": {"full_name": "Nguyễn Văn A", "id_number": id_number, "phone": "0912000001"},
        "owner": None, "received_at": at, "due_at": "2026-01-12T17:00:00", "notes": ""})


def move(eid, t, frm, to, origin="central", **extra):
    return ev(eid, "dossier.transitioned", t, origin, {"from": frm, "to": to, **extra})


def correct(eid, t, origin, **fields):
    return ev(eid, "dossier.corrected", t, origin,
              {"fields": {k.replace("__", "."): v for k, v in fields.items()}})


def add(eid, t, origin, sha, req="giay_to_1"):
    return ev(eid, "attachment.added", t, origin,
              {"sha256": sha, "requirement_id": req, "size": 10, "mime": "image/jpeg",
               "filename": f"{sha}.jpg"})


def remove(eid, t, origin, sha, req="giay_to_1"):
    return ev(eid, "attachment.removed", t, origin, {"sha256": sha, "requirement_id": req})


def resolve(eid, t, origin, cid, decision, value=None):
    return ev(eid, "conflict.resolved", t, origin,
              {"conflict_id": cid, "decision": decision, "value": value})


BASE = [received(), move("m24", 2_000, 2, 4)]
WITHDRAW_VS_RESULT = (BASE + [move("c49", 10_000, 4, 9, "central")],
                      [move("p47", 10_500, 4, 7, "07024")])


def both_ways(side_a, side_b):
    """Fold A+B, and apply A then B and B then A; all three must agree. Returns the state."""
    full = fold(side_a + side_b)
    for order in (side_a + side_b, side_b + side_a):
        s = None
        for e in order:
            s = apply(s, e)
        assert states_equal(s, full), order
        assert [c.to_dict() for c in s.conflicts] == [c.to_dict() for c in full.conflicts]
    return full


def _lww(s):
    assert s.applicant["phone"] == "0912000003"
    assert [v for v, _ in s.field_history("applicant.phone")] == ["0912000001", "0912000002"]
    assert s.field_wins["applicant.phone"][2] == "p2"


def _add_add(s):
    assert sorted(s.attachments) == [("giay_to_1", "aa"), ("giay_to_1", "bb")]


def _add_same(s):
    assert list(s.attachments) == [("giay_to_1", "aa")]
    assert s.attachments[("giay_to_1", "aa")].added[2] == "a2"  # the later add's metadata


def _removed(s):
    assert s.attachments == {}


def _readded(s):
    assert list(s.attachments) == [("giay_to_1", "aa")]


def _result_wins(s):
    assert s.status == 9
    (c,) = s.conflicts
    assert c.kind == CONCURRENT_TRANSITION and c.is_open
    assert (c.a.id, c.a.origin, c.a.from_status, c.a.to_status) == ("c49", "central", 4, 9)
    assert (c.b.id, c.b.origin, c.b.actor, c.b.from_status, c.b.to_status) == \
        ("p47", "07024", "clerk@07024", 4, 7)
    assert c.id == make_conflict_id(CONCURRENT_TRANSITION, "p47", "c49")


def _withdraw_wins(s):
    assert s.status == 7 and s.conflicts[0].a.id == "p47" and s.conflicts[0].b.id == "c49"


def _two_sequential_supplements(s):
    assert s.status == 5 and s.supplement_count == 2 and s.conflicts == []


def _two_concurrent_supplements(s):
    assert s.status == 5 and s.supplement_count == 1 and s.conflicts == []


def _stale(s):
    assert s.status == 4
    (c,) = s.conflicts
    assert c.kind == STATUS_STALE and c.b.id == "x54" and c.a.id == "m24"


def _received_twice(s):
    assert s.received.id == "r" and s.code == "07024-260105-0001"
    (c,) = s.conflicts
    assert c.kind == RECEIVED_TWICE and (c.a.id, c.b.id) == ("r", "r2")


CASES = {
    "lww field, history kept": (
        BASE + [correct("c1", 5_000, "central", applicant__phone="0912000002")],
        [correct("p2", 6_000, "07024", applicant__phone="0912000003")], _lww),
    "attachments add/add": (
        BASE + [add("a1", 3_000, "central", "aa")], [add("a2", 3_000, "07024", "bb")], _add_add),
    "attachments same file twice": (
        BASE + [add("a1", 3_000, "central", "aa")], [add("a2", 3_001, "07024", "aa")], _add_same),
    "remove sees the add": (
        BASE + [add("a1", 3_000, "07024", "aa")], [remove("x1", 4_000, "central", "aa")], _removed),
    "later concurrent add survives removal": (
        BASE + [add("a1", 3_000, "07024", "aa"), remove("x1", 4_000, "07024", "aa")],
        [add("a2", 4_500, "central", "aa")], _readded),
    "withdraw (7) vs result ready (9): earlier wins": (*WITHDRAW_VS_RESULT, _result_wins),
    "withdraw earlier than result": (
        BASE + [move("c49", 10_500, 4, 9, "central")], [move("p47", 10_000, 4, 7, "07024")],
        _withdraw_wins),
    "two supplement requests, in sequence": (
        BASE + [move("s1", 3_000, 4, 5), move("s2", 4_000, 5, 4, "07024")],
        [move("s3", 5_000, 4, 5)], _two_sequential_supplements),
    "two supplement requests, concurrent": (
        BASE + [move("s1", 3_000, 4, 5, "central")], [move("s2", 3_100, 4, 5, "07024")],
        _two_concurrent_supplements),
    "stale transition is recorded": (
        BASE, [move("x54", 3_000, 5, 4, "07024")], _stale),
    "same origin leaving one status twice is stale, not concurrent": (
        BASE + [move("c49", 10_000, 4, 9, "central")], [move("c47", 10_500, 4, 7, "central")],
        lambda s: s.status == 9 and [c.kind for c in s.conflicts] == [STATUS_STALE]),
    "received twice: earliest wins": (
        BASE, [received("r2", t=1_500, origin="central")], _received_twice),
    "duplicate delivery": (
        BASE + [correct("c1", 5_000, "central", applicant__phone="0912000003")],
        [correct("c1", 5_000, "central", applicant__phone="0912000003"), BASE[0]],
        lambda s: s.event_count == 3 and s.applicant["phone"] == "0912000003"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_rule_both_directions(name):
    side_a, side_b, check = CASES[name]
    state = both_ways(side_a, side_b)
    assert check(state) is not False


def test_resolution_keep_b_takes_the_other_status_and_closes_everywhere():
    side_a, side_b = WITHDRAW_VS_RESULT
    cid = make_conflict_id(CONCURRENT_TRANSITION, "c49", "p47")
    res = resolve("res", 20_000, "07006", cid, "keep_b")
    stop = move("m78", 21_000, 7, 8, "07024")
    s = both_ways(side_a + [res], side_b + [stop])
    assert s.status == 8 and s.open_conflicts == []
    assert s.conflicts[0].resolution.decision == "keep_b"


def test_resolution_keep_a_and_second_resolution_is_inert():
    side_a, side_b = WITHDRAW_VS_RESULT
    cid = make_conflict_id(CONCURRENT_TRANSITION, "c49", "p47")
    s = both_ways(side_a + [resolve("res1", 20_000, "central", cid, "keep_a")],
                  side_b + [resolve("res2", 20_100, "07024", cid, "keep_b")])
    assert s.status == 9
    (c,) = s.conflicts
    assert c.resolution.event_id == "res1" and c.ignored == ("res2",)


def test_resolution_by_value_and_before_its_conflict():
    side_a, side_b = WITHDRAW_VS_RESULT
    cid = make_conflict_id(CONCURRENT_TRANSITION, "c49", "p47")
    # A resolution stamped before the events it resolves (broken clocks) still applies, once.
    early = resolve("res", 9_000, "central", cid, "value", 4)
    s = both_ways(side_a, side_b + [early])
    assert s.status == 4 and not s.conflicts[0].is_open and s.pending_resolutions == {}


def test_resolution_of_received_twice_keep_b_takes_its_fields():
    other = received("r2", t=1_500, origin="central")
    cid = make_conflict_id(RECEIVED_TWICE, "r", "r2")
    s = both_ways(BASE, [other, resolve("res", 9_000, "central", cid, "keep_b")])
    assert s.code == "central-260105-0001" and s.open_conflicts == []


@pytest.mark.parametrize("second_at, origin, flagged", [
    ("2026-01-07T10:00:00", "07006", True),    # other point, 2 days later: within 3
    ("2026-01-12T10:00:00", "07006", False),   # other point, 7 days later: outside
    ("2026-01-06T10:00:00", "07024", False),   # same point: its own clerk sees it
])
def test_possible_duplicates(second_at, origin, flagged):
    first = received("r1", origin="07024", dossier="d1")
    second = received("r2", t=2_000, origin=origin, dossier="d2", at=second_at)
    other = received("r3", t=3_000, origin="07006", dossier="d3", id_number="001190000001")
    for events in ([first, second, other], [other, second, first, second]):
        found = find_possible_duplicates(events, window_days=3)
        assert len(found) == int(flagged)
        if flagged:
            (c,) = found
            assert c.kind == POSSIBLE_DUPLICATE and (c.a.id, c.b.id) == ("r1", "r2")
            assert c.id == make_conflict_id(POSSIBLE_DUPLICATE, "r2", "r1")


def test_out_of_order_delivery_every_permutation():
    events = [received(), move("m24", 2_000, 2, 4), correct("c1", 2_500, "central", notes="x"),
              move("c49", 3_000, 4, 9), move("p47", 3_100, 4, 7, "07024"),
              add("a1", 3_200, "07024", "aa")]
    want = fold(events)
    for perm in itertools.permutations(events):
        s = None
        for e in perm:
            s = apply(s, e)
        assert s == want


def test_in_order_event_appends_without_refold():
    s = fold(BASE)
    s2 = apply(s, correct("c1", 9_000, "central", notes="y"))
    assert s2._journal is s._journal and s2.event_count == 3 and s.event_count == 2
    # Branching from the older state is still correct: it copies its own prefix.
    s3 = apply(s, correct("c2", 9_500, "07024", notes="z"))
    assert (s2.notes, s3.notes, s.notes) == ("y", "z", "")
    assert s3 == fold(BASE + [correct("c2", 9_500, "07024", notes="z")])


def test_same_id_different_content_converges():
    a = correct("c1", 5_000, "central", notes="a")
    b = correct("c1", 5_000, "central", notes="b")
    want = fold(BASE + [a, b])
    assert want.notes == "a"
    for order in ([a, b], [b, a]):
        s = fold(BASE)
        for e in order:
            s = apply(s, e)
        assert s == want


def test_random_orders_with_duplicates_match_fold():
    side_a, side_b = WITHDRAW_VS_RESULT
    events = side_a + side_b + [add("a1", 3_000, "07024", "aa"), remove("x1", 12_000, "central", "aa"),
                                correct("c1", 11_000, "07024", applicant__phone="0900000000")]
    want = fold(events)
    rng = random.Random(7)
    for _ in range(50):
        stream = events + rng.sample(events, 3)
        rng.shuffle(stream)
        s = None
        for e in stream:
            s = apply(s, e)
        assert s == want


def test_verify_reports_differences():
    events = BASE + [correct("c1", 5_000, "central", applicant__phone="0912999999")]
    stored = fold(events).to_dict()
    assert verify(events, stored) == []
    stored["status"] = 9
    stored["fields"] = {**stored["fields"], "applicant.phone": "0"}
    diffs = verify(events, stored)
    assert diffs == ["fields.applicant.phone: stored '0', journal says '0912999999'",
                     "status: stored 9, journal says 4"]
    assert verify([], stored) == [f"{D}: no events in the journal"]


def test_fold_rejects_mixed_or_foreign_events():
    with pytest.raises(ValueError):
        fold([received(), received("r9", dossier="other")])
    with pytest.raises(ValueError):
        fold([Event("h", "holidays.updated", None, "central", "admin", str(Stamp(1, 0)), {})])
    with pytest.raises(ValueError):
        apply(fold(BASE), received("r9", dossier="other"))
    assert set(fold_all([received(), received("r9", dossier="other")])) == {D, "other"}


def test_state_fields_and_returned_to():
    events = BASE + [move("m49", 3_000, 4, 9), move("m910", 4_000, 9, 10, "07024",
                                                     returned_to="Nguyễn Văn A")]
    s = both_ways(events[:3], events[3:])
    assert (s.status, s.returned_to, s.procedure_code, s.due_at) == \
        (10, "Nguyễn Văn A", "1.001", "2026-01-12T17:00:00")
    assert s.owner == {} and s.received_at == "2026-01-05T09:00:00"
    assert s.status_win == ("000000000004000-00000", "07024", "m910")


def test_transition_carries_new_due_date():
    s = fold(BASE + [move("m45", 3_000, 4, 5), move("m54", 5 * DAY, 5, 4,
                                                     due_at="2026-01-20T17:00:00")])
    assert s.due_at == "2026-01-20T17:00:00"
    assert s.field_history("due_at")[0][0] == "2026-01-12T17:00:00"


def test_stale_transition_resolved_keep_b_and_unknown_resolution_is_held():
    stale = move("x57", 3_000, 5, 7, "07024")
    cid = make_conflict_id(STATUS_STALE, "x57")
    s = both_ways(BASE + [stale], [resolve("res", 4_000, "central", cid, "keep_b"),
                                   resolve("res9", 4_100, "central", "nosuchconflict", "keep_a")])
    assert s.status == 7 and s.status_win[2] == "res" and s.open_conflicts == []
    assert list(s.pending_resolutions) == ["nosuchconflict"]
