"""The leaders' dashboard over the 30 hand-checked dossiers (`tests/fixtures/thirty/`), counted by
the database on SQLite and PostgreSQL: intake by date received equals the hand figures, and the
finished part (by date finished) holds exactly the hand verdicts of the dossiers finished in the
period, overall, per month and per point."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime

from central_fixtures import *  # noqa: F401,F403

from tests import thirty


def test_the_dashboard_equals_the_hand_computation(app, central_db):
    from central.models import Dossier
    from central.stats import compute_dashboard
    data, want = thirty.load(), thirty.expected()
    with app.app_context():
        codes = thirty.play_on_node(data)
        events = thirty.node_journal()
    thirty.apply_at_center(events)
    start, end = (date.fromisoformat(want["range"][k]) for k in ("from", "to"))
    s = compute_dashboard(start, end, now=datetime.fromisoformat(want["now"]))
    assert s["intake"]["total"] == want["total"] == 30
    assert s["intake"]["by_status"] == want["by_status"]
    assert s["intake"]["by_channel"] == want["by_channel"]
    finished = {d.code: d.finished_at for d in Dossier.select() if d.finished_at}
    hand, months = Counter(), {}
    for item in data["dossiers"]:
        at = finished.get(codes[item["id"]])
        verdict = item["hand"]["verdict"]
        if verdict and at and start <= at.date() <= end:
            hand[verdict] += 1
            months.setdefault(f"{at:%Y-%m}", Counter())[verdict] += 1
    fin = s["finished"]
    assert sum(hand.values()) > 10
    assert (fin["early"], fin["on_time"], fin["late"]) == (hand["early"], hand["on_time"], hand["late"])
    assert {m: (v["early"], v["on_time"], v["late"]) for m, v in fin["by_month"].items()} == \
        {m: (c["early"], c["on_time"], c["late"]) for m, c in months.items()}
    assert fin["by_point"]["07024"]["finished"] == sum(hand.values())
