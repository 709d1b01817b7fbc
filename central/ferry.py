"""The center's side of the USB stick: ingest what the points sent, answer into their lanes.

Every parcel found in a point's `up` lane goes through the same `central.ingest.Ingestor` as an
HTTP upload (verify, decrypt, sequence, one transaction, signed receipt; refusals logged), and
every point receipt through the same `central.outbound.accept_receipt` as `POST /down/receipt`.
The center writes only `down` lanes: its signed receipts (named by parcel hash) and the parcels it
owes each point (`outbound.next_parcel`, built ahead of receipts since a stick is slow), plus the
public keys file that lets anyone run `motcua parcel verify`.

The stick is not trusted as a file system (`sync.stickfs`): a point whose folder or lanes are not
real folders on the stick is refused whole (nothing read from or written through it); a parcel,
receipt or request that is not a regular file, or is too large, is refused with its reason and the
rest goes on; a read-only or full stick stops before anything is ingested, in one line.
"""
from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path

from central import outbound
from central.ingest import Ingestor
from central.key_rotation import DEFAULT_GRACE, accepted_keys
from central.keys import CENTER_ID, center_identity
from central.models import Point
from motcua import errors as E, legaltime
from motcua.errors import DomainError
from sync import crypto, folder as stick
from sync.enrollfile import REQUEST_FILE_NAME
from sync.heartbeat import FILE_NAME as HEARTBEAT_FILE
from sync.key_rotation import ANSWER_FILE_NAME as ROTATE_ANSWER, REQUEST_FILE_NAME as ROTATE_REQUEST
from sync.parcel import ParcelRefused, parcel_file_name, parcel_sha256, peek_header
from sync.standingfile import ANSWER_FILE_NAME as STANDING_ANSWER, REQUEST_FILE_NAME as STANDING_REQUEST
from sync.stickfs import StickRefused, probe_writable

logger = logging.getLogger(__name__)

MAX_DOWN_PARCELS = 200        # per point and trip (500 events each): far beyond a commune's week


def import_from(data_dir: str | os.PathLike, folder: str | os.PathLike, *,
                progress: stick.Progress = stick._no_progress,
                key_grace: timedelta = DEFAULT_GRACE, store=None) -> stick.FerryReport:
    """Ingest every lane on the stick, then write receipts and down parcels for each point
    (`store`: the center's object store, default its data dir's folders)."""
    identity = center_identity(data_dir)
    ingestor = Ingestor(identity, data_dir, store=store)
    report = stick.FerryReport()
    units = _usable_units(folder, report)
    lanes = {}
    for unit in units:
        try:
            lanes[unit] = stick.open_lane(folder, unit, "up"), stick.open_lane(folder, unit, "down")
        except StickRefused as exc:          # nothing read from it, nothing written through it
            report.refuse(f"motcua/{unit}", exc)
    files = {u: stick.parcel_files(up) if up else [] for u, (up, _) in lanes.items()}
    total, done = sum(len(v) for v in files.values()) or 1, 0
    for unit, (up, down) in lanes.items():
        if down is not None:
            stick.sweep_temporaries(down)
        if up is None:
            _write_down(unit, folder, identity, report)
            continue
        _redeem_enroll_request(data_dir, identity, unit, up, report)
        answer = _redeem_rotation_request(identity, unit, up, report, key_grace)
        _take_heartbeat(unit, up, report)
        standing = _answer_standing(identity, unit, up, report)
        for path in stick.receipt_files(up):
            try:
                report.add("down_events_acked", outbound.accept_receipt(unit, stick.read_doc(path)))
                report.add("point_receipts")
            except ParcelRefused as exc:
                report.refuse(f"{unit}/up/{path.relative_to(up).as_posix()}", exc)
        down = stick.open_lane(folder, unit, "down", create=True)
        for path, data in _in_order(files[unit], f"{unit}/up", report):
            done += 1
            progress(done, total, f"{unit}: {path.name}")
            kind = ""
            try:
                header = peek_header(data)
                if header.recipient != CENTER_ID:
                    report.ignored.append((f"{unit}/up/{path.name}",
                                           E.TRIP_NOT_FOR_CENTER(recipient=header.recipient)))
                    continue
                kind = "chunk_" if header.kind == "blob-chunk" else ""
            except ParcelRefused:
                pass                     # the Ingestor refuses it, logs why and signs a receipt
            result = ingestor.ingest(data)
            try:
                stick.write_file(stick.receipt_path(down, parcel_sha256(data)), result.receipt)
            except StickRefused as exc:          # a folder where the receipt goes: left as it is
                report.refuse(f"{unit}/down/receipts/{parcel_sha256(data)}.json", exc)
            report.add(kind + result.result)
            report.add("events_applied", result.events_applied)
            if result.result == "refused":
                report.refused.append((f"{unit}/up/{path.name}", result.reason,
                                       E.POINT_COPY_REFUSED()))
        _write_down(unit, folder, identity, report)
        _put_rotation_answer(down, answer, unit, report)
        _put_rotation_answer(down, standing, unit, report, STANDING_ANSWER)
    _write_keys(folder, identity, units, report)
    c = report.counts
    report.came.append(E.CENTER_IMPORT_CAME(
        applied=c.get("applied", 0), events=c.get("events_applied", 0), duplicate=c.get("duplicate", 0),
        held=c.get("held", 0), chunks=c.get("chunk_applied", 0), receipts=c.get("point_receipts", 0)))
    logger.info("ferry import at the center: %s", c)
    return report


