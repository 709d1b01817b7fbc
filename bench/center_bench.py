"""Center benchmark: the leaders' dashboard, the officers' search and list pages over a big database.

Starts a throwaway PostgreSQL cluster (`tests/pg.py`, as the center's tests do), builds the center's
schema with its own migrations (indexes included), fills it with N dossiers from 100 points by
`COPY` (the rows the fold would write: every column the pages read, with scans for two in three),
logs an officer in and requests each page through the whole app in process, timing each request
(server time: rendering included, no network, no browser). The rows go in by COPY, so the
dashboard's summary is then rebuilt from them (timed) as after any bulk load.

Usage: .venv/bin/python bench/center_bench.py [--dossiers 1000000] [--points 100] [--runs 20]
Goals (p95): every dashboard view ≤ 500 ms; dossier search ≤ 100 ms; list page ≤ 100 ms.

With `--processes 1,2` it measures ingest instead: events/s and chunk MB/s through HAProxy for one
and two center processes over PostgreSQL and SeaweedFS — that is `bench/scale_bench.py` (its own
parts and fill), run with the same arguments.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GOALS_MS = {"dashboard": 500.0, "search": 100.0, "list": 100.0}
PASSWORD = "mat-khau-dai-1"
START = datetime(2024, 1, 2, 7, 30)        # three years of intake, up to NOW
NOW = datetime(2026, 12, 4, 10, 0)

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thu", "Ngọc", "Quang", "Thanh", "Xuân"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Đào", "Giang", "Hà", "Hải", "Hằng", "Hùng", "Lan", "Linh",
         "Long", "Mai", "Nam", "Nga", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Yến"]
RATINGS = [None, None, None, "very_satisfied", "satisfied", "satisfied", "not_satisfied"]
DOSSIER_COLUMNS = ("uid", "code", "official_code", "origin", "procedure_code", "catalogue_version",
                   "channel", "status", "applicant", "owner", "applicant_id_number", "received_at",
                   "due_at", "paused_at", "original_due_at", "finished_at", "returned_at",
                   "returned_to", "supplement_count", "rating", "open_conflicts", "event_count",
                   "updated_hlc", "search_text", "assignee", "scan_count")


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def points(count: int) -> list[str]:
    return [f"{7000 + i:05d}" for i in range(count)]


def dossier_rows(count: int, units: list[str], *, seed: int = 7):
    """`count` dossier rows (tuples in DOSSIER_COLUMNS order) spread evenly from START to NOW; the
    older ones mostly returned, the last weeks' mostly open. Also yields which have a scan."""
    from motcua.identity import fold_for_search
    rnd = random.Random(seed)
    span = (NOW - START).total_seconds()
    procedures = [f"1.{1000 + i:06d}" for i in range(369)]
    weights = [1 / (1 + i) for i in range(len(procedures))]      # a few procedures take most
    proc_choices = rnd.choices(procedures, weights, k=min(count, 200_000))
    for n in range(count):
        unit = units[n % len(units)]
        received = START + timedelta(seconds=span * n / count + rnd.randint(0, 600))
        due = received + timedelta(days=rnd.choice([1, 3, 5, 7, 10, 15]))
        age = (NOW - received).days
        if age > 30:
            status = rnd.choice([10] * 12 + [9, 3, 8])
        else:
            status = rnd.choice([2, 4, 4, 4, 5, 6, 9, 10, 1])
        finished = None
        if status in (9, 10):
            finished = min(NOW, due + timedelta(hours=rnd.randint(-120, 30)))
            finished = max(finished, received + timedelta(hours=1))
        name = f"{rnd.choice(FAMILY)} {rnd.choice(MIDDLE)} {rnd.choice(GIVEN)}"
        year = rnd.randint(1950, 2005)
        idn = f"022{0 if year < 2000 else 2}{year % 100:02d}{rnd.randint(0, 999999):06d}"
        phone = f"09{rnd.randint(10000000, 99999999)}"
        code = f"{unit}-{received:%y%m%d}-{n % 10000:04d}"
        applicant = {"full_name": name, "id_number": idn, "date_of_birth": f"{year}-01-01",
                     "phone": phone, "address": "Vân Đồn, Quảng Ninh"}
        hlc = f"{int(received.timestamp() * 1000):015d}-00000"
        scanned = rnd.random() < 0.66
        row = (uuid.UUID(int=rnd.getrandbits(128)).hex, code, None, unit,
               proc_choices[n % len(proc_choices)], "2026.1", rnd.choice([1, 1, 1, 2]), status,
               json.dumps(applicant, ensure_ascii=False), None, idn, received, due,
               received + timedelta(days=1) if status == 5 else None, None, finished,
               finished if status == 10 else None, None, rnd.choice([0, 0, 0, 0, 1, 2]),
               rnd.choice(RATINGS) if finished else None, 0, 1, hlc,
               fold_for_search(f"{code} {code.replace('-', '')} {name} {idn} {phone}"),
               f"officer{n % 40}" if status in (2, 4, 5, 6) else None, int(scanned))
        yield row, scanned


