"""A point's side of the USB stick ("ferry mode"): export what waits for the center, import what
came back.

Only the carrier differs from an HTTP round: the same spool builds the same parcels once
(`node.sync_client.spool_pending_events`), the same verified receipts acknowledge them
(`acknowledge_spooled`), and down parcels go through the same `node.inbox.take_down_parcel`. So a
parcel that arrives by stick and by HTTP, in any order and any number of times, takes effect once.
The point writes only its own `up` lane and reads only its own `down` lane; other points' lanes
are left as they are. The stick is not trusted as a file system (`sync.stickfs`): if this point's
lanes are not real folders on it, or it cannot be written, the trip stops in one line before
anything is acknowledged; a file that is not a regular file, or is too large, is refused with its
reason and the rest goes on.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from motcua.files import write_durably
from motcua.errors import DomainError
from node import keyrotation as rotation
from node.enroll import (EnrollRefused, forget_request, node_identity, pending_request,
                         pinned_center_keys)
from node.inbox import take_down_parcel
from node.models import Blob, Event
from node.scans import BlobStore
from node.state import unit_code
from node.sync_client import (acknowledge_spooled, current_stamp, drop_refused, exclusive,
                              spool_pending_events)
from sync import folder as stick
from sync.crypto import sha256_hex
from sync.enrollfile import REQUEST_FILE_NAME
from sync.keyrotation import ANSWER_FILE_NAME as ROTATE_ANSWER, REQUEST_FILE_NAME as ROTATE_REQUEST
from sync.outbox import Spool
from sync.parcel import (DEFAULT_CHUNK_BYTES, ParcelRefused, parcel_file_name, parcel_sha256, peek_header)
from sync.receipt import FINAL_REFUSALS, verify_receipt
from sync.stickfs import StickRefused

logger = logging.getLogger(__name__)

_MARGIN = 256 * 1024          # never fill a stick to the last byte: its file system needs room
_OVERHEAD = 1024              # a sealed chunk's bytes beyond the scan bytes it carries (generous)


class _Point:
    """This point's keys, pinned center keys and spool."""

    def __init__(self, data_dir: Path):
        self.id = unit_code()
        self.identity = node_identity(data_dir)
        self.center = pinned_center_keys()
        if self.center is None:
            raise EnrollRefused("Điểm chưa ghi danh với trung tâm: chạy `motcua node enroll`.",
                                code="not_enrolled")
        self.spool = Spool(data_dir / "outbox")
        self.store = BlobStore(data_dir / "scans")


