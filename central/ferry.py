"""The center's side of the USB stick: ingest what the points sent, answer into their lanes.

Every parcel found in a point's `up` lane goes through the same `central.ingest.Ingestor` as an
HTTP upload (verify, decrypt, sequence, one transaction, signed receipt; refusals logged), and
every point receipt through the same `central.downstream.accept_receipt` as `POST /down/receipt`.
The center writes only `down` lanes: its signed receipts (named by parcel hash) and the parcels it
owes each point (`downstream.next_parcel`, built ahead of receipts since a stick is slow), plus the
public keys file that lets anyone run `motcua parcel verify`.
"""
from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta
from pathlib import Path

from motcua.errors import DomainError
from motcua.files import sweep_temporaries, write_durably
from central import downstream
from central.ingest import Ingestor
from central.keys import CENTER_ID, center_identity
from central.models import Point
from central.rotation import DEFAULT_GRACE, accepted_keys
from sync import crypto
from sync import folder as stick
from sync.enrollfile import REQUEST_FILE_NAME
from sync.keyrotation import ANSWER_FILE_NAME as ROTATE_ANSWER, REQUEST_FILE_NAME as ROTATE_REQUEST
from sync.parcel import ParcelRefused, parcel_file_name, parcel_sha256, peek_header

logger = logging.getLogger(__name__)

MAX_DOWN_PARCELS = 200        # per point and trip (500 events each): far beyond a commune's week


def import_from(data_dir: str | os.PathLike, folder: str | os.PathLike, *,
                progress: stick.Progress = stick._no_progress,
                key_grace: timedelta = DEFAULT_GRACE) -> stick.FerryReport:
    """Ingest every lane on the stick, then write receipts and down parcels for each point."""
    identity = center_identity(data_dir)
    ingestor = Ingestor(identity, data_dir)
    report = stick.FerryReport()
    units = stick.units_on(folder)
    files = {u: stick.parcel_files(stick.lane(folder, u, "up")) for u in units}
    total, done = sum(len(v) for v in files.values()) or 1, 0
    for unit in units:
        up, down = stick.lane(folder, unit, "up"), stick.lane(folder, unit, "down")
        sweep_temporaries(down)
        _redeem_enroll_request(data_dir, identity, unit, up, report)
        answer = _redeem_rotation_request(identity, unit, up, report, key_grace)
        for path in stick.receipt_files(up):
            try:
                report.add("down_events_acked", downstream.accept_receipt(unit, path.read_bytes()))
                report.add("point_receipts")
            except ParcelRefused as exc:
                report.refused.append((f"{unit}/up/{path.relative_to(up).as_posix()}",
                                       exc.reason, exc.message_vi))
        for path, data in _in_order(files[unit]):
            done += 1
            progress(done, total, f"{unit}: {path.name}")
            kind = ""
            try:
                header = peek_header(data)
                if header.recipient != CENTER_ID:
                    report.ignored.append((f"{unit}/up/{path.name}",
                                           f"gói gửi {header.recipient}, không phải trung tâm"))
                    continue
                kind = "chunk_" if header.kind == "blob-chunk" else ""
            except ParcelRefused:
                pass                     # the Ingestor refuses it, logs why and signs a receipt
            result = ingestor.ingest(data)
            write_durably(stick.receipt_path(down, parcel_sha256(data)), result.receipt)
            report.add(kind + result.result)
            report.add("events_applied", result.events_applied)
            if result.result == "refused":
                report.refused.append((f"{unit}/up/{path.name}", result.reason,
                                       "từ chối, đã ghi nhật ký; điểm sẽ gửi lại bản đúng"))
        _write_down(unit, folder, identity, report)
        _put_rotation_answer(down, answer)
    _write_keys(folder, identity, units)
    c = report.counts
    report.came.append(f"{c.get('applied', 0)} gói áp dụng ({c.get('events_applied', 0)} sự kiện), "
                       f"{c.get('duplicate', 0)} gói đã có, {c.get('held', 0)} gói chờ gói trước; "
                       f"{c.get('chunk_applied', 0)} mảnh tệp quét; "
                       f"{c.get('point_receipts', 0)} biên nhận của điểm")
    logger.info("ferry import at the center: %s", c)
    return report


def _redeem_enroll_request(data_dir, identity: crypto.Identity, unit: str, up: Path,
                           report: stick.FerryReport) -> None:
    """Enroll a point that joined by file, before its parcels are read (they need its keys)."""
    from central.enrollment import redeem_enroll_request
    path = up / REQUEST_FILE_NAME
    if not path.exists():
        return
    try:
        point = redeem_enroll_request(path.read_bytes(), identity, lane_unit=unit,
                                      now=datetime.now())
    except DomainError as exc:
        report.refused.append((f"{unit}/up/{REQUEST_FILE_NAME}", exc.code, exc.message_vi))
        return
    if point is not None:
        report.came.append(f"ghi danh điểm {point.unit_code} {point.name} (qua USB)")


