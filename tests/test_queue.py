"""The queue: numbers per group per day, calling, the display's state, linking a dossier to the
ticket it was taken from (times in the journal and at the center's schema), rating once."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from motcua.errors import Conflict, InvalidInput, NotFound
from tests.conftest import dossier_body

DAY = datetime(2026, 3, 2, 8, 0)
CLERK = "lan@07024"


@pytest.fixture
def groups(app):
    from node import queue
    return queue.groups_from(None)


def test_groups_come_from_the_catalogue_and_cover_known_procedures(app, groups):
    from node import catalogue
    known = {p.code for p in catalogue.procedures_in_force()}
    data = catalogue.load_default_catalogue()["queue_groups"]
    assert [g.code for g in groups] == ["A", "B", "C", "D"]
    assert all(set(g["procedures"]) <= known for g in data)


def test_numbers_run_per_group_per_day(app, groups):
    from node import queue
    a1 = queue.take_ticket("A", groups, now=DAY)
    a2 = queue.take_ticket("A", groups, now=DAY + timedelta(minutes=1))
    b1 = queue.take_ticket("B", groups, now=DAY + timedelta(minutes=2))
    next_day = queue.take_ticket("A", groups, now=DAY + timedelta(days=1))
    assert [queue.label(t) for t in (a1, a2, b1, next_day)] == ["A001", "A002", "B001", "A001"]
    assert a1.uid != a2.uid and len(a1.secret) == 4
    assert queue.waiting_before(a2) == 1 and queue.waiting_before(b1) == 0
    with pytest.raises(InvalidInput):
        queue.take_ticket("Z", groups, now=DAY)


def test_calling_recall_skip_transfer_and_the_display(app, groups):
    from node import queue
    tickets = [queue.take_ticket(g, groups, now=DAY + timedelta(minutes=i))
               for i, g in enumerate("AABA")]
    # desk 1 serves only group B; desk 2 everything
    assert queue.label(queue.call_next(1, CLERK, ["B"], now=DAY + timedelta(minutes=10))) == "B001"
    assert queue.label(queue.call_next(2, "x@07024", now=DAY + timedelta(minutes=11))) == "A001"
    state = queue.display_state(groups, today=DAY.date())
    assert state["desks"] == [{"desk": 1, "number": "B001"}, {"desk": 2, "number": "A001"}]
    assert state["next"] == ["A002", "A003"]
    assert [c["number"] for c in state["calls"]] == ["B001", "A001"]
    # a recall is announced again; the display asks only for calls after the last it read
    queue.recall(2, now=DAY + timedelta(minutes=12))
    again = queue.display_state(groups, after_call=state["last_call"], today=DAY.date())
    assert again["calls"] == [{"id": state["last_call"] + 1, "number": "A001", "desk": 2}]
    # desk 1 sends B001 to desk 2: it goes first at desk 2, ahead of older tickets
    queue.transfer(1, 2, now=DAY + timedelta(minutes=13))
    assert queue.serving(1, DAY.date()) is None
    assert queue.label(queue.call_next(2, "x@07024", now=DAY + timedelta(minutes=14))) == "B001"
    assert queue.get_ticket(tickets[0].uid).status == "done"     # calling next finished A001
    queue.skip(2, now=DAY + timedelta(minutes=15))
    assert queue.get_ticket(tickets[2].uid).status == "skipped"
    with pytest.raises(Conflict):
        queue.recall(2, now=DAY + timedelta(minutes=16))
    with pytest.raises(InvalidInput):
        queue.call_next(0, CLERK, now=DAY)
    assert queue.label(queue.call_next(1, CLERK, [], now=DAY + timedelta(minutes=17))) == "A002"
    assert queue.label(queue.call_next(1, CLERK, [], now=DAY + timedelta(minutes=18))) == "A003"
    assert queue.call_next(1, CLERK, [], now=DAY + timedelta(minutes=19)) is None
    # yesterday's waiting tickets are not called today
    queue.take_ticket("C", groups, now=DAY)
    assert queue.call_next(1, CLERK, now=DAY + timedelta(days=1)) is None


def test_a_dossier_taken_from_a_called_ticket_records_wait_and_service(app, groups):
    from node import queue, reception
    from node.models import Event, QueueLink
    from sync.events import Event as WireEvent  # noqa: F401  (the schema checks wire events)
    from sync.schema import PAYLOADS
    ticket = queue.take_ticket("A", groups, now=DAY)
    queue.set_desk(CLERK, 3, [])
    queue.call_next(3, CLERK, now=DAY + timedelta(minutes=12))
    d = reception.receive_dossier(dossier_body(), CLERK, now=DAY + timedelta(minutes=20))
    link = QueueLink.get(QueueLink.dossier_code == d.code)
    assert (link.ticket.id, link.desk, link.wait_seconds, link.service_seconds) == \
        (ticket.id, 3, 12 * 60, 8 * 60)
    payload = Event.get(Event.dossier_uid == d.uid).payload
    assert payload["queue"] == {"ticket": "A001", "group": "A", "desk": 3,
                                "issued_at": "2026-03-02T08:00:00",
                                "called_at": "2026-03-02T08:12:00"}
    PAYLOADS["dossier.received"](payload, "payload")              # the center accepts it
    with pytest.raises(ValueError):
        PAYLOADS["dossier.received"]({**payload, "queue": {"ticket": "A001"}}, "payload")
    # another clerk without a called ticket: no link
    other = reception.receive_dossier(dossier_body(), "quan@07024", now=DAY + timedelta(minutes=21))
    assert "queue" not in Event.get(Event.dossier_uid == other.uid).payload
    assert queue.dossiers_of(ticket) == [d.code]


def test_rating_by_ticket_once_and_never_before_a_result(app, groups):
    from node import queue, reception
    scale = app.config["RATING_SCALE"]
    ticket = queue.take_ticket("A", groups)
    queue.set_desk(CLERK, 1, [])
    queue.call_next(1, CLERK)
    d = reception.receive_dossier(dossier_body(), CLERK)
    found = queue.find_ticket_today(queue.label(ticket), ticket.secret.lower())
    with pytest.raises(Conflict):                  # received, no result yet
        queue.rate_once(queue.dossiers_of(found), "satisfied", scale)
    reception.transition(d.code, 4, CLERK)
    reception.transition(d.code, 9, CLERK)
    with pytest.raises(InvalidInput):
        queue.rate_once([d.code], "", scale)
    assert queue.rate_once(queue.dossiers_of(found), "satisfied", scale) == [d.code]
    assert reception.get_dossier(d.code).rating == "satisfied"
    with pytest.raises(Conflict):
        queue.rate_once([d.code], "not_satisfied", scale)
    assert reception.get_dossier(d.code).rating == "satisfied"
    with pytest.raises(NotFound):
        queue.find_ticket_today(queue.label(ticket), "WRNG")
