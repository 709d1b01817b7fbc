"""Ingest rate at the center: events per second through `central.apply.apply_events`, in batches of
~500 events per transaction (one parcel), on SQLite and on a throwaway PostgreSQL. Goal ≥ 5,000/s.

Each dossier is a day's typical story (received, to processing, a scan, a phone correction, result
ready) from one of several points, so every batch folds ~100 dossiers with sync.merge.

    .venv/bin/python bench/ingest_bench.py [--events 20000] [--runs 3] [--batch 500] [--no-postgres]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from sync.events import Event  # noqa: E402

POINTS = ["07024", "07006", "07027", "07018", "07021"]
T0 = 1_772_000_000_000


def _stamp(ms: int) -> str:
    return f"{ms:015d}-00000"


def make_events(n_events: int) -> list[Event]:
    """Dossier stories, 5 events each, in each point's journal order."""
    out = []
    for i in range(n_events // 5):
        uid, origin, t = uuid.uuid4().hex, POINTS[i % len(POINTS)], T0 + i * 1000

        def ev(kind, payload, dt):
            return Event(uuid.uuid4().hex, kind, uid, origin, f"lan@{origin}", _stamp(t + dt), payload)
        out += [
            ev("dossier.received", {
                "code": f"{origin}-260302-{i:05d}", "lookup_secret": "ABC123",
                "procedure_code": "1.001193", "catalogue_version": "2026.1", "channel": 1,
                "status": 2, "applicant": {"full_name": "Nguyễn Văn An",
                                           "id_number": f"0220850{i:05d}", "phone": "0912345678",
                                           "date_of_birth": "1985-03-12", "address": "Quan Lạn"},
                "owner": None, "received_at": "2026-03-02T09:00:00",
                "due_at": "2026-03-06T09:00:00", "fee": {"vnd": 0, "paid": False},
                "book": {"volume": "2026", "number": i}, "notes": None}, 0),
            ev("dossier.transitioned", {"from": 2, "to": 4, "at": "2026-03-02T10:00:00"}, 1),
            ev("attachment.added", {"sha256": uuid.uuid4().hex * 2, "size": 300_000,
                                    "mime": "image/png", "requirement_id": "1.001193-d1",
                                    "filename": "p1.png"}, 2),
            ev("dossier.corrected", {"fields": {"applicant.phone": "0987654321"}}, 3),
            ev("dossier.transitioned", {"from": 4, "to": 9, "at": "2026-03-05T10:00:00"}, 4),
        ]
    return out


def run_once(database_url: str | None, n_events: int, batch: int) -> float:
    from central.apply import apply_events
    from central.db import close_database, open_database, write_transaction
    from central.models import Point
    with tempfile.TemporaryDirectory() as tmp:
        open_database(tmp, database_url)
        for code in POINTS:
            Point.create(unit_code=code, name=code, key_status="active")
        events = make_events(n_events)
        now = datetime.now()
        start = time.perf_counter()
        for i in range(0, len(events), batch):
            with write_transaction():
                apply_events(events[i:i + batch], source_point=events[i].origin, now=now)
        elapsed = time.perf_counter() - start
        close_database()
    return len(events) / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    results = {"sqlite": [run_once(None, args.events, args.batch) for _ in range(args.runs)]}
    if not args.no_postgres:
        from pg import Cluster, missing_reason
        reason = missing_reason()
        if reason:
            print(f"postgres: skipped ({reason})")
        else:
            cluster = Cluster(fast=False).start()     # durable settings: fsync on, as in production
            try:
                results["postgres"] = [run_once(cluster.create_database(), args.events, args.batch)
                                       for _ in range(args.runs)]
            finally:
                cluster.stop()
    ok = True
    for name, rates in results.items():
        median = statistics.median(rates)
        ok &= median >= 5000
        print(f"{name:9s} median {median:8.0f} events/s  (runs: {', '.join(f'{r:.0f}' for r in rates)};"
              f" {args.events} events, {args.batch}/transaction)  goal ≥ 5000: "
              f"{'met' if median >= 5000 else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
