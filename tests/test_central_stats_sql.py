"""The figures counted in SQL equal the same figures counted row by row in Python with
`motcua.deadlines.classify`, on SQLite and PostgreSQL, over random dossiers that hit every edge:
finished exactly at the due moment, a microsecond after it, on the due day or the day before, two
supplement requests, an apology's moved date, no due date, no rating, paused, not yet received."""
from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import date, datetime, timedelta

import pytest
from central_fixtures import *  # noqa: F401,F403

from motcua import deadlines
from motcua.lifecycle import PAUSES, Status

NOW = datetime(2026, 5, 10, 10, 30)
RATINGS = [None, None, "very_satisfied", "satisfied", "not_satisfied"]


def _rows(n: int, seed: int) -> list[dict]:
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        received = datetime(2026, 1, 5, 8) + timedelta(minutes=rnd.randint(0, 60 * 24 * 120))
        due = received + timedelta(days=rnd.randint(1, 15), hours=rnd.choice([0, 3, 7]))
        status = rnd.choice([1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 10, 10])
        finished = None
        if status in (9, 10):
            finished = rnd.choice([due, due + timedelta(microseconds=1), due - timedelta(hours=1),
                                   due - timedelta(days=1), due + timedelta(days=2),
                                   received - timedelta(hours=1),   # a clock set back
                                   received + timedelta(days=rnd.randint(0, 30), seconds=1)])
        original = due - timedelta(days=3) if rnd.random() < 0.15 else None
        rows.append({
            "uid": uuid.uuid4().hex, "code": f"P{i}", "origin": rnd.choice(["07024", "07027", "07030"]),
            "procedure_code": rnd.choice(["1.001193", "1.000656", "2.000001"]),
            "status": status, "channel": rnd.choice([1, 2, None]), "applicant": {"full_name": "A"},
            "received_at": received, "due_at": None if rnd.random() < 0.05 else due,
            "original_due_at": original, "finished_at": finished,
            "supplement_count": rnd.choice([0, 0, 0, 1, 2, 3]),
            "rating": rnd.choice(RATINGS) if finished else None,
            "updated_hlc": "0", "search_text": "x", "open_conflicts": 0, "event_count": 1})
    return rows


def _timely(c: Counter) -> tuple:
    return c["early"], c["on_time"], c["late"]


def _expected(rows, date_from, date_to, point, scanned):
    """The figures, row by row (what the SQL must equal)."""
    def within(t):
        return ((date_from is None or t.date() >= date_from)
                and (date_to is None or t.date() <= date_to))
    mine = [r for r in rows if point is None or r["origin"] == point]
    intake = [r for r in mine if within(r["received_at"])]
    done = [r for r in mine if r["status"] in (9, 10) and r["finished_at"] and within(r["finished_at"])]
    timely, per_point, per_month, ratings = Counter(), {}, {}, Counter()
    for r in done:
        if r["rating"]:
            ratings[r["rating"]] += 1
        due = r["original_due_at"] or r["due_at"]
        if due is None:
            continue
        v = deadlines.classify(r["finished_at"], due, r["supplement_count"])
        timely[v] += 1
        per_point.setdefault(r["origin"], Counter())[v] += 1
        per_month.setdefault(f"{r['finished_at']:%Y-%m}", Counter())[v] += 1
    seconds = sum(max(0.0, (r["finished_at"] - r["received_at"]).total_seconds()) for r in done)
    opened = Counter()
    for r in mine:
        if r["status"] in (3, 8, 9, 10):
            continue
        opened["paused" if r["status"] == 5 else
               "past" if r["due_at"] and NOW > r["due_at"] else "within"] += 1
    return {"total": len(intake), "by_point": Counter(r["origin"] for r in intake),
            "by_status": Counter(str(r["status"]) for r in intake),
            "by_procedure": Counter(r["procedure_code"] for r in intake),
            "by_channel": Counter(str(r["channel"]) for r in intake),
            "digitised": sum(r["uid"] in scanned for r in intake),
            "timely": _timely(timely), "with_result": len(done),
            "average_days": round(seconds / len(done) / 86400, 2) if done else None,
            "per_point": {k: _timely(v) for k, v in per_point.items()},
            "per_month": {k: _timely(v) for k, v in per_month.items()},
            "ratings": dict(ratings), "open": opened}


