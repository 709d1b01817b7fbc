"""node.clerk: the clerk's lists, Form 04's one new date, the tracking book and the public lookup."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from motcua.errors import Conflict, InvalidInput, NotFound
from node import clerk, reception
from node.journal import dossier_history
from tests.conftest import dossier_body, png_bytes

MON = datetime(2026, 3, 2, 9, 0)     # an ordinary Monday


def receive(now=MON, **overrides):
    return reception.receive_dossier(dossier_body(**overrides), "lan@07024", now=now)


def test_today_lists_sort_dossiers_into_buckets(app):
    old = receive(now=MON - timedelta(days=7))              # same-day procedure: long overdue
    reception.transition(old.code, 4, "lan@07024", now=MON - timedelta(days=7))
    fresh = receive(now=MON)                                 # due 17:00 today
    done = receive(now=MON - timedelta(days=1, hours=-1))
    reception.transition(done.code, 4, "lan@07024", now=MON)
    reception.transition(done.code, 9, "lan@07024", now=MON)
    lists = clerk.today_lists(now=MON + timedelta(hours=1))
    codes = {k: [d.code for d in b.rows] for k, b in lists.items()}
    assert old.code in codes["overdue"] and fresh.code not in codes["overdue"]
    assert fresh.code in codes["due_soon"] and fresh.code in codes["received_today"]
    assert codes["to_return"] == [done.code]
    assert lists["to_return"].total == 1


def test_preview_matches_what_receiving_gives(app):
    now = datetime(2026, 3, 2, 16, 0)                        # after the 15:00 cut-off
    preview = clerk.preview_due("1.001193", now=now)
    assert preview["due_at"] == receive(now=now).due_at == datetime(2026, 3, 3, 17, 0)
    with pytest.raises(InvalidInput):
        clerk.preview_due("no-such-code", now=now)


def test_new_due_date_is_set_once_and_journaled(app):
    d = receive(procedure_code="1.004194")                   # 3 working days: time to apologise
    new = d.due_at + timedelta(days=3)
    with pytest.raises(InvalidInput):
        clerk.set_new_due_date(d.code, d.due_at - timedelta(hours=1), "chậm", "lan@07024", now=MON)
    with pytest.raises(InvalidInput):
        clerk.set_new_due_date(d.code, new, "  ", "lan@07024", now=MON)
    d2 = clerk.set_new_due_date(d.code, new, "Chờ xác minh", "lan@07024", now=MON)
    assert d2.due_at == new
    event = dossier_history(d.uid)[-1]
    assert event.kind == "dossier.corrected" and event.payload["fields"]["due_at"] == new.isoformat()
    apology = clerk.apology_of(d2)
    assert apology["original_due_at"] == d.due_at and apology["reason"] == "Chờ xác minh"
    # the center takes it: its shape and its sender pass the schema and the policy
    from node.journal import to_wire
    from sync.policy import judge_events
    assert judge_events([to_wire(event)], sender="07024", owners={d.uid: "07024"}) is None
    with pytest.raises(Conflict):
        clerk.set_new_due_date(d.code, new + timedelta(days=1), "lần hai", "lan@07024", now=MON)


def test_tracking_book_rows_for_a_range(app):
    a = receive(now=datetime(2026, 3, 2, 9))
    receive(now=datetime(2026, 3, 4, 9))
    reception.transition(a.code, 4, "lan@07024", now=datetime(2026, 3, 2, 10))
    rows = clerk.tracking_book(date(2026, 3, 1), date(2026, 3, 2))
    assert [r["code"] for r in rows] == [a.code]
    assert rows[0]["sent_at"] == datetime(2026, 3, 2, 10) and rows[0]["procedure"] == "Đăng ký khai sinh"
    assert len(clerk.tracking_book(date(2026, 3, 1), date(2026, 3, 31))) == 2
    with pytest.raises(InvalidInput):
        clerk.tracking_book(date(2026, 3, 5), date(2026, 3, 1))


def test_public_lookup_refuses_alike_and_shows_what_to_bring(app):
    d = receive()
    shown = clerk.public_lookup(d.code, d.lookup_secret.lower())
    assert shown["status"] == 2 and shown["to_bring"] is None
    assert set(shown) == {"code", "procedure", "status", "due_at", "to_bring"}
    messages = set()
    for code, secret in [(d.code, "WRONG1"), ("07024-000000-9999", d.lookup_secret), (d.code, "")]:
        with pytest.raises(NotFound) as exc:
            clerk.public_lookup(code, secret)
        messages.add(exc.value.message_vi)
    assert len(messages) == 1
    reception.transition(d.code, 4, "lan@07024")
    reception.transition(d.code, 5, "lan@07024", reason="Bản sao giấy chứng sinh")
    assert clerk.public_lookup(d.code, d.lookup_secret)["to_bring"] == "Bản sao giấy chứng sinh"


def test_receive_with_scans_and_components(app):
    store = app.extensions["motcua.blobs"]
    sha1 = clerk.stage_scan(store, png_bytes(seed=1), 10**6)
    sha2 = clerk.stage_scan(store, png_bytes(seed=2), 10**6)
    body = dossier_body(components=[{"requirement": "1.001193-d1", "copy_type": "original",
                                     "count": 1}])
    d = clerk.receive_with_scans(body, [("1.001193-d1", sha1, "a.png"), ("1.001193-d2", sha2, None)],
                                "lan@07024", store, max_bytes=10**6)
    rows = {r["key"]: r for r in clerk.components_of(d)}
    assert rows["1.001193-d1"]["copy_type"] == "original" and rows["1.001193-d1"]["scans"] == 1
    assert rows["1.001193-d2"]["scans"] == 1 and rows["1.001193-d2"]["copy_type"] is None
    with pytest.raises(InvalidInput):
        reception.receive_dossier(dossier_body(components=[{"requirement": "x", "copy_type": "bad",
                                                            "count": 1}]), "lan@07024")
    with pytest.raises(InvalidInput):
        clerk.receive_with_scans(dossier_body(), [("1.001193-d1", "0" * 64, None)], "lan@07024",
                                store, max_bytes=10**6)
