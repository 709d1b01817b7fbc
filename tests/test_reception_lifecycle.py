"""The whole lifecycle at the desk: online dossiers start unreceived, walk-ins may be refused or
guided without starting the clock, receipt (1→2) starts it, and the payment wait pauses it."""
from __future__ import annotations

from datetime import datetime

import pytest

from motcua.errors import Conflict, InvalidInput
from tests.conftest import dossier_body

CLERK = "lan@07024"
MON_9 = datetime(2026, 3, 9, 9, 0)         # a Monday, an ordinary working week


def _events(d):
    from node.models import Event
    return [(e.kind, e.payload) for e in
            Event.select().where(Event.dossier_uid == d.uid).order_by(Event.seq)]


def test_online_dossier_starts_unreceived_and_receipt_starts_the_clock(app):
    from node import clerk, reception
    d = reception.receive_dossier(dossier_body(procedure_code="1.004194", channel=2), CLERK,
                                  now=MON_9)
    assert d.status == 1
    assert _events(d)[0][1]["due_at"] is None                   # no clock before receipt
    # a dossier not yet received can never be overdue, however long it waits
    lists = clerk.today_lists(datetime(2026, 4, 1, 9, 0))
    assert d.code not in [r.code for r in lists["overdue"].rows]
    wed = datetime(2026, 3, 11, 10, 0)
    got = reception.transition(d.code, 2, CLERK, now=wed)
    assert got.status == 2
    assert got.received_at == wed                                # the clock starts at receipt
    assert got.due_at == datetime(2026, 3, 16, 17, 0)            # 3 working days after Wednesday


def test_online_dossier_refused_at_the_desk(app):
    from node import clerk, reception
    d = reception.receive_dossier(dossier_body(channel=2), CLERK, now=MON_9)
    got = reception.transition(d.code, 3, CLERK, reason="Không thuộc thẩm quyền", now=MON_9)
    assert got.status == 3
    assert clerk.last_reason_for(got, 3) == "Không thuộc thẩm quyền"


def test_walk_in_refusal_is_recorded_with_its_reasons(app):
    from node import clerk, reception
    got = reception.refuse_at_reception(dossier_body(), "Hồ sơ giả mạo chữ ký", CLERK, now=MON_9)
    assert got.status == 3 and got.channel == 1
    kinds = [(k, p.get("status"), p.get("from"), p.get("to")) for k, p in _events(got)]
    assert kinds == [("dossier.received", 1, None, None), ("dossier.transitioned", None, 1, 3)]
    assert clerk.last_reason_for(got, 3) == "Hồ sơ giả mạo chữ ký"
    with pytest.raises(Conflict):                      # refused is final
        reception.transition(got.code, 2, CLERK, now=MON_9)


def test_walk_in_refusal_needs_a_reason_and_writes_nothing_without(app):
    from node import reception
    from node.models import Dossier
    with pytest.raises(InvalidInput) as info:
        reception.refuse_at_reception(dossier_body(), "  ", CLERK, now=MON_9)
    assert info.value.field == "reason"
    assert Dossier.select().count() == 0


def test_guidance_before_receipt_keeps_a_record_without_a_clock(app):
    from node import reception
    from node.models import Dossier
    got = reception.guide_at_reception(dossier_body(), "Bổ sung giấy chứng sinh bản chính",
                                       CLERK, contact="Chị Lan, 0203 3874 123", now=MON_9)
    assert got.status == 1 and got.supplement_count == 0      # not a supplement against the office
    fields = _events(got)[1][1]["fields"]
    assert fields["guidance.to_add"] == "Bổ sung giấy chứng sinh bản chính"
    assert fields["guidance.contact"] == "Chị Lan, 0203 3874 123"
    # the citizen comes back complete two days later: received then, the clock starts then
    back = datetime(2026, 3, 11, 14, 0)
    got = reception.transition(got.code, 2, CLERK, now=back)
    assert got.received_at == back and got.due_at == datetime(2026, 3, 11, 17, 0)
    with pytest.raises(InvalidInput):
        reception.guide_at_reception(dossier_body(), "", CLERK, now=MON_9)
    assert Dossier.select().count() == 1


def test_payment_wait_stops_the_clock_like_a_supplement(app):
    from node import reception
    d = reception.receive_dossier(dossier_body(procedure_code="1.004194"), CLERK, now=MON_9)
    assert d.due_at == datetime(2026, 3, 12, 17, 0)
    reception.transition(d.code, 4, CLERK, now=MON_9)
    paused = reception.transition(d.code, 6, CLERK, now=datetime(2026, 3, 10, 9, 0))
    assert paused.paused_at == datetime(2026, 3, 10, 9, 0)
    back = reception.transition(d.code, 4, CLERK, now=datetime(2026, 3, 12, 9, 0))
    # paused Tuesday, paid Thursday: Wednesday and Thursday lost, the due date moves by two days
    assert back.due_at == datetime(2026, 3, 16, 17, 0)
    assert back.paused_at is None and back.supplement_count == 0


def test_payment_pause_at_the_center_fold_matches(app):
    """The center folds the same events: its paused_at and due date agree with the point's."""
    from node import reception
    from node.apply import journal_of
    from sync import folding, merge
    d = reception.receive_dossier(dossier_body(procedure_code="1.004194"), CLERK, now=MON_9)
    reception.transition(d.code, 4, CLERK, now=MON_9)
    reception.transition(d.code, 6, CLERK, now=datetime(2026, 3, 10, 9, 0))
    journal = journal_of(d.uid)
    row = folding.dossier_row(merge.fold(journal.values()), journal)
    assert row["status"] == 6 and row["paused_at"] == datetime(2026, 3, 10, 9, 0)