@pytest.fixture
def random_db(central_db):
    from central.models import Attachment, Dossier
    rows = _rows(600, seed=13)
    scanned = {r["uid"] for r in rows[::7]}
    Dossier.insert_many([{**r, "scan_count": int(r["uid"] in scanned)} for r in rows]).execute()
    Attachment.insert_many([{"dossier_uid": uid, "requirement": "d1", "sha256": uid * 2,
                             "present": True} for uid in scanned]).execute()
    # Rows written straight to the table (not by the apply path): the summary is made again, as
    # `motcua central summary rebuild` does after such a load.
    from central.summary import rebuild
    rebuild()
    return rows, scanned


@pytest.mark.parametrize("date_from,date_to,point", [
    (None, None, None), (date(2026, 2, 1), date(2026, 3, 31), None),
    # edge months counted live beside whole months from the summary, or edges only
    (date(2026, 1, 20), date(2026, 4, 9), None), (date(2026, 2, 10), date(2026, 3, 20), None),
    (date(2026, 3, 3), date(2026, 3, 30), None), (None, date(2026, 3, 15), None),
    (date(2026, 3, 1), None, "07027"), (None, date(2026, 2, 15), "07030")])
def test_dashboard_in_sql_equals_row_by_row(random_db, date_from, date_to, point):
    from central.stats import compute_dashboard
    rows, scanned = random_db
    want = _expected(rows, date_from, date_to, point, scanned)
    got = compute_dashboard(date_from, date_to, point=point, now=NOW)
    intake, fin = got["intake"], got["finished"]
    assert want["total"] > 20 and want["with_result"] > 10      # the sample is not empty
    assert intake["total"] == want["total"]
    assert intake["by_point"] == dict(want["by_point"])
    assert intake["by_status"] == dict(want["by_status"])
    assert intake["by_procedure"] == dict(want["by_procedure"])
    assert intake["by_channel"] == dict(want["by_channel"])
    assert intake["digitised"] == want["digitised"]
    assert (fin["early"], fin["on_time"], fin["late"]) == want["timely"]
    assert all(want["timely"])                                   # every verdict occurs
    assert fin["with_result"] == want["with_result"]
    assert fin["average_days"] == pytest.approx(want["average_days"], abs=0.011)
    assert {k: (v["early"], v["on_time"], v["late"]) for k, v in fin["by_point"].items()} \
        == want["per_point"]
    assert {k: (v["early"], v["on_time"], v["late"]) for k, v in fin["by_month"].items()} \
        == want["per_month"]
    assert fin["ratings"] == want["ratings"]
    assert got["open"] == {"within_due": want["open"]["within"], "past_due": want["open"]["past"],
                           "paused": want["open"]["paused"]}


def test_stats_in_sql_equals_row_by_row(random_db):
    from central.stats import compute_stats
    rows, _ = random_db
    got = compute_stats(date(2026, 2, 1), date(2026, 4, 30), now=NOW)
    mine = [r for r in rows if date(2026, 2, 1) <= r["received_at"].date() <= date(2026, 4, 30)]
    timely, per_proc, opened = Counter(), {}, Counter()
    no_clock = {int(s) for s in PAUSES} | {int(Status.SUBMITTED_ONLINE)}
    for r in mine:
        due = r["original_due_at"] or r["due_at"]
        if r["status"] in (9, 10) and r["finished_at"] and due:
            v = deadlines.classify(r["finished_at"], due, r["supplement_count"])
            timely[v] += 1
            per_proc.setdefault(r["procedure_code"], Counter())[v] += 1
        elif r["status"] not in (3, 8, 9, 10):
            opened["paused" if r["status"] in no_clock else
                   "past" if r["due_at"] and NOW > r["due_at"] else "within"] += 1
    assert got["total"] == len(mine)
    t = got["timeliness"]
    assert (t["early"], t["on_time"], t["late"]) == _timely(timely) and all(_timely(timely))
    assert {p["procedure_code"]: (p["early"], p["on_time"], p["late"]) for p in got["by_procedure"]} \
        == {k: _timely(per_proc.get(k, Counter())) for k in {r["procedure_code"] for r in mine}}
    assert got["open"] == {"within_due": opened["within"], "past_due": opened["past"],
                           "paused": opened["paused"]}