def export_to(data_dir: str | os.PathLike, folder: str | os.PathLike, *,
              max_bytes: int | None = None, progress: stick.Progress = stick._no_progress,
              chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> stick.FerryReport:
    """Write every unacknowledged parcel and scan chunk for the center into this point's lane,
    records first, up to `max_bytes` for the lane (and the stick's free space); say what is left."""
    data_dir = Path(data_dir)
    report = stick.FerryReport()
    _refuse_until_standing()
    with exclusive(data_dir):
        me = _Point(data_dir)
        up = stick.require_lane(folder, me.id, "up", create=True)
        down = stick.require_lane(folder, me.id, "down")
        stick.probe_writable(up)
        stick.sweep_temporaries(up)
        _carry_enroll_request(up, report)
        _carry_rotation_request(data_dir, up, report)
        spool_pending_events(me.spool, me.id, me.identity, me.center.enc_pub)
        down_shas = {parcel_sha256(data) for data in
                     _readable(stick.parcel_files(down) if down else [])}
        keep = {p.relative_to(up).as_posix() for p in stick.receipt_files(up)
                if p.stem in down_shas and stick.kind_of(p) == "file"}
        used = sum((up / name).lstat().st_size for name in keep)
        cap = max_bytes if max_bytes is not None else float("inf")
        room = stick.free_bytes(folder) - _MARGIN
        waiting = me.spool.waiting()
        blobs = list(Blob.select().where(~Blob.at_center & Blob.purged_at.is_null())
                     .order_by(Blob.created_at, Blob.sha256))
        total = len(waiting) + sum(max(1, -(-b.size // chunk_bytes)) for b in blobs)
        done, full, left_parcels, left_chunks, left_bytes = 0, False, 0, 0, 0
        for item in waiting:                              # records first, in chain order
            data = item.read()
            name = parcel_file_name(data)
            if not full and _fits(up, name, data, used, cap, room):
                try:
                    room -= _put(up, name, data)
                except StickRefused as exc:      # a folder under its name: it waits
                    report.leave(name, exc.message_vi)
                    full = True
                    left_parcels += 1
                    done += 1
                    continue
                used += len(data)
                keep.add(name)
                report.add("parcels")
                report.add("events", Event.select().where(
                    Event.seq.between(item.first, item.last) & (Event.origin == me.id)).count())
            else:
                full = True
                left_parcels += 1
            done += 1
            progress(done, total, f"gói hồ sơ {done}/{len(waiting)}")
        for blob in blobs:
            acked = _acked_offsets(me.spool, blob.sha256)
            content = None
            for offset in range(0, max(blob.size, 1), chunk_bytes):
                done += 1
                if offset in acked:
                    continue
                size = min(chunk_bytes, blob.size - offset) + _OVERHEAD
                if full or used + size > cap or size > room:
                    full = True
                    left_chunks += 1
                    left_bytes += size - _OVERHEAD
                    continue
                content = content if content is not None else me.store.read(blob.sha256)
                _, data = me.spool.blob_chunk(me.id, me.identity, "central", me.center.enc_pub,
                                              current_stamp(), content, blob.sha256, offset,
                                              chunk_bytes)
                name = parcel_file_name(data)
                try:
                    room -= _put(up, name, data)
                except StickRefused as exc:
                    report.leave(name, exc.message_vi)
                    left_chunks += 1
                    left_bytes += size - _OVERHEAD
                    continue
                used += len(data)
                keep.add(name)
                report.add("chunks")
                report.add("chunk_bytes", len(data))
                progress(done, total, f"tệp quét: {report.counts['chunks']} mảnh")
        gone = stick.prune(up, keep, report)
        left = {"parcels": left_parcels, "chunks": left_chunks, "bytes": left_bytes}
        stick.write_manifest(up, me.id, "central", me.identity, left)
    c = report.counts
    report.went.append(f"{c.get('parcels', 0)} gói hồ sơ ({c.get('events', 0)} sự kiện), "
                       f"{c.get('chunks', 0)} mảnh tệp quét ({c.get('chunk_bytes', 0) / 1e6:.1f} MB) "
                       f"vào {up}")
    if gone:
        report.went.append(f"xoá {gone} tệp cũ trung tâm đã xác nhận")
    if left_parcels or left_chunks:
        report.left.append(f"{left_parcels} gói hồ sơ, {left_chunks} mảnh tệp quét "
                           f"({left_bytes / 1e6:.1f} MB): USB đầy hoặc vượt giới hạn")
    logger.info("ferry export %s: %s", me.id, c)
    return report


def import_from(data_dir: str | os.PathLike, folder: str | os.PathLike, *,
                progress: stick.Progress = stick._no_progress) -> stick.FerryReport:
    """Take the center's receipts and parcels addressed to this point; write this point's receipts
    for the down parcels back into its lane. What is not this point's is left untouched."""
    data_dir = Path(data_dir)
    report = stick.FerryReport()
    _refuse_until_standing()
    with exclusive(data_dir):
        me = _Point(data_dir)
        units, odd = stick.survey(folder)
        if stick.kind_of(stick.ferry_root(folder)) is None:
            report.ignored.append((stick.ROOT_NAME + "/", "không có trên USB: đúng USB chưa?"))
            return report
        up = stick.require_lane(folder, me.id, "up", create=True)
        down = stick.require_lane(folder, me.id, "down")
        stick.probe_writable(up)             # before anything is acknowledged
        for unit in units:
            if unit != me.id:
                report.ignored.append((f"motcua/{unit}", "thư mục của điểm khác, để nguyên"))
        for name, _ in odd:
            report.ignored.append((name, "không phải thư mục của điểm này, để nguyên"))
        receipts = stick.receipt_files(down) if down else []
        parcels = stick.parcel_files(down) if down else []
        total, done = len(receipts) + len(parcels), 0
        _take_receipts(me, receipts, report, lambda: progress(done, total, "biên nhận"))
        if report.counts.get("acked_parcels") or report.counts.get("acked_chunks"):
            forget_request()                 # the center knows this point's keys now
        if down is not None and _take_rotation_answer(data_dir, down, report):
            me.identity = node_identity(data_dir)
        done = len(receipts)
        chained, wrote = [], False
        for path in parcels:
            try:
                data = stick.read_parcel(path)
                header = peek_header(data)
            except ParcelRefused as exc:
                report.refuse(path.name, exc)
                continue
            if header.recipient != me.id or header.sender != "central":
                report.ignored.append((path.name, f"gói gửi {header.recipient}, không phải điểm này"))
                continue
            chained.append((header.seq, path.name, data))
        for seq, name, data in sorted(chained):
            result, receipt = take_down_parcel(data, node_id=me.id, identity=me.identity,
                                               center_keys=me.center,
                                               older=rotation.decrypting_identities(data_dir))
            try:
                stick.write_file(stick.receipt_path(up, parcel_sha256(data)), receipt)
                wrote = True
            except StickRefused as exc:      # a folder where the receipt goes: left as it is
                report.refuse(f"receipts/{parcel_sha256(data)}.json", exc)
            if result in ("applied", "duplicate"):
                report.add(f"down_{result}")
            else:
                reason = peek_json_reason(receipt)
                report.refused.append((name, reason or result, f"gói số {seq} của trung tâm: {result}"))
            done += 1
            progress(done, total, f"gói từ trung tâm {done - len(receipts)}/{len(chained)}")
        if wrote:
            try:
                previous = stick.read_manifest(up, None)
            except ValueError:
                previous = None
            stick.write_manifest(up, me.id, "central", me.identity, (previous or {}).get("left"))
    c = report.counts
    report.came.append(f"{c.get('acked_parcels', 0)} biên nhận gói hồ sơ "
                       f"({c.get('acked_events', 0)} sự kiện), {c.get('acked_chunks', 0)} biên nhận "
                       f"mảnh tệp quét, {c.get('blobs_complete', 0)} tệp quét trung tâm đã đủ")
    report.came.append(f"{c.get('down_applied', 0)} gói từ trung tâm áp dụng, "
                       f"{c.get('down_duplicate', 0)} gói đã có từ trước")
    if c.get("stale_receipts"):
        report.ignored.append((f"{c['stale_receipts']} biên nhận", "gói đã được xác nhận từ trước"))
    logger.info("ferry import %s: %s", me.id, c)
    return report


def _carry_enroll_request(up: Path, report: stick.FerryReport) -> None:
    """A point enrolled by file carries its sealed request until the center has answered."""
    path = up / REQUEST_FILE_NAME
    request = pending_request()
    try:
        if request is None:
            stick.remove_file(path)
            return
        stick.write_file(path, request)
    except StickRefused as exc:
        report.refuse(path.name, exc)
        return
    report.went.append("yêu cầu ghi danh (đã niêm phong cho trung tâm)")


def _carry_rotation_request(data_dir: Path, up: Path, report: stick.FerryReport) -> None:
    """A key rotation waiting for the center travels in the lane until the center has answered."""
    path = up / ROTATE_REQUEST
    request = rotation.pending_request(data_dir)
    try:
        if request is None:
            stick.remove_file(path)
            return
        stick.write_file(path, request)
    except StickRefused as exc:
        report.refuse(path.name, exc)
        return
    report.went.append("yêu cầu đổi khóa (khóa mới ký bằng khóa cũ)")


def _take_rotation_answer(data_dir: Path, down: Path, report: stick.FerryReport) -> bool:
    """Switch keys on the center's signed answer in the down lane; True when switched."""
    path = down / ROTATE_ANSWER
    if not stick.present(path) or rotation.pending_request(data_dir) is None:
        return False
    try:
        switched = rotation.accept_answer(data_dir, stick.read_doc(path))
    except DomainError as exc:
        report.refused.append((path.name, exc.code, exc.message_vi))
        return False
    if switched:
        report.came.append("trung tâm đã nhận khóa mới: điểm dùng khóa mới từ nay")
    return switched


def _take_receipts(me: _Point, paths: list[Path], report: stick.FerryReport, tick) -> None:
    """Acknowledge what the center's signed receipts cover, exactly as an HTTP round does."""
    waiting = {item.sha256: item for item in me.spool.waiting()}
    chunks = {sha256_hex(p.read_bytes()): p for p in (me.spool.folder / "blobs").glob("*.mcp")}
    touched = set()
    for path in paths:
        tick()
        sha = path.stem
        item, chunk = waiting.get(sha), chunks.get(sha)
        try:
            body = verify_receipt(stick.read_doc(path), me.center.sign_pub, sha)
        except ParcelRefused as exc:
            report.refuse(path.name, exc)
            continue
        if item is None and chunk is None:
            if body["result"] == "refused":       # bytes this point never built: a damaged copy
                report.refused.append((path.name, body.get("reason", ""),
                                       "Trung tâm từ chối một tệp trên USB (hỏng khi chép?); "
                                       "bản đúng vẫn ở máy này và sẽ đi chuyến sau."))
            else:
                report.add("stale_receipts")      # acknowledged before (HTTP or an older stick)
            continue
        if item is not None and body["result"] == "refused" \
                and body.get("reason") in FINAL_REFUSALS:     # as an HTTP round does
            report.refused.append((path.name, body["reason"],
                                   drop_refused(me.spool, item, body["reason"])))
            continue
        if body["result"] not in ("applied", "duplicate"):
            what = f"gói số {item.seq}" if item else "mảnh tệp quét"
            report.refused.append((path.name, body.get("reason") or body["result"],
                                   f"Trung tâm chưa nhận {what} ({body['result']}); "
                                   "sẽ gửi lại ở chuyến sau."))
            continue
        if item is not None:
            report.add("acked_parcels")
            report.add("acked_events", acknowledge_spooled(me.spool, item))
        else:
            header = peek_header(chunk.read_bytes())
            marker = chunk.with_name(f"{header.blob_sha256}_{header.offset:015d}.acked")
            write_durably(marker, str(header.content_length).encode())
            chunk.unlink(missing_ok=True)
            touched.add((header.blob_sha256, header.blob_length))
            report.add("acked_chunks")
    for blob_sha, length in touched:
        if _covered(me.spool, blob_sha) >= length:
            Blob.update(at_center=True).where(Blob.sha256 == blob_sha).execute()
            for marker in (me.spool.folder / "blobs").glob(f"{blob_sha}_*.acked"):
                marker.unlink(missing_ok=True)
            report.add("blobs_complete")


def _acked_offsets(spool: Spool, blob_sha: str) -> set[int]:
    return {int(p.stem.rsplit("_", 1)[1]) for p in (spool.folder / "blobs").glob(f"{blob_sha}_*.acked")}


def _covered(spool: Spool, blob_sha: str) -> int:
    """How far from byte 0 the acknowledged chunks of a scan reach without a hole."""
    reached = 0
    for path in sorted((spool.folder / "blobs").glob(f"{blob_sha}_*.acked")):
        offset = int(path.stem.rsplit("_", 1)[1])
        if offset > reached:
            break
        reached = max(reached, offset + int(path.read_text() or 0))
    return reached


def _fits(up: Path, name: str, data: bytes, used: int, cap: float, room: int) -> bool:
    """Whether `data` can lie in the lane: already there intact, or room for it under the cap."""
    if stick.same_bytes(up / name, data):
        return used + len(data) <= cap
    return used + len(data) <= cap and len(data) <= room


def _put(up: Path, name: str, data: bytes) -> int:
    """Write a parcel unless the very same bytes are already there (a stick used twice, or a
    damaged copy that must be replaced); returns the bytes newly written.
    :raises StickRefused: a folder or special file has its name. :raises StickUnusable: full."""
    path = up / name
    if stick.same_bytes(path, data):
        return 0
    stick.write_file(path, data)
    return len(data)


def _readable(paths: list[Path]):
    """The bytes of each parcel file that is a regular file within the size limit."""
    for path in paths:
        try:
            yield stick.read_parcel(path)
        except StickRefused:
            continue



def peek_json_reason(receipt: bytes) -> str:
    """The refusal code inside one of this node's own receipts."""
    import json
    try:
        return str(json.loads(receipt)["receipt"].get("reason", ""))
    except (ValueError, KeyError, TypeError):
        return ""


def _refuse_until_standing() -> None:
    """A point restored from a backup learns where the center stands over the network first
    (`node.backup`); a stick cannot tell it yet. :raises Conflict."""
    from motcua.errors import Conflict
    from node.backup import needs_standing
    if needs_standing():
        raise Conflict("Điểm vừa được khôi phục từ bản sao lưu: cần một lần `motcua node sync` "
                       "qua mạng với trung tâm trước khi trao đổi bằng USB.", code="needs_standing")
