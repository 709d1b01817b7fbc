"""The technician's traps: each command checks its input before touching anything, makes no data
folder except `init`, answers a busy port or a bad URL or date with one Vietnamese line, and never
prints a traceback."""
from __future__ import annotations

import socket
import subprocess
import sys

import pytest
from click.testing import CliRunner

from motcua.cli import main


def run(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


def one_line_refusal(result) -> str:
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.strip().splitlines() if line.strip()]
    assert len([line for line in lines if line.startswith("Error")]) == 1, result.output
    return result.output


@pytest.fixture()
def point(tmp_path):
    d = tmp_path / "n"
    assert run("node", "init", "--data-dir", d, "--unit-code", "07024", "--name", "Quan Lạn").exit_code == 0
    return d


@pytest.mark.parametrize("code", ["abc", "0702", "070245", "07 024", "Quan Lạn!", ""])
def test_init_refuses_a_bad_unit_code_and_makes_nothing(tmp_path, code):
    d = tmp_path / "n"
    out = one_line_refusal(run("node", "init", "--data-dir", d, "--unit-code", code, "--name", "X"))
    assert "Mã đơn vị" in out and "07024" in out
    assert not d.exists()


def test_init_takes_an_agency_code_too(tmp_path):
    r = run("node", "init", "--data-dir", tmp_path / "n", "--unit-code", "000.00.04.H40", "--name", "X")
    assert r.exit_code == 0, r.output


def test_a_mistyped_unit_code_can_be_fixed_until_used(point):
    from node.facts import get_state
    from node.reception import receive_dossier
    from tests.conftest import dossier_body
    plain = one_line_refusal(run("node", "init", "--data-dir", point, "--unit-code", "07006",
                                 "--name", "Minh Châu"))
    assert "--fix-unit-code" in plain
    fixed = run("node", "init", "--data-dir", point, "--unit-code", "07006", "--name", "Minh Châu",
                "--fix-unit-code")
    assert fixed.exit_code == 0, fixed.output
    assert get_state("unit_code") == "07006"
    assert receive_dossier(dossier_body(), "t").code.startswith("07006-")
    used = one_line_refusal(run("node", "init", "--data-dir", point, "--unit-code", "07024",
                                "--name", "Quan Lạn", "--fix-unit-code"))
    assert "Không sửa được" in used and get_state("unit_code") == "07006"


@pytest.mark.parametrize("command", [["status"], ["sync"], ["verify"], ["user", "list"],
                                     ["holiday", "list"], ["doctor"], ["export", "--to", "/tmp/x-usb"]])
def test_commands_never_create_a_mistyped_data_dir(tmp_path, command):
    typo = tmp_path / "var-lib-motcau"
    head = 2 if command[0] in ("user", "holiday") else 1
    out = one_line_refusal(run("node", *command[:head], "--data-dir", typo, *command[head:]))
    assert "node init" in out
    assert not typo.exists()


def test_an_existing_empty_folder_gets_no_database(tmp_path):
    (tmp_path / "empty").mkdir()
    one_line_refusal(run("node", "status", "--data-dir", tmp_path / "empty"))
    assert list((tmp_path / "empty").iterdir()) == []


@pytest.mark.parametrize("typed,stored", [("31/08/2026", "2026-08-31"), ("2026-08-31", "2026-08-31"),
                                          ("1/9/2026", "2026-09-01")])
def test_holiday_dates_in_vietnamese_or_iso(point, typed, stored):
    r = run("node", "holiday", "set", "--data-dir", point, "--date", typed, "--kind", "day_off",
            "--name", "Nghỉ hoán đổi")
    assert r.exit_code == 0, r.output
    assert stored in run("node", "holiday", "list", "--data-dir", point, "--year", "2026").output


@pytest.mark.parametrize("typed", ["31/02/2026", "08/31/2026", "mai", "2026-13-01"])
def test_holiday_bad_date_is_vietnamese(point, typed):
    out = one_line_refusal(run("node", "holiday", "set", "--data-dir", point, "--date", typed,
                               "--kind", "day_off", "--name", "x"))
    assert "dd/mm/yyyy" in out and "strptime" not in out and "does not match" not in out


@pytest.mark.parametrize("url", ["10.0.0.5:8700", "ftp://10.0.0.5", "http://", "localhost"])
def test_enroll_refuses_a_url_without_scheme_before_anything(point, url):
    out = one_line_refusal(run("node", "enroll", "--data-dir", point, "--central", url, "--token", "enr_x"))
    assert "http://" in out and "No connection adapters" not in out
    assert not (point / "node_keys.json").exists()


def test_enroll_unreachable_center_says_it_plainly(point):
    with socket.socket() as s:           # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = one_line_refusal(run("node", "enroll", "--data-dir", point, "--central",
                               f"http://127.0.0.1:{port}", "--token", "enr_x"))
    assert "không kết nối được" in out and "HTTPConnectionPool" not in out and "Errno" not in out


def test_serve_on_a_busy_port_is_one_line(point):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run([sys.executable, "-m", "motcua", "node", "serve", "--data-dir",
                               str(point), "--port", str(port)], capture_output=True, text=True,
                              timeout=60)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr and "serving on" not in proc.stderr
    assert f"Cổng {port}" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_central_serve_on_a_busy_port_is_one_line(tmp_path):
    d = tmp_path / "c"
    assert run("central", "init", "--data-dir", d).exit_code == 0
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = one_line_refusal(run("central", "serve", "--data-dir", d, "--port", port))
    assert f"Cổng {port}" in out


def test_an_unforeseen_error_is_one_vietnamese_line(point, monkeypatch):
    import node.sync_status
    monkeypatch.setattr(node.sync_status, "status_dict", lambda: 1 / 0)
    out = one_line_refusal(run("node", "status", "--data-dir", point))
    assert "Lỗi không mong đợi (ZeroDivisionError" in out and "motcua -v" in out


def test_central_enroll_token_checks_the_unit_code(tmp_path):
    d = tmp_path / "c"
    assert run("central", "init", "--data-dir", d).exit_code == 0
    out = one_line_refusal(run("central", "enroll-token", "--data-dir", d, "--unit-code", "abc",
                               "--name", "X"))
    assert "Mã đơn vị" in out


def test_demo_prints_progress_before_its_first_server(tmp_path):
    """The demo says what it is doing from its first second (it used to be silent ~50 s)."""
    import time
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "motcua", "demo", "--port", str(port),
                             "--data-dir", str(tmp_path / "demo")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        started = time.monotonic()
        first = proc.stderr.readline()
        second = proc.stderr.readline()
        assert time.monotonic() - started < 30
    finally:
        proc.terminate()                 # SIGTERM stops the demo and its children
        proc.wait(60)
    assert "Khởi động demo" in first and "Tạo trung tâm" in second
