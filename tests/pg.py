"""A throwaway PostgreSQL cluster for the center's tests and benches (machine-notes.md recipe).

`initdb` refuses root, so the cluster is made and run as the `postgres` user in a temporary folder, on
a free 127.0.0.1 port with its socket in that folder; `stop()` removes everything.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path


def _newest_pg_bin() -> str:
    """Debian's newest installed server (15 on Debian 12), unless MOTCUA_PG_BIN says otherwise."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    return str(found[-1].parent) if found else "/usr/lib/postgresql/15/bin"


PG_BIN = Path(os.environ.get("MOTCUA_PG_BIN") or _newest_pg_bin())


def missing_reason() -> str | None:
    """Why a cluster cannot be started here, or None when it can."""
    if not (PG_BIN / "initdb").exists():
        return f"PostgreSQL server binaries not found in {PG_BIN} (apt-get install -y postgresql)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "runuser is missing: cannot run initdb as the postgres user"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """One temporary PostgreSQL server; `fast=True` trades durability for test speed (fsync off)."""

    def __init__(self, *, fast: bool = True):
        self.fast = fast
        self.tmp = Path(tempfile.mkdtemp(prefix="motcua-pg-"))
        self.port = _free_port()
        self.running = False

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(prefix + list(args), check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)

    def start(self) -> "Cluster":
        if os.geteuid() == 0:
            shutil.chown(self.tmp, "postgres", "postgres")
        data = self.tmp / "data"
        self._run(str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                  "-E", "UTF8", "--locale=C.UTF-8", "-N")
        opts = f"-p {self.port} -k {self.tmp} -c listen_addresses=127.0.0.1"
        if self.fast:
            opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(self.tmp / "log"), "-w",
                  "-o", opts, "start")
        self.running = True
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; returns its URL."""
        import psycopg
        name = name or "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if self.running:
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.tmp / "data"), "-m", "immediate",
                      "-w", "stop")
            self.running = False
        shutil.rmtree(self.tmp, ignore_errors=True)