def _redeem_enroll_request(data_dir, identity: crypto.Identity, unit: str, up: Path,
                           report: stick.FerryReport) -> None:
    """Enroll a point that joined by file, before its parcels are read (they need its keys)."""
    from central.enrollment import redeem_enroll_request
    path = up / REQUEST_FILE_NAME
    if not stick.present(path):
        return
    try:
        point = redeem_enroll_request(stick.read_doc(path), identity, lane_unit=unit,
                                      now=legaltime.now())
    except DomainError as exc:
        report.refused.append((f"{unit}/up/{REQUEST_FILE_NAME}", exc.code, exc.said or exc.message_vi))
        return
    if point is not None:
        report.came.append(E.CENTER_ENROLLED_BY_STICK(unit=point.unit_code, name=point.name))


def _redeem_rotation_request(identity: crypto.Identity, unit: str, up: Path,
                             report: stick.FerryReport, grace: timedelta) -> bytes | None:
    """Take a point's new keys before its parcels are read (those signed with the old key still
    go in: grace); returns the signed answer for its down lane, None when there is no request."""
    from central.key_rotation import rotate_point_keys
    path = up / ROTATE_REQUEST
    if not stick.present(path):
        return None
    try:
        answer = rotate_point_keys(stick.read_doc(path), identity, lane_unit=unit, grace=grace)
    except DomainError as exc:
        report.refused.append((f"{unit}/up/{ROTATE_REQUEST}", exc.code, exc.said or exc.message_vi))
        return None
    report.came.append(E.CENTER_ROTATED_BY_STICK(unit=unit))
    return answer


def _take_heartbeat(unit: str, up: Path, report: stick.FerryReport) -> None:
    """The point's heartbeat on the stick (`central.heartbeats`), after its keys are settled."""
    from central.heartbeats import take_heartbeat
    path = up / HEARTBEAT_FILE
    if not stick.present(path):
        return
    try:
        if take_heartbeat(stick.read_doc(path), sender=unit, via="usb"):
            report.came.append(E.CENTER_HEARTBEAT_BY_STICK(unit=unit))
    except DomainError as exc:
        report.refused.append((f"{unit}/up/{HEARTBEAT_FILE}", exc.code, exc.said or exc.message_vi))
    except StickRefused as exc:
        report.refuse(f"{unit}/up/{HEARTBEAT_FILE}", exc)


def _answer_standing(identity: crypto.Identity, unit: str, up: Path,
                     report: stick.FerryReport) -> bytes | None:
    """A restored point asks where the center stands (`sync.standingfile`): answered as over
    HTTP (`central.standing`), before its parcels are read and its down lane is written (the
    down chain starts again after the last parcel it acknowledged)."""
    from central.ingest import point_keys
    from central.standing import point_standing
    from sync.standingfile import read_request, seal_answer
    path = up / STANDING_REQUEST
    if not stick.present(path):
        return None
    try:
        nonce = read_request(stick.read_doc(path), point_keys(unit) or [], lane_unit=unit)
        answer = seal_answer(point_standing(unit), nonce, identity)
    except (DomainError, ParcelRefused) as exc:
        report.refused.append((f"{unit}/up/{STANDING_REQUEST}", exc.code, exc.said or exc.message_vi))
        return None
    except StickRefused as exc:
        report.refuse(f"{unit}/up/{STANDING_REQUEST}", exc)
        return None
    report.came.append(E.CENTER_STANDING_BY_STICK(unit=unit))
    return answer


def _put_rotation_answer(down: Path, answer: bytes | None, unit: str,
                         report: stick.FerryReport, name: str = ROTATE_ANSWER) -> None:
    """The answer lies in the down lane while the point's request lies in its up lane."""
    path = down / name
    try:
        if answer is None:
            stick.remove_file(path)
        elif stick.kind_of(down) == "dir":
            stick.write_file(path, answer)
    except StickRefused as exc:
        report.refuse(f"{unit}/down/{name}", exc)


