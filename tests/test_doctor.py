"""`motcua node doctor` / `central doctor`: each check made to fail (or warn) on purpose, the JSON
form, and the exit status telling the worst."""
from __future__ import annotations

import json
import os
import shutil
from collections import namedtuple
from datetime import timedelta

import pytest
from central_fixtures import backend, pg_cluster  # noqa: F401  (fixtures)
from click.testing import CliRunner

from motcua import legaltime
from motcua.cli import main
from motcua.health import FAIL, OK, WARNING
from node import doctor
from tests.conftest import dossier_body


def by_name(checks):
    return {c.name: c for c in checks}


def fake_systemctl(tmp_path, enabled: str, active: str) -> str:
    """A stand-in `systemctl` answering is-enabled / is-active (systemd is not ours to drive)."""
    path = tmp_path / f"systemctl-{enabled}-{active}"
    path.write_text(f"#!/bin/sh\ncase \"$1\" in is-enabled) echo {enabled};; "
                    f"is-active) echo {active};; esac\n")
    path.chmod(0o755)
    return str(path)


def enroll_locally(node_dir, *, confirmed=True):
    """Keys and a pinned center, as enrollment leaves them (no center needed for the doctor)."""
    from node.enroll import keys_path
    from node.facts import set_state
    from sync import crypto
    crypto.save_identity(crypto.generate_identity(), keys_path(node_dir))
    set_state("central_keys", json.dumps(crypto.generate_identity().public_keys().to_dict()))
    set_state("sync:last_contact", legaltime.now().isoformat(timespec="seconds"))
    if not confirmed:
        set_state("enroll:request", "cmVxdWVzdA==")


def test_a_fresh_enrolled_point_is_green(node_dir, tmp_path, sane_test_backend):
    enroll_locally(node_dir)
    from node.facts import set_state
    from node.heartbeat import LAST_BACKUP_KEY
    set_state(LAST_BACKUP_KEY, legaltime.now().isoformat(timespec="seconds"))
    checks = doctor.run_checks(node_dir, systemctl=fake_systemctl(tmp_path, "enabled", "active"))
    assert {c.name: c.level for c in checks} == {c.name: OK for c in checks}, \
        [c for c in checks if c.level != OK]
    assert [c.name for c in checks] == ["disk", "integrity", "wal", "clock", "keys", "enrollment",
                                        "rules", "backlog", "contact", "backup", "scanner",
                                        "service"]


def test_disk_fails_when_scans_will_fill_it_within_days(node_dir, monkeypatch):
    from node.models import Blob
    Blob.create(sha256="a" * 64, size=50 * 10**9, mime="image/jpeg", created_at=legaltime.now())
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda _: usage(10**12, 0, 40 * 10**9))
    check = doctor.check_disk(node_dir, legaltime.now())
    assert check.level == FAIL and "ngày" in check.message and "purge-scans" in check.hint
    monkeypatch.setattr(shutil, "disk_usage", lambda _: usage(10**12, 0, 500 * 10**6))
    Blob.delete().execute()
    assert doctor.check_disk(node_dir, legaltime.now()).level == FAIL     # < 1 GB free


def test_integrity_fails_on_a_damaged_database(tmp_path):
    from node.db import close_database, database_path, open_database
    from node.setup import init_node
    d = tmp_path / "n"
    init_node(d, "07024", "Quan Lạn")
    from node.reception import receive_dossier
    for _ in range(30):
        receive_dossier(dossier_body(), "t")
    root = None
    from node.db import db
    db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    root = db.execute_sql("SELECT rootpage FROM sqlite_master WHERE name='dossier'").fetchone()[0]
    page = db.execute_sql("PRAGMA page_size").fetchone()[0]
    close_database()
    with open(database_path(d), "r+b") as fh:      # scribble over the dossier table's root page
        fh.seek((root - 1) * page + 8)
        fh.write(os.urandom(page - 8))
    open_database(d)
    check = doctor.check_integrity()
    assert check.level == FAIL and "restore" in check.hint
    checks = by_name(doctor.run_checks(d))            # every check still answers, none raises
    assert checks["integrity"].level == FAIL and len(checks) == 12


def test_wal_warns_when_it_grows(node_dir, monkeypatch):
    monkeypatch.setattr(doctor, "WAL_WARN_BYTES", 1)
    from node.reception import receive_dossier
    receive_dossier(dossier_body(), "t")
    assert doctor.check_wal(node_dir).level == WARNING


def test_clock_off_from_the_center_or_set_back(node_dir):
    from node.facts import set_state
    from sync import hlc
    now_ms = int(legaltime.to_ms(legaltime.now()))
    set_state("clock:center_offset_ms", str(3 * 3_600_000))
    assert doctor.check_clock(now_ms).level == WARNING
    set_state("clock:center_offset_ms", str(-3 * 86_400_000))
    assert doctor.check_clock(now_ms).level == FAIL
    set_state("clock:center_offset_ms", "2000")
    assert doctor.check_clock(now_ms).level == OK
    set_state("hlc", str(hlc.Stamp(now_ms + 2 * 86_400_000, 0)))   # stamps from the future: turned back
    check = doctor.check_clock(now_ms)
    assert check.level == FAIL and "lùi" in check.message


def test_keys_missing_readable_or_old(node_dir):
    from node.enroll import keys_path
    enroll_locally(node_dir)
    path = keys_path(node_dir)
    os.chmod(path, 0o644)
    assert doctor.check_keys(node_dir, legaltime.now()).level == FAIL
    os.chmod(path, 0o600)
    assert doctor.check_keys(node_dir, legaltime.now() + timedelta(days=3 * 365)).level == WARNING
    path.unlink()
    assert doctor.check_keys(node_dir, legaltime.now()).level == FAIL


