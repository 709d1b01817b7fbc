"""One sync round of a point over any carrier (`sync.carrier`): HTTP, a USB stick, or in process.

`run_round` is the only code that decides what goes and what an answer means; carriers only move
bytes. A point restored from a backup (`node.backup`) first asks where the center stands and
continues after it: a live carrier answers at once; on a stick the question goes one trip and the
signed answer comes back on the next (`sync.standingfile`), and nothing else goes meanwhile. Then:
receipts and answers that came back late (a stick's), then this point's requests
(enrollment by file, key rotation), its records (chained `events` parcels, built once in the
spool), what came down from the center (applied once by `node.inbox.take_down_parcel`, receipted
whatever the result), then the scans the center lacks as blob chunks, records written meanwhile
going first, and last the point's heartbeat (`node.heartbeat`), even when nothing else went.
A receipt acknowledges only the parcel it names, and only once it verifies with the pinned center
key; a parcel refused for what it carries (`sync.receipt.FINAL_REFUSALS`) is dropped
and reported; a down parcel this point refuses is reported and the round goes on.

A live carrier (HTTP) answers within the call, so an answer that does not let a parcel go ends the
round (`TransportError`); a stick's receipts come on the next trip, and each is judged alone.
`run_round` expects the data dir's sync lock held (`exclusive`: rounds never overlap, so the CLI,
the background jobs and the USB page can all call in). `sync_round` is the round the CLI and the
background jobs run: over HTTP (`http_carrier`) unless given a carrier, holding the lock, keeping
what the clerk sees (`sync:last_contact`, `sync:last_error`).
"""
from __future__ import annotations

import logging
import os
import secrets
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from filelock import FileLock

from motcua import errors as E, legaltime
from motcua.errors import Conflict, DomainError
from motcua.files import write_durably
from node import key_rotation as rotation
from node.backup import needs_standing, resume_from_standing
from node.enroll import (
    EnrollRefused,
    forget_request,
    node_identity,
    pending_request as pending_enrollment,
    pinned_center_keys,
)
from node.facts import get_state, set_state, unit_code
from node.inbox import take_down_parcel
from node.journal import note_center_time, pending_count, pending_events, to_wire
from node.models import Blob, Event, State, db
from node.scans import BlobStore
from sync import hlc
from sync.carrier import Carrier, HttpCarrier, NotCarried, Pipeline, TripReport
from sync.crypto import sha256_hex
from sync.events import CENTER_ID
from sync.outbox import Spool, Spooled
from sync.parcel import DEFAULT_CHUNK_BYTES, ParcelRefused, parcel_file_name, parcel_sha256, peek_header
from sync.receipt import FINAL_REFUSALS, verify_receipt
from sync.transport import DEFAULT_CHUNK_BYTES as HTTP_CHUNK_BYTES, HttpTransport, RetryPolicy, TransportError

logger = logging.getLogger(__name__)

STANDING_NONCE_KEY = "restore:standing_nonce"   # the question on a stick the point waits on
_ROUND_LOCK = threading.Lock()

OVERHEAD = 1024          # a sealed chunk's bytes beyond the scan bytes it carries (generous)
HAVE_BATCH = 500         # scans asked about in one `held_blobs` call

Progress = Callable[[int, int, str], None]


def _no_progress(done: int, total: int, label: str) -> None:
    """The default progress hook: nobody is watching."""


@dataclass
class RoundReport(TripReport):
    """What one round moved (`counts`), what was refused or left, and what is still waiting."""
    error: str | None = None
    keys_rotated: bool = False
    left_events: int = 0
    left_blobs: int = 0

    def _n(self, key: str) -> int:
        return self.counts.get(key, 0)

    parcels_up = property(lambda self: self._n("acked_parcels"))
    events_acked = property(lambda self: self._n("acked_events"))
    blobs_up = property(lambda self: self._n("blobs_complete"))
    blob_bytes_up = property(lambda self: self._n("chunk_bytes"))
    blobs_already_held = property(lambda self: self._n("blobs_held"))
    parcels_down = property(lambda self: self._n("down_parcels"))
    events_down = property(lambda self: self._n("down_events"))

    @property
    def clean(self) -> bool:
        """True when nothing is left to send or fetch and nothing went wrong."""
        return self.error is None and not self.left_events and not self.left_blobs

    def summary(self, lang: str = "vi") -> str:
        return E.ROUND_SUMMARY.text(
            lang, parcels=self.parcels_up, events=self.events_acked, blobs=self.blobs_up,
            mb=self.blob_bytes_up / 1e6, held=self.blobs_already_held, down=self.parcels_down,
            down_events=self.events_down, left_events=self.left_events, left_blobs=self.left_blobs)


