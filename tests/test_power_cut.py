"""A power cut at any moment: SIGKILL a node that is serving and syncing (its background round
every second) at random moments, start it again, and `node doctor` finds nothing failed — the
database whole, the spool and scans consistent — and in the end everything reaches the center.
A few cuts here; many more under `slow`."""
from __future__ import annotations

import json
import random
import signal
import subprocess
import sys

import pytest
import requests

from tests.conftest import dossier_body, png_bytes
from tests.procs import free_port, motcua, sigkilled_after, start_server
from tests.sync_env import Center

PASSWORD = "mat-khau-dai-1"


def _doctor(data_dir) -> dict:
    r = subprocess.run([sys.executable, "-m", "motcua", "node", "doctor", "--data-dir",
                        str(data_dir), "--json"], capture_output=True, text=True, timeout=120)
    assert "Traceback" not in r.stderr, r.stderr
    return json.loads(r.stdout)


def _cuts(tmp_path, cuts: int, seed: int) -> None:
    center = Center(tmp_path).start()
    node = None
    try:
        data_dir = tmp_path / "node"
        motcua("node", "init", "--data-dir", data_dir, "--unit-code", "07024", "--name", "Quan Lạn")
        motcua("node", "enroll", "--data-dir", data_dir, "--central", center.url, "--token",
               center.token("07024"))
        motcua("node", "user", "add", "--data-dir", data_dir, "--username", "lan",
               input_text=PASSWORD + "\n")
        token = motcua("node", "token", "create", "--data-dir", data_dir, "--username",
                       "lan").strip()
        headers = {"Authorization": f"Bearer {token}"}
        port = free_port()
        base = f"http://127.0.0.1:{port}/api/v1"
        env = {"NODE_SYNC_INTERVAL_SECONDS": "1", "MOTCUA_SYNC_ATTEMPTS": "2",
               "MOTCUA_SYNC_RETRY_CAP_S": "0.2"}
        rnd = random.Random(seed)
        acknowledged = set()
        for cut in range(cuts):
            node = start_server(["node", "serve", "--data-dir", data_dir, "--port", port], port,
                                env=env)
            with sigkilled_after(node, rnd.uniform(0.2, 1.5)):
                try:
                    while node.poll() is None:
                        r = requests.post(f"{base}/dossiers", json=dossier_body(), headers=headers,
                                          timeout=5)
                        if r.status_code != 201:
                            continue
                        acknowledged.add(r.json()["code"])
                        requests.post(f"{base}/dossiers/{r.json()['code']}/attachments",
                                      headers=headers, timeout=5,
                                      files={"file": ("p.png",
                                                      png_bytes(rnd.randint(50_000, 400_000),
                                                                seed=rnd.getrandbits(32)))},
                                      data={"requirement": "1.001193-d1"})
                except requests.RequestException:
                    pass
            node = None
            report = _doctor(data_dir)
            failed = [c for c in report["checks"] if c["level"] == "fail"]
            assert failed == [], (cut, failed)
            assert {c["name"]: c["level"] for c in report["checks"]}["integrity"] == "ok"

        # Power back for good: the node starts, syncs everything, and the doctor stays calm.
        node = start_server(["node", "serve", "--data-dir", data_dir, "--port", port], port,
                            env=env)
        import time
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = requests.get(f"{base}/sync/status", headers=headers, timeout=5).json()
            if not status["pending_events"] and not status["pending_blobs"]:
                break
            time.sleep(0.5)
        assert not status["pending_events"] and not status["pending_blobs"], status
        levels = {c["name"]: c["level"] for c in _doctor(data_dir)["checks"]}
        assert "fail" not in levels.values() and levels["backlog"] == "ok", levels
        with center.db():
            from central.models import Dossier, Refusal
            held = {d.code for d in Dossier.select()}
            assert [r.reason_code for r in Refusal.select()] == []
        assert acknowledged and acknowledged <= held
    finally:
        if node is not None:
            node.send_signal(signal.SIGKILL)
            node.wait()
        center.stop()


def test_power_cuts_while_serving_and_syncing(tmp_path):
    _cuts(tmp_path, cuts=3, seed=20261207)


@pytest.mark.slow
def test_many_power_cuts_while_serving_and_syncing(tmp_path):
    _cuts(tmp_path, cuts=15, seed=7)
