"""The center at province scale: ingest events/s and scan chunk MB/s through HAProxy, for one and for
two center processes over one PostgreSQL and SeaweedFS (the parts of `tests/province.py`).

Points run as their own processes (`tests/province_point.py`) and sync at once, straight to HAProxy
(no bad link: the center is what is measured). Two passes per process count: records (dossiers
without scans: events/s applied = every acknowledged event ÷ the slowest point's sync time) and scans
(few dossiers, large scans: MB/s = scan bytes ÷ the slowest point's sync time). The points, HAProxy,
PostgreSQL and SeaweedFS share the machine's cores with the centers, so on a 2-core machine the
figures say how the parts behave together, not what a province server would do. It also prints the
database's bytes per dossier and the object store's bytes per scan byte (docs/scale.md uses them).

    .venv/bin/python bench/scale_bench.py --processes 1,2 [--points 8] [--dossiers 60]
        [--scan-points 4] [--scans 4] [--scan-kb 2048]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def _run_points(province, root: Path, base: int, points: int, dossiers: int,
                scan_bytes: int) -> list[dict]:
    units = [f"{base + i:05d}" for i in range(points)]
    tokens = {u: province.token(u) for u in units}
    procs = [subprocess.Popen([sys.executable, "-m", "tests.province_point", str(root), u,
                               province.url, tokens[u], str(dossiers), str(scan_bytes)],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True) for u in units]
    results = []
    for p in procs:
        out, _ = p.communicate(timeout=1800)
        if p.returncode != 0:
            raise RuntimeError(f"a point failed ({p.returncode})")
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def measure(processes: int, args) -> dict:
    import psycopg

    from tests.province import Province
    with tempfile.TemporaryDirectory(prefix="motcua-scale-") as tmp:
        province = Province(Path(tmp), processes=processes).start()
        try:
            with psycopg.connect(province.database_url, autocommit=True) as conn:
                size0 = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
            records = _run_points(province, Path(tmp) / "r", 7100, args.points, args.dossiers, 0)
            events = sum(len(r["acked"]) for r in records)
            seconds = max(r["seconds"] for r in records)
            with psycopg.connect(province.database_url, autocommit=True) as conn:
                conn.execute("VACUUM ANALYZE")
                size1 = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
                dossiers = conn.execute("SELECT count(*) FROM dossier").fetchone()[0]
            scans = _run_points(province, Path(tmp) / "s", 7500, args.scan_points, args.scans,
                                args.scan_kb * 1024)
            scan_bytes = sum(s["size"] for r in scans for s in r["scans"].values())
            scan_seconds = max(r["seconds"] for r in scans)
            on_disk = sum(f.stat().st_size for f in (province.weed.tmp / "data").rglob("*")
                          if f.is_file())
        finally:
            province.stop()
    return {"processes": processes, "events": events, "events_s": events / seconds,
            "records_s": seconds, "scan_mb": scan_bytes / 1e6, "scan_s": scan_seconds,
            "chunk_mb_s": scan_bytes / 1e6 / scan_seconds,
            "db_bytes_per_dossier": (size1 - size0) / max(1, dossiers),
            "store_bytes_per_scan_byte": on_disk / max(1, scan_bytes)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--processes", default="1,2")
    parser.add_argument("--points", type=int, default=8)
    parser.add_argument("--dossiers", type=int, default=60)
    parser.add_argument("--scan-points", type=int, default=4)
    parser.add_argument("--scans", type=int, default=4)
    parser.add_argument("--scan-kb", type=int, default=2048)
    args = parser.parse_args()
    from tests.province import missing_reason
    if missing_reason():
        sys.exit(missing_reason())
    rows = [measure(int(n), args) for n in args.processes.split(",")]
    print(f"{'processes':>9} {'events':>7} {'events/s':>9} {'scan MB':>8} {'chunk MB/s':>10} "
          f"{'DB B/dossier':>12} {'store B/B':>9}")
    for r in rows:
        print(f"{r['processes']:>9} {r['events']:>7} {r['events_s']:>9.0f} {r['scan_mb']:>8.1f} "
              f"{r['chunk_mb_s']:>10.2f} {r['db_bytes_per_dossier']:>12.0f} "
              f"{r['store_bytes_per_scan_byte']:>9.2f}")
    print(json.dumps(rows))


if __name__ == "__main__":
    started = time.monotonic()
    main()
    print(f"({time.monotonic() - started:.0f} s)", file=sys.stderr)
