"""The systemd units shipped in the package: filled in, installed by the CLI, checked by
`systemd-analyze verify`."""
from __future__ import annotations

import shutil
import subprocess

import pytest
from click.testing import CliRunner

from motcua.cli import main


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.mark.parametrize("side", ["node", "central"])
def test_install_service_writes_a_hardened_unit(tmp_path, side):
    d = tmp_path / "data"
    if side == "node":
        init = run("node", "init", "--data-dir", d, "--unit-code", "07024", "--name", "Quan Lạn")
        assert init.exit_code == 0, init.output
    else:
        assert run("central", "init", "--data-dir", d).exit_code == 0
    units = tmp_path / "units"
    units.mkdir()
    r = run(side, "install-service", "--data-dir", d, "--unit-dir", units, "--no-enable", "--port", 8811)
    assert r.exit_code == 0, r.output
    text = (units / f"motcua-{side}.service").read_text()
    for line in ("Restart=on-failure", "WantedBy=multi-user.target", "ProtectSystem=strict",
                 f"ReadWritePaths={d}", "User=motcua", "StandardError=journal", "NoNewPrivileges=yes",
                 f"serve --data-dir {d} --host 0.0.0.0 --port 8811"):
        assert line in text, line
    exe = text.split("ExecStart=", 1)[1].split()[0]
    assert exe.startswith("/") and subprocess.run([exe, "--help"], capture_output=True).returncode == 0
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze not installed (apt-get install systemd)")
    # verify wants the user to exist on this machine: check a copy running as root.
    (units / "check.service").write_text(text.replace("User=motcua-central", "User=root")
                                         .replace("Group=motcua-central", "Group=root")
                                         .replace("User=motcua", "User=root")
                                         .replace("Group=motcua", "Group=root"))
    result = subprocess.run(["systemd-analyze", "verify", str(units / "check.service")],
                            capture_output=True, text=True, timeout=60)
    # systemd-analyze exits 0 on an unknown key or a bad value ("…, ignoring"): read what it says.
    problems = [line for line in result.stderr.splitlines()
                if any(word in line for word in ("Unknown", "Invalid", "Failed", "ignoring"))]
    assert result.returncode == 0 and problems == [], result.stderr


def test_install_service_refuses_a_path_with_spaces(tmp_path):
    d = tmp_path / "có khoảng trắng"
    assert run("node", "init", "--data-dir", d, "--unit-code", "07024", "--name", "X").exit_code == 0
    r = run("node", "install-service", "--data-dir", d, "--unit-dir", tmp_path, "--no-enable")
    assert r.exit_code != 0 and "khoảng trắng" in r.output
