"""One sync round of a point with its center, and the background loop that runs it.

A round, in the order the spec asks: (1) every unacknowledged journal event goes up in chained
`events` parcels (records before scans); (2) what the center owes this point comes down and is
applied; (3) scans go up as content-addressed blob chunks the center does not hold yet, checking
before each scan whether new records are waiting, which then go first. Events are marked
acknowledged only on a receipt whose signature verifies with the pinned center key. Rounds never
overlap (a lock file), so the CLI and the background loop can both call `sync_round`.
"""
from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from motcua.errors import DomainError
from node import keyrotation as rotation
from node.enroll import node_identity, pinned_center_keys
from node.inbox import take_down_parcel
from node.journal import note_center_time, pending_count, pending_events, to_wire
from node.models import Blob, Event, db
from node.scans import BlobStore
from node.state import get_state, set_state, unit_code
from sync import hlc
from sync.outbox import Spool
from sync.parcel import DEFAULT_CHUNK_BYTES, ParcelRefused
from sync.receipt import FINAL_REFUSALS, verify_receipt
from sync.transport import DEFAULT_CHUNK_BYTES as HTTP_CHUNK_BYTES, HttpTransport, RetryPolicy, TransportError

try:
    import fcntl
except ImportError:                     # pragma: no cover - Windows: one process per data dir
    fcntl = None

logger = logging.getLogger(__name__)

_ROUND_LOCK = threading.Lock()


@dataclass
class RoundReport:
    """What one round moved, and what is left."""
    parcels_up: int = 0
    events_acked: int = 0
    blobs_up: int = 0
    blob_bytes_up: int = 0
    blobs_already_held: int = 0
    parcels_down: int = 0
    events_down: int = 0
    left_events: int = 0
    left_blobs: int = 0
    error: str | None = None
    held: list[str] = field(default_factory=list)
    keys_rotated: bool = False

    @property
    def clean(self) -> bool:
        """True when nothing is left to send or fetch and nothing went wrong."""
        return self.error is None and not self.left_events and not self.left_blobs

    def summary(self) -> str:
        return (f"Gửi {self.parcels_up} gói ({self.events_acked} sự kiện được xác nhận), "
                f"{self.blobs_up} tệp quét ({self.blob_bytes_up / 1e6:.1f} MB, "
                f"{self.blobs_already_held} tệp trung tâm đã có); nhận {self.parcels_down} gói "
                f"({self.events_down} sự kiện). Còn chờ: {self.left_events} sự kiện, "
                f"{self.left_blobs} tệp quét.")