def export_to(data_dir: str | os.PathLike, folder: str | os.PathLike,
              units: list[str] | None = None) -> stick.FerryReport:
    """Write the parcels the center owes these points (default: every active point) and the
    public keys file; nothing is ingested."""
    identity = center_identity(data_dir)
    report = stick.FerryReport()
    on_stick = _usable_units(folder, report)
    if not units:
        units = [p.unit_code for p in Point.select().where(
            Point.sign_pub.is_null(False) & (Point.key_status == "active")).order_by(Point.unit_code)]
    for unit in units:
        _write_down(unit, folder, identity, report)
    _write_keys(folder, identity, sorted(set(units) | set(on_stick)), report)
    return report


def _usable_units(folder, report: stick.FerryReport) -> list[str]:
    """The points' folders on the stick, once the stick is known to take writes; symlinks and
    special files where a point's folder would be are refused.
    :raises StickUnusable: read-only, full, or `motcua/` is not a real folder."""
    root = stick.ferry_root(folder)
    units, odd = stick.survey(folder)
    probe_writable(root if stick.kind_of(root) == "dir" else Path(folder))
    for name, exc in odd:
        report.refuse(name, exc)
    return units


def _write_down(unit: str, folder, identity: crypto.Identity, report: stick.FerryReport) -> None:
    """The down lane of one point: every parcel it has not acknowledged, receipts for what lies in
    its up lane, and a signed manifest; older files there are removed (they were acknowledged)."""
    point = Point.get_or_none(Point.unit_code == unit)
    if point is None or not point.sign_pub or point.key_status != "active":
        report.ignored.append((f"motcua/{unit}", E.CENTER_LANE_NOT_ACTIVE()))
        return
    try:
        down = stick.open_lane(folder, unit, "down", create=True)
        up = stick.open_lane(folder, unit, "up")
    except StickRefused as exc:
        report.refuse(f"motcua/{unit}", exc)
        return
    keep, seq, written = set(), 0, 0
    now = legaltime.now()
    while len(keep) < MAX_DOWN_PARCELS:
        data = outbound.next_parcel(unit, identity, now=now, after_seq=seq)
        if data is None:
            break
        seq = peek_header(data).seq
        name = parcel_file_name(data)
        path = down / name
        keep.add(name)
        if stick.same_bytes(path, data):
            continue
        try:
            stick.write_file(path, data)
            written += 1
        except StickRefused as exc:          # a folder under that name: the parcel waits
            report.refuse(f"{unit}/down/{name}", exc)
            keep.discard(name)
    up_shas = {parcel_sha256(data) for data in _readable(stick.parcel_files(up) if up else [])}
    keep |= {p.relative_to(down).as_posix() for p in stick.receipt_files(down) if p.stem in up_shas}
    stick.prune(down, keep, report)
    stick.write_manifest(down, CENTER_ID, unit, identity)
    report.add("down_parcels", len([k for k in keep if k.endswith(".mcp")]))
    report.went.append(E.CENTER_DOWN_WENT(unit=unit, parcels=len([k for k in keep if k.endswith(".mcp")]),
                                          written=written,
                                          receipts=len([k for k in keep if k.startswith("receipts/")])))


def _write_keys(folder, identity: crypto.Identity, units: list[str],
                report: stick.FerryReport) -> None:
    points = {p.unit_code: accepted_keys(p) for p in Point.select().where(
        Point.unit_code.in_(list(units)) & Point.sign_pub.is_null(False))}
    try:
        stick.write_public_keys(folder, CENTER_ID, identity, points)
    except StickRefused as exc:
        report.refuse(f"motcua/{stick.KEYS_NAME}", exc)


def _readable(paths: list[Path]):
    """The bytes of each parcel file that is a regular file within the size limit."""
    for path in paths:
        try:
            yield stick.read_parcel(path)
        except StickRefused:
            continue


def _in_order(paths: list[Path], label: str, report: stick.FerryReport):
    """Chained parcels by (sender, seq) first, so none waits for a gap a later file fills; then
    scan chunks; unreadable files last (they are refused with their reason). What is not a
    regular file, or is too large, is refused here and never reaches the Ingestor."""
    keyed = []
    for path in paths:
        try:
            data = stick.read_parcel(path)
        except StickRefused as exc:
            report.refuse(f"{label}/{path.name}", exc)
            continue
        try:
            h = peek_header(data)
            key = (0 if h.kind != "blob-chunk" else 1, h.sender, h.seq, path.name)
        except ParcelRefused:
            key = (2, "", 0, path.name)
        keyed.append((key, path))
    for _, path in sorted(keyed):
        try:
            yield path, stick.read_parcel(path)      # one parcel in memory at a time
        except StickRefused as exc:                  # swapped since it was first read
            report.refuse(f"{label}/{path.name}", exc)

