"""`motcua central …` through click's CliRunner, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from central_fixtures import *  # noqa: F401,F403
from click.testing import CliRunner


@pytest.fixture
def center_dir(tmp_path, backend):
    from central.db import close_database
    from motcua.cli import main
    folder = tmp_path / "c"
    args = ["central", "init", "--data-dir", str(folder)]
    if backend:
        args += ["--database-url", backend]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    yield folder
    close_database()


def run(*args, input=None):
    from motcua.cli import main
    return CliRunner().invoke(main, ["central", *args], input=input)


def test_user_token_and_enroll_token(center_dir):
    d = str(center_dir)
    r = run("user", "add", "--data-dir", d, "--username", "hoa", "--role", "officer",
            input="mat-khau-dai-1\n")
    assert r.exit_code == 0 and "hoa" in r.output
    r = run("token", "create", "--data-dir", d, "--username", "hoa")
    assert r.exit_code == 0 and r.output.strip().startswith("mc_")
    from central.users import user_for_token
    assert user_for_token(r.output.strip()).username == "hoa"
    r = run("enroll-token", "--data-dir", d, "--unit-code", "07024", "--name", "Quan Lạn",
            "--ttl", "2h")
    assert r.exit_code == 0 and r.output.strip().startswith("enr_")


@pytest.mark.parametrize("args,input", [
    (["user", "add", "--username", "hoa", "--role", "officer"], "ngan\n"),
    (["user", "add", "--username", "hoa", "--role", "clerk"], "mat-khau-dai-1\n"),
    (["user", "add", "--username", "h o a", "--role", "officer"], "mat-khau-dai-1\n"),
    (["token", "create", "--username", "khong-co"], None),
    (["enroll-token", "--unit-code", "07024", "--name", "Quan Lạn", "--ttl", "ba ngày"], None),
    (["enroll-token", "--unit-code", "0 7", "--name", "Quan Lạn"], None),
    (["enroll-token", "--unit-code", "07024", "--name", "Quan Lạn", "--ttl", "90d"], None),
])
def test_bad_input_exits_non_zero_with_one_line(center_dir, args, input):
    r = run(*args[:2] if args[0] in ("user", "token") else args[:1], "--data-dir",
            str(center_dir), *(args[2:] if args[0] in ("user", "token") else args[1:]),
            input=input)
    assert r.exit_code != 0
    assert len([line for line in r.output.strip().splitlines() if line.startswith("Error")]) == 1


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_commands_need_an_initialised_folder(tmp_path, backend):
    r = run("token", "create", "--data-dir", str(tmp_path / "none"), "--username", "x")
    assert r.exit_code != 0 and "central init" in r.output


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_unreachable_database_is_one_line(tmp_path, backend):
    r = run("init", "--data-dir", str(tmp_path / "x"), "--database-url",
            "postgresql://postgres@127.0.0.1:1/nope")
    assert r.exit_code != 0 and r.output.count("\n") == 1


@pytest.mark.parametrize("command", [["init"], ["serve"], ["user", "add"], ["token", "create"],
                                     ["enroll-token"]])
def test_every_command_has_help_with_an_example(command):
    r = run(*command, "--help")
    assert r.exit_code == 0 and "Example:" in r.output and "motcua central" in r.output
