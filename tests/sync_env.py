"""A real center process, in-process nodes and the chaos proxy between them, for the sync tests.

The center always runs as its own `motcua central serve` process on 127.0.0.1; the tests read its
database directly (SQLite allows a second reader/writer) to check what was applied.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from motcua import legaltime
from motcua.chaosproxy import ChaosProxy
from sync.transport import RetryPolicy
from tests.procs import free_port, motcua, stop

FAST_RETRY = RetryPolicy(attempts=12, base_s=0.05, cap_s=1.0, connect_timeout_s=3,
                         read_timeout_s=15)


class Center:
    """`motcua central` in `root`, served on a free port."""

    def __init__(self, root: Path):
        self.dir = Path(root) / "center"
        self.port = free_port()
        self.proc = None
        motcua("central", "init", "--data-dir", self.dir)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Center":
        """Serve, logging to `center.log` (a pipe nobody reads would fill and stall the server)."""
        self.log = open(self.dir.parent / "center.log", "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "motcua", "central", "serve",
                                      "--data-dir", str(self.dir), "--port", str(self.port),
                                      "--threads", "8"], stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("center exited: " + (self.dir.parent / "center.log").read_text()[-2000:])
            try:
                requests.get(f"{self.url}/sync/v1/center", timeout=0.5)
                return self
            except requests.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("center did not start")

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)
            self.proc = None
            self.log.close()

    def kill(self) -> None:
        """SIGKILL: no chance to finish anything (a power cut, as far as the center knows)."""
        if self.proc is not None:
            if self.proc.poll() is None:
                os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self.proc = None
            self.log.close()

    @contextmanager
    def db(self):
        """The center's database, bound in this process for checks (and tokens)."""
        from central.db import close_database, open_database
        open_database(self.dir)
        try:
            yield
        finally:
            close_database()

    def token(self, unit: str, name: str = "Điểm thử", ttl=timedelta(hours=1)) -> str:
        from central.enrollment import issue_enroll_token
        with self.db():
            return issue_enroll_token(unit, name, ttl=ttl, now=legaltime.now())

    def identity(self):
        from central.keys import center_identity
        return center_identity(self.dir)


def proxy_to(center: Center, **faults) -> ChaosProxy:
    proxy = ChaosProxy("127.0.0.1", 0, "127.0.0.1", center.port, seed=7, **faults)
    proxy.start()
    return proxy


def make_node(root: Path, unit: str, name: str, central_url: str, token: str) -> Path:
    """A node initialised and enrolled in this process (binds the node database to it)."""
    from node.enroll import enroll
    from node.setup import init_node
    folder = Path(root) / f"node-{unit}"
    init_node(folder, unit, name)
    enroll(folder, central_url, token)
    return folder


def add_dossiers(folder: Path, count: int, *, scan_bytes: int = 0, seed: int = 0) -> list[str]:
    """Receive `count` dossiers at the node's desk (with one scan each when scan_bytes > 0)."""
    from node import reception
    from node.scans import BlobStore
    from tests.conftest import dossier_body
    store = BlobStore(Path(folder) / "scans")
    codes = []
    for i in range(count):
        d = reception.receive_dossier(dossier_body(), "lan@test")
        if scan_bytes:
            data = b"\x89PNG\r\n\x1a\n" + os.urandom(scan_bytes)
            reception.attach_scan(d.code, data, "1.001193-d1", "lan@test", store,
                                  max_bytes=64 * 1024 * 1024)
        codes.append(d.code)
    return codes


def sync_until_clean(folder: Path, *, rounds: int = 12, **kwargs):
    """Run rounds until one ends with nothing left (a bad link may need several)."""
    from node.rounds import sync_round
    kwargs.setdefault("policy", FAST_RETRY)
    report = None
    for _ in range(rounds):
        report = sync_round(folder, **kwargs)
        if report.clean:
            return report
    raise AssertionError(f"still not clean after {rounds} rounds: {report}")


@pytest.fixture
def center(tmp_path):
    """A center served for one test (`from tests.sync_env import center`)."""
    c = Center(tmp_path).start()
    yield c
    c.stop()


@pytest.fixture
def closing_node_db():
    """Close the node database this test bound in its process."""
    yield
    from node.db import close_database
    close_database()
