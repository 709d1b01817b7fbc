"""The README's technician section, run as written against a real center: init, a clerk, enroll,
install the service, sync, back up, verify the backup, doctor. Only the two install lines (venv +
pip of the wheel) are skipped: this test runs in the already installed package. `systemctl` and
`useradd` are stand-ins on PATH (the test must not change this machine's services), recording
what they were asked."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.sync_env import Center

ROOT = Path(__file__).resolve().parent.parent


def technician_block() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Technician: from a new PC", 1)[1]
    return re.search(r"```bash\n(.*?)```", section, re.S).group(1)


@pytest.fixture
def center(tmp_path):
    c = Center(tmp_path).start()
    yield c
    c.stop()


def test_readme_technician_commands(center, tmp_path):
    block = technician_block()
    lines = [line for line in block.splitlines()
             if not line.startswith(("python3 -m venv", "export PATH=/opt/motcua"))]
    assert len(lines) == len(block.splitlines()) - 2          # exactly the two install lines
    fake = tmp_path / "bin"
    fake.mkdir()
    log = tmp_path / "calls.log"
    for name in ("systemctl", "useradd"):
        (fake / name).write_text(f'#!/bin/sh\necho "{name} $*" >> {log}\n')
        (fake / name).chmod(0o755)
    env = {**os.environ, "PATH": f"{fake}:{Path(sys.executable).parent}:{os.environ['PATH']}",
           "D": str(tmp_path / "var-lib-motcua"), "BACKUP": str(tmp_path / "backup"),
           "CENTER": center.url, "TOKEN": center.token("07024", "Quan Lạn"),
           "CLERK_PASSWORD": "mat-khau-dai-1", "BACKUP_PASSPHRASE": "cụm mật khẩu sao lưu dài",
           "MOTCUA_UNIT_DIR": str(tmp_path / "units"), "MOTCUA_SERVICE_USER": "root"}
    (tmp_path / "units").mkdir()
    (tmp_path / "backup").mkdir()
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", "\n".join(lines)], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Đã ghi danh điểm 07024" in out and "Kiểm tra xong" in out
    assert "[  tốt   ] enrollment" in out and "[  tốt   ] backlog" in out and "LỖI" not in out
    assert "systemctl enable --now motcua-node.service" in log.read_text()
    unit = (tmp_path / "units" / "motcua-node.service").read_text()
    assert f"ReadWritePaths={tmp_path / 'var-lib-motcua'} {tmp_path / 'backup'}" in unit
    assert len(list((tmp_path / "backup").glob("07024-*.mcb"))) == 1
    assert "[  tốt   ] backup" in out
    # The daily backup is set: the passphrase file is private and the node's jobs run it.
    d = tmp_path / "var-lib-motcua"
    assert (d / "backup.passphrase").stat().st_mode & 0o077 == 0
    from node import create_app
    from node.db import close_database
    try:
        app = create_app({"DATA_DIR": str(d)})
        assert app.config["BACKUP_DIR"] == str(tmp_path / "backup")
        assert "backup" in app.extensions["motcua.jobs"].names
    finally:
        close_database()
    from central.models import Point
    with center.db():
        assert Point.get(Point.unit_code == "07024").enrolled_at is not None
