"""Taking in a point's parcel at the center: verify, decrypt, check sequence, apply whole, receipt.

`ingest_parcel` is the one entry for parcels however they came (HTTP upload or a USB stick). A parcel
in the sender's chain is applied in ONE database transaction together with the sender's new
`last_seq_in`/`last_hash_in` and the `seen_parcel` row holding its signed receipt, so a crash leaves it
either wholly applied (and the same receipt is answered next time) or not at all. A gap in the
sequence is held on disk and retried when the gap fills, never guessed over. Every refusal is logged
with its reason in `refusal`, changes nothing, and does not block the sender's later good parcels.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from central import outbound
from central.apply import apply_events
from central.blobstore import CenterBlobs
from central.db import is_postgres, write_transaction
from central.key_rotation import accepted_keys, end_grace
from central.keys import CENTER_ID
from central.models import Dossier, Point, SeenParcel
from central.points import note_contact, note_refusal
from motcua import errors as E, legaltime
from motcua.objectstore import FolderStore, ObjectStore
from sync import crypto, hlc, policy
from sync.parcel import ParcelHeader, ParcelRefused, check_sequence, open_parcel, parcel_sha256, peek_header
from sync.receipt import build_receipt

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestResult:
    result: str                 # applied | duplicate | held | refused
    reason: str                 # the refusal code, "" otherwise
    receipt: bytes              # signed by the center (sync.receipt.build_receipt)
    sender: str | None
    seq: int | None
    events_applied: int = 0
    chain_advanced: bool = False   # a refused parcel that took its place in the chain


HELD_MAX_PARCELS = 64
HELD_PREFIX = "held/"          # held/<sender>/<seq:015d>_<parcel sha>.mcp in the object store
# Refusals raised only after the sender's signature verified (see open_parcel, check_sequence).
SIGNED_REFUSALS = frozenset({"wrong_recipient", "decrypt_failed", "content_hash_mismatch",
                             "malformed_plaintext", "replayed", "chain_broken", "too_far_ahead",
                             "blob_hash_mismatch", "blob_incomplete", "blob_quota_exceeded"})


def sweep_held(store: ObjectStore, *, now: datetime, max_age: timedelta | None = None) -> int:
    """Delete held parcels older than `max_age` (default 14 days): a gap that never filled.
    Returns how many went."""
    limit = legaltime.to_ms(now - (max_age or timedelta(days=14))) / 1000
    gone = 0
    for info in list(store.list(HELD_PREFIX)):
        if info.key.endswith(".mcp") and info.modified < limit:
            store.delete(info.key)
            gone += 1
    if gone:
        logger.info("%d held parcels expired", gone)
    return gone


class Ingestor:
    """Ingest parcels for one center: its identity, and the object store holding its scans and
    held parcels (by default the data dir's folders `blobs/` and `held/`)."""

    def __init__(self, identity: crypto.Identity, data_dir: str | Path, *,
                 held_max: int = HELD_MAX_PARCELS, store: ObjectStore | None = None,
                 partial_quota: int | None = None):
        self.identity = identity
        self.store = store or FolderStore(data_dir)
        self.blobs = CenterBlobs(self.store, partial_quota=partial_quota)
        self.held_max = held_max

    def ingest(self, data: bytes, *, now: datetime | None = None) -> IngestResult:
        """Take in one parcel; always answers with a signed receipt (applied, duplicate, held or
        refused). Never raises for a bad parcel: the refusal is logged and returned."""
        now = now or legaltime.now()
        psha = parcel_sha256(data)
        try:
            header = peek_header(data)
        except ParcelRefused as exc:
            return self._refuse(None, psha, exc, now)
        logger.info("parcel %s from %s seq %d (%s) ingest start", psha[:16], header.sender,
                    header.seq, header.kind)
        try:
            opened = open_parcel(data, expected_recipient=CENTER_ID,
                                 sender_keys_lookup=point_keys, recipient_identity=self.identity)
            if header.kind == "blob-chunk":
                result = self._take_chunk(header, opened.body, psha, now)
            else:
                result = self._take_chained(header, opened.body, data, psha, now)
        except ParcelRefused as exc:
            if exc.reason == "malformed_plaintext" and header.kind != "blob-chunk":
                # Signed and sealed by the sender, but its body is not what the kind promises.
                return self._after_content_refusal(
                    self._refuse_content(header, psha, exc, now, data), header, now)
            return self._refuse(header, psha, exc, now)
        except Exception:      # never a 500 and never a dead round for what a parcel carries
            logger.exception("parcel %s from %s: unexpected error", psha[:16], header.sender)
            return self._refuse(header, psha, ParcelRefused(E.INTERNAL_ERROR_CENTER), now)
        if result.result == "refused":
            return self._after_content_refusal(result, header, now)
        if result.result == "applied" and header.kind != "blob-chunk":
            self._note_signer(header.sender, opened.signed_by, now)
        note_contact(header.sender, now=now,
                     sender_clock_ms=hlc.Stamp.parse(header.created_at).wall_ms)
        logger.info("parcel %s %s (%d events)", psha[:16], result.result, result.events_applied)
        if result.result == "applied" and header.kind != "blob-chunk":
            self._drain_held(header.sender, header.seq + 1, now)
        return result

    def _after_content_refusal(self, result: IngestResult, header: ParcelHeader,
                               now: datetime) -> IngestResult:
        if result.chain_advanced:
            self._drain_held(header.sender, header.seq + 1, now)
        return result

    @staticmethod
    def _note_signer(sender: str, signed_by, now: datetime) -> None:
        """A chained parcel signed with the current key: every older one is in (chain order),
        so a rotated point's old key is no longer needed."""
        try:
            current = point_keys(sender)
        except ParcelRefused:          # revoked meanwhile: the parcel is applied all the same
            return
        if current and signed_by == current[0] and len(current) > 1:
            end_grace(sender, now=now)

    def _receipt(self, header: ParcelHeader, psha: str, result: str, now: datetime,
                 reason: str = "") -> bytes:
        stamp = str(hlc.Stamp(legaltime.to_ms(now), 0))
        return build_receipt(self.identity, header, psha, stamp, result, reason)

    def _take_chunk(self, header: ParcelHeader, body: bytes, psha: str,
                    now: datetime) -> IngestResult:
        # Content-addressed and idempotent: outside the chain and outside any transaction.
        self.blobs.add_chunk(header.blob_sha256, header.blob_length, header.offset, body, now=now,
                             sender=header.sender)
        return IngestResult("applied", "", self._receipt(header, psha, "applied", now),
                            header.sender, 0)

    def _take_chained(self, header: ParcelHeader, body, data: bytes, psha: str,
                      now: datetime) -> IngestResult:
        refusal = None
        try:
            with write_transaction():
                point = self._locked_point(header.sender)
                seen = SeenParcel.get_or_none((SeenParcel.sender == header.sender)
                                              & (SeenParcel.seq == header.seq))
                decision = check_sequence(point.last_seq_in, point.last_hash_in or "", header,
                                          parcel_sha256=psha,
                                          applied_sha256=seen.sha256 if seen else None)
                if decision == "duplicate":
                    receipt = (bytes(seen.receipt) if seen and seen.sha256 == psha
                               else self._receipt(header, psha, "duplicate", now))
                    return IngestResult("duplicate", "", receipt, header.sender, header.seq)
                if decision == "hold":
                    self._hold(header, psha, data, point.last_seq_in)
                    return IngestResult("held", "", self._receipt(header, psha, "held", now),
                                        header.sender, header.seq)
                refusal = self._judge(header, body)
                if refusal is None:
                    applied = self._apply_body(header, body, psha, now)
                    receipt = self._receipt(header, psha, "applied", now)
                    self._advance_chain(point, header, psha, receipt, now)
        except ValueError as exc:      # apply_events found an event it cannot take: rolled back
            refusal = ParcelRefused(E.MALFORMED_PLAINTEXT(detail=exc))
        if refusal is not None:
            return self._refuse_content(header, psha, refusal, now, data)
        return IngestResult("applied", "", receipt, header.sender, header.seq, applied)

    @staticmethod
    def _locked_point(sender: str) -> Point:
        query = Point.select().where(Point.unit_code == sender)
        return (query.for_update() if is_postgres() else query).get()

    @staticmethod
    def _advance_chain(point: Point, header: ParcelHeader, psha: str, receipt: bytes,
                       now: datetime) -> None:
        SeenParcel.create(sender=header.sender, seq=header.seq, sha256=psha, receipt=receipt,
                          applied_at=now)
        Point.update(last_seq_in=header.seq, last_hash_in=psha).where(
            Point.id == point.id).execute()

    @staticmethod
    def _judge(header: ParcelHeader, body) -> ParcelRefused | None:
        """Schema and authorization of a verified parcel's events (`sync.policy`), before any is
        applied; reads who owns each dossier inside the parcel's transaction."""
        if header.kind != "events":
            return None
        uids = sorted({ev.dossier_id for ev in body if isinstance(ev.dossier_id, str)})
        owners: dict[str, str] = {}
        for start in range(0, len(uids), 500):
            owners.update(Dossier.select(Dossier.uid, Dossier.origin)
                          .where(Dossier.uid.in_(uids[start:start + 500])).tuples())
        found = policy.judge_events(body, sender=header.sender, owners=owners)
        if found is None:
            return None
        return ParcelRefused(E.PARCEL_BAD_PAYLOAD(detail=found.said) if found.code == "bad_payload" else
                             E.PARCEL_UNAUTHORIZED(detail=found.said))

    def _refuse_content(self, header: ParcelHeader, psha: str, refusal: ParcelRefused,
                        now: datetime, data: bytes) -> IngestResult:
        """Refuse a verified parcel for what it carries, yet take its place in the sender's chain
        (nothing of it applied), so the sender's later good parcels still go through and a resend
        gets the same refusal back."""
        receipt = self._receipt(header, psha, "refused", now, refusal.reason)
        with write_transaction():
            point = self._locked_point(header.sender)
            seen = SeenParcel.get_or_none((SeenParcel.sender == header.sender)
                                          & (SeenParcel.seq == header.seq))
            try:
                decision = check_sequence(point.last_seq_in, point.last_hash_in or "", header,
                                          parcel_sha256=psha,
                                          applied_sha256=seen.sha256 if seen else None)
            except ParcelRefused as exc:
                decision, refusal = "refused", exc
            if decision == "apply":
                self._advance_chain(point, header, psha, receipt, now)
            elif decision == "hold":       # judged when the gap before it fills
                self.store.put(self._held_key(header.sender, header.seq, psha), data)
                return IngestResult("held", "", self._receipt(header, psha, "held", now),
                                    header.sender, header.seq)
            elif decision == "duplicate":
                receipt = (bytes(seen.receipt) if seen and seen.sha256 == psha
                           else self._receipt(header, psha, "duplicate", now))
                return IngestResult("duplicate", "", receipt, header.sender, header.seq)
        if decision != "apply":
            return self._refuse(header, psha, refusal, now)
        note_refusal(header.sender, refusal.reason, f"parcel {psha[:16]}: {refusal.message_vi}",
                     now=now)
        return IngestResult("refused", refusal.reason, receipt, header.sender, header.seq,
                            chain_advanced=True)

    def _apply_body(self, header: ParcelHeader, body, psha: str, now: datetime) -> int:
        if header.kind == "events":
            return len(apply_events(body, source_point=header.sender, now=now,
                                    parcel_id=psha).applied)
        if header.kind == "receipt-batch":      # the point's receipts for down-going parcels
            for doc in body:     # each receipt stands alone: a bad one never blocks the chain
                try:
                    outbound.accept_receipt(header.sender, doc, now=now)
                except (ParcelRefused, ValueError, TypeError) as exc:
                    logger.warning("receipt from %s ignored: %s", header.sender,
                                   getattr(exc, "reason", type(exc).__name__))
            return 0
        backlog = body.get("backlog")                # "control": what still waits at the point
        if isinstance(backlog, int) and not isinstance(backlog, bool) and 0 <= backlog < 2 ** 31:
            Point.update(backlog_reported=backlog).where(
                Point.unit_code == header.sender).execute()
        return 0

    @staticmethod
    def _held_key(sender: str, seq: int, psha: str) -> str:
        return f"{HELD_PREFIX}{sender}/{seq:015d}_{psha}.mcp"

    def _hold(self, header: ParcelHeader, psha: str, data: bytes, last_seq: int) -> None:
        """Keep a parcel that came before the ones it follows, within the point's allowance.
        :raises ParcelRefused: too_far_ahead (past the allowance, or all held places taken)."""
        held = list(self.store.list(f"{HELD_PREFIX}{header.sender}/"))
        if header.seq - last_seq > self.held_max or len(held) >= self.held_max:
            raise ParcelRefused(E.TOO_FAR_AHEAD(seq=header.seq, missing=last_seq + 1))
        self.store.put(self._held_key(header.sender, header.seq, psha), data)

    def _drain_held(self, sender: str, seq: int, now: datetime) -> None:
        """Apply parcels that waited for the one just applied, in order. Another process may
        drain the same ones at once: each is applied once (the chain's row lock), the other
        answer is a duplicate."""
        while True:
            waiting = list(self.store.list(f"{HELD_PREFIX}{sender}/{seq:015d}_"))
            if not waiting:
                return
            outcome = None
            for info in waiting:
                try:
                    data = self.store.get(info.key)
                except FileNotFoundError:             # taken meanwhile by another process
                    continue
                outcome = self.ingest(data, now=now)
                self.store.delete(info.key)
                if outcome.result in ("applied", "duplicate") or outcome.chain_advanced:
                    break
            if outcome is None or not (outcome.result in ("applied", "duplicate")
                                       or outcome.chain_advanced):
                return
            seq += 1          # ingest() drained further itself; loop ends at the next gap

    def _refuse(self, header: ParcelHeader | None, psha: str, exc: ParcelRefused,
                now: datetime) -> IngestResult:
        sender = header.sender if header else None
        # Only a refusal of a parcel whose signature verified counts against the point it names:
        # anyone can write a point's name in a header.
        note_refusal(sender, exc.reason, f"parcel {psha[:16]}: {exc.message_vi}", now=now,
                     counted=exc.reason in SIGNED_REFUSALS)
        if header is None:      # not even a header: sign a receipt that names only the hash
            header = ParcelHeader("unknown", CENTER_ID, 1, "", str(hlc.ZERO), "events", "0" * 64, 0)
        receipt = self._receipt(header, psha, "refused", now, exc.reason)
        return IngestResult("refused", exc.reason, receipt, sender, header.seq)


def point_keys(unit_code: str) -> list[crypto.PublicKeys] | None:
    """The pinned keys of an enrolled point (current first, then the replaced ones during a
    rotation's grace), None when unknown. :raises ParcelRefused: revoked."""
    point = Point.get_or_none(Point.unit_code == unit_code)
    if point is None or not point.sign_pub:
        return None
    if point.key_status == "revoked":
        raise ParcelRefused(E.REVOKED_SENDER(unit=unit_code))
    return accepted_keys(point)
