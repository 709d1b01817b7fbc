"""Uploads near the link's limit, on a stable and on cut links, through the project's own proxy.

The scenario of the issue "Uploads: owned, bounded, and resumed at the exact byte": 10 dossiers ×
2 scans of 100 KB (2.0 MB) from a point to a real center process through `motcua.chaosproxy` at
256 kbit/s, on three profiles: stable, a cut every ~400 KB, a cut every ~150 KB. For each it prints
seconds ÷ the ideal (the same payload as one bulk TCP transfer through the same proxy at the same
rate, measured, not computed), wire bytes (both directions) ÷ payload, and when every dossier's
record was at the center. Goals: ≤ 1.05× ideal stable, ≤ 1.10× on both cut links, wire ÷ payload
≤ 1.05, records ≤ 2 s; also the center's peak resident memory. `--rsync` also sends the very same
scan files with rsync (Debian package `rsync`) to an rsync daemon on loopback through the same
proxy and profile, started again after each cut with --partial --append-verify, and prints it
alongside (skipped, saying so, when rsync is not installed).

    .venv/bin/python bench/link_bench.py [--runs 3] [--rate-kbit 256] [--rsync]
"""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

DOSSIERS, SCANS, SCAN_BYTES = 10, 2, 100 * 1000
PROFILES = {"stable": None, "cut ~400 KB": 400 * 1000, "cut ~150 KB": 150 * 1000}


def ideal_seconds(payload: int, rate_kbit: float, latency_ms: float) -> float:
    """One bulk TCP transfer of `payload` bytes through the proxy, until the sink answers."""
    from motcua.chaosproxy import ChaosProxy
    sink = socket.create_server(("127.0.0.1", 0))

    def serve():
        conn, _ = sink.accept()
        with conn:
            got = 0
            while got < payload:
                block = conn.recv(65536)
                if not block:
                    break
                got += len(block)
            conn.sendall(b"ok")
    threading.Thread(target=serve, daemon=True).start()
    proxy = ChaosProxy("127.0.0.1", 0, "127.0.0.1", sink.getsockname()[1], seed=7,
                       rate_kbit=rate_kbit, latency_ms=latency_ms)
    proxy.start()
    try:
        start = time.monotonic()
        with socket.create_connection(("127.0.0.1", proxy.listen_port)) as c:
            c.sendall(os.urandom(payload))
            c.recv(2)
        return time.monotonic() - start
    finally:
        proxy.stop()
        sink.close()


def run_profile(tmp: Path, cut: int | None, rate_kbit: float, latency_ms: float) -> dict:
    from node.journal import to_wire
    from node.models import Blob, Event
    from node.rounds import sync_round
    from sync.parcel import encode_body
    from sync.transport import RetryPolicy
    from tests.sync_env import Center, make_node, proxy_to
    center = Center(tmp).start()
    proxy = proxy_to(center, rate_kbit=rate_kbit, latency_ms=latency_ms, cut_every_bytes=cut)
    try:
        node = make_node(tmp, "07024", "Quan Lạn", f"http://127.0.0.1:{proxy.listen_port}",
                         center.token("07024"))
        _receive(node)
        events_bytes = len(encode_body("events", [to_wire(e) for e in Event.select()]))
        scans = sum(b.size for b in Blob.select())
        policy = RetryPolicy(attempts=20, base_s=0.5, cap_s=30.0, read_timeout_s=60)
        before = proxy.stats()
        out: dict = {}
        start = time.monotonic()
        worker = threading.Thread(target=lambda: out.setdefault("r", sync_round(node, policy=policy)))
        worker.start()
        records_s = None
        while worker.is_alive():
            if records_s is None and not Event.select().where(Event.acked_at.is_null()).exists():
                records_s = time.monotonic() - start
            time.sleep(0.02)
        elapsed = time.monotonic() - start
        after = proxy.stats()
        report = out["r"]
        center_mb = peak_rss_mb(center.proc.pid)
    finally:
        proxy.stop()
        center.stop()
        from node.db import close_database
        close_database()
    wire = after["bytes_up"] - before["bytes_up"] + after["bytes_down"] - before["bytes_down"]
    return {"elapsed": elapsed, "payload": scans + events_bytes, "wire": wire,
            "records_s": records_s if records_s is not None else elapsed,
            "cuts": after["cuts"] - before["cuts"], "error": report.error, "center_mb": center_mb,
            "left": report.left_blobs + report.left_events}


