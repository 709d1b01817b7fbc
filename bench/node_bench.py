"""Node benchmark: intake with three 300 KB scans, search at 100,000 dossiers, resident memory.

Runs a real `motcua node serve` (waitress) on 127.0.0.1 and reads each response's Server-Timing
header, so the figures are the server's own time, not the client's.
Usage: .venv/bin/python bench/node_bench.py [--dossiers 100000] [--intakes 60] [--searches 200]
       [--server-python /path/to/node-venv/bin/python]
Goals on this machine: intake p95 ≤ 150 ms, search p95 ≤ 50 ms at 100k, ≤ 80 MB resident.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import dossier_body, png_bytes  # noqa: E402
from tests.procs import free_port, motcua, start_server, stop  # noqa: E402


def server_ms(resp) -> float:
    return float(resp.headers["Server-Timing"].split("dur=")[1])


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dossiers", type=int, default=100_000)
    ap.add_argument("--intakes", type=int, default=60)
    ap.add_argument("--searches", type=int, default=200)
    ap.add_argument("--server-python", default=None,
                    help="Interpreter of a venv made with plain `pip install .` (what a node PC "
                         "has): the dev venv also holds psycopg, which peewee loads (~12 MB).")
    args = ap.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="motcua-bench-")) / "node"
    motcua("node", "init", "--data-dir", data_dir, "--unit-code", "07024", "--name", "Quan Lạn")
    motcua("node", "user", "add", "--data-dir", data_dir, "--username", "lan",
           input_text="mat-khau-dai-1\n")
    token = motcua("node", "token", "create", "--data-dir", data_dir, "--username", "lan").strip()

    t0 = time.perf_counter()
    from bench.fill import fill_node
    from node.db import close_database, open_database
    open_database(data_dir)
    fill_node(args.dossiers)
    close_database()
    print(f"filled {args.dossiers} dossiers in {time.perf_counter() - t0:.1f} s")

    port = free_port()
    proc = start_server(["node", "serve", "--data-dir", data_dir, "--port", port], port,
                        python=args.server_python)
    base, headers = f"http://127.0.0.1:{port}/api/v1", {"Authorization": f"Bearer {token}"}
    try:
        scans = [png_bytes(300_000, seed=i) for i in range(3)]
        intake = []
        for n in range(args.intakes):
            resp = requests.post(f"{base}/dossiers", json=dossier_body(), headers=headers)
            total = server_ms(resp)
            code = resp.json()["code"]
            for i, scan in enumerate(scans):
                scan = scan[:-16] + os.urandom(16)   # a new file each time, as at the desk
                up = requests.post(f"{base}/dossiers/{code}/attachments", headers=headers,
                                   files={"file": ("p.png", scan)},
                                   data={"requirement": f"1.001193-d{i + 1}"})
                assert up.status_code == 201, up.text
                total += server_ms(up)
            intake.append(total)
        rnd = random.Random(5)
        queries = ["nguyen van", "tran thi lan", "dao", "0912", "022085", "le hai", "pham minh tuan",
                   "hoang", "07024", "bui thu trang"]
        search = []
        for _ in range(args.searches):
            resp = requests.get(f"{base}/dossiers", params={"q": rnd.choice(queries)},
                                headers=headers)
            assert resp.status_code == 200, (resp.status_code, resp.text[:300])
            search.append(server_ms(resp))
        rss = rss_mb(proc.pid)
    finally:
        stop(proc)
    print(f"intake (dossier + 3 × 300 KB scans), server time: median {statistics.median(intake):.1f} ms,"
          f" p95 {pct(intake, 95):.1f} ms over {len(intake)}   [goal p95 ≤ 150 ms]")
    print(f"search over {args.dossiers} dossiers, server time: median {statistics.median(search):.1f} ms,"
          f" p95 {pct(search, 95):.1f} ms over {len(search)}   [goal p95 ≤ 50 ms]")
    print(f"serving process resident memory: {rss:.1f} MB   [goal ≤ 80 MB]")


if __name__ == "__main__":
    main()
