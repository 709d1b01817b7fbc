"""The queue's figures at the center on SQLite and PostgreSQL: read from synced `dossier.received`
events carrying a `queue` part (two points, a dossier with no ticket, a ticket of another day), the
JSON route with its checks, and the dashboard's section."""
from __future__ import annotations

import re
from datetime import date, datetime

from central_fixtures import *  # noqa: F401,F403
from central_fixtures import OFFICER_PASSWORD, add_point, received, stamp

T0 = 1_772_000_000_000


def _ticket(uid, origin, label, desk, issued, called, receipt, n):
    ev = received(uid, origin, stamp(T0 + n * 1000), code=f"{origin}-260302-{n:04d}",
                  received_at=receipt)
    ev.payload["queue"] = {"ticket": label, "group": label[0], "desk": desk,
                           "issued_at": issued, "called_at": called}
    return ev


def _load(central_app):
    from central.apply import apply_events
    from central.db import write_transaction
    add_point()
    add_point("07027", "Minh Châu")
    events = {
        "07024": [_ticket("u1", "07024", "A001", 1, "2026-03-02T07:30:00", "2026-03-02T07:40:00",
                          "2026-03-02T07:46:00", 1),
                  _ticket("u2", "07024", "A002", 2, "2026-03-02T08:00:00", "2026-03-02T08:05:00",
                          "2026-03-02T08:06:00", 2),
                  received("u3", "07024", stamp(T0 + 3000), code="07024-260302-0003"),  # no ticket
                  _ticket("u4", "07024", "A001", 1, "2026-03-03T07:30:00", "2026-03-03T07:31:00",
                          "2026-03-03T07:32:00", 4)],                                   # next day
        "07027": [_ticket("v1", "07027", "B001", 3, "2026-03-02T09:10:00", "2026-03-02T09:30:00",
                          "2026-03-02T09:40:00", 5)],
    }
    for origin, evs in events.items():
        with write_transaction():
            apply_events(evs, source_point=origin, now=datetime(2026, 3, 4, 12))


def test_figures_per_point_from_the_synced_events(central_app):
    from central.queuestats import compute
    _load(central_app)
    s = compute(date(2026, 3, 2), date(2026, 3, 2))
    assert [p["point"] for p in s["points"]] == ["07024", "07027"]
    a, b = s["points"]
    assert (a["tickets"], a["dossiers"], a["per_hour"]) == (2, 2, {"07": 1, "08": 1})
    assert a["by_group"] == [{"group": "A", "wait": {"count": 2, "mean": 450, "median": 300, "max": 600},
                              "service": {"count": 2, "mean": 210, "median": 60, "max": 360}}]
    assert [d["desk"] for d in a["by_desk"]] == [1, 2]
    assert b["by_desk"][0]["wait"]["mean"] == 1200 and b["satisfaction"]["rated"] == 0
    assert compute(date(2026, 3, 2), date(2026, 3, 3), point="07024")["points"][0]["tickets"] == 3
    assert compute(date(2026, 3, 5), None)["points"] == []


def test_the_json_route_and_the_dashboard_section(central_app, api):
    from central.users import add_user
    _load(central_app)
    r = api.get("/api/v1/queue-stats?from=2026-03-02&to=2026-03-02&point=07027")
    assert r.status_code == 200 and [p["point"] for p in r.get_json()["points"]] == ["07027"]
    bad = api.get("/api/v1/queue-stats?from=2026-03-03&to=2026-03-02")
    assert bad.status_code == 422 and "Ngày kết thúc" in bad.get_json()["error"]["message"]
    assert api.get("/api/v1/queue-stats?from=hôm-qua").status_code == 422
    assert central_app.test_client().get("/api/v1/queue-stats").status_code == 401

    add_user("lanh", OFFICER_PASSWORD, "leader", "Phạm Lãnh Đạo")
    client = central_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": "lanh", "password": OFFICER_PASSWORD, "csrf_token": token})
    html = client.get("/dashboard/?from=2026-03-02&to=2026-03-02").get_data(as_text=True)
    section = html[html.index('id="queue-stats"'):]
    assert "02/03/2026 – 02/03/2026" in section
    assert "07024" in section and "07027" in section
    assert "7:30 / 5:00" in section                  # group A: wait mean 450 s, median 300 s
