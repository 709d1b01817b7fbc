"""A busy point's day over a bad link, end to end: a real center process, the chaos proxy at
256 kbit/s with latency and cuts, and the node's own sync round.

Prints: wire bytes ÷ payload bytes (goal ≤ 1.05), goodput ÷ link rate (goal ≥ 0.85), seconds until
every dossier RECORD is at the center with the whole day's scans still queued (goal ≤ 10 s), and the
center's full parcel ingest rate (verify + decrypt + sequence + apply + signed receipt) in events/s
on SQLite and PostgreSQL (goal ≥ 5,000).

The day is 60 dossiers × 3 pages × 300 KB = 54 MB, about 30 minutes at 256 kbit/s. By default only
a fraction of the scans is transferred (`--scale 0.05`, ~2.7 MB, ~90 s); the records and the whole
54 MB queue are always there. `--scale 1` runs the full day.

The same day also travels by USB stick: export, center import and node import are timed (goal: the
whole round trip in ≤ 2 minutes).

    .venv/bin/python bench/sync_bench.py [--scale 0.05] [--rate-kbit 256] [--no-postgres] [--stick-only]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

PAGES, PAGE_BYTES, DOSSIERS = 3, 300 * 1024, 60


def day_over_link(tmp: Path, scale: float, rate_kbit: float, latency_ms: float,
                  cut_every: int) -> dict:
    from node.models import Blob, Event
    from node.rounds import sync_round
    from sync.transport import RetryPolicy
    from tests.sync_env import Center, make_node, proxy_to
    center = Center(tmp).start()
    proxy = proxy_to(center, rate_kbit=rate_kbit, latency_ms=latency_ms, cut_every_bytes=cut_every)
    try:
        node = make_node(tmp, "07024", "Quan Lạn", f"http://127.0.0.1:{proxy.listen_port}",
                         center.token("07024"))
        _receive_day(node)
        queued = sum(b.size for b in Blob.select())
        from node.journal import to_wire
        from sync.parcel import encode_body
        events_bytes = len(encode_body("events", [to_wire(e) for e in Event.select()]))
        blobs_wanted = max(1, round(scale * Blob.select().count()))
        stop, out = threading.Event(), {}
        policy = RetryPolicy(attempts=20, base_s=0.2, cap_s=2.0, read_timeout_s=60)
        before = proxy.stats()
        started = time.monotonic()
        worker = threading.Thread(target=lambda: out.setdefault(
            "report", sync_round(node, policy=policy, stop=stop)))
        worker.start()
        records_s = None
        while worker.is_alive():
            if records_s is None and not Event.select().where(Event.acked_at.is_null()).exists():
                records_s = time.monotonic() - started
            if Blob.select().where(Blob.at_center).count() >= blobs_wanted:
                stop.set()
            time.sleep(0.05)
        elapsed = time.monotonic() - started
        after = proxy.stats()
        sent = sum(b.size for b in Blob.select().where(Blob.at_center))
    finally:
        proxy.stop()
        center.stop()
        from node.db import close_database
        close_database()
    wire = (after["bytes_up"] - before["bytes_up"]) + (after["bytes_down"] - before["bytes_down"])
    payload = sent + events_bytes
    return {"queued_mb": queued / 1e6, "scans_sent_mb": sent / 1e6, "records_s": records_s,
            "wire_over_payload": wire / payload,
            "goodput_over_link": payload * 8 / elapsed / (rate_kbit * 1000),
            "elapsed_s": elapsed, "cuts": after["cuts"] - before["cuts"],
            "error": out.get("report").error if out.get("report") else "round did not end"}


def day_by_stick(tmp: Path) -> dict:
    """The same day by USB stick: node export, center import (its CLI, a separate process, as a
    technician runs it), node import; seconds for each and for the round trip."""
    from node.ferry import export_to, import_from
    from node.journal import pending_count
    from node.models import Blob
    from tests.procs import motcua
    from tests.sync_env import Center, make_node
    center = Center(tmp).start()           # only for enrolment over HTTP; the day goes by stick
    try:
        node = make_node(tmp, "07024", "Quan Lạn", center.url, center.token("07024"))
        _receive_day(node)
        center.stop()
        stick = tmp / "usb"
        t0 = time.perf_counter()
        went = export_to(node, stick)
        t1 = time.perf_counter()
        motcua("central", "import", "--data-dir", center.dir, "--from", stick)
        t2 = time.perf_counter()
        import_from(node, stick)
        t3 = time.perf_counter()
        assert pending_count() == 0 and not Blob.select().where(~Blob.at_center).exists()
        return {"export_s": t1 - t0, "center_s": t2 - t1, "import_s": t3 - t2, "total_s": t3 - t0,
                "stick_mb": sum(p.stat().st_size for p in stick.rglob("*") if p.is_file()) / 1e6,
                "chunks": went.counts.get("chunks", 0)}
    finally:
        center.stop()


def _receive_day(node: Path) -> None:
    """60 dossiers, each with 3 incompressible 300 KB pages (like JPEG scans)."""
    from node import reception
    from node.scans import BlobStore
    from tests.conftest import dossier_body
    store = BlobStore(node / "scans")
    for _ in range(DOSSIERS):
        d = reception.receive_dossier(dossier_body(), "lan@07024")
        for page in range(PAGES):
            reception.attach_scan(d.code, b"\xff\xd8\xff\xe0" + os.urandom(PAGE_BYTES - 4),
                                  f"1.001193-d{page + 1}", "lan@07024", store,
                                  max_bytes=10 * 1024 * 1024)


def ingest_rate(database_url: str | None, n_events: int = 20_000, batch: int = 500) -> float:
    """Events/s through `central.ingest.Ingestor` for parcels of `batch` events from 5 points."""
    from ingest_bench import POINTS, make_events

    from central.db import close_database, open_database
    from central.ingest import Ingestor
    from central.models import Point
    from sync import crypto
    from sync.parcel import build_parcel
    with tempfile.TemporaryDirectory() as tmp:
        open_database(tmp, database_url)
        center = crypto.generate_identity()
        keys = {}
        for code in POINTS:
            keys[code] = crypto.generate_identity()
            pub = keys[code].public_keys().to_dict()
            Point.create(unit_code=code, name=code, key_status="active", sign_pub=pub["sign_pub"],
                         enc_pub=pub["enc_pub"])
        by_point: dict[str, list] = {}
        for ev in make_events(n_events):
            by_point.setdefault(ev.origin, []).append(ev)
        parcels = []
        for code, events in by_point.items():
            prev = ""
            for seq, i in enumerate(range(0, len(events), batch), start=1):
                data = build_parcel(code, keys[code], "central", center.public_keys().enc_pub, seq,
                                    prev, events[i].hlc, "events", events[i:i + batch])
                prev = crypto.sha256_hex(data)
                parcels.append(data)
        ingestor = Ingestor(center, tmp)
        now = datetime.now()
        start = time.perf_counter()
        for data in parcels:
            result = ingestor.ingest(data, now=now)
            assert result.result == "applied", result
        elapsed = time.perf_counter() - start
        close_database()
    return sum(len(v) for v in by_point.values()) / elapsed


def main() -> int:
    import logging
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)   # the proxy cancelling its links on stop
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=0.05,
                        help="fraction of the day's 54 MB of scans to transfer (1 = all, ~30 min)")
    parser.add_argument("--rate-kbit", type=float, default=256)
    parser.add_argument("--latency-ms", type=float, default=40)
    parser.add_argument("--cut-every-bytes", type=int, default=1024 * 1024)
    parser.add_argument("--events", type=int, default=20_000, help="events for the ingest rate")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--stick-only", action="store_true", help="only the USB stick line")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        stick = day_by_stick(Path(tmp))
    print(f"The same day by USB stick ({stick['stick_mb']:.1f} MB on the stick, "
          f"{stick['chunks']} scan chunks):")
    print(f"  node export {stick['export_s']:.1f} s + center import {stick['center_s']:.1f} s + "
          f"node import {stick['import_s']:.1f} s = {stick['total_s']:.1f} s   (goal <= 120 s)")
    if args.stick_only:
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        day = day_over_link(Path(tmp), args.scale, args.rate_kbit, args.latency_ms,
                            args.cut_every_bytes)
    print(f"A busy point's day ({DOSSIERS} dossiers, {PAGES} pages x {PAGE_BYTES // 1024} KB = "
          f"{day['queued_mb']:.1f} MB queued) over {args.rate_kbit:g} kbit/s, "
          f"{args.latency_ms:g} ms, a cut every ~{args.cut_every_bytes // 1024} KB:")
    print(f"  scale {args.scale:g}: {day['scans_sent_mb']:.1f} MB of scans sent in "
          f"{day['elapsed_s']:.0f} s, {day['cuts']} cuts"
          + ("" if args.scale >= 1 else " (a fraction of the day: --scale 1 for all of it)"))
    print(f"  records at the center after      {day['records_s']:.1f} s    (goal <= 10 s)")
    print(f"  wire bytes / payload bytes       {day['wire_over_payload']:.3f}   (goal <= 1.05)")
    print(f"  goodput / link rate              {day['goodput_over_link']:.3f}   (goal >= 0.85)")
    if day["error"]:
        print(f"  round ended with: {day['error']}")
    print(f"  ingest, SQLite                   {ingest_rate(None, args.events):,.0f} events/s "
          "(goal >= 5,000)")
    if not args.no_postgres:
        from pg import Cluster, missing_reason
        if missing_reason():
            print(f"  ingest, PostgreSQL               skipped: {missing_reason()}")
        else:
            cluster = Cluster(fast=False).start()
            try:
                rate = ingest_rate(cluster.create_database(), args.events)
            finally:
                cluster.stop()
            print(f"  ingest, PostgreSQL               {rate:,.0f} events/s (goal >= 5,000)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
