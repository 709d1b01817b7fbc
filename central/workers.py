"""`central serve --workers N`: N identical center processes on consecutive ports, kept running.

No home-made clustering: each child is a plain `motcua central serve` on its own port, sharing the
database and the object store; a load balancer (HAProxy, `deploy/haproxy.cfg`) spreads the points
over them and stops sending to one that fails its `/healthz`. This parent only starts the children,
starts again one that dies (after a second, so a crash loop does not spin), and passes SIGTERM on.
Under systemd, prefer one unit per process (`deploy/motcua-central@.service`).
"""
from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time

logger = logging.getLogger(__name__)


def supervise(data_dir: str, host: str, port: int, workers: int, threads: int) -> int:
    """Run `workers` children until SIGTERM/SIGINT; returns the exit status."""
    from central.cli import central_group

    def spawn(i: int) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "motcua", central_group.name, "serve",
                                 "--data-dir", str(data_dir), "--host", host,
                                 "--port", str(port + i), "--threads", str(threads)])
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    children = {i: spawn(i) for i in range(workers)}
    print(f"motcua central: {workers} processes on {host}:{port}-{port + workers - 1}",
          file=sys.stderr, flush=True)
    try:
        while not stopping:
            time.sleep(1)
            for i, child in list(children.items()):
                if child.poll() is not None and not stopping:
                    logger.warning("center process on port %d exited (%s): starting it again",
                                   port + i, child.returncode)
                    print(f"motcua central: process on port {port + i} exited "
                          f"({child.returncode}), starting it again", file=sys.stderr, flush=True)
                    children[i] = spawn(i)
    finally:
        for child in children.values():
            if child.poll() is None:
                child.terminate()
        for child in children.values():
            try:
                child.wait(30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
    return 0
