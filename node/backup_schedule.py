"""The daily backup a point makes by itself (settings BACKUP_DIR, BACKUP_AT, BACKUP_KEEP,
BACKUP_PASSPHRASE_FILE), run by the node's jobs (`node.background`) every few minutes: once the
day's time has passed and no backup was made since, one is written to the folder (a second disk
or a stick) and the oldest beyond BACKUP_KEEP are removed. A PC that was off at that time backs up
when it is next on. A folder that is not there (the stick not plugged in) or a missing passphrase
is remembered as `backup:last_error`, which `node doctor` shows, and tried again next time.
"""
from __future__ import annotations

import logging
import os
from datetime import datetime, time
from pathlib import Path

from motcua import legaltime
from node.backup import make_backup
from node.facts import get_state, set_state, unit_code
from node.heartbeat import LAST_BACKUP_KEY

logger = logging.getLogger(__name__)

ERROR_KEY = "backup:last_error"
PASSPHRASE_FILE = "backup.passphrase"
CHECK_EVERY_S = 300


def is_due(now: datetime, at: time, last: datetime | None) -> bool:
    """Whether the day's backup is due: past today's `at` and none made since then."""
    slot = datetime.combine(now.date(), at)
    return now >= slot and (last is None or last < slot)


def parse_at(text: str) -> time:
    """'HH:MM' in legal time. :raises ValueError: in Vietnamese."""
    try:
        return datetime.strptime(str(text).strip(), "%H:%M").time()
    except ValueError:
        raise ValueError(f"BACKUP_AT “{text}” không hợp lệ: viết HH:MM, ví dụ 12:00.") from None


def passphrase(data_dir: str | os.PathLike, configured: str | None) -> str | None:
    """MOTCUA_BACKUP_PASSPHRASE, else the first line of the passphrase file, else None."""
    if os.environ.get("MOTCUA_BACKUP_PASSPHRASE"):
        return os.environ["MOTCUA_BACKUP_PASSPHRASE"]
    path = Path(configured) if configured else Path(data_dir) / PASSPHRASE_FILE
    try:
        return path.read_text(encoding="utf-8").splitlines()[0]
    except (OSError, IndexError, UnicodeDecodeError):
        return None


def run_if_due(data_dir: str | os.PathLike, config: dict, *,
               now: datetime | None = None) -> Path | None:
    """Make the day's backup when it is due; its path, or None (not due, off, or failed: the
    reason kept in ERROR_KEY). The node database must be open."""
    folder = config.get("BACKUP_DIR")
    if not folder:
        return None
    now = now or legaltime.now()
    last = get_state(LAST_BACKUP_KEY)
    try:
        if not is_due(now, parse_at(config.get("BACKUP_AT") or "12:00"),
                      datetime.fromisoformat(last) if last else None):
            return None
        folder = Path(folder)
        if not folder.is_dir():
            raise OSError(f"không thấy thư mục sao lưu {folder} (USB/ổ thứ hai chưa cắm?)")
        secret = passphrase(data_dir, config.get("BACKUP_PASSPHRASE_FILE"))
        if not secret:
            raise OSError("chưa đặt mật khẩu sao lưu (tệp backup.passphrase hoặc "
                          "MOTCUA_BACKUP_PASSPHRASE)")
        unit = unit_code()
        target = folder / f"motcua-{unit}-{now:%Y%m%d-%H%M%S}.mcb"
        make_backup(data_dir, target, secret)
    except Exception as exc:         # noqa: BLE001 - any failure is kept for doctor, never raised
        reason = getattr(exc, "message_vi", None) or str(exc)
        set_state(ERROR_KEY, f"{now:%Y-%m-%d %H:%M} {reason}"[:500])
        logger.error("scheduled backup failed: %s", reason)
        return None
    removed = prune(folder, unit, int(config.get("BACKUP_KEEP") or 7))
    logger.info("scheduled backup written to %s (%d old ones removed)", target, len(removed))
    return target


def prune(folder: Path, unit: str, keep: int) -> list[Path]:
    """Remove this point's scheduled backups beyond the `keep` newest (names sort by time)."""
    mine = sorted(p for p in folder.glob(f"motcua-{unit}-*.mcb") if p.is_file())
    gone = mine[:-keep] if keep > 0 else []
    for path in gone:
        path.unlink(missing_ok=True)
    return gone
