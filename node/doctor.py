"""`motcua node doctor`: what a technician checks on a point after weeks alone, each check ok,
warning or fail with a hint in plain Vietnamese. Reads only (the database is opened by the caller;
nothing is written), so it is safe while the point serves.

The checks that look outside the database (the scanner, the service) take their commands as
arguments, so a test can point them at SANE's test backend or at a stand-in `systemctl`.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path

from peewee import DatabaseError as PeeweeDatabaseError, fn

from motcua import legaltime
from motcua.health import FAIL, OK, WARNING, Check, check_service
from node.db import database_path, db
from node.facts import get_state
from node.models import Blob, Event, Holiday, Procedure
from sync import hlc

DatabaseError = (PeeweeDatabaseError, sqlite3.DatabaseError)

# Thresholds a technician may want to read; small on purpose for a small PC on an SD card.
MIN_FREE_BYTES = 1 << 30                 # below 1 GB free: fail
WARN_DAYS_LEFT, FAIL_DAYS_LEFT = 90, 14  # days of scans left at the recent rate
WAL_WARN_BYTES = 64 << 20
CLOCK_FAIL_MS = 24 * 3_600_000
KEY_AGE_WARN_DAYS = 2 * 365
CALENDAR_WARN_DAYS = 60                  # the holiday calendar should reach this far ahead
BACKLOG_WARN_HOURS, BACKLOG_FAIL_DAYS = 48, 14
CONTACT_WARN_DAYS = 7
BACKUP_WARN_HOURS, BACKUP_FAIL_DAYS = 48, 14   # a daily backup older than this
SERVICE = "motcua-node.service"


def check_disk(data_dir: Path, now: datetime) -> Check:
    free = shutil.disk_usage(data_dir).free
    since = now - timedelta(days=7)
    recent = (Blob.select(fn.COALESCE(fn.SUM(Blob.size), 0))
              .where(Blob.created_at >= since).scalar()) or 0
    per_day = recent / 7
    days = free / per_day if per_day else None
    text = f"Còn trống {free / 1e9:.1f} GB"
    text += (f"; quét {per_day / 1e6:.1f} MB/ngày → còn khoảng {days:.0f} ngày" if days is not None
             else "; chưa có bản quét trong 7 ngày qua")
    hint = ("Giải phóng ổ đĩa: `motcua node purge-scans` xoá bản quét trung tâm đã giữ, hoặc thay "
            "ổ lớn hơn.")
    if free < MIN_FREE_BYTES or (days is not None and days < FAIL_DAYS_LEFT):
        return Check("disk", FAIL, text + ".", hint)
    if days is not None and days < WARN_DAYS_LEFT:
        return Check("disk", WARNING, text + ".", hint)
    return Check("disk", OK, text + ".")


def check_integrity() -> Check:
    try:
        rows = [r[0] for r in db.execute_sql("PRAGMA integrity_check").fetchall()]
    except DatabaseError as exc:         # too damaged even to be checked
        rows = [str(exc)]
    if rows == ["ok"]:
        return Check("integrity", OK, "Cơ sở dữ liệu nguyên vẹn (integrity_check: ok).")
    return Check("integrity", FAIL, f"Cơ sở dữ liệu hỏng: {'; '.join(rows[:3])}.",
                 "Dừng dịch vụ, chép thư mục dữ liệu sang chỗ khác, rồi khôi phục bản sao lưu gần "
                 "nhất (`motcua node restore`); điểm sẽ lấy lại từ trung tâm phần còn thiếu.")


def check_wal(data_dir: Path) -> Check:
    wal = database_path(data_dir).with_name(database_path(data_dir).name + "-wal")
    size = wal.stat().st_size if wal.exists() else 0
    if size > WAL_WARN_BYTES:
        return Check("wal", WARNING, f"Tệp WAL lớn ({size / 1e6:.0f} MB).",
                     "Một tiến trình giữ giao dịch đọc quá lâu; khởi động lại dịch vụ "
                     "(`systemctl restart motcua-node`).")
    return Check("wal", OK, f"Tệp WAL {size / 1e6:.1f} MB.")


def check_clock(now_ms: int) -> Check:
    from node.journal import center_offset_ms
    offset = center_offset_ms()
    last = hlc.Stamp.parse(get_state("hlc", str(hlc.ZERO)) or str(hlc.ZERO))
    behind = last.wall_ms - now_ms
    hint = "Chỉnh giờ máy (timedatectl set-time, hoặc bật NTP khi có mạng)."
    if behind > hlc.MAX_AHEAD_MS:
        return Check("clock", WARNING if behind < CLOCK_FAIL_MS else FAIL,
                     f"Đồng hồ máy đang chậm hơn dấu giờ cuối của điểm {behind / 3.6e6:.1f} giờ "
                     "(máy bị chỉnh lùi giờ?).", hint)
    if offset is None:
        return Check("clock", OK, "Chưa biết giờ trung tâm (chưa có biên nhận nào).")
    if abs(offset) > CLOCK_FAIL_MS:
        return Check("clock", FAIL, f"Đồng hồ lệch trung tâm {offset / 3.6e6:+.1f} giờ.", hint)
    if abs(offset) > hlc.MAX_AHEAD_MS:
        return Check("clock", WARNING, f"Đồng hồ lệch trung tâm {offset / 3.6e6:+.1f} giờ "
                     "(sự kiện mới đang đóng dấu theo giờ trung tâm).", hint)
    return Check("clock", OK, f"Đồng hồ lệch trung tâm {offset / 1000:+.0f} giây.")


def check_keys(data_dir: Path, now: datetime) -> Check:
    from node.enroll import keys_path
    path = keys_path(data_dir)
    if not path.exists():
        if get_state("central_keys"):
            return Check("keys", FAIL, "Đã ghi danh nhưng mất tệp khóa node_keys.json.",
                         "Khôi phục bản sao lưu (`motcua node restore`) hoặc ghi danh lại.")
        return Check("keys", WARNING, "Chưa có khóa (điểm chưa ghi danh).",
                     "Ghi danh: `motcua node enroll --central URL --token T`.")
    mode = path.stat().st_mode & 0o777
    age = (now - legaltime.from_ms(path.stat().st_mtime * 1000)).days
    if mode & 0o077:
        return Check("keys", FAIL, f"Tệp khóa đọc được bởi người khác (quyền {mode:o}).",
                     f"chmod 600 {path}")
    if age > KEY_AGE_WARN_DAYS:
        return Check("keys", WARNING, f"Khóa đã dùng {age} ngày.",
                     "Đổi khóa: `motcua node rotate-keys`.")
    return Check("keys", OK, f"Khóa có mặt, quyền 600, {age} ngày tuổi.")


def check_enrollment() -> Check:
    from node.sync_status import enrollment_state
    state = enrollment_state()
    if state == "confirmed":
        return Check("enrollment", OK, "Đã ghi danh, trung tâm đã xác nhận.")
    if state == "waiting":
        return Check("enrollment", WARNING, "Đã ghi danh bằng tệp, trung tâm chưa xác nhận.",
                     "`motcua node export` ra USB, mang tới trung tâm (`central import`), rồi "
                     "`motcua node import` khi USB quay về.")
    return Check("enrollment", WARNING, "Điểm chưa ghi danh với trung tâm (làm việc một mình).",
                 "`motcua node enroll --central URL --token T` hoặc `--enroll-file F`.")


def check_rules(today: date) -> Check:
    versions = sorted({p.catalogue_version for p in Procedure.select(Procedure.catalogue_version)})
    calendars = sorted({h.calendar_version for h in Holiday.select(Holiday.calendar_version)})
    horizon = Holiday.select(fn.MAX(Holiday.day)).scalar()
    text = (f"Danh mục {', '.join(versions) or 'trống'}; lịch nghỉ {', '.join(calendars) or 'trống'}"
            f", đến {horizon:%d/%m/%Y}" if horizon else
            f"Danh mục {', '.join(versions) or 'trống'}; lịch nghỉ trống")
    if not versions:
        return Check("rules", FAIL, text + ".", "Chạy lại `motcua node init` để nạp danh mục.")
    hint = ("Lịch nghỉ năm sau chưa có: nhận từ trung tâm (đồng bộ) hoặc thêm bằng "
            "`motcua node holiday set`.")
    if horizon is None or horizon < today:
        return Check("rules", FAIL, text + ": hạn trả hồ sơ tính sai ngày lễ.", hint)
    if horizon < today + timedelta(days=CALENDAR_WARN_DAYS):
        return Check("rules", WARNING, text + ".", hint)
    return Check("rules", OK, text + ".")


def check_backlog(now: datetime) -> Check:
    waiting = Event.select().where(Event.acked_at.is_null())
    count = waiting.count()
    blobs = Blob.select().where(~Blob.at_center).count()
    if not count:
        return Check("backlog", OK, f"Không còn sự kiện chờ gửi; {blobs} tệp quét chờ gửi.")
    oldest = waiting.select(fn.MIN(Event.recorded_at)).scalar()
    age = now - oldest
    text = (f"{count} sự kiện chờ gửi, cũ nhất từ {oldest:%d/%m/%Y %H:%M}; {blobs} tệp quét chờ gửi.")
    hint = ("Kiểm tra mạng (`motcua node sync`) hoặc mang USB (`motcua node export`) tới trung tâm.")
    if age > timedelta(days=BACKLOG_FAIL_DAYS):
        return Check("backlog", FAIL, text, hint)
    if age > timedelta(hours=BACKLOG_WARN_HOURS):
        return Check("backlog", WARNING, text, hint)
    return Check("backlog", OK, text)


def check_contact(now: datetime) -> Check:
    if not get_state("central_keys"):
        return Check("contact", OK, "Chưa ghi danh: không liên lạc với trung tâm.")
    last = get_state("sync:last_contact")
    error = get_state("sync:last_error")
    text = f"Liên lạc cuối: {last or 'chưa có'}" + (f"; lỗi gần nhất: {error}" if error else "")
    if error:
        return Check("contact", WARNING, text + ".", "Xem `motcua node status`; đọc nhật ký: "
                     "`journalctl -u motcua-node`.")
    if last is None or now - datetime.fromisoformat(last) > timedelta(days=CONTACT_WARN_DAYS):
        return Check("contact", WARNING, text + ".", "Chạy `motcua node sync`, hoặc trao đổi "
                     "bằng USB nếu đảo không có mạng.")
    return Check("contact", OK, text + ".")


def check_backup(now: datetime) -> Check:
    from node.backup_schedule import ERROR_KEY
    from node.heartbeat import LAST_BACKUP_KEY
    last, error = get_state(LAST_BACKUP_KEY), get_state(ERROR_KEY)
    hint = ("Đặt BACKUP_DIR (ổ thứ hai hoặc USB) và mật khẩu trong tệp backup.passphrase để điểm tự "
            "sao lưu mỗi ngày, hoặc chạy `motcua node backup --to TỆP`.")
    text = "Chưa có bản sao lưu nào" if last is None else f"Bản sao lưu gần nhất: {last}"
    text += f"; lần tự sao lưu gần nhất lỗi: {error}." if error else "."
    if last is None:
        return Check("backup", WARNING, text, hint)
    age = now - datetime.fromisoformat(last)
    text = text[:-1] + f" (cách đây {age.total_seconds() / 3600:.0f} giờ)."
    if age > timedelta(days=BACKUP_FAIL_DAYS):
        return Check("backup", FAIL, text, hint)
    if error or age > timedelta(hours=BACKUP_WARN_HOURS):
        return Check("backup", WARNING, text, hint)
    return Check("backup", OK, text)


def check_scanner(scanimage: str | None = None, timeout: float = 20.0) -> Check:
    exe = scanimage or shutil.which("scanimage")
    if not exe:
        return Check("scanner", WARNING, "Chưa cài SANE (scanimage): không quét thẳng được.",
                     "apt-get install sane-utils")
    try:
        out = subprocess.run([exe, "-f", "%d|%v %m%n"], capture_output=True, text=True,
                             timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        return Check("scanner", WARNING, "SANE không trả lời.", "Rút và cắm lại máy quét.")
    devices = [line.split("|", 1) for line in out.stdout.splitlines() if "|" in line]
    if not devices:
        return Check("scanner", WARNING, "Không thấy máy quét nào.",
                     "Bật máy quét, kiểm tra cáp USB, thử `scanimage -L`.")
    return Check("scanner", OK, "Máy quét: " + "; ".join(f"{name} ({dev})" for dev, name in devices))


def run_checks(data_dir: str | os.PathLike, *, now: datetime | None = None,
               scanimage: str | None = None, systemctl: str | None = None) -> list[Check]:
    """Every check, in the order a technician reads them. The node database must be open."""
    data_dir = Path(data_dir)
    now = now or legaltime.now()
    now_ms = legaltime.to_ms(now)
    checks = [("disk", lambda: check_disk(data_dir, now)), ("integrity", check_integrity),
              ("wal", lambda: check_wal(data_dir)), ("clock", lambda: check_clock(now_ms)),
              ("keys", lambda: check_keys(data_dir, now)), ("enrollment", check_enrollment),
              ("rules", lambda: check_rules(now.date())), ("backlog", lambda: check_backlog(now)),
              ("contact", lambda: check_contact(now)), ("backup", lambda: check_backup(now)),
              ("scanner", lambda: check_scanner(scanimage)),
              ("service", lambda: check_service(SERVICE, systemctl))]
    out = []
    for name, run in checks:
        try:
            out.append(run())
        except DatabaseError as exc:     # a damaged database fails each check that reads it
            out.append(Check(name, FAIL, f"Không đọc được cơ sở dữ liệu ({exc}).",
                             "Xem mục integrity ở trên."))
    return out
