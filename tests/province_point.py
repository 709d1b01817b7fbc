"""One reception point as its own process, for the province test and bench: init, enroll through the
load balancer, receive dossiers with scans, sync until nothing is left, print what it holds as JSON.

    python -m tests.province_point ROOT UNIT URL TOKEN DOSSIERS SCAN_BYTES [ENROLL_URL]

Enrollment goes to ENROLL_URL when given (the load balancer itself: a token is used once, and an
answer lost on a cutting link would leave the point refused), then every round goes to URL.
"""
from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path


def main(root: str, unit: str, url: str, token: str, dossiers: int, scan_bytes: int,
         enroll_url: str | None = None) -> None:
    from node.models import Blob, Event
    from node.scans import BlobStore
    from sync.transport import RetryPolicy
    from tests.sync_env import add_dossiers, make_node
    policy = RetryPolicy(attempts=30, base_s=0.1, cap_s=1.0, connect_timeout_s=3,
                         read_timeout_s=20)
    from node.facts import set_state
    for attempt in range(10):      # as a technician would: again, while the token is unused
        try:
            folder = make_node(Path(root), unit, f"Điểm {unit}", enroll_url or url, token)
            break
        except Exception as exc:
            # a center that did not answer, yes; a refusal (a used token), no
            if attempt == 9 or getattr(exc, "code", "center_unreachable") != "center_unreachable":
                raise
            import shutil

            from node.db import close_database
            close_database()
            shutil.rmtree(Path(root) / f"node-{unit}", ignore_errors=True)
            time.sleep(1.0)
    set_state("central_url", url.rstrip("/"))
    add_dossiers(folder, dossiers, scan_bytes=scan_bytes, seed=int(unit))
    from node.rounds import sync_round
    started, report = time.monotonic(), None
    while time.monotonic() - started < 600:
        report = sync_round(folder, policy=policy)
        if report.clean:
            break
        time.sleep(0.2)
    scans = {}
    store = BlobStore(folder / "scans")
    for b in Blob.select():
        data = store.read(b.sha256)
        assert hashlib.sha256(data).hexdigest() == b.sha256
        scans[b.sha256] = {"size": len(data), "at_center": bool(b.at_center)}
    events = [e.event_id for e in Event.select().where((Event.origin == unit)
                                                       & Event.acked_at.is_null(False))]
    pending = Event.select().where((Event.origin == unit) & Event.acked_at.is_null()).count()
    print(json.dumps({"unit": unit, "clean": bool(report and report.clean), "acked": events,
                      "pending": pending, "scans": scans,
                      "seconds": round(time.monotonic() - started, 2)}), flush=True)


if __name__ == "__main__":
    a = sys.argv[1:]
    main(a[0], a[1], a[2], a[3], int(a[4]), int(a[5]), a[6] if len(a) > 6 else None)
