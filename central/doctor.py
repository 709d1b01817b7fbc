"""`motcua central doctor`: the center's health, as the point's doctor (`node/doctor.py`): disk,
database, keys, points that went quiet or are being refused, the service. Reads only."""
from __future__ import annotations

import os
import shutil
from datetime import datetime, timedelta
from pathlib import Path

from central.db import db, is_postgres
from central.keys import KEYS_FILENAME
from central.models import Point, Refusal
from motcua import legaltime
from motcua.health import FAIL, OK, WARNING, Check, check_service

MIN_FREE_BYTES = 2 << 30
QUIET_DAYS = 14
SERVICE = "motcua-central.service"


def check_disk(data_dir: Path) -> Check:
    free = shutil.disk_usage(data_dir).free
    if free < MIN_FREE_BYTES:
        return Check("disk", FAIL, f"Chỉ còn {free / 1e9:.1f} GB trống ở {data_dir}.",
                     "Giải phóng ổ đĩa hoặc chuyển bản quét (blobs/) sang ổ lớn hơn.")
    return Check("disk", OK, f"Còn trống {free / 1e9:.1f} GB.")


def check_integrity() -> Check:
    if is_postgres():
        db.execute_sql("SELECT 1")
        return Check("integrity", OK, "PostgreSQL trả lời.")
    rows = [r[0] for r in db.execute_sql("PRAGMA integrity_check").fetchall()]
    if rows == ["ok"]:
        return Check("integrity", OK, "Cơ sở dữ liệu nguyên vẹn (integrity_check: ok).")
    return Check("integrity", FAIL, f"Cơ sở dữ liệu hỏng: {'; '.join(rows[:3])}.",
                 "Dừng dịch vụ và khôi phục từ bản sao lưu của trung tâm.")


def check_keys(data_dir: Path) -> Check:
    path = data_dir / KEYS_FILENAME
    if not path.exists():
        return Check("keys", FAIL, "Không có tệp khóa của trung tâm.",
                     "Khôi phục central_keys.json từ bản sao lưu: không có nó mọi điểm bị cắt.")
    if path.stat().st_mode & 0o077:
        return Check("keys", FAIL, "Tệp khóa đọc được bởi người khác.", f"chmod 600 {path}")
    return Check("keys", OK, "Khóa của trung tâm có mặt, quyền 600.")


def check_points(now: datetime) -> Check:
    points = list(Point.select().where(Point.key_status == "active"))
    quiet = [p.unit_code for p in points
             if p.enrolled_at and (p.last_contact is None
                                   or now - p.last_contact > timedelta(days=QUIET_DAYS))]
    waiting = [p.unit_code for p in points if not p.enrolled_at]
    recent = Refusal.select().where(Refusal.at >= now - timedelta(days=1)).count()
    text = (f"{len(points)} điểm; im lặng quá {QUIET_DAYS} ngày: {', '.join(quiet) or 'không'}; "
            f"chờ ghi danh: {', '.join(waiting) or 'không'}; gói bị từ chối 24 giờ qua: {recent}.")
    if quiet or recent:
        return Check("points", WARNING, text, "Xem `motcua central point list`.")
    return Check("points", OK, text)


def run_checks(data_dir: str | os.PathLike, *, now: datetime | None = None,
               systemctl: str | None = None) -> list[Check]:
    """Every check of the center; its database must be open (`create_app`)."""
    data_dir = Path(data_dir)
    now = now or legaltime.now()
    return [check_disk(data_dir), check_integrity(), check_keys(data_dir), check_points(now),
            check_service(SERVICE, systemctl)]


__all__ = ["FAIL", "OK", "WARNING", "run_checks"]
