"""The HTTP sync round of a point with its center, and the lock that keeps rounds apart.

`sync_round` runs `node.rounds.run_round` over HTTP (`sync.carrier.HttpCarrier` on
`sync.transport.HttpTransport`), or over any carrier it is given, and keeps what the clerk sees
(`sync:last_contact`, `sync:last_error`). Rounds never overlap (a lock file, `exclusive`), so the
CLI, the background loop and the USB page can all call in.
"""
from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from filelock import FileLock

from motcua.errors import DomainError
from node.enroll import node_identity, pinned_center_keys
from node.models import State
from node.rounds import (  # noqa: F401
    RoundReport,
    acknowledge_spooled,
    current_stamp,
    drop_refused,
    exchange_rotation,
    left_waiting,
    run_round,
    spool_pending_events,
)
from node.state import get_state, set_state, unit_code
from sync.carrier import Carrier, HttpCarrier
from sync.parcel import DEFAULT_CHUNK_BYTES, ParcelRefused
from sync.transport import DEFAULT_CHUNK_BYTES as HTTP_CHUNK_BYTES, HttpTransport, RetryPolicy, TransportError

logger = logging.getLogger(__name__)

_ROUND_LOCK = threading.Lock()


def http_carrier(data_dir: str | os.PathLike, *, policy: RetryPolicy | None = None,
                 chunk_bytes: int = HTTP_CHUNK_BYTES) -> HttpCarrier:
    """The carrier to the center this point enrolled with over the network.
    :raises TransportError: the point has no center URL or no pinned center keys."""
    center, url = pinned_center_keys(), get_state("central_url")
    if center is None or not url:
        raise TransportError("Điểm chưa ghi danh với trung tâm.", retryable=False)
    return HttpCarrier(HttpTransport(url, node_id=unit_code(), identity=node_identity(data_dir),
                                     center_sign_pub=center.sign_pub,
                                     policy=policy or retry_policy_from_env(),
                                     chunk_bytes=chunk_bytes,
                                     # the indicator says "offline" from the first failure on
                                     on_trouble=lambda said: set_state("sync:last_error", said)))


def sync_round(data_dir: str | os.PathLike, *, transport: HttpTransport | None = None,
               carrier: Carrier | None = None, policy: RetryPolicy | None = None,
               chunk_bytes: int = DEFAULT_CHUNK_BYTES, http_chunk_bytes: int = HTTP_CHUNK_BYTES,
               include_blobs: bool = True, stop: threading.Event | None = None) -> RoundReport:
    """Run one round now (waits for a round already running), over HTTP unless a `carrier` (or
    an HTTP `transport`) is given; never raises for trouble on the way: the report's `error`
    (plain Vietnamese, also in `sync:last_error`) says what went wrong."""
    data_dir = Path(data_dir)
    with exclusive(data_dir):
        logger.info("sync round start")
        report = RoundReport()
        owned = None
        try:
            if carrier is None:
                carrier = owned = (HttpCarrier(transport) if transport is not None else
                                   http_carrier(data_dir, policy=policy, chunk_bytes=http_chunk_bytes))
            run_round(data_dir, carrier, include_blobs=include_blobs, stop=stop,
                      chunk_bytes=chunk_bytes, report=report)
        except (TransportError, ParcelRefused, DomainError) as exc:
            report.error = getattr(exc, "message_vi", str(exc))
        finally:
            if owned is not None and transport is None:
                owned.close()
        return _finish(report)


def rotate_now(data_dir: str | os.PathLike, *, transport: HttpTransport | None = None,
               policy: RetryPolicy | None = None) -> bool:
    """Send a waiting key rotation to the center now and switch on its signed answer; True when
    the keys were switched. :raises TransportError: unreachable or refused (the request waits);
    DomainError: an answer that does not name this point's new keys."""
    data_dir = Path(data_dir)
    with exclusive(data_dir):
        carrier = HttpCarrier(transport) if transport is not None else http_carrier(data_dir,
                                                                                   policy=policy)
        try:
            return exchange_rotation(data_dir, carrier)
        finally:
            if transport is None:
                carrier.close()


def retry_policy_from_env() -> RetryPolicy:
    """Retry bounds; `MOTCUA_SYNC_ATTEMPTS` and `MOTCUA_SYNC_RETRY_CAP_S` override (tests, demo)."""
    policy = RetryPolicy()
    if os.environ.get("MOTCUA_SYNC_ATTEMPTS"):
        policy.attempts = int(os.environ["MOTCUA_SYNC_ATTEMPTS"])
    if os.environ.get("MOTCUA_SYNC_RETRY_CAP_S"):
        policy.cap_s = float(os.environ["MOTCUA_SYNC_RETRY_CAP_S"])
        policy.base_s = min(policy.base_s, policy.cap_s / 4)
    return policy


def _finish(report: RoundReport) -> RoundReport:
    left_waiting(report)
    if report.error:
        set_state("sync:last_error", report.error)
    else:
        State.delete().where(State.key == "sync:last_error").execute()
    logger.info("sync round end: %s%s", report.summary(),
                f" error: {report.error}" if report.error else "")
    return report


class exclusive:                        # noqa: N801 - read as a context manager
    """No two rounds or USB transfers at once on one data dir (they share the spool): a thread
    lock in this process, and `sync.lock` across processes (the CLI and `node serve` may share a
    data dir), through `filelock`, which locks on Windows as on Linux."""

    def __init__(self, data_dir: str | os.PathLike):
        self.file = FileLock(Path(data_dir) / "sync.lock")

    def __enter__(self):
        _ROUND_LOCK.acquire()
        try:
            self.file.acquire()
        except BaseException:
            _ROUND_LOCK.release()
            raise
        return self

    def __exit__(self, *exc):
        try:
            self.file.release()
        finally:
            _ROUND_LOCK.release()