def _redeem_rotation_request(identity: crypto.Identity, unit: str, up: Path,
                             report: stick.FerryReport, grace: timedelta) -> bytes | None:
    """Take a point's new keys before its parcels are read (those signed with the old key still
    go in: grace); returns the signed answer for its down lane, None when there is no request."""
    from central.rotation import rotate_point_keys
    path = up / ROTATE_REQUEST
    if not path.exists():
        return None
    try:
        answer = rotate_point_keys(path.read_bytes(), identity, lane_unit=unit, grace=grace)
    except DomainError as exc:
        report.refused.append((f"{unit}/up/{ROTATE_REQUEST}", exc.code, exc.message_vi))
        return None
    report.came.append(f"đổi khóa điểm {unit} (qua USB)")
    return answer


def _put_rotation_answer(down: Path, answer: bytes | None) -> None:
    """The answer lies in the down lane while the point's request lies in its up lane."""
    path = down / ROTATE_ANSWER
    if answer is None:
        path.unlink(missing_ok=True)
    elif down.is_dir():
        write_durably(path, answer)


def export_to(data_dir: str | os.PathLike, folder: str | os.PathLike,
              units: list[str] | None = None) -> stick.FerryReport:
    """Write the parcels the center owes these points (default: every active point) and the
    public keys file; nothing is ingested."""
    identity = center_identity(data_dir)
    report = stick.FerryReport()
    if not units:
        units = [p.unit_code for p in Point.select().where(
            Point.sign_pub.is_null(False) & (Point.key_status == "active")).order_by(Point.unit_code)]
    for unit in units:
        _write_down(unit, folder, identity, report)
    _write_keys(folder, identity, sorted(set(units) | set(stick.units_on(folder))))
    return report


def _write_down(unit: str, folder, identity: crypto.Identity, report: stick.FerryReport) -> None:
    """The down lane of one point: every parcel it has not acknowledged, receipts for what lies in
    its up lane, and a signed manifest; older files there are removed (they were acknowledged)."""
    point = Point.get_or_none(Point.unit_code == unit)
    if point is None or not point.sign_pub or point.key_status != "active":
        report.ignored.append((f"motcua/{unit}", "không phải điểm đang hoạt động của trung tâm"))
        return
    down = stick.lane(folder, unit, "down")
    down.mkdir(parents=True, exist_ok=True)
    keep, seq, written = set(), 0, 0
    now = datetime.now()
    while len(keep) < MAX_DOWN_PARCELS:
        data = downstream.next_parcel(unit, identity, now=now, after_seq=seq)
        if data is None:
            break
        seq = peek_header(data).seq
        name = parcel_file_name(data)
        path = down / name
        if not (path.exists() and path.read_bytes() == data):
            write_durably(path, data)
            written += 1
        keep.add(name)
    up_shas = {parcel_sha256(p.read_bytes()) for p in stick.parcel_files(stick.lane(folder, unit, "up"))}
    keep |= {p.relative_to(down).as_posix() for p in stick.receipt_files(down) if p.stem in up_shas}
    stick.prune(down, keep)
    stick.write_manifest(down, CENTER_ID, unit, identity)
    report.add("down_parcels", len([k for k in keep if k.endswith(".mcp")]))
    report.went.append(f"{unit}: {len([k for k in keep if k.endswith('.mcp')])} gói cho điểm "
                       f"({written} gói mới ghi), "
                       f"{len([k for k in keep if k.startswith('receipts/')])} biên nhận")


def _write_keys(folder, identity: crypto.Identity, units: list[str]) -> None:
    points = {p.unit_code: accepted_keys(p) for p in Point.select().where(
        Point.unit_code.in_(list(units)) & Point.sign_pub.is_null(False))}
    stick.write_public_keys(folder, CENTER_ID, identity, points)


def _in_order(paths: list[Path]):
    """Chained parcels by (sender, seq) first, so none waits for a gap a later file fills; then
    scan chunks; unreadable files last (they are refused with their reason)."""
    keyed = []
    for path in paths:
        data = path.read_bytes()
        try:
            h = peek_header(data)
            key = (0 if h.kind != "blob-chunk" else 1, h.sender, h.seq, path.name)
        except ParcelRefused:
            key = (2, "", 0, path.name)
        keyed.append((key, path))
    for _, path in sorted(keyed):
        yield path, path.read_bytes()      # one parcel in memory at a time