class _Round:
    def __init__(self, data_dir: Path, transport: HttpTransport | None, chunk_bytes: int,
                 policy: RetryPolicy, http_chunk_bytes: int):
        self.data_dir = data_dir
        self.node_id = unit_code()
        self.identity = node_identity(data_dir)
        self.center = pinned_center_keys()
        url = get_state("central_url")
        if self.center is None or not url:
            raise TransportError("Điểm chưa ghi danh với trung tâm.", retryable=False)
        self.t = transport or HttpTransport(url, node_id=self.node_id, identity=self.identity,
                                            center_sign_pub=self.center.sign_pub,
                                            policy=policy, chunk_bytes=http_chunk_bytes)
        self.spool = Spool(data_dir / "outbox")
        self.store = BlobStore(data_dir / "scans")
        self.chunk_bytes = chunk_bytes
        self.report = RoundReport()
        self.stop: threading.Event | None = None

    def stamp(self) -> str:
        return current_stamp()

    def contact(self) -> None:
        set_state("sync:last_contact", datetime.now().isoformat(timespec="seconds"))

    def resume_if_restored(self) -> None:
        """Restored from a backup: learn where the center stands before sending anything."""
        from node.backup import needs_standing, resume_from_standing
        if needs_standing():
            resume_from_standing(self.data_dir, self.t.standing())
            self.spool = Spool(self.data_dir / "outbox")

    def rotate_if_pending(self) -> None:
        """Finish a key rotation that waits for the center's answer, then sign with the new keys."""
        request = rotation.pending_request(self.data_dir)
        if request is None:
            return
        if rotation.accept_answer(self.data_dir, self.t.rotate_keys(request)):
            self.identity = node_identity(self.data_dir)
            self.t.identity = self.identity
            self.report.keys_rotated = True

    def push_events(self) -> None:
        """Spool what is not yet in a parcel, then deliver every waiting parcel in order."""
        spool_pending_events(self.spool, self.node_id, self.identity, self.center.enc_pub)
        for item in self.spool.waiting():
            logger.info("parcel %d upload start", item.seq)
            receipt = self.t.upload_parcel(item.read())
            body = verify_receipt(receipt, self.center.sign_pub, item.sha256)
            self.contact()
            note_center_time(str(body.get("applied_at", "")))
            if body["result"] == "refused" and body.get("reason") in FINAL_REFUSALS:
                self.drop_refused(item, body)
                continue
            if body["result"] not in ("applied", "duplicate"):
                raise TransportError(f"Trung tâm không nhận gói số {item.seq}: "
                                     f"{body['result']} {body.get('reason', '')}.", retryable=False)
            acked = acknowledge_spooled(self.spool, item)
            self.report.parcels_up += 1
            self.report.events_acked += acked
            logger.info("parcel %d applied (%s, %d events acknowledged)", item.seq,
                        body["result"], acked)

    def drop_refused(self, item, body: dict) -> None:
        self.report.error = drop_refused(self.spool, item, str(body.get("reason")))

    def pull_down(self) -> None:
        while True:
            parcel = self.t.next_down_parcel()
            self.contact()
            if parcel is None:
                return
            result, receipt = take_down_parcel(
                parcel, node_id=self.node_id, identity=self.identity, center_keys=self.center,
                older=rotation.decrypting_identities(self.data_dir))
            self.t.send_down_receipt(receipt)
            self.report.parcels_down += 1
            if result not in ("applied", "duplicate"):
                # Logged and reported; records and scans still go up in this round.
                self.report.error = (f"Gói từ trung tâm không áp dụng được ({result}): "
                                     f"{get_state('sync:down_refused') or ''}").strip()
                return

    def push_blobs(self) -> None:
        waiting = [b.sha256 for b in Blob.select(Blob.sha256).where(~Blob.at_center)
                   .order_by(Blob.created_at, Blob.sha256)]
        for start in range(0, len(waiting), 500):
            batch = waiting[start:start + 500]
            have = self.t.have_blobs(batch)
            held = set(have.get("held", [])) & set(batch)
            if held:
                Blob.update(at_center=True).where(Blob.sha256.in_(list(held))).execute()
                self.report.blobs_already_held += len(held)
            for sha in batch:
                if sha in held:
                    continue
                if self.stop is not None and self.stop.is_set():   # shutting down: next round
                    return
                if pending_count():          # records first: new ones jump ahead of scans
                    self.push_events()
                self.push_blob(sha, set(have.get("partial", {}).get(sha, [])))

    def push_blob(self, sha: str, offsets_held: set[int]) -> None:
        data = self.store.read(sha)
        logger.info("blob %s upload start (%d bytes)", sha[:12], len(data))
        for offset in range(0, max(len(data), 1), self.chunk_bytes):
            if offset in offsets_held:
                continue
            path, parcel = self.spool.blob_chunk(self.node_id, self.identity, "central",
                                                 self.center.enc_pub, self.stamp(), data, sha,
                                                 offset, self.chunk_bytes)
            receipt = self.t.upload_parcel(parcel)
            body = verify_receipt(receipt, self.center.sign_pub, _sha(parcel))
            self.contact()
            if body["result"] not in ("applied", "duplicate"):
                raise TransportError(f"Trung tâm không nhận tệp quét: {body.get('reason')}.",
                                     retryable=False)
            path.unlink(missing_ok=True)
            self.report.blob_bytes_up += len(parcel)
        # A scan counts as delivered only when the center says it holds it WHOLE. Chunks it said it
        # held may never have been joined (a crash between the last chunk and the join): then send
        # every chunk again, and the last one to land joins them.
        if sha not in self.t.have_blobs([sha]).get("held", []):
            if offsets_held:
                logger.info("blob %s not joined at the center: sending all chunks", sha[:12])
                return self.push_blob(sha, set())
            raise TransportError("Trung tâm chưa ghép đủ tệp quét; sẽ gửi lại ở lần sau.")
        Blob.update(at_center=True).where(Blob.sha256 == sha).execute()
        self.report.blobs_up += 1
        logger.info("blob %s applied", sha[:12])


def current_stamp() -> str:
    """This node's latest hybrid clock stamp (what new parcels carry as `created_at`)."""
    return get_state("hlc", str(hlc.ZERO)) or str(hlc.ZERO)


def spool_pending_events(spool: Spool, node_id: str, identity, center_enc_pub: bytes) -> None:
    """Build chained parcels of the journal events not yet in one (HTTP rounds and USB exports)."""
    rows = [(row.seq, to_wire(row)) for row in pending_events()]
    if rows:
        spool.add_events(node_id, identity, "central", center_enc_pub, rows, current_stamp())


def drop_refused(spool: Spool, item, reason: str) -> str:
    """The center refused this parcel for what it carries and took its place in our chain
    (`sync.receipt.FINAL_REFUSALS`): it will never be applied, so stop sending it; returns the
    sentence kept for `node status` and the Today page."""
    acked = acknowledge_spooled(spool, item)
    note = f"Trung tâm từ chối gói số {item.seq} ({acked} sự kiện): {reason}. Báo kỹ thuật viên."
    set_state("sync:up_refused", f"{datetime.now().isoformat(timespec='seconds')} {note}")
    logger.error("parcel %d refused by the center for its content: %s", item.seq, reason)
    return note


