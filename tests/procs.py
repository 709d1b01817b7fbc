"""Helpers to run motcua commands as real processes on 127.0.0.1 (no test-client shortcut)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def motcua(*args, input_text: str | None = None, check: bool = True, env=None) -> str:
    """Run `python -m motcua …` and return its stdout. :raises CalledProcessError: on failure."""
    result = subprocess.run([sys.executable, "-m", "motcua", *map(str, args)], input=input_text,
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, **(env or {})})
    if check and result.returncode != 0:
        raise subprocess.CalledProcessError(result.returncode, args, result.stdout, result.stderr)
    return result.stdout


def start_server(args: list, port: int, *, path: str = "/api/v1/procedures",
                 timeout: float = 20.0, env=None, python: str | None = None) -> subprocess.Popen:
    """Start `python -m motcua <args>` (with `python`, default this interpreter) and wait until it
    answers HTTP on `port`."""
    proc = subprocess.Popen([python or sys.executable, "-m", "motcua", *map(str, args)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, **(env or {})})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            requests.get(f"http://127.0.0.1:{port}{path}", timeout=0.5)
            return proc
        except requests.ConnectionError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("server did not start")


def stop(proc: subprocess.Popen, grace: float = 5) -> None:
    """Terminate `proc`, kill it if it has not ended within `grace` seconds, close its stderr."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stderr:
        proc.stderr.close()


@contextmanager
def sigkilled_after(proc: subprocess.Popen, seconds: float):
    """SIGKILL `proc` (started by `start_server`) `seconds` from now, a power cut at a moment the
    test chose; on leaving the block, wait until it is dead and close its stderr pipe."""
    killer = threading.Timer(seconds, proc.send_signal, (signal.SIGKILL,))
    killer.start()
    try:
        yield proc
    finally:
        killer.join()
        proc.wait()
        proc.stderr.close()
