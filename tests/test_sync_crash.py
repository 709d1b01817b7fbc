"""SIGKILL the node and the center at random moments of transfer and ingest, many times; after a
restart and a sync, every event is applied exactly once and every scan is whole."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from tests.sync_env import Center, add_dossiers, make_node, proxy_to, sync_until_clean

pytestmark = pytest.mark.slow
ROUNDS = 22


def test_sigkill_node_and_center_during_transfer_and_ingest(tmp_path):
    from node.db import close_database
    from node.models import Blob, Dossier, Event
    center = Center(tmp_path).start()
    proxy = proxy_to(center, rate_kbit=2000, latency_ms=10)
    rng = random.Random(20260304)
    env = {**os.environ, "MOTCUA_SYNC_ATTEMPTS": "4", "MOTCUA_SYNC_RETRY_CAP_S": "0.3"}
    kills = {"node": 0, "center": 0}
    try:
        node = make_node(tmp_path, "07024", "Quan Lạn", f"http://127.0.0.1:{proxy.listen_port}",
                         center.token("07024"))
        for _ in range(ROUNDS):
            add_dossiers(node, 4, scan_bytes=rng.randint(10_000, 60_000))
            if center.proc is None:
                center.start()
            sync = subprocess.Popen([sys.executable, "-m", "motcua", "node", "sync",
                                     "--data-dir", str(node)], env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.3, 1.3))       # ~0.4 s of it is the interpreter starting
            victim = rng.choice(["node", "center", "both"])
            if victim in ("node", "both") and sync.poll() is None:
                os.kill(sync.pid, signal.SIGKILL)
                kills["node"] += 1
            if victim in ("center", "both"):
                center.kill()
                kills["center"] += 1
            sync.wait(60)
        if center.proc is None:
            center.start()
        sync_until_clean(node)
        sync_until_clean(node)
        mine = {e.event_id: e.dossier_uid for e in Event.select()}
        assert Event.select().where(Event.acked_at.is_null()).count() == 0
        scans = {b.sha256 for b in Blob.select()}
        dossiers = Dossier.select().count()
    finally:
        proxy.stop()
        center.stop()
        close_database()
    assert kills["node"] >= 5 and kills["center"] >= 5, kills
    from peewee import fn

    from central.models import Blob as CenterBlob, Dossier as CenterDossier, Event as CenterEvent
    with center.db():
        got = dict(CenterEvent.select(CenterEvent.event_id, CenterEvent.dossier_uid).tuples())
        assert CenterEvent.select(fn.COUNT(CenterEvent.event_id.distinct())).scalar() == len(got)
        assert got == mine                                   # each event once, none missing
        assert CenterDossier.select().count() == dossiers == ROUNDS * 4
        for d in CenterDossier.select():                     # folds saw each event once
            assert d.event_count == sum(1 for uid in mine.values() if uid == d.uid)
        assert {b.sha256 for b in CenterBlob.select()} == scans
    for sha in scans:
        assert (center.dir / "blobs" / sha[:2] / sha).read_bytes() == \
            (node / "scans" / sha[:2] / sha).read_bytes()
