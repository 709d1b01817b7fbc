"""Named locks across every center process: PostgreSQL advisory locks, or a file lock with SQLite.

Several center processes behind a load balancer share one database, so a lock that must hold for
all of them lives there: `pg_try_advisory_lock` on the thread's connection (freed by the server if
the process dies, even by SIGKILL). With SQLite every process runs on one machine over one file, so
a `filelock` beside the database does the same. Used for one writer per upload and for background
jobs no two processes may run at once.
"""
from __future__ import annotations

import hashlib
import time
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from central.db import db, is_postgres

_KEY_SEED = 7024


class LockBusy(Exception):
    """The lock was not free within the time given."""


@contextmanager
def named_lock(name: str, *, timeout: float = 60.0):
    """Hold the lock `name` while the block runs; wait up to `timeout` seconds (0: try once).

    :raises LockBusy: another process (or thread) held it all that time.
    """
    if is_postgres():
        deadline = time.monotonic() + timeout
        while not db.execute_sql("SELECT pg_try_advisory_lock(hashtextextended(%s, %s))",
                                 (name, _KEY_SEED)).fetchone()[0]:
            if time.monotonic() >= deadline:
                raise LockBusy(name)
            time.sleep(0.02)
        try:
            yield
        finally:
            db.execute_sql("SELECT pg_advisory_unlock(hashtextextended(%s, %s))",
                           (name, _KEY_SEED))
        return
    folder = Path(db.obj.database).parent / "locks"
    folder.mkdir(exist_ok=True)
    lock = FileLock(folder / (hashlib.sha256(name.encode()).hexdigest()[:32] + ".lock"),
                    thread_local=False)
    try:
        lock.acquire(timeout=timeout if timeout > 0 else 0.001)
    except Timeout:
        raise LockBusy(name) from None
    try:
        yield
    finally:
        lock.release()


def run_exclusively(name: str, job) -> bool:
    """Run `job()` unless another process runs the job `name` right now; True when it ran."""
    try:
        with named_lock(f"job:{name}", timeout=0):
            job()
            return True
    except LockBusy:
        return False
