"""The 30 hand-checked dossiers (`tests/fixtures/thirty/HAND.md`): played on a real node, carried to
the center's apply path, and counted by the center's statistics; the node's due dates, the verdicts
and the fee totals must equal the hand computation, whatever the PC's time zone."""
from __future__ import annotations

import time
from datetime import date, datetime

import pytest
from central_fixtures import *  # noqa: F401,F403

from tests import thirty

ZONES = ["UTC", "Asia/Ho_Chi_Minh", "America/Los_Angeles"]


@pytest.fixture(params=ZONES)
def pc_zone(request, monkeypatch):
    """The PC's own clock zone for this run (the legal zone stays Vietnam's)."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


def test_thirty_dossiers_equal_the_hand_computation(pc_zone, app, central_db):
    from central.models import Dossier as CenterDossier
    from central.stats import compute_stats
    from motcua import deadlines
    from node import reception
    data, want = thirty.load(), thirty.expected()
    with app.app_context():
        codes = thirty.play_on_node(data)
        # the node: every due date (the original one where Form 04 gave a new date) as by hand
        for item in data["dossiers"]:
            d = reception.get_dossier(codes[item["id"]])
            hand = item["hand"]
            if hand.get("received"):
                assert d.received_at == datetime.fromisoformat(hand["received"]), item["id"]
            if hand["due"] and d.status not in (1, 3):
                due = d.original_due_at or d.due_at
                assert due == datetime.fromisoformat(hand["due"]), item["id"]
            if hand.get("new_due"):
                assert d.due_at == datetime.fromisoformat(hand["new_due"]), item["id"]
            if "fee_vnd" in hand:
                assert d.fee_vnd == hand["fee_vnd"], item["id"]
        events = thirty.node_journal()
    thirty.apply_at_center(events)

    # the center: each finished dossier's verdict, then the statistics as a whole
    by_code = {d.code: d for d in CenterDossier.select()}
    assert len(by_code) == 30
    for item in data["dossiers"]:
        d = by_code[codes[item["id"]]]
        if item["hand"]["verdict"]:
            got = deadlines.classify(d.finished_at, d.original_due_at or d.due_at, d.supplement_count)
            assert got == item["hand"]["verdict"], item["id"]
    s = compute_stats(date.fromisoformat(want["range"]["from"]),
                      date.fromisoformat(want["range"]["to"]),
                      now=datetime.fromisoformat(want["now"]))
    assert s["total"] == want["total"]
    assert s["by_status"] == want["by_status"]
    assert s["by_channel"] == want["by_channel"]
    assert {k: s["timeliness"][k] for k in want["timeliness"]} == want["timeliness"]
    assert s["open"] == want["open"]
    assert s["fees"] == want["fees"]
