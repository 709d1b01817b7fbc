"""The center at province scale on real parts: PostgreSQL, SeaweedFS, two center processes behind
HAProxy, points syncing at once through a link that cuts, one process SIGKILLed and started again.

What must hold afterwards: every event a point holds a receipt for is applied at the center exactly
once, every scan is whole in the object store, `central verify` finds nothing, and no point's
parcel sequence was taken twice. The CI-sized run has 4 points; the `slow` one has 20.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time

import pytest

from motcua.chaosproxy import ChaosProxy
from tests.procs import motcua
from tests.province import ROOT, Province, missing_reason

pytestmark = pytest.mark.postgres


def run_province(tmp_path, *, points: int, dossiers: int, scan_bytes: int, kill_after_events: int):
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    province = Province(tmp_path, processes=2).start()
    proxy = ChaosProxy("127.0.0.1", 0, "127.0.0.1", province.port, seed=16,
                       cut_every_bytes=160 * 1024)
    proxy.start()
    procs = []
    try:
        units = [f"{7100 + i:05d}" for i in range(points)]
        tokens = {u: province.token(u) for u in units}
        url = f"http://127.0.0.1:{proxy.listen_port}"
        for u in units:
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "tests.province_point", str(tmp_path / "points"), u, url,
                 tokens[u], str(dossiers), str(scan_bytes), province.url],
                cwd=ROOT, stdout=subprocess.PIPE, stderr=open(tmp_path / f"point-{u}.log", "wb"),
                text=True))
        import psycopg
        with psycopg.connect(province.database_url, autocommit=True) as conn:
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                applied = conn.execute("SELECT count(*) FROM event").fetchone()[0]
                if applied >= kill_after_events:
                    break
                time.sleep(0.1)
        running = sum(p.poll() is None for p in procs)
        province.kill(0)                                 # mid-way: points still sending
        time.sleep(2.0)
        province.restart(0)
        results = []
        for u, p in zip(units, procs):
            out, _ = p.communicate(timeout=900)
            assert p.returncode == 0, (tmp_path / f"point-{u}.log").read_text()[-3000:]
            results.append(json.loads(out.strip().splitlines()[-1]))
        check_province(province, results)
        assert running == points, "the kill came after some point had finished"
        return province, results
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        proxy.stop()
        province.stop()


def check_province(province: Province, results: list[dict]) -> None:
    import boto3
    import psycopg
    with psycopg.connect(province.database_url, autocommit=True) as conn:
        assert conn.execute("SELECT event_id FROM event GROUP BY event_id "
                            "HAVING count(*) > 1").fetchall() == []
        for r in results:
            assert r["clean"] and r["pending"] == 0, r
            held = {eid for (eid,) in conn.execute(
                "SELECT event_id FROM event WHERE origin = %s", (r["unit"],))}
            assert set(r["acked"]) == held, r["unit"]           # every one once, nothing extra
            seqs = [s for (s,) in conn.execute(
                "SELECT seq FROM seen_parcel WHERE sender = %s ORDER BY seq", (r["unit"],))]
            last = conn.execute("SELECT last_seq_in FROM point WHERE unit_code = %s",
                                (r["unit"],)).fetchone()[0]
            assert seqs == list(range(1, last + 1)), (r["unit"], seqs, last)
            for sha, scan in r["scans"].items():
                assert scan["at_center"], (r["unit"], sha)
                row = conn.execute("SELECT size FROM blob WHERE sha256 = %s", (sha,)).fetchone()
                assert row and row[0] == scan["size"], (r["unit"], sha)
        assert conn.execute("SELECT sender, seq FROM seen_parcel GROUP BY sender, seq "
                            "HAVING count(*) > 1").fetchall() == []
    s3 = boto3.client("s3", endpoint_url=province.weed.endpoint, aws_access_key_id="x",
                      aws_secret_access_key="x", region_name="us-east-1")
    for r in results:
        for sha in r["scans"]:
            body = s3.get_object(Bucket="motcua", Key=f"blobs/{sha[:2]}/{sha}")["Body"].read()
            assert hashlib.sha256(body).hexdigest() == sha
    out = motcua("central", "verify", "--data-dir", province.dir)
    assert "khớp với nhật ký" in out, out


def test_four_points_through_haproxy_while_a_center_process_is_killed(tmp_path):
    run_province(tmp_path, points=4, dossiers=6, scan_bytes=96 * 1024, kill_after_events=10)


@pytest.mark.slow
def test_twenty_points_through_haproxy_while_a_center_process_is_killed(tmp_path):
    run_province(tmp_path, points=20, dossiers=15, scan_bytes=256 * 1024, kill_after_events=120)
