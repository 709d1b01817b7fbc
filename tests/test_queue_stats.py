"""The queue's figures: a fixture day at a point (tickets at two desks, a transfer, a skipped
ticket, two dossiers from one ticket, ratings), then one sync; the center's figures, computed from
the synced events, equal the point's, computed from its own tables; and both equal the figures
worked out by hand."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.conftest import dossier_body
from tests.test_carrier_contract import Link

DAY = datetime(2026, 3, 2, 7, 30)              # a Monday
LAN, MAI = "lan@07024", "mai@07024"


def at(minutes: int) -> datetime:
    return DAY + timedelta(minutes=minutes)


@pytest.fixture
def link(tmp_path):
    link = Link("in_process", tmp_path)
    yield link
    link.close()


def _play_the_day(scale: dict) -> dict:
    """Returns the dossier codes by name. Times in minutes after 07:30."""
    from node import queue, reception
    groups = queue.groups_from(None)
    take = lambda group, m: queue.take_ticket(group, groups, now=at(m))  # noqa: E731
    queue.take_ticket("A", groups, now=DAY - timedelta(days=1))          # yesterday: not counted
    take("A", 0)                                                          # A001 07:30
    take("B", 5)                                                          # B001 07:35
    take("A", 40)                                                         # A002 08:10
    take("A", 45)                                                         # A003 08:15 (skipped)
    take("C", 95)                                                         # C001 09:05 (waits)
    queue.set_desk(LAN, 1, [])
    queue.set_desk(MAI, 2, ["B"])
    codes = {}
    queue.call_next(1, LAN, now=at(10))                                   # A001 waited 10:00
    codes["a1"] = reception.receive_dossier(dossier_body(), LAN, now=at(16)).code
    codes["a1b"] = reception.receive_dossier(dossier_body(), LAN, now=at(20)).code  # same ticket
    queue.call_next(2, MAI, ["B"], now=at(12))                            # B001 waited 7:00
    codes["b1"] = reception.receive_dossier(dossier_body(), MAI, now=at(15)).code
    queue.call_next(1, LAN, now=at(50))                                   # A002 waited 10:00
    codes["a2"] = reception.receive_dossier(dossier_body(), LAN, now=at(55)).code
    queue.transfer(1, 2, now=at(56))                                      # then sent to desk 2
    queue.call_next(2, MAI, ["B"], now=at(60))                            # A002 again, waited 20:00
    codes["a2b"] = reception.receive_dossier(dossier_body(), MAI, now=at(62)).code
    queue.call_next(1, LAN, now=at(65))                                   # A003
    queue.skip(1, now=at(67))                                             # never came: no dossier
    for name, rating in (("a1", "very_satisfied"), ("b1", "not_satisfied"), ("a2", "satisfied")):
        reception.transition(codes[name], 4, LAN, now=at(100))
        reception.transition(codes[name], 9, LAN, now=at(110))
        reception.rate(codes[name], rating, LAN, scale=scale, now=at(120))
    return codes


def test_the_centers_figures_for_a_day_equal_the_points(link):
    from central import queuestats as center_stats
    from node import queue
    from node.config import defaults
    _play_the_day(defaults()["RATING_SCALE"])
    day = DAY.date()
    point = queue.point_figures(day, day)
    link.sync()
    center = center_stats.compute(day, day)

    assert center["points"] == point["points"]            # computed apart, equal
    assert center == {k: v for k, v in point.items() if k != "all_tickets"}

    (p,) = point["points"]
    assert (p["point"], p["tickets"], p["dossiers"]) == ("07024", 3, 5)
    by_group = {r["group"]: r for r in p["by_group"]}
    # visits: A001 (wait 600, service 16→20 = 600), A002 at desk 1 (600, 300),
    # A002 again at desk 2 (1200, 120), B001 (420, 180)
    assert by_group["A"]["wait"] == {"count": 3, "mean": 800, "median": 600, "max": 1200}
    assert by_group["A"]["service"] == {"count": 3, "mean": 340, "median": 300, "max": 600}
    assert by_group["B"]["wait"] == {"count": 1, "mean": 420, "median": 420, "max": 420}
    by_desk = {r["desk"]: r for r in p["by_desk"]}
    assert by_desk[1]["wait"]["count"] == 2 and by_desk[1]["service"]["mean"] == 450
    assert by_desk[2]["wait"] == {"count": 2, "mean": 810, "median": 420, "max": 1200}
    assert p["per_hour"] == {"07": 2, "08": 1}
    assert p["satisfaction"] == {"rated": 3, "satisfied_share": 0.6667, "ratings": {
        "not_satisfied": 1, "satisfied": 1, "very_satisfied": 1}}
    # what only the point knows: every ticket taken that day, whatever became of it
    assert point["all_tickets"] == {"issued": 5, "per_hour": {"07": 2, "08": 2, "09": 1},
                                    "by_group": {"A": 3, "B": 1, "C": 1},
                                    "by_status": {"called": 1, "skipped": 1, "waiting": 1,
                                                  "done": 2}}
    # other days: nothing on either side
    other = day + timedelta(days=3)
    assert center_stats.compute(other, other)["points"] == queue.point_figures(other, other)["points"] == []


def test_the_points_page_and_json(app):
    from node import queue, reception
    from tests.test_webui import HTML, login
    groups = queue.groups_from(None)
    queue.take_ticket("B", groups)
    queue.take_ticket("A", groups)
    queue.set_desk("lan@07024", 4, [])
    queue.call_next(4, "lan@07024")
    code = reception.receive_dossier(dossier_body(), "lan@07024").code
    client = app.test_client()
    assert client.get("/queue/stats").status_code == 302                 # clerks only
    login(client)
    s = client.get("/queue/stats.json").get_json()                        # today by default
    (p,) = s["points"]
    assert (p["tickets"], p["dossiers"], p["by_desk"][0]["desk"]) == (1, 1, 4)
    assert s["all_tickets"]["issued"] == 2 and s["all_tickets"]["by_status"] == {"called": 1,
                                                                               "waiting": 1}
    page = client.get("/queue/stats", headers=HTML)
    assert page.status_code == 200 and 'id="by-desk"' in page.text and 'id="issued">2<' in page.text
    assert "Thống kê xếp hàng" in client.get("/queue/desk", headers=HTML).text
    bad = client.get("/queue/stats?from=2026-03-05&to=2026-03-01", headers=HTML)
    assert bad.status_code == 422 and "Ngày kết thúc phải sau ngày bắt đầu" in bad.text
    assert client.get("/queue/stats.json?from=05/03/2026").status_code == 422
    assert client.get("/queue/stats.json?from=2020-01-01&to=2020-01-02").get_json()["points"] == []
    assert code
