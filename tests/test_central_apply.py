"""apply_events: idempotent, order-independent, conflicts recorded, owed to the right point only."""
from __future__ import annotations

import random
from datetime import datetime

from central_fixtures import *  # noqa: F401,F403
from central_fixtures import add_point, attached, corrected, received, stamp, transitioned

NOW = datetime(2026, 3, 5, 12, 0)
T0 = 1_772_000_000_000


def _apply(events, source="07024"):
    from central.apply import apply_events
    from central.db import write_transaction
    with write_transaction():
        return apply_events(events, source_point=source, now=NOW)


def _snapshot():
    from central.models import Attachment, ConflictRecord, Dossier, Event, Outbound
    dossiers = sorted(tuple(sorted((k, str(v)) for k, v in d.__data__.items() if k != "id"))
                      for d in Dossier.select())
    return (dossiers, Event.select().count(), Outbound.select().count(),
            sorted((a.dossier_uid, a.sha256) for a in Attachment.select()),
            sorted(c.conflict_id for c in ConflictRecord.select()))


def _story(uid="d1"):
    return [received(uid, hlc=stamp(T0)),
            transitioned(uid, 2, 4, stamp(T0 + 1000)),
            attached(uid, "a" * 64, stamp(T0 + 2000)),
            corrected(uid, {"applicant.phone": "0987654321"}, stamp(T0 + 3000)),
            transitioned(uid, 4, 9, stamp(T0 + 4000), at="2026-03-05T10:00:00")]


def test_apply_folds_a_dossier(central_db):
    add_point()
    result = _apply(_story())
    from central.models import Attachment, Dossier
    d = Dossier.get(Dossier.uid == "d1")
    assert len(result.applied) == 5 and result.skipped == []
    assert d.status == 9 and d.origin == "07024" and d.procedure_code == "1.001193"
    assert d.applicant["phone"] == "0987654321"
    assert d.finished_at == datetime(2026, 3, 5, 10, 0)
    assert d.due_at == datetime(2026, 3, 6, 9, 0)
    assert "nguyen van an" in d.search_text
    assert [a.sha256 for a in Attachment.select()] == ["a" * 64]


def test_same_events_twice_change_nothing(central_db):
    add_point()
    events = _story()
    _apply(events)
    before = _snapshot()
    again = _apply(events)
    assert again.applied == [] and len(again.skipped) == 5
    assert _snapshot() == before


def test_out_of_order_events_converge(central_db, tmp_path):
    add_point()
    events = _story("d1") + _story("d2")
    _apply(events)
    want = _snapshot()
    from central.models import Attachment, ConflictRecord, Dossier, Event, Outbound
    for seed in range(3):
        for model in (Attachment, ConflictRecord, Dossier, Event, Outbound):
            model.delete().execute()
        shuffled = events[:]
        random.Random(seed).shuffle(shuffled)
        for i in range(0, len(shuffled), 3):         # in several parcels, some repeated
            _apply(shuffled[i:i + 3] + shuffled[:1])
        assert _snapshot() == want


def test_transition_before_received_is_held_until_it_arrives(central_db):
    add_point()
    story = _story()
    _apply(story[1:2])
    from central.models import Dossier
    assert Dossier.select().count() == 0
    _apply(story[:1])
    assert Dossier.get(Dossier.uid == "d1").status == 4


def test_events_from_the_point_are_not_queued_back_to_it(central_db):
    add_point()
    add_point("07006", "Minh Châu")
    result = _apply(_story())
    from central.outbound import pending_outbound
    assert result.queued == 0
    assert pending_outbound("07024") == [] and pending_outbound("07006") == []


def test_center_event_is_queued_for_the_origin_point_only(central_db):
    add_point()
    add_point("07006", "Minh Châu")
    _apply(_story()[:2])
    from central.apply import record_center_event
    from central.outbound import ack_outbound, pending_outbound
    ev = record_center_event("dossier.transitioned", "d1", "hoa@central",
                             {"from": 4, "to": 5, "reason": "Thiếu giấy", "at": NOW.isoformat(),
                              "due_at": None, "returned_to": None}, now=NOW)
    assert ev.origin == "central" and ev.hlc > stamp(T0 + 1000)
    assert [e.id for e in pending_outbound("07024")] == [ev.id]
    assert pending_outbound("07006") == []
    from central.models import Dossier
    assert Dossier.get(Dossier.uid == "d1").status == 5
    # The point sends the same event back (it relays its journal): nothing new is queued.
    assert _apply([ev]).applied == []
    assert ack_outbound("07024", [ev.id], now=NOW) == 1
    assert pending_outbound("07024") == []


def test_center_hlc_never_goes_backwards(central_db):
    add_point()
    _apply(_story()[:2])
    from central.apply import record_center_event
    first = record_center_event("dossier.rated", "d1", "hoa@central", {"rating": "hài lòng"},
                                now=NOW)
    second = record_center_event("dossier.rated", "d1", "hoa@central", {"rating": "rất hài lòng"},
                                 now=datetime(2020, 1, 1))      # the center's clock turned back
    assert second.hlc > first.hlc


def test_catalogue_update_goes_to_every_point(central_db):
    add_point()
    add_point("07006", "Minh Châu")
    from central.apply import record_center_event
    from central.outbound import pending_outbound
    ev = record_center_event("catalogue.updated", None, "admin@central", {"version": "2026.2"},
                             now=NOW)
    assert [e.id for e in pending_outbound("07024")] == [ev.id]
    assert [e.id for e in pending_outbound("07006")] == [ev.id]


def test_concurrent_transitions_raise_a_conflict(central_db):
    add_point()
    _apply(_story()[:2])
    from central.apply import record_center_event
    from central.models import ConflictRecord, Dossier
    record_center_event("dossier.transitioned", "d1", "hoa@central",
                        {"from": 4, "to": 9, "at": NOW.isoformat()}, now=NOW)
    # The point, not yet knowing, recorded a withdrawal from the same status.
    _apply([transitioned("d1", 4, 7, stamp(T0 + 500_000))])
    conflicts = list(ConflictRecord.select())
    assert len(conflicts) == 1 and conflicts[0].is_open
    assert conflicts[0].detail["kind"] == "concurrent_transition"
    assert Dossier.get(Dossier.uid == "d1").open_conflicts == 1


def test_possible_duplicate_across_points_is_flagged(central_db):
    add_point()
    add_point("07006", "Minh Châu")
    _apply([received("d1", "07024", stamp(T0))])
    _apply([received("d2", "07006", stamp(T0 + 60_000))], source="07006")
    from central.models import ConflictRecord
    kinds = [c.kind for c in ConflictRecord.select()]
    assert kinds == ["possible_duplicate"]


def test_malformed_event_rolls_back_the_whole_parcel(central_db):
    import pytest
    add_point()
    from sync.events import Event
    bad = Event("x1", "dossier.transitioned", None, "07024", "lan@07024", stamp(T0), {})
    with pytest.raises(ValueError):
        _apply(_story() + [bad])
    from central.models import Event as Row
    assert Row.select().count() == 0
