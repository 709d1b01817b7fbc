"""A point's health on a small PC: resident memory while serving and syncing, cold start to the
first page, bytes written to disk for one day of work.

A real center and a real `motcua node serve` (its background sync every 2 s) on 127.0.0.1; a day =
60 dossiers, each with 3 scanned pages of 300 KB, through the node's API, then synced to the
center. Disk writes are the node process's `write_bytes` from /proc/<pid>/io (database, WAL,
scans, spool: everything that reaches the block device).
Usage: .venv/bin/python bench/node_health_bench.py [--dossiers 60] [--pages 3] [--page-kb 300]
Goals: ≤ 80 MB resident, cold start ≤ 2 s.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import dossier_body, png_bytes  # noqa: E402
from tests.procs import free_port, motcua, start_server, stop  # noqa: E402

PASSWORD = "mat-khau-dai-1"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def write_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dossiers", type=int, default=60)
    ap.add_argument("--pages", type=int, default=3)
    ap.add_argument("--page-kb", type=int, default=300)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="motcua-health-") as root:
        root = Path(root)
        cport, nport = free_port(), free_port()
        motcua("central", "init", "--data-dir", root / "c")
        center = start_server(["central", "serve", "--data-dir", root / "c", "--port", cport],
                              cport, path="/sync/v1/center")
        node = None
        try:
            token = subprocess.run([sys.executable, "-c", f"""
import sys; sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r})
from datetime import timedelta
from motcua import legaltime
from central.db import open_database; from central.enrollment import issue_enroll_token
open_database({str(root / 'c')!r})
print(issue_enroll_token('07024', 'Quan Lạn', ttl=timedelta(hours=1), now=legaltime.now()))
"""], capture_output=True, text=True, check=True).stdout.strip()
            n = root / "n"
            motcua("node", "init", "--data-dir", n, "--unit-code", "07024", "--name", "Quan Lạn")
            motcua("node", "enroll", "--data-dir", n, "--central", f"http://127.0.0.1:{cport}",
                   "--token", token)
            motcua("node", "user", "add", "--data-dir", n, "--username", "lan", input_text=PASSWORD + "\n")
            api_token = motcua("node", "token", "create", "--data-dir", n, "--username", "lan").strip()

            started = time.monotonic()
            node = subprocess.Popen([sys.executable, "-m", "motcua", "node", "serve", "--data-dir",
                                     str(n), "--port", str(nport)], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL,
                                    env={**__import__("os").environ, "NODE_SYNC_INTERVAL_SECONDS": "2"})
            while True:
                try:
                    if requests.get(f"http://127.0.0.1:{nport}/login", timeout=1).status_code == 200:
                        break
                except requests.ConnectionError:
                    time.sleep(0.02)
            cold = time.monotonic() - started
            idle = rss_mb(node.pid)
            written0 = write_bytes(node.pid)
            headers = {"Authorization": f"Bearer {api_token}"}
            base = f"http://127.0.0.1:{nport}/api/v1"
            peak = idle
            for i in range(args.dossiers):
                code = requests.post(f"{base}/dossiers", json=dossier_body(), headers=headers,
                                     timeout=30).json()["code"]
                for page in range(args.pages):
                    requests.post(f"{base}/dossiers/{code}/attachments", headers=headers, timeout=60,
                                  files={"file": (f"p{page}.png",
                                                  png_bytes(args.page_kb * 1024, i * 10 + page))},
                                  data={"requirement": "1.001193-d1"}).raise_for_status()
                peak = max(peak, rss_mb(node.pid))
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                status = requests.get(f"{base}/sync/status", headers=headers, timeout=10).json()
                peak = max(peak, rss_mb(node.pid))
                if not status["pending_events"] and not status["pending_blobs"]:
                    break
                time.sleep(1)
            written = write_bytes(node.pid) - written0
            scans = args.dossiers * args.pages * args.page_kb * 1024
            print(f"cold start to first page: {cold:.2f} s (goal ≤ 2 s)")
            print(f"resident memory: idle {idle:.0f} MB, peak while serving and syncing {peak:.0f} MB "
                  f"(goal ≤ 80 MB)")
            print(f"disk written for a day ({args.dossiers} dossiers × {args.pages} pages × "
                  f"{args.page_kb} KB = {scans / 1e6:.1f} MB of scans): {written / 1e6:.1f} MB "
                  f"({written / scans:.2f}× the scans); synced: {not status['pending_events']}")
        finally:
            if node is not None:
                stop(node)
            stop(center)


if __name__ == "__main__":
    main()