def peak_rss_mb(pid: int) -> float:
    """The most memory the process has held resident so far (Linux: VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _receive(node: Path) -> None:
    from node import reception
    from node.scans import BlobStore
    from tests.conftest import dossier_body
    store = BlobStore(node / "scans")
    for _ in range(DOSSIERS):
        d = reception.receive_dossier(dossier_body(), "lan@07024")
        for page in range(SCANS):
            reception.attach_scan(d.code, b"\xff\xd8\xff\xe0" + os.urandom(SCAN_BYTES - 4),
                                  f"1.001193-d{page + 1}", "lan@07024", store,
                                  max_bytes=10 * 1024 * 1024)


def rsync_run(tmp: Path, src: Path, cut: int | None, rate_kbit: float,
              latency_ms: float) -> dict | None:
    """rsync --partial --append-verify of the very scan files motcua sent (`src`, the point's scan
    folder) to an rsync daemon on loopback, through the same proxy on the same profile, started
    again at once after each cut; None when rsync is not installed. No encryption, signatures or
    receipts: the floor a plain file copy sets."""
    if not shutil.which("rsync"):
        return None
    from motcua.chaosproxy import ChaosProxy
    from tests.procs import free_port
    dst = tmp / "rs-dst"
    dst.mkdir()
    payload = sum(p.stat().st_size for p in src.rglob("*") if p.is_file())
    port = free_port()
    conf = tmp / "rsyncd.conf"
    conf.write_text(f"use chroot = no\nuid = {os.getuid()}\ngid = {os.getgid()}\n"
                    f"[d]\npath = {dst}\nread only = no\n")
    daemon = subprocess.Popen(["rsync", "--daemon", "--no-detach", f"--port={port}",
                               f"--config={conf}", "--address=127.0.0.1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    proxy = ChaosProxy("127.0.0.1", 0, "127.0.0.1", port, seed=7, rate_kbit=rate_kbit,
                       latency_ms=latency_ms, cut_every_bytes=cut)
    proxy.start()
    try:
        start = time.monotonic()
        for _ in range(200):
            done = subprocess.run(["rsync", "-r", "--partial", "--append-verify", f"{src}/",
                                   f"rsync://127.0.0.1:{proxy.listen_port}/d/"],
                                  capture_output=True).returncode == 0
            if done:
                break
        elapsed = time.monotonic() - start
        stats = proxy.stats()
        same = all((dst / p.relative_to(src)).read_bytes() == p.read_bytes()
                   for p in src.rglob("*") if p.is_file())
        return {"elapsed": elapsed, "wire": stats["bytes_up"] + stats["bytes_down"],
                "payload": payload, "done": done and same}
    finally:
        proxy.stop()
        daemon.terminate()
        daemon.wait()


def main() -> int:
    import logging
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="runs per profile (medians printed)")
    parser.add_argument("--rate-kbit", type=float, default=256)
    parser.add_argument("--latency-ms", type=float, default=40)
    parser.add_argument("--rsync", action="store_true", help="also time rsync on the same link")
    args = parser.parse_args()
    payload = DOSSIERS * SCANS * SCAN_BYTES
    ideals = [ideal_seconds(payload, args.rate_kbit, args.latency_ms) for _ in range(args.runs)]
    ideal = statistics.median(ideals)
    print(f"{DOSSIERS} dossiers x {SCANS} scans of {SCAN_BYTES // 1000} KB = {payload / 1e6:.1f} MB"
          f" at {args.rate_kbit:g} kbit/s, {args.latency_ms:g} ms; ideal (one bulk transfer "
          f"through the proxy) {ideal:.1f} s; medians of {args.runs} run(s)")
    if args.rsync and not shutil.which("rsync"):
        print("  rsync is not installed (apt-get install -y rsync): compared with nothing")
        args.rsync = False
    for name, cut in PROFILES.items():
        runs, rsyncs = [], []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                runs.append(run_profile(Path(tmp), cut, args.rate_kbit, args.latency_ms))
                if args.rsync:
                    rsyncs.append(rsync_run(Path(tmp), Path(tmp) / "node-07024" / "scans", cut,
                                            args.rate_kbit, args.latency_ms))
        time_x = statistics.median(r["elapsed"] / ideal for r in runs)
        wire_x = statistics.median(r["wire"] / r["payload"] for r in runs)
        rec = statistics.median(r["records_s"] for r in runs)
        goal = 1.05 if cut is None else 1.10
        line = (f"  {name:12s} {time_x:.3f}x ideal (goal <= {goal:.2f})  wire/payload "
                f"{wire_x:.3f} (goal <= 1.05)  records at center {rec:.1f} s (goal <= 2)  "
                f"cuts {statistics.median(r['cuts'] for r in runs):.0f}  center peak "
                f"{max(r['center_mb'] for r in runs):.0f} MB")
        errors = {r["error"] for r in runs if r["error"] or r["left"]}
        if errors:
            line += f"  NOT CLEAN: {errors}"
        if rsyncs:
            line += (f"  | rsync {statistics.median(r['elapsed'] / ideal for r in rsyncs):.3f}x, "
                     f"wire/payload {statistics.median(r['wire'] / r['payload'] for r in rsyncs):.3f}"
                     + ("" if all(r["done"] for r in rsyncs) else "  (rsync NOT DONE)"))
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
