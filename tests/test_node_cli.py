"""The technician's commands: init, users, tokens, status, holidays — and their refusals."""
from __future__ import annotations

import json

from click.testing import CliRunner

from motcua.cli import main


def run(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


def test_init_user_token_status(tmp_path):
    d = tmp_path / "n"
    out = run("node", "init", "--data-dir", d, "--unit-code", "07006", "--name", "Minh Châu")
    assert out.exit_code == 0 and "14 thủ tục" in out.output
    assert run("node", "user", "add", "--data-dir", d, "--username", "hoa",
               input="mat-khau-dai-1\n").exit_code == 0
    token = run("node", "token", "create", "--data-dir", d, "--username", "hoa").output.strip()
    assert token.startswith("mc_") and len(token) > 30
    status = json.loads(run("node", "status", "--data-dir", d, "--json").output)
    assert status["unit_code"] == "07006" and status["pending_events"] == 0


def test_refusals_are_one_line_and_nonzero(tmp_path):
    d = tmp_path / "n"
    bad_unit = run("node", "init", "--data-dir", d, "--unit-code", "Quan Lạn!", "--name", "x")
    assert bad_unit.exit_code != 0 and "Mã đơn vị" in bad_unit.output
    run("node", "init", "--data-dir", d, "--unit-code", "07024", "--name", "Quan Lạn")
    other = run("node", "init", "--data-dir", d, "--unit-code", "07006", "--name", "Minh Châu")
    assert other.exit_code != 0 and "07024" in other.output
    weak = run("node", "user", "add", "--data-dir", d, "--username", "hoa", input="ngan\n")
    assert weak.exit_code != 0 and "8 ký tự" in weak.output
    nobody = run("node", "token", "create", "--data-dir", d, "--username", "ma")
    assert nobody.exit_code != 0 and "Không có người dùng" in nobody.output
    uninit = run("node", "status", "--data-dir", tmp_path / "empty")
    assert uninit.exit_code != 0 and "node init" in uninit.output


def test_holiday_edit_changes_new_due_dates(tmp_path):
    from datetime import datetime

    from node import reception
    from tests.conftest import dossier_body
    d = tmp_path / "n"
    run("node", "init", "--data-dir", d, "--unit-code", "07024", "--name", "Quan Lạn")
    listed = run("node", "holiday", "list", "--data-dir", d, "--year", "2026").output
    assert "2026-04-27" in listed and "in_lieu" in listed
    # Friday 2026-08-28 15:30, a same-day procedure: due Monday 31 Aug … unless 31 Aug is a day off.
    friday = datetime(2026, 8, 28, 15, 30)
    assert reception.receive_dossier(dossier_body(), "t", now=friday).due_at.date().isoformat() \
        == "2026-08-31"
    assert run("node", "holiday", "set", "--data-dir", d, "--date", "2026-08-31", "--kind",
               "day_off", "--name", "Nghỉ hoán đổi").exit_code == 0
    assert reception.receive_dossier(dossier_body(), "t", now=friday).due_at.date().isoformat() \
        == "2026-09-03"
    assert run("node", "holiday", "remove", "--data-dir", d, "--date", "2026-08-31").exit_code == 0
    assert run("node", "holiday", "remove", "--data-dir", d, "--date", "2026-08-31").exit_code != 0


def test_every_node_command_has_help_with_an_example():
    for path in (["node", "init"], ["node", "serve"], ["node", "user", "add"],
                 ["node", "token", "create"], ["node", "status"], ["node", "verify"],
                 ["node", "holiday", "set"]):
        out = run(*path, "--help")
        assert out.exit_code == 0 and "Example:" in out.output, path


def test_council_fee_set_and_list(tmp_path):
    from node.db import close_database
    d = tmp_path / "n"
    run("node", "init", "--data-dir", d, "--unit-code", "07024", "--name", "Quan Lạn")
    listed = run("node", "fee", "list", "--data-dir", d).output
    assert "1.004873" in listed and "HĐND tỉnh quy định, chưa nhập" in listed
    assert "2.000815" in listed and "1.000 đ/trang từ trang 3" in listed
    out = run("node", "fee", "set", "--data-dir", d, "--procedure", "1.004873", "--vnd", "15000",
              "--from", "01/01/2026", "--source", "NQ 12/2025/NQ-HĐND")
    assert out.exit_code == 0 and "01/01/2026" in out.output
    listed = run("node", "fee", "list", "--data-dir", d).output
    assert "15.000 đ/hồ sơ" in listed and "NQ 12/2025/NQ-HĐND" in listed
    fixed = run("node", "fee", "set", "--data-dir", d, "--procedure", "1.004222", "--vnd", "1",
                "--from", "01/01/2026")
    assert fixed.exit_code != 0 and "trong danh mục" in fixed.output
    bad = run("node", "fee", "set", "--data-dir", d, "--procedure", "1.004873", "--rule",
              '{"kind": "per_minute"}', "--from", "01/01/2026")
    assert bad.exit_code != 0 and "không hợp lệ" in bad.output and "Traceback" not in bad.output
    close_database()
