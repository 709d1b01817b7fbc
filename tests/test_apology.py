"""Form 04: once, at least one working day before the due date, never after; the original due date
is kept and the center's statistics judge against it."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from central_fixtures import *  # noqa: F401,F403
from central_fixtures import add_point

from motcua.errors import Conflict
from tests.conftest import dossier_body

CLERK = "lan@07024"
MON_9 = datetime(2026, 3, 9, 9, 0)          # 3-day procedure received: due Thu 12/03 17:00
DUE = datetime(2026, 3, 12, 17, 0)
NEW = datetime(2026, 3, 18, 17, 0)


def _receive():
    from node import reception
    d = reception.receive_dossier(dossier_body(procedure_code="1.004194"), CLERK, now=MON_9)
    reception.transition(d.code, 4, CLERK, now=MON_9)
    assert d.due_at == DUE
    return d


@pytest.mark.parametrize("when", [datetime(2026, 3, 12, 8, 0),       # on the due day
                                  datetime(2026, 3, 13, 9, 0),       # a day after
                                  datetime(2026, 5, 8, 9, 0)])       # 57 days after
def test_an_apology_on_or_after_the_due_day_is_refused_in_vietnamese(app, when):
    from node import clerk
    d = _receive()
    with pytest.raises(Conflict) as info:
        clerk.set_new_due_date(d.code, NEW, "Chờ xác minh", CLERK, now=when)
    assert info.value.code == "apology_too_late"
    assert "ít nhất một ngày làm việc" in info.value.message_vi and "12/03/2026" in info.value.message_vi
    assert clerk.apology_of(d) is None


def test_a_legal_apology_keeps_the_original_due_date(app):
    from node import clerk
    d = _receive()
    got = clerk.set_new_due_date(d.code, NEW, "Chờ xác minh", CLERK,
                                now=datetime(2026, 3, 11, 16, 59))     # the working day before
    assert got.due_at == NEW and got.original_due_at == DUE
    with pytest.raises(Conflict):
        clerk.set_new_due_date(d.code, NEW, "lần hai", CLERK, now=datetime(2026, 3, 11, 17, 0))


def test_the_center_judges_against_the_original_due_date(app, central_db):
    """Finished after the original due date but before the new one: late at the center."""
    from central.apply import apply_events
    from central.db import write_transaction
    from central.stats import compute_stats
    from node import clerk, reception
    from node.apply import journal_of
    d = _receive()
    clerk.set_new_due_date(d.code, NEW, "Chờ xác minh", CLERK, now=datetime(2026, 3, 10, 9, 0))
    reception.transition(d.code, 9, CLERK, now=datetime(2026, 3, 16, 10, 0))
    add_point()
    events = sorted(journal_of(d.uid).values(), key=lambda e: e.sort_key())
    with write_transaction():
        apply_events(events, source_point="07024", now=datetime(2026, 3, 20, 9, 0))
    s = compute_stats(date(2026, 3, 1), date(2026, 3, 31), now=datetime(2026, 3, 20, 9, 0))
    assert (s["timeliness"]["late"], s["timeliness"]["on_time"], s["timeliness"]["early"]) == (1, 0, 0)