def test_enrollment_waiting_for_the_center(node_dir):
    assert doctor.check_enrollment().level == WARNING          # alone
    enroll_locally(node_dir, confirmed=False)
    check = doctor.check_enrollment()
    assert check.level == WARNING and "chưa xác nhận" in check.message
    from node.enroll import forget_request
    forget_request()
    assert doctor.check_enrollment().level == OK


def test_calendar_horizon(node_dir):
    from node.models import Holiday
    last = Holiday.select().order_by(Holiday.day.desc()).first().day
    assert doctor.check_rules(last - timedelta(days=30)).level == WARNING
    check = doctor.check_rules(last + timedelta(days=1))
    assert check.level == FAIL and "holiday set" in check.hint


def test_old_backlog(node_dir):
    from node.reception import receive_dossier
    receive_dossier(dossier_body(), "t", now=legaltime.now() - timedelta(days=3))
    assert doctor.check_backlog(legaltime.now()).level == WARNING
    assert doctor.check_backlog(legaltime.now() + timedelta(days=20)).level == FAIL
    assert doctor.check_backlog(legaltime.now() - timedelta(days=3)).level == OK


def test_last_error_and_silence(node_dir):
    from node.facts import set_state
    enroll_locally(node_dir)
    assert doctor.check_contact(legaltime.now()).level == OK
    assert doctor.check_contact(legaltime.now() + timedelta(days=10)).level == WARNING
    set_state("sync:last_error", "Không kết nối được.")
    check = doctor.check_contact(legaltime.now())
    assert check.level == WARNING and "Không kết nối được" in check.message


@pytest.fixture
def sane_test_backend(tmp_path, monkeypatch):
    if shutil.which("scanimage") is None:
        pytest.skip("sane-utils not installed (scripts/test.sh installs it)")
    conf = tmp_path / "sane"
    conf.mkdir()
    (conf / "dll.conf").write_text("test\n")
    shutil.copy("/etc/sane.d/test.conf", conf / "test.conf")
    monkeypatch.setenv("SANE_CONFIG_DIR", str(conf))
    return conf


def test_backup_age_and_last_scheduled_failure(node_dir):
    from node.backup_schedule import ERROR_KEY
    from node.facts import set_state
    from node.heartbeat import LAST_BACKUP_KEY
    now = legaltime.now()
    check = doctor.check_backup(now)
    assert check.level == WARNING and "Chưa có" in check.message and "BACKUP_DIR" in check.hint
    set_state(LAST_BACKUP_KEY, (now - timedelta(hours=3)).isoformat(timespec="seconds"))
    assert doctor.check_backup(now).level == OK
    set_state(LAST_BACKUP_KEY, (now - timedelta(days=3)).isoformat(timespec="seconds"))
    assert doctor.check_backup(now).level == WARNING
    set_state(LAST_BACKUP_KEY, (now - timedelta(days=20)).isoformat(timespec="seconds"))
    check = doctor.check_backup(now)
    assert check.level == FAIL and "480 giờ" in check.message
    set_state(LAST_BACKUP_KEY, (now - timedelta(hours=3)).isoformat(timespec="seconds"))
    set_state(ERROR_KEY, "2026-12-01 12:00 không thấy thư mục sao lưu /media/usb")
    check = doctor.check_backup(now)
    assert check.level == WARNING and "/media/usb" in check.message


def test_scanner_found_or_not(tmp_path, monkeypatch, sane_test_backend):
    assert doctor.check_scanner().level == OK
    empty = tmp_path / "nosane"
    empty.mkdir()
    (empty / "dll.conf").write_text("")
    monkeypatch.setenv("SANE_CONFIG_DIR", str(empty))
    assert doctor.check_scanner().level == WARNING
    assert doctor.check_scanner(scanimage=str(tmp_path / "missing")).level == WARNING


def test_service_disabled_or_dead(tmp_path):
    from motcua.health import check_service
    unit = "motcua-node.service"
    assert check_service(unit, fake_systemctl(tmp_path, "disabled", "inactive")).level == WARNING
    assert check_service(unit, fake_systemctl(tmp_path, "enabled", "failed")).level == FAIL
    assert check_service(unit, fake_systemctl(tmp_path, "enabled", "active")).level == OK


def test_cli_json_and_exit_status_is_the_worst(node_dir, monkeypatch):
    from node.models import Holiday
    runner = CliRunner()
    r = runner.invoke(main, ["node", "doctor", "--data-dir", str(node_dir), "--json"])
    body = json.loads(r.output)
    assert body["worst"] == WARNING and r.exit_code == 1        # not enrolled: warnings only
    Holiday.delete().execute()                                  # no calendar: deadlines wrong
    r = runner.invoke(main, ["node", "doctor", "--data-dir", str(node_dir)])
    assert r.exit_code == 2 and "LỖI" in r.output and "Kết quả: LỖI" in r.output


def test_central_doctor(tmp_path, backend):
    """On either backend (`backend` is None for SQLite, else a PostgreSQL URL `init` records)."""
    runner = CliRunner()
    d = tmp_path / "c"
    url = ["--database-url", backend] if backend else []
    assert runner.invoke(main, ["central", "init", "--data-dir", str(d), *url]).exit_code == 0
    r = runner.invoke(main, ["central", "doctor", "--data-dir", str(d), "--json"])
    checks = {c["name"]: c for c in json.loads(r.output)["checks"]}
    assert checks["keys"]["level"] == OK and checks["integrity"]["level"] == OK
    assert ("PostgreSQL" in checks["integrity"]["message"]) == bool(backend)
    os.chmod(d / "central_keys.json", 0o644)
    r = runner.invoke(main, ["central", "doctor", "--data-dir", str(d)])
    assert r.exit_code == 2 and "khóa" in r.output