def fill(url: str, count: int, units: list[str], *, batch: int = 50_000) -> None:
    """Points, then dossiers and their scans by COPY, then ANALYZE (what autovacuum would do).

    As any bulk load: the secondary indexes of the two big tables are dropped first and made again
    after, from their own definitions (the same indexes the migrations made, built in one pass)."""
    import psycopg
    with psycopg.connect(url, autocommit=True) as conn:
        indexes = conn.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN "
                               "('dossier', 'attachment') AND indexname NOT LIKE '%_pkey'").fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        with conn.cursor() as cur:
            with cur.copy('COPY point (unit_code, name, key_status, last_seq_in, next_seq_out, '
                          'refused_count, enrolled_at, last_contact) FROM STDIN') as copy:
                for unit in units:
                    copy.write_row((unit, f"Xã {unit}", "active", 0, 1, 0, START, NOW))
        rows = dossier_rows(count, units)
        done = 0
        while done < count:
            with conn.transaction(), conn.cursor() as cur:
                scans = []
                cols = ", ".join(f'"{c}"' for c in DOSSIER_COLUMNS)
                with cur.copy(f"COPY dossier ({cols}) FROM STDIN") as copy:
                    for _ in range(min(batch, count - done)):
                        row, scanned = next(rows)
                        copy.write_row(row)
                        if scanned:
                            scans.append((row[0], "d1", row[0] + row[0][:32], 250_000, "image/png",
                                          "scan.png", True))
                        done += 1
                with cur.copy('COPY attachment (dossier_uid, requirement, sha256, size, mime, '
                              'filename, present) FROM STDIN') as copy:
                    for scan in scans:
                        copy.write_row(scan)
            print(f"  {done} dossiers", end="\r", flush=True)
        print(f"\n  indexes ({len(indexes)})", flush=True)
        conn.execute("SET maintenance_work_mem = '256MB'")
        for _, definition in indexes:
            conn.execute(definition)
        conn.execute("VACUUM ANALYZE")
    print()


def rebuild_summary() -> None:
    """The rows went in by COPY, not by the apply path: make the dashboard's summary from them (as
    `motcua central summary-rebuild` does after any bulk load), and say how long that took."""
    from central.db import db, write_transaction
    from central.summary import rebuild
    t0 = time.perf_counter()
    with write_transaction():
        rows = rebuild()
    db.execute_sql("ANALYZE dossier_tally")
    print(f"summary rebuilt: {rows} rows in {time.perf_counter() - t0:.1f} s", flush=True)


def logged_in_client(app):
    """A browser with an officer's session; returns it and the officer's API token."""
    from central.users import add_user, create_token
    add_user("hoa", PASSWORD, "officer", "Lê Thị Hoa")
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    assert client.post("/login", data={"username": "hoa", "password": PASSWORD,
                                       "csrf_token": token}).status_code == 302
    return client, create_token("hoa")


