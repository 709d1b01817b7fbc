"""Figures: early / on-time / late on crafted dossiers, open within / past due, date ranges."""
from __future__ import annotations

from datetime import date, datetime

from central_fixtures import *  # noqa: F401,F403
from central_fixtures import add_point, received, stamp, transitioned

T0 = 1_772_000_000_000
NOW = datetime(2026, 3, 10, 12, 0)
DUE = "2026-03-06T09:00:00"


def _load(events, source="07024"):
    from central.apply import apply_events
    from central.db import write_transaction
    with write_transaction():
        apply_events(events, source_point=source, now=NOW)


def _finished(uid, at, *, origin="07024", supplements=0, procedure="1.001193", received_on="02"):
    t = T0 + sum(map(ord, uid)) * 10_000
    evs = [received(uid, origin, stamp(t), procedure=procedure, due_at=DUE,
                    received_at=f"2026-03-{received_on}T09:00:00", id_number=None),
           transitioned(uid, 2, 4, stamp(t + 1), origin)]
    for i in range(supplements):
        evs += [transitioned(uid, 4, 5, stamp(t + 2 + 2 * i), origin, reason="thiếu"),
                transitioned(uid, 5, 4, stamp(t + 3 + 2 * i), origin)]
    evs.append(transitioned(uid, 4, 9, stamp(t + 100), origin, at=at))
    return evs


def test_early_on_time_late(central_db):
    add_point()
    add_point("07006", "Minh Châu")
    _load(_finished("early", "2026-03-05T16:00:00"))
    _load(_finished("ontime", "2026-03-06T08:59:00", procedure="1.000656"))
    _load(_finished("late", "2026-03-06T09:01:00"))
    _load(_finished("twice", "2026-03-04T10:00:00", supplements=2, origin="07006"), source="07006")
    _load([received("open", hlc=stamp(T0 + 9), due_at="2026-03-20T09:00:00", id_number=None)])
    _load([received("past", hlc=stamp(T0 + 8), due_at=DUE, id_number=None)])
    _load([received("paused", hlc=stamp(T0 + 7), due_at=DUE, id_number=None),
           transitioned("paused", 2, 4, stamp(T0 + 7, 1)),
           transitioned("paused", 4, 5, stamp(T0 + 7, 2), reason="thiếu")])
    from central.stats import compute_stats
    s = compute_stats(date(2026, 3, 1), date(2026, 3, 31), now=NOW)
    assert s["total"] == 7
    t = s["timeliness"]
    assert (t["early"], t["on_time"], t["late"], t["finished"]) == (1, 1, 2, 4)
    assert t["on_time_rate"] == 0.5 and t["late_rate"] == 0.5
    assert s["open"] == {"within_due": 1, "past_due": 1, "paused": 1}
    points = {p["point"]: p for p in s["by_point"]}
    assert points["07024"]["count"] == 6 and points["07006"]["late"] == 1
    procs = {p["procedure_code"]: p for p in s["by_procedure"]}
    assert procs["1.000656"]["on_time"] == 1
    assert s["by_status"]["9"] == 4 and s["by_channel"]["1"] == 7


def test_date_range_filters_by_reception_day(central_db):
    add_point()
    _load(_finished("a", "2026-03-05T16:00:00", received_on="02"))
    _load(_finished("b", "2026-03-05T16:00:00", received_on="04"))
    from central.stats import compute_stats
    assert compute_stats(date(2026, 3, 3), date(2026, 3, 4), now=NOW)["total"] == 1
    assert compute_stats(None, date(2026, 3, 2), now=NOW)["total"] == 1
    assert compute_stats(None, None, now=NOW)["total"] == 2


def test_stats_endpoint(central_app, api):
    add_point()
    _load(_finished("a", "2026-03-05T16:00:00"))
    body = api.get("/api/v1/stats?from=2026-03-01&to=2026-03-31").get_json()
    assert body["timeliness"]["early"] == 1 and body["from"] == "2026-03-01"