def acknowledge_spooled(spool: Spool, item) -> int:
    """Mark a parcel's events acknowledged (its receipt verified), then forget the parcel."""
    with db.atomic("IMMEDIATE"):
        acked = (Event.update(acked_at=datetime.now())
                 .where(Event.seq.between(item.first, item.last)
                        & Event.acked_at.is_null()).execute())
    spool.remove(item)
    return acked


class exclusive:                        # noqa: N801 - read as a context manager
    """No two rounds or USB transfers at once on one data dir (they share the spool)."""

    def __init__(self, data_dir: str | os.PathLike):
        self.file = _file_lock(Path(data_dir) / "sync.lock")

    def __enter__(self):
        _ROUND_LOCK.acquire()
        try:
            self.file.__enter__()
        except BaseException:
            _ROUND_LOCK.release()
            raise
        return self

    def __exit__(self, *exc):
        try:
            self.file.__exit__(*exc)
        finally:
            _ROUND_LOCK.release()


def _sha(data: bytes) -> str:
    from sync.crypto import sha256_hex
    return sha256_hex(data)


def retry_policy_from_env() -> RetryPolicy:
    """Retry bounds; `MOTCUA_SYNC_ATTEMPTS` and `MOTCUA_SYNC_RETRY_CAP_S` override (tests, demo)."""
    policy = RetryPolicy()
    if os.environ.get("MOTCUA_SYNC_ATTEMPTS"):
        policy.attempts = int(os.environ["MOTCUA_SYNC_ATTEMPTS"])
    if os.environ.get("MOTCUA_SYNC_RETRY_CAP_S"):
        policy.cap_s = float(os.environ["MOTCUA_SYNC_RETRY_CAP_S"])
        policy.base_s = min(policy.base_s, policy.cap_s / 4)
    return policy


def sync_round(data_dir: str | os.PathLike, *, transport: HttpTransport | None = None,
               policy: RetryPolicy | None = None, chunk_bytes: int = DEFAULT_CHUNK_BYTES,
               http_chunk_bytes: int = HTTP_CHUNK_BYTES, include_blobs: bool = True,
               stop: threading.Event | None = None) -> RoundReport:
    """Run one round now (waits for a round already running); never raises for network trouble:
    the report's `error` (plain Vietnamese, also in `sync:last_error`) says what went wrong."""
    data_dir = Path(data_dir)
    with exclusive(data_dir):
        logger.info("sync round start")
        try:
            r = _Round(data_dir, transport, chunk_bytes, policy or retry_policy_from_env(),
                       http_chunk_bytes)
            r.stop = stop
        except (TransportError, ParcelRefused) as exc:
            return _finish(RoundReport(error=getattr(exc, "message_vi", str(exc))))
        try:
            r.resume_if_restored()
            r.rotate_if_pending()
            r.push_events()
            r.pull_down()
            if include_blobs:
                r.push_blobs()
            if pending_count():
                r.push_events()
        except (TransportError, ParcelRefused, DomainError) as exc:
            r.report.error = getattr(exc, "message_vi", str(exc))
        finally:
            if transport is None:
                r.t.close()
        return _finish(r.report)


def rotate_now(data_dir: str | os.PathLike, *, transport: HttpTransport | None = None,
               policy: RetryPolicy | None = None) -> bool:
    """Send a waiting key rotation to the center now and switch on its signed answer; True when
    the keys were switched. :raises TransportError: unreachable or refused (the request waits);
    DomainError: an answer that does not name this point's new keys."""
    data_dir = Path(data_dir)
    with exclusive(data_dir):
        r = _Round(data_dir, transport, DEFAULT_CHUNK_BYTES, policy or retry_policy_from_env(),
                   HTTP_CHUNK_BYTES)
        try:
            r.rotate_if_pending()
        finally:
            if transport is None:
                r.t.close()
        return r.report.keys_rotated


def _finish(report: RoundReport) -> RoundReport:
    report.left_events = pending_count()
    report.left_blobs = Blob.select().where(~Blob.at_center).count()
    if report.error:
        set_state("sync:last_error", report.error)
    else:
        _clear_state("sync:last_error")
    logger.info("sync round end: %s%s", report.summary(),
                f" error: {report.error}" if report.error else "")
    return report


def _clear_state(key: str) -> None:
    from node.models import State
    State.delete().where(State.key == key).execute()


class _file_lock:                       # noqa: N801 - read as a context manager
    """Exclusive across processes (the CLI and `node serve` may share a data dir)."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        self.fh = open(self.path, "a+b")
        if fcntl is not None:
            fcntl.flock(self.fh.fileno(), fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        if fcntl is not None:
            fcntl.flock(self.fh.fileno(), fcntl.LOCK_UN)
        self.fh.close()


