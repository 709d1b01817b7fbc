"""A province's center on real distributed parts, for the scale test and the bench: a throwaway
PostgreSQL, SeaweedFS, N `motcua central serve` processes over one data dir (keys, central.cfg) and
HAProxy in front with `/healthz` checks, built from `deploy/haproxy.cfg` with this run's ports.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests import seaweed
from tests.pg import Cluster, missing_reason as pg_missing
from tests.procs import free_port, motcua

ROOT = Path(__file__).resolve().parent.parent


def missing_reason() -> str | None:
    """Why a province cannot be built here, or None."""
    if shutil.which("haproxy") is None:
        return "haproxy not installed (apt-get install -y haproxy; scripts/test.sh does)"
    return pg_missing() or seaweed.missing_reason()


class Province:
    """Start with `start(processes)`; `url` is HAProxy's; `kill(i)` / `restart(i)` one process."""

    def __init__(self, root: Path, *, processes: int = 2, threads: int = 8):
        self.root = Path(root)
        self.dir = self.root / "center"
        self.count, self.threads = processes, threads
        self.pg = self.weed = self.haproxy = None
        self.procs: list[subprocess.Popen | None] = []
        self.ports = [free_port() for _ in range(processes)]
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Province":
        self.pg = Cluster(fast=False).start()
        self.database_url = self.pg.create_database("motcua")
        self.weed = seaweed.Seaweed().start()
        motcua("central", "init", "--data-dir", self.dir, "--database-url", self.database_url)
        with open(self.dir / "central.cfg", "a") as fh:
            fh.write(f"BLOB_STORE = {self.weed.url('motcua')!r}\n")
        for i in range(self.count):
            self.procs.append(None)
            self.restart(i)
        self._start_haproxy()
        return self

    def _start_haproxy(self) -> None:
        cfg = (ROOT / "deploy" / "haproxy.cfg").read_text()
        cfg = cfg.replace("bind 127.0.0.1:8700", f"bind 127.0.0.1:{self.port}")
        cfg = re.sub(r"    server center\d .*\n", "", cfg)
        cfg = cfg.replace("    log stdout format raw local0 info\n", "")
        cfg += "".join(f"    server center{i + 1} 127.0.0.1:{p} check\n"
                       for i, p in enumerate(self.ports))
        (self.root / "haproxy.cfg").write_text(cfg)
        self.haproxy_log = open(self.root / "haproxy.log", "ab")
        self.haproxy = subprocess.Popen(["haproxy", "-f", str(self.root / "haproxy.cfg"), "-db"],
                                        stdout=self.haproxy_log, stderr=subprocess.STDOUT)
        self.wait_all_up()

    def wait_all_up(self, timeout: float = 30.0) -> None:
        """Until HAProxy answers /healthz (some process up) and every process does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if all(requests.get(f"http://127.0.0.1:{p}/healthz", timeout=2).status_code == 200
                       for p in self.ports) and \
                        requests.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError("the province did not come up: " + self.logs())

    def restart(self, i: int) -> None:
        log = open(self.root / f"center{i + 1}.log", "ab")
        self.procs[i] = subprocess.Popen(
            [sys.executable, "-m", "motcua", "central", "serve", "--data-dir", str(self.dir),
             "--port", str(self.ports[i]), "--threads", str(self.threads)],
            stdout=subprocess.DEVNULL, stderr=log, env={**os.environ, "CENTRAL_SWEEP_EVERY_S": "5"})
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.procs[i].poll() is not None:
                raise RuntimeError(f"center {i + 1} exited: {self.logs()}")
            try:
                if requests.get(f"http://127.0.0.1:{self.ports[i]}/healthz",
                                timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"center {i + 1} did not start: {self.logs()}")

    def kill(self, i: int) -> None:
        """SIGKILL: the process ends mid-whatever it was doing."""
        proc = self.procs[i]
        if proc is not None and proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        self.procs[i] = None

    def token(self, unit: str) -> str:
        return motcua("central", "enroll-token", "--data-dir", self.dir, "--unit-code", unit,
                      "--name", f"Điểm {unit}", "--ttl", "24h").strip()

    def logs(self) -> str:
        out = []
        for name in [f"center{i + 1}.log" for i in range(self.count)] + ["haproxy.log"]:
            path = self.root / name
            if path.exists():
                out.append(f"--- {name}\n" + path.read_text(errors="replace")[-1500:])
        return "\n".join(out)

    def stop(self) -> None:
        for i, proc in enumerate(self.procs):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        if self.haproxy is not None:
            self.haproxy.terminate()
            self.haproxy.wait(10)
            self.haproxy_log.close()
        if self.weed is not None:
            self.weed.stop()
        if self.pg is not None:
            self.pg.stop()