class Point:
    """This point's id, keys, pinned center keys, spool and scans.
    :raises EnrollRefused: not enrolled (no pinned center keys)."""

    def __init__(self, data_dir: str | os.PathLike):
        self.data_dir = Path(data_dir)
        self.id = unit_code()
        self.identity = node_identity(self.data_dir)
        self.center = pinned_center_keys()
        if self.center is None:
            raise EnrollRefused(E.NOT_ENROLLED)
        self.spool = Spool(self.data_dir / "outbox")
        self.store = BlobStore(self.data_dir / "scans")


def run_round(data_dir: str | os.PathLike, carrier: Carrier, *, up: bool = True,
              down: bool = True, include_blobs: bool = True, stop: threading.Event | None = None,
              progress: Progress = _no_progress, chunk_bytes: int = DEFAULT_CHUNK_BYTES,
              report: RoundReport | None = None) -> RoundReport:
    """Send what waits (`up`) and take what came back (`down`) over `carrier`.

    :raises: whatever the carrier raises when it stops (TransportError, StickUnusable) and
        ParcelRefused for a live receipt that does not verify: everything acknowledged before
        stays acknowledged, everything else waits for the next round; EnrollRefused: not enrolled.
    """
    report = report if report is not None else RoundReport()
    r = _Round(Point(data_dir), carrier, report, stop, progress, chunk_bytes)
    if carrier.live:
        r.resume_if_restored()
    carrier.open(report, up=up, down=down)
    if not carrier.live and needs_standing() and not r.resume_by_stick(up):
        if up:                         # a new install enrolled by file: its keys go with it
            carrier.put_enrollment(pending_enrollment())
        carrier.finish(report)         # the question is on the stick: nothing else goes
        return report
    if down:
        r.take_late_receipts()
        r.take_rotation_answer()
    if up:
        r.carry_requests()
        r.push_events()
    if down:
        r.take_down()
        r.take_files()
    if up and include_blobs:
        r.push_blobs()
    if up and r.unspooled():
        r.push_events()
    if up:
        report.counts["left_parcels"] = len(r.left_parcels - r.carried)
        r.send_heartbeat()
    carrier.finish(report)
    return report


def exchange_rotation(data_dir: str | os.PathLike, carrier: Carrier,
                      report: RoundReport | None = None) -> bool:
    """Carry a waiting key rotation and switch on an answer that comes back at once; True when
    the keys were switched. :raises TransportError: unreachable or refused (the request waits)."""
    report = report if report is not None else RoundReport()
    return _Round(Point(data_dir), carrier, report, None, _no_progress,
                  DEFAULT_CHUNK_BYTES).carry_rotation()