def sample(units: list[str]) -> dict:
    """A real name, ID number, phone and code from the filled data, for the searches."""
    from central.models import Dossier
    d = Dossier.select().where(Dossier.origin == units[len(units) // 2]).order_by(
        Dossier.id.desc()).offset(5000).first() or Dossier.select().first()
    return {"code": d.code, "id_number": d.applicant_id_number, "phone": d.applicant["phone"],
            "name": d.applicant["full_name"]}


def pages(units: list[str], s: dict) -> list[tuple[str, str, str]]:
    """(kind, name, url) of every page measured."""
    unit = units[3]
    month, year = "from=2026-11-01&to=2026-11-30", "from=2026-01-01&to=2026-12-31"
    return [
        ("dashboard", "dashboard, all time", "/dashboard/"),
        ("dashboard", "dashboard, one year", f"/dashboard/?{year}"),
        ("dashboard", "dashboard, one month", f"/dashboard/?{month}"),
        ("dashboard", "dashboard, one point", f"/dashboard/?point={unit}"),
        ("dashboard", "dashboard, point + month", f"/dashboard/?{month}&point={unit}"),
        ("dashboard", "dashboard CSV, one year", f"/dashboard/stats.csv?{year}"),
        ("dashboard", "API stats, one year", f"/api/v1/stats?{year}"),
        ("dashboard", "API dashboard, all time", "/api/v1/dashboard"),
        ("search", "search by name", f"/dossiers/?q={s['name']}"),
        ("search", "search 'nguyen van'", "/dossiers/?q=nguyen+van"),
        ("search", "search by ID number", f"/dossiers/?q={s['id_number']}"),
        ("search", "search by phone", f"/dossiers/?q={s['phone']}"),
        ("search", "search by code", f"/dossiers/?q={s['code']}"),
        ("search", "search name + point", f"/dossiers/?q={s['name']}&point={unit}"),
        ("list", "list, newest", "/dossiers/"),
        ("list", "list, page 20", "/dossiers/?page=20"),
        ("list", "list, one point", f"/dossiers/?point={unit}"),
        ("list", "list, processing", "/dossiers/?status=4"),
        ("list", "list, late", "/dossiers/?due=late"),
        ("list", "list, due soon", "/dossiers/?due=soon"),
        ("list", "list, one procedure", "/dossiers/?procedure=1.001005"),
        ("list", "work list", "/dossiers/work"),
    ]


def measure(client, api_token: str, plan, runs: int) -> dict[str, float]:
    """Print median and p95 of each page; return the worst p95 per kind."""
    worst: dict[str, float] = {}
    print(f"{'page':30} {'median ms':>10} {'p95 ms':>8}")
    for kind, name, url in plan:
        times = []
        for run in range(runs + 1):
            t0 = time.perf_counter()
            headers = ({"Authorization": f"Bearer {api_token}"} if url.startswith("/api/")
                       else {"Accept": "text/html"})
            resp = client.get(url, headers=headers)
            ms = (time.perf_counter() - t0) * 1000
            assert resp.status_code == 200, (url, resp.status_code, resp.text[:300])
            if run:                                   # the first run warms caches
                times.append(ms)
        p95 = pct(times, 95)
        worst[kind] = max(worst.get(kind, 0.0), p95)
        flag = "" if p95 <= GOALS_MS[kind] else "  <-- over the goal"
        print(f"{name:30} {statistics.median(times):10.1f} {p95:8.1f}{flag}", flush=True)
    return worst


def queries_mode(args, url: str, units: list[str]) -> bool:
    """Fill, then time the dashboard, search and list pages. True when every goal is met."""
    from central.db import close_database, open_database
    from motcua.apps import create_central_app
    data_dir = tempfile.mkdtemp(prefix="motcua-centerbench-")
    open_database(data_dir, url)                  # the schema, by the center's own migrations
    close_database()
    t0 = time.perf_counter()
    fill(url, args.dossiers, units)
    print(f"filled {args.dossiers} dossiers from {len(units)} points in "
          f"{time.perf_counter() - t0:.1f} s", flush=True)
    app = create_central_app({"DATA_DIR": data_dir, "DATABASE_URL": url})
    rebuild_summary()
    import motcua.legaltime
    motcua.legaltime.now = lambda: NOW            # the data ends at NOW: "late" means late then
    client, api_token = logged_in_client(app)
    worst = measure(client, api_token, pages(units, sample(units)), args.runs)
    ok = True
    for kind, goal in GOALS_MS.items():
        met = worst.get(kind, 0.0) <= goal
        ok &= met
        print(f"worst {kind} p95 {worst.get(kind, 0.0):.1f} ms (goal ≤ {goal:.0f} ms): "
              f"{'OK' if met else 'OVER'}")
    return ok


MODES = {"queries": queries_mode}


def main() -> None:
    if any(a == "--processes" or a.startswith("--processes=") for a in sys.argv[1:]):
        import runpy
        sys.argv = [str(Path(__file__).with_name("scale_bench.py")), *sys.argv[1:]]
        runpy.run_path(sys.argv[0], run_name="__main__")
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mode", choices=sorted(MODES), default="queries")
    ap.add_argument("--dossiers", type=int, default=1_000_000)
    ap.add_argument("--points", type=int, default=100)
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    import signal

    from central.db import close_database
    from tests.pg import Cluster
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))     # stop the cluster on a kill too
    cluster = Cluster(fast=True).start()
    try:
        url = cluster.create_database("bench")
        ok = MODES[args.mode](args, url, points(args.points))
    finally:
        close_database()
        cluster.stop()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
