"""Kill -9 a node taking dossiers at random moments: everything it acknowledged survives whole."""
from __future__ import annotations

import hashlib
import random
import signal
import sqlite3

import pytest
import requests

from tests.conftest import dossier_body, png_bytes
from tests.procs import free_port, motcua, sigkilled_after, start_server

ROUNDS = 20


@pytest.mark.slow
def test_sigkill_during_intake_loses_nothing_acknowledged(tmp_path):
    data_dir = tmp_path / "node"
    motcua("node", "init", "--data-dir", data_dir, "--unit-code", "07024", "--name", "Quan Lạn")
    motcua("node", "user", "add", "--data-dir", data_dir, "--username", "lan",
           input_text="mat-khau-dai-1\n")
    token = motcua("node", "token", "create", "--data-dir", data_dir, "--username", "lan").strip()
    headers = {"Authorization": f"Bearer {token}"}
    rnd = random.Random(20261127)
    acknowledged: dict[str, set[str]] = {}      # code -> sha256 of scans acknowledged with 201
    port = free_port()
    base = f"http://127.0.0.1:{port}/api/v1"
    kills_mid_request = 0

    for round_no in range(ROUNDS):
        proc = start_server(["node", "serve", "--data-dir", data_dir, "--port", port], port)
        with sigkilled_after(proc, rnd.uniform(0.15, 0.9)):
            try:
                while proc.poll() is None:
                    resp = requests.post(f"{base}/dossiers", json=dossier_body(), headers=headers,
                                         timeout=5)
                    if resp.status_code != 201:
                        continue
                    code = resp.json()["code"]
                    acknowledged[code] = set()
                    for n in range(rnd.randint(1, 3)):
                        scan = png_bytes(rnd.randint(20_000, 120_000), seed=rnd.getrandbits(32))
                        up = requests.post(f"{base}/dossiers/{code}/attachments", headers=headers,
                                           files={"file": ("scan.png", scan)},
                                           data={"requirement": f"1.001193-d{n + 1}"}, timeout=5)
                        if up.status_code == 201:
                            assert up.json()["sha256"] == hashlib.sha256(scan).hexdigest()
                            acknowledged[code].add(up.json()["sha256"])
            except requests.RequestException:
                kills_mid_request += 1

        # After each kill: restart, then check through the API and the file itself.
        proc = start_server(["node", "serve", "--data-dir", data_dir, "--port", port], port)
        try:
            for code, shas in acknowledged.items():
                detail = requests.get(f"{base}/dossiers/{code}", headers=headers, timeout=5)
                assert detail.status_code == 200, (round_no, code)
                body = detail.json()
                assert body["history"][0]["kind"] == "dossier.received"
                held = {a["sha256"] for a in body["attachments"]}
                assert shas <= held, (round_no, code)
                added = {e["payload"]["sha256"] for e in body["history"]
                         if e["kind"] == "attachment.added"}
                assert held == added
                for sha in shas:
                    blob = requests.get(f"{base}/dossiers/{code}/attachments/{sha}",
                                        headers=headers, timeout=5)
                    assert hashlib.sha256(blob.content).hexdigest() == sha
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            proc.stderr.close()
        assert_nothing_half_written(data_dir)

    assert len(acknowledged) >= ROUNDS, "the test must have acknowledged work to check"
    assert kills_mid_request >= 1


def assert_nothing_half_written(data_dir):
    con = sqlite3.connect(data_dir / "node.db")
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # every dossier has its received event, every event its dossier
        assert con.execute("SELECT count(*) FROM dossier d WHERE NOT EXISTS (SELECT 1 FROM event e "
                           "WHERE e.dossier_uid = d.uid AND e.kind = 'dossier.received')"
                           ).fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM event e WHERE e.dossier_uid IS NOT NULL AND NOT "
                           "EXISTS (SELECT 1 FROM dossier d WHERE d.uid = e.dossier_uid)"
                           ).fetchone()[0] == 0
        # every attachment row has its event and its whole file
        for (sha,) in con.execute("SELECT sha256 FROM attachment"):
            path = data_dir / "scans" / sha[:2] / sha
            assert hashlib.sha256(path.read_bytes()).hexdigest() == sha
        assert con.execute("SELECT (SELECT count(*) FROM attachment) - (SELECT count(*) FROM event "
                           "WHERE kind = 'attachment.added')").fetchone()[0] == 0
        codes = [c for (c,) in con.execute("SELECT code FROM dossier")]
        assert len(codes) == len(set(codes))
    finally:
        con.close()
    assert not list((data_dir / "scans").glob("*/*.tmp"))