class _Round:
    def __init__(self, point: Point, carrier: Carrier, report: RoundReport,
                 stop: threading.Event | None, progress: Progress, chunk_bytes: int):
        self.me, self.carrier, self.report = point, carrier, report
        self.stop, self.progress, self.chunk_bytes = stop, progress, chunk_bytes
        self.carried: set[str] = set()        # parcels put this round (a stick keeps them)
        self.left_parcels: set[str] = set()
        self.events_stuck = False             # a record did not go: neither do scans
        self.contacted = False                # sync:last_contact written this round
        self.done = self.total = 0

    # -- after a restore --------------------------------------------------------------------------

    def resume_if_restored(self) -> None:
        """Restored from a backup: learn where the center stands before anything goes or comes,
        then continue after it (`node.backup.resume_from_standing`), with the spool it rebuilt.
        :raises Conflict: the carrier cannot ask (a stick): a network round must come first."""
        if not needs_standing():
            return
        answer = self.carrier.standing() if self.carrier.live else None
        if answer is None:
            raise Conflict(E.NEEDS_STANDING)
        self.contact()
        resume_from_standing(self.me.data_dir, answer)
        self.me.spool = Spool(self.me.data_dir / "outbox")
        self.report.came.append(E.ROUND_RESUMED())

    def resume_by_stick(self, up: bool) -> bool:
        """The same, with no network (`sync.standingfile`): take the center's signed answer to
        this point's question if the stick brought it back (True: resumed, the round goes on);
        else put the question on the stick when sending (False: nothing else goes this trip).
        :raises Conflict: taking only, and no answer came back."""
        from sync.standingfile import build_request, open_answer
        nonce = get_state(STANDING_NONCE_KEY)
        raw = self.carrier.take_standing() if nonce else None
        if raw is not None:
            try:
                answer = open_answer(raw, self.me.center.sign_pub, unit_code=self.me.id,
                                     nonce=nonce)
            except DomainError as exc:
                self.report.refused.append(("standing.json", exc.code, exc.said or exc.message_vi))
            else:
                resume_from_standing(self.me.data_dir, answer)
                set_state(STANDING_NONCE_KEY, "")
                self.me.spool = Spool(self.me.data_dir / "outbox")
                self.carrier.put_standing_request(None)
                self.report.came.append(E.ROUND_RESUMED_BY_STICK())
                return True
        if not up:
            raise Conflict(E.NEEDS_STANDING)
        if not nonce:
            nonce = secrets.token_hex(16)
            set_state(STANDING_NONCE_KEY, nonce)
        self.carrier.put_standing_request(build_request(self.me.identity, self.me.id, nonce))
        self.report.went.append(E.ROUND_ASKED_STANDING())
        return False

    # -- receipts ---------------------------------------------------------------------------------

    def take_late_receipts(self) -> None:
        """Acknowledge what the receipts that came back late cover (a stick's, from the center)."""
        waiting, chunks, touched = None, None, set()
        for sha, raw in self.carrier.take_receipts():
            if waiting is None:          # only when receipts came: the spool is read once
                waiting = {item.sha256: item for item in self.me.spool.waiting()}
                chunks = {sha256_hex(p.read_bytes()): p
                          for p in (self.me.spool.folder / "blobs").glob("*.mcp")}
            name = f"{sha}.json"
            item, chunk = waiting.get(sha), chunks.get(sha)
            try:
                body = verify_receipt(raw, self.me.center.sign_pub, sha)
            except ParcelRefused as exc:
                self.report.refuse(name, exc)
                continue
            if item is None and chunk is None:
                if body["result"] == "refused":       # bytes this point never built: a damaged copy
                    self.report.refused.append((name, body.get("reason", ""), E.STICK_COPY_REFUSED()))
                else:
                    self.report.add("stale_receipts")  # acknowledged before (HTTP or an older stick)
                continue
            if item is not None:
                why = self.settle_parcel(item, body)[1]
            else:
                why = self.settle_chunk(chunk, body, touched)
            if why:
                self.report.refused.append((name, body.get("reason") or body["result"], why))
        for blob_sha, length in touched:
            if covered(self.me.spool, blob_sha) >= length:
                self.mark_at_center(blob_sha)
        if self.report.counts.get("acked_parcels") or self.report.counts.get("acked_chunks"):
            forget_request()                           # the center knows this point's keys now

    def take_live_receipt(self, receipt: bytes, sha: str) -> dict:
        """A receipt that came back with its parcel. :raises ParcelRefused: it does not verify."""
        body = verify_receipt(receipt, self.me.center.sign_pub, sha)
        self.contact()
        note_center_time(str(body.get("applied_at", "")))
        return body

    def settle_parcel(self, item: Spooled, body: dict) -> tuple[str, E.Said | str]:
        """Act on a verified receipt for a spooled parcel: ("acked", ""), ("dropped", why) for a
        refusal for its content (it took its place in the chain), or ("waits", why)."""
        if body["result"] in ("applied", "duplicate"):
            self.report.add("acked_parcels")
            self.report.add("acked_events", acknowledge_spooled(self.me.spool, item))
            logger.info("parcel %d acknowledged (%s)", item.seq, body["result"])
            return "acked", ""
        if body["result"] == "refused" and body.get("reason") in FINAL_REFUSALS:
            self.report.error = drop_refused(self.me.spool, item, str(body.get("reason")))
            return "dropped", self.report.error
        return "waits", E.PARCEL_WAITS(seq=item.seq, result=body["result"], reason=body.get("reason", ""))

    def settle_chunk(self, path: Path, body: dict, touched: set,
                     data: bytes | None = None) -> E.Said | None:
        """Act on a verified receipt for a scan chunk, spooled at `path` or in hand as `data`
        (a marker keeps what was received)."""
        if body["result"] not in ("applied", "duplicate"):
            return E.CHUNK_WAITS(result=body["result"], reason=body.get("reason", ""))
        header = peek_header(data if data is not None else path.read_bytes())
        marker = path.with_name(f"{header.blob_sha256}_{header.offset:015d}.acked")
        write_durably(marker, str(header.content_length).encode())
        path.unlink(missing_ok=True)
        touched.add((header.blob_sha256, header.blob_length))
        self.report.add("acked_chunks")
        return None

    def mark_at_center(self, blob_sha: str) -> None:
        Blob.update(at_center=True).where(Blob.sha256 == blob_sha).execute()
        for marker in (self.me.spool.folder / "blobs").glob(f"{blob_sha}_*.acked"):
            marker.unlink(missing_ok=True)
        self.report.add("blobs_complete")

    # -- requests ---------------------------------------------------------------------------------

    def take_rotation_answer(self) -> None:
        """Switch keys on a signed answer that came back late (a stick's)."""
        if rotation.pending_request(self.me.data_dir) is None:
            return
        try:
            answer = self.carrier.take_rotation_answer()
            if answer is not None:
                self.switch_keys(answer)
        except DomainError as exc:
            self.report.refused.append(("rotate-answer.json", exc.code, exc.message_vi))

    def carry_requests(self) -> None:
        self.carrier.put_enrollment(pending_enrollment())
        self.carry_rotation()

    def carry_rotation(self) -> bool:
        answer = self.carrier.put_rotation(rotation.pending_request(self.me.data_dir))
        return answer is not None and self.switch_keys(answer)

    def switch_keys(self, answer) -> bool:
        if not rotation.accept_answer(self.me.data_dir, answer):
            return False
        self.me.identity = node_identity(self.me.data_dir)
        self.carrier.use_identity(self.me.identity)
        self.report.keys_rotated = True
        self.report.came.append(E.ROUND_KEYS_SWITCHED())
        return True

    def send_heartbeat(self) -> None:
        """Tell the center how this point is (`node.heartbeat`), on every round, idle or not.
        An old center without the endpoint, or a link that just dropped, costs only this: it is
        logged and the round's work stands."""
        from node.heartbeat import sealed
        try:
            self.carrier.put_heartbeat(sealed(self.me.data_dir, self.me.identity))
            self.report.add("heartbeats")
        except TransportError as exc:
            logger.warning("heartbeat not delivered: %s", exc.message_vi)

    # -- records ----------------------------------------------------------------------------------

    def unspooled(self) -> bool:
        """Whether journal events wait that are in no parcel yet."""
        return Event.select().where(Event.acked_at.is_null()
                                    & (Event.seq > self.me.spool.chain()["through"])).exists()

    def push_events(self) -> None:
        """Spool what is in no parcel yet, then put every waiting parcel in chain order."""
        spool_pending_events(self.me.spool, self.me.id, self.me.identity, self.me.center.enc_pub)
        waiting = [item for item in self.me.spool.waiting() if item.sha256 not in self.carried]
        self.total += len(waiting)
        for n, item in enumerate(waiting, 1):
            self.done += 1
            if self.events_stuck:
                self.left_parcels.add(item.sha256)
                continue
            logger.info("parcel %d put start", item.seq)
            try:
                receipt = self.carrier.put_parcel(item.read())
            except NotCarried:              # chain order: the ones after it wait too
                self.events_stuck = True
                self.left_parcels.add(item.sha256)
                continue
            self.carried.add(item.sha256)
            self.report.add("parcels")
            self.report.add("events", Event.select().where(
                Event.seq.between(item.first, item.last) & (Event.origin == self.me.id)).count())
            self.progress(self.done, self.total, E.PROGRESS_PARCEL.text(n=n, total=len(waiting)))
            if receipt is not None:
                outcome, why = self.settle_parcel(item, self.take_live_receipt(receipt, item.sha256))
                if outcome == "waits":          # a live answer that does not let it go: stop
                    raise TransportError(why, retryable=False)

    # -- down -------------------------------------------------------------------------------------

    def take_down(self) -> None:
        """Apply what came down, each parcel once, and receipt it whatever the result."""
        offered: dict[str, int] = {}
        parcels = self.carrier.take_down()
        self.total += len(parcels) if isinstance(parcels, list) else 0
        for data in parcels:
            self.done += 1
            psha = parcel_sha256(data)
            offered[psha] = offered.get(psha, 0) + 1
            if offered[psha] > 2:
                # Offered again after it was not applied (held, or refused before its place in
                # the chain): the center has not moved on; the next round asks again.
                break
            self.contact()
            result, receipt = take_down_parcel(
                data, node_id=self.me.id, identity=self.me.identity, center_keys=self.me.center,
                older=rotation.decrypting_identities(self.me.data_dir))
            self.carrier.put_receipt(psha, receipt)
            self.report.add("down_parcels")
            self.report.add(f"down_{result}")
            if result not in ("applied", "duplicate"):
                # Reported; the round goes on (records and scans still go up).
                seq = _seq_of(data)
                self.report.refused.append((parcel_file_name(data) if seq is not None else psha,
                                            _reason(receipt) or result,
                                            E.DOWN_REFUSED_HERE(seq=seq, result=result)))
                self.report.error = E.DOWN_NOT_APPLIED.text(
                    result=result, detail=get_state("sync:down_refused") or "").strip()
            self.progress(self.done, max(self.total, self.done), E.PROGRESS_DOWN.text())
        self.contact()

    def take_files(self) -> None:
        """Files the center attached (a result PDF) that this point lacks: fetched by their hash,
        stored like a scan (already at the center), and the dossier re-folded so it shows them."""
        from node.apply import refold
        from node.scans import sniff_mime
        wanted: dict[str, str] = {}
        for ev in Event.select(Event.dossier_uid, Event.payload).where(
                (Event.kind == "attachment.added") & (Event.origin == CENTER_ID)):
            sha = (ev.payload or {}).get("sha256")
            if isinstance(sha, str) and ev.dossier_uid:
                wanted.setdefault(sha, ev.dossier_uid)
        held = {b for (b,) in Blob.select(Blob.sha256).where(Blob.sha256.in_(list(wanted))).tuples()}
        for sha, uid in wanted.items():
            if sha in held or (self.stop is not None and self.stop.is_set()):
                continue
            data = self.carrier.take_file(sha)
            if data is None:
                continue
            self.me.store.put(data)
            now = legaltime.now()
            with db.atomic("IMMEDIATE"):
                Blob.insert(sha256=sha, size=len(data), mime=sniff_mime(data) or "application/pdf",
                            created_at=now, at_center=True).on_conflict_ignore().execute()
                refold([uid], now=now)
            self.report.add("files_down")

    # -- scans ------------------------------------------------------------------------------------

    def push_blobs(self) -> None:
        """Scans the center lacks, as content-addressed chunks; new records jump ahead of them."""
        blobs = list(Blob.select().where(~Blob.at_center & Blob.purged_at.is_null())
                     .order_by(Blob.created_at, Blob.sha256))
        self.total += sum(max(1, -(-b.size // self.chunk_bytes)) for b in blobs)
        for start in range(0, len(blobs), HAVE_BATCH):
            batch, sent = blobs[start:start + HAVE_BATCH], []
            have = self.carrier.held_blobs([b.sha256 for b in batch]) or {}
            held = set(have.get("held", [])) & {b.sha256 for b in batch}
            partial = have.get("partial", {})
            # Chunks go through the carrier's pipeline: on HTTP the next one's bytes flow while
            # the center answers the last one; their receipts are settled in order.
            with self.carrier.pipeline() as pipe:
                for blob in batch:
                    if blob.sha256 in held:
                        Blob.update(at_center=True).where(Blob.sha256 == blob.sha256).execute()
                        self.report.add("blobs_held")
                        continue
                    if self.stop is not None and self.stop.is_set():   # shutting down: next round
                        break
                    if self.unspooled():            # records first: new ones jump ahead of scans
                        self.push_events()
                    skip = (acked_offsets(self.me.spool, blob.sha256)
                            | set(partial.get(blob.sha256, [])))
                    if self.push_blob(blob, skip, pipe):
                        sent.append((blob, skip))
                self.settle_chunks(pipe.drain())
            self.confirm_whole(sent)
            if self.stop is not None and self.stop.is_set():
                return

    def confirm_whole(self, sent: list[tuple[Blob, set[int]]]) -> None:
        """A scan counts as delivered only when the center says it holds it WHOLE: one question
        for a whole batch of scans sent live (one round trip, not one per scan). Chunks it said it
        held may never have been joined (a crash between the last chunk and the join): then send
        every chunk again, and the last one to land joins them.
        :raises TransportError: a scan sent whole that the center still has not joined."""
        if not sent:
            return
        held = set((self.carrier.held_blobs([b.sha256 for b, _ in sent]) or {}).get("held", []))
        for blob, skip in sent:
            if blob.sha256 in held:
                self.mark_at_center(blob.sha256)
                logger.info("blob %s at the center", blob.sha256[:12])
            elif skip:
                logger.info("blob %s not joined at the center: sending all chunks", blob.sha256[:12])
                for marker in (self.me.spool.folder / "blobs").glob(f"{blob.sha256}_*.acked"):
                    marker.unlink(missing_ok=True)
                with self.carrier.pipeline() as pipe:
                    live = self.push_blob(blob, set(), pipe)
                    self.settle_chunks(pipe.drain())
                if live:
                    self.confirm_whole([(blob, set())])
            else:
                raise TransportError(E.BLOB_NOT_JOINED)

    def push_blob(self, blob: Blob, skip: set[int], pipe: Pipeline) -> bool:
        """Put the chunks of one scan the center lacks into `pipe` (their receipts are settled as
        they come, in order); True when they go live (HTTP) and the center should hold the scan
        whole once the pipe is drained (`confirm_whole` asks), False when receipts come later."""
        logger.info("blob %s put start (%d bytes)", blob.sha256[:12], blob.size)
        content = None
        for offset in range(0, max(blob.size, 1), self.chunk_bytes):
            self.done += 1
            if offset in skip:
                continue
            scan_bytes = min(self.chunk_bytes, blob.size - offset)
            if self.events_stuck or not self.carrier.has_room(scan_bytes + OVERHEAD):
                self._leave_chunk(scan_bytes)
                continue
            content = content if content is not None else self.me.store.read(blob.sha256)
            # Over a live link a chunk is sealed in memory and goes at once: on disk only if the
            # link drops with it (the next round resumes those bytes), never a second copy of
            # every scan on the SD card. A stick's chunks wait in the spool for their receipts.
            live = self.carrier.live
            path, data = self.me.spool.blob_chunk(self.me.id, self.me.identity, CENTER_ID,
                                                  self.me.center.enc_pub, current_stamp(),
                                                  content, blob.sha256, offset, self.chunk_bytes,
                                                  keep=not live)
            self.settle_chunks(pipe.put(data, (path, data, scan_bytes, live)))
        return self.carrier.live

    def settle_chunks(self, outcomes: list[tuple[tuple, Future]]) -> None:
        """Act on chunks the pipeline finished putting, in the order they were put. A live chunk
        exists only in memory until its receipt: if its link drops it is written to the spool,
        so the next round resumes those very bytes.
        :raises: what the carrier raised (TransportError ends the round); TransportError when a
            live receipt does not let a chunk go."""
        for (path, data, scan_bytes, live), outcome in outcomes:
            try:
                receipt = outcome.result()
            except NotCarried:
                self._leave_chunk(scan_bytes)
                continue
            except TransportError:
                if live and not path.exists():
                    write_durably(path, data)
                raise
            self.report.add("chunks")
            self.report.add("chunk_bytes", len(data))
            self.progress(self.done, self.total, E.PROGRESS_CHUNKS.text(n=self.report.counts["chunks"]))
            if receipt is not None:
                why = self.settle_chunk(path, self.take_live_receipt(receipt, sha256_hex(data)),
                                        set(), data)
                if why:
                    raise TransportError(why, retryable=False)

    def _leave_chunk(self, scan_bytes: int) -> None:
        self.report.add("left_chunks")
        self.report.add("left_bytes", scan_bytes)

    def contact(self) -> None:
        """Note that the center answered: once per round (each note is a write to the SD card,
        and the indicator reads it to the minute, not to the parcel)."""
        if self.carrier.live and not self.contacted:
            self.contacted = True
            set_state("sync:last_contact", legaltime.now().isoformat(timespec="seconds"))


def current_stamp() -> str:
    """This node's latest hybrid clock stamp (what new parcels carry as `created_at`)."""
    return get_state("hlc", str(hlc.ZERO)) or str(hlc.ZERO)


def spool_pending_events(spool: Spool, node_id: str, identity, center_enc_pub: bytes) -> None:
    """Build chained parcels of the journal events not yet in one (every carrier)."""
    through = spool.chain()["through"]
    rows = [(row.seq, to_wire(row)) for row in pending_events().where(Event.seq > through)]
    if rows:
        spool.add_events(node_id, identity, CENTER_ID, center_enc_pub, rows, current_stamp())


def drop_refused(spool: Spool, item: Spooled, reason: str) -> str:
    """The center refused this parcel for what it carries and took its place in our chain
    (`sync.receipt.FINAL_REFUSALS`): it will never be applied, so stop sending it; returns the
    sentence kept for `node status` and the Today page."""
    acked = acknowledge_spooled(spool, item)
    note = E.PARCEL_DROPPED.text(seq=item.seq, events=acked, reason=reason)
    set_state("sync:up_refused", f"{legaltime.now().isoformat(timespec='seconds')} {note}")
    logger.error("parcel %d refused by the center for its content: %s", item.seq, reason)
    return note


def acknowledge_spooled(spool: Spool, item: Spooled) -> int:
    """Mark a parcel's events acknowledged (its receipt verified), then forget the parcel."""
    with db.atomic("IMMEDIATE"):
        acked = (Event.update(acked_at=legaltime.now())
                 .where(Event.seq.between(item.first, item.last)
                        & Event.acked_at.is_null()).execute())
    spool.remove(item)
    return acked


def acked_offsets(spool: Spool, blob_sha: str) -> set[int]:
    """Offsets of a scan's chunks the center has receipted (by any carrier)."""
    return {int(p.stem.rsplit("_", 1)[1]) for p in (spool.folder / "blobs").glob(f"{blob_sha}_*.acked")}


def covered(spool: Spool, blob_sha: str) -> int:
    """How far from byte 0 the acknowledged chunks of a scan reach without a hole."""
    reached = 0
    for path in sorted((spool.folder / "blobs").glob(f"{blob_sha}_*.acked")):
        offset = int(path.stem.rsplit("_", 1)[1])
        if offset > reached:
            break
        reached = max(reached, offset + int(path.read_text() or 0))
    return reached


def left_waiting(report: RoundReport) -> RoundReport:
    """Fill in what still waits to go: unacknowledged events and scans the center lacks."""
    report.left_events = pending_count()
    report.left_blobs = Blob.select().where(~Blob.at_center).count()
    return report


def _seq_of(data: bytes) -> int | None:
    try:
        return peek_header(data).seq
    except ParcelRefused:
        return None


def _reason(receipt: bytes) -> str:
    """The refusal code inside one of this node's own receipts."""
    import json
    try:
        return str(json.loads(receipt)["receipt"].get("reason", ""))
    except (ValueError, KeyError, TypeError):
        return ""

def http_carrier(data_dir: str | os.PathLike, *, policy: RetryPolicy | None = None,
                 chunk_bytes: int = HTTP_CHUNK_BYTES) -> HttpCarrier:
    """The carrier to the center this point enrolled with over the network.
    :raises TransportError: the point has no center URL or no pinned center keys."""
    center, url = pinned_center_keys(), get_state("central_url")
    if center is None or not url:
        raise TransportError(E.SYNC_NOT_ENROLLED, retryable=False)
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
