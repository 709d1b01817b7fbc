"""The leaders' dashboard: figures over a hand-checked fixture, the period counted by date finished,
the point filter, the SVG charts drawn on the server, the CSV export, and read-only for leaders."""
from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime
from functools import partial

import pytest
from central_fixtures import *  # noqa: F401,F403
from central_fixtures import (
    OFFICER_PASSWORD,
    add_point,
    attached,
    load,
    login as _login,
    received,
    stamp,
    transitioned,
)

from sync.events import Event

T0 = 1_772_000_000_000
NOW = datetime(2026, 3, 5, 12, 0)
DUE = "2026-03-06T09:00:00"


_load = partial(load, now=NOW)      # apply events as a point's, at NOW


def _dossier(uid, origin, *, finished=None, due=DUE, channel=1, rating=None, scan=False,
             received_at="2026-03-02T09:00:00"):
    t = T0 + sum(map(ord, uid)) * 10_000
    evs = [received(uid, origin, stamp(t), due_at=due, channel=channel, received_at=received_at,
                    id_number=None), transitioned(uid, 2, 4, stamp(t + 1), origin)]
    if finished:
        evs.append(transitioned(uid, 4, 9, stamp(t + 2), origin, at=finished))
    if rating:
        evs.append(Event(uuid.uuid4().hex, "dossier.rated", uid, origin, f"lan@{origin}",
                         stamp(t + 3), {"rating": rating}))
    if scan:
        evs.append(attached(uid, uid[0] * 64, stamp(t + 4), origin))
    _load(evs, origin)


@pytest.fixture
def figures_db(central_app):
    """By hand: in March, 07024 finished one early (received 2 March 09:00, result 4 March 09:00:
    2 days) and one on time (4 days less an hour, at 08:00 on the due day); 07027 one late (7 days).
    One more 07024 dossier finished in April (early). Open now: one past due, one within."""
    add_point()
    add_point("07027", "Minh Châu")
    _dossier("aearly", "07024", finished="2026-03-04T09:00:00", channel=2, rating="satisfied",
             scan=True)
    _dossier("bontime", "07024", finished="2026-03-06T08:00:00", rating="not_satisfied")
    _dossier("clate", "07027", finished="2026-03-09T09:00:00", scan=True)
    _dossier("dapril", "07024", finished="2026-04-02T09:00:00", due="2026-04-03T09:00:00",
             received_at="2026-03-30T09:00:00", channel=2)
    _dossier("epast", "07024", due="2026-03-04T09:00:00")
    _dossier("fwithin", "07027", due="2026-03-20T09:00:00")
    return central_app


def test_figures_by_date_finished(figures_db):
    from central.stats import compute_dashboard
    s = compute_dashboard(date(2026, 3, 1), date(2026, 3, 31), now=NOW)
    fin = s["finished"]
    assert (fin["early"], fin["on_time"], fin["late"], fin["finished"]) == (1, 1, 1, 3)
    assert fin["on_time_rate"] == round(2 / 3, 4)
    # 2 days + (4 days - 1 hour) + 7 days, over 3
    assert fin["average_days"] == round((2 + 4 - 1 / 24 + 7) / 3, 2)
    assert fin["by_point"]["07024"]["on_time_rate"] == 1.0 and fin["by_point"]["07027"]["late"] == 1
    assert list(fin["by_month"]) == ["2026-03"]
    assert fin["rated"] == 2 and fin["satisfied_share"] == 0.5
    # intake counts by reception date: all six were received in March
    assert s["intake"]["total"] == 6 and s["intake"]["by_point"] == {"07024": 4, "07027": 2}
    assert s["intake"]["online_share"] == round(2 / 6, 4)
    assert s["intake"]["digitised"] == 2
    assert s["open"] == {"within_due": 1, "past_due": 1, "paused": 0}
    april = compute_dashboard(date(2026, 4, 1), date(2026, 4, 30), now=NOW)["finished"]
    assert (april["early"], april["finished"]) == (1, 1)
    one = compute_dashboard(None, None, point="07027", now=NOW)
    assert one["finished"]["late"] == 1 and one["finished"]["finished"] == 1
    assert one["intake"]["total"] == 2 and one["open"]["within_due"] == 1


def test_dashboard_page_chart_and_csv(figures_db, monkeypatch):
    from central.users import add_user
    monkeypatch.setattr("motcua.legaltime.now", lambda: NOW)
    add_user("lanh", OFFICER_PASSWORD, "leader", "Phạm Lãnh Đạo")
    client = _login(figures_db.test_client(), "lanh")
    r = client.get("/dashboard/?from=2026-03-01&to=2026-03-31")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="on-time-rate"><strong>66.7%' in html
    month = html[html.index('id="chart-month"'):html.index("</svg>", html.index('id="chart-month"'))]
    assert month.count('class="bar"') == 1 and 'data-rate="0.6667"' in month
    points = html[html.index('id="chart-point"'):]
    assert 'data-label="07024" data-rate="1.0000"' in points
    assert 'data-label="07027" data-rate="0.0000"' in points
    assert "<script" not in html
    only = client.get("/dashboard/?point=07027").get_data(as_text=True)
    assert 'id="intake-total">2<' in only
    bad = client.get("/dashboard/?from=2026-03-31&to=2026-03-01")
    assert bad.status_code == 422 and "text/html" in bad.content_type
    assert client.get("/dashboard/?from=hôm-nay").status_code == 422
    out = client.get("/dashboard/stats.csv?from=2026-03-01&to=2026-03-31")
    assert out.status_code == 200 and out.mimetype == "text/csv"
    assert 'filename="thong-ke-2026-03-01-2026-03-31-.csv"' in out.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(out.get_data(as_text=True).lstrip("\ufeff"))))
    assert ["finished", "all", "3", "1", "1", "1", "0.6667"] in rows
    assert ["finished.by_point", "07027", "1", "0", "0", "1", "0.0"] in rows
