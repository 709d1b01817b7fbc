"""The daily backup a point makes by itself: due once past BACKUP_AT (legal time, whatever the
PC's zone), none twice a day, the oldest beyond BACKUP_KEEP removed, a missing stick or passphrase
remembered for doctor and tried again; run by the node's jobs scheduler."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from motcua import legaltime
from node import backup_schedule as sched

PASS = "cụm mật khẩu sao lưu dài"


def test_is_due_once_a_day_after_the_time():
    at = time(12, 0)
    day = datetime(2026, 12, 7)
    assert not sched.is_due(day.replace(hour=11, minute=59), at, None)
    assert sched.is_due(day.replace(hour=12), at, None)
    assert not sched.is_due(day.replace(hour=18), at, day.replace(hour=12, minute=5))
    assert sched.is_due(day.replace(hour=18), at, day - timedelta(hours=1))     # yesterday's
    assert sched.is_due(day.replace(hour=8) + timedelta(days=1), time(7, 0),
                        day.replace(hour=12))           # the PC was off at 07:00: at 08:00 then
    with pytest.raises(ValueError, match="HH:MM"):
        sched.parse_at("12h")


def test_run_if_due_writes_keeps_n_and_remembers_failures(node_dir, tmp_path, monkeypatch):
    from node.backup import verify_backup
    from node.facts import get_state
    from node.heartbeat import LAST_BACKUP_KEY
    monkeypatch.delenv("MOTCUA_BACKUP_PASSPHRASE", raising=False)
    stick = tmp_path / "stick"
    config = {"BACKUP_DIR": str(stick), "BACKUP_AT": "12:00", "BACKUP_KEEP": 2}
    day = datetime(2026, 12, 7, 12, 30)

    # No stick plugged in: nothing written, the reason kept for doctor.
    assert sched.run_if_due(node_dir, config, now=day) is None
    assert "USB" in get_state(sched.ERROR_KEY) and get_state(LAST_BACKUP_KEY) is None
    stick.mkdir()
    assert sched.run_if_due(node_dir, config, now=day) is None
    assert "mật khẩu" in get_state(sched.ERROR_KEY)

    (node_dir / sched.PASSPHRASE_FILE).write_text(PASS + "\n")
    made = []
    for n in range(4):
        now = day + timedelta(days=n)
        monkeypatch.setattr(legaltime, "now", lambda now=now: now)
        path = sched.run_if_due(node_dir, config, now=now)
        assert path is not None and path.exists()
        assert sched.run_if_due(node_dir, config, now=now + timedelta(hours=2)) is None  # once
        made.append(path)
    assert sorted(stick.glob("*.mcb")) == made[-2:]
    assert get_state(sched.ERROR_KEY) is None
    assert get_state(LAST_BACKUP_KEY) == (day + timedelta(days=3)).isoformat(timespec="seconds")
    assert verify_backup(made[-1], PASS)["problems"] == []


def test_the_node_jobs_run_the_backup_when_set(node_dir, tmp_path, monkeypatch):
    from node import create_app
    from node.facts import get_state
    from node.heartbeat import LAST_BACKUP_KEY
    (tmp_path / "usb").mkdir()
    monkeypatch.setenv("MOTCUA_BACKUP_PASSPHRASE", PASS)
    at = (legaltime.now() - timedelta(minutes=1)).strftime("%H:%M")
    if legaltime.now().strftime("%H:%M") < at:          # just after midnight: skip the edge
        pytest.skip("too close to midnight")
    app = create_app({"DATA_DIR": str(node_dir), "TESTING": True, "BACKUP_DIR": str(tmp_path / "usb"),
                      "BACKUP_AT": at})
    jobs = app.extensions["motcua.jobs"]
    assert "backup" in jobs.names
    jobs.run_soon("backup")
    jobs.tick()
    assert len(list((tmp_path / "usb").glob("motcua-*.mcb"))) == 1
    assert get_state(LAST_BACKUP_KEY)
    plain = create_app({"DATA_DIR": str(node_dir), "TESTING": True})
    assert "backup" not in plain.extensions["motcua.jobs"].names
