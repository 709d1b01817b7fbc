"""A USB stick that passed through other hands: symlinks, special files, wrong types, a read-only
or full stick. Nothing off the stick is read, written or deleted; every refusal is one reason and
the good parcels still go; a stick that cannot be written is one Vietnamese line, no traceback.
"""
from __future__ import annotations

import errno
import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.sync_env import Center, add_dossiers, center, closing_node_db, make_node  # noqa: F401  (fixtures)
from tests.test_ferry import center_state, export, node_import, pending, use

pytestmark = pytest.mark.slow

HEX_A, HEX_B, HEX_C = "a" * 64, "b" * 64, "c" * 64


def run(*args, timeout: float = 60) -> subprocess.CompletedProcess:
    """`python -m motcua …` with a deadline: a hang is a failure, not a stuck suite."""
    return subprocess.run([sys.executable, "-m", "motcua", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout)


def snapshot(folder: Path) -> dict:
    """Every entry under `folder` (not following links): kind and bytes."""
    out = {}
    for path in sorted(folder.rglob("*")):
        mode = path.lstat().st_mode
        out[str(path.relative_to(folder))] = (path.read_bytes() if stat.S_ISREG(mode)
                                              else stat.S_IFMT(mode))
    return out


def no_traceback(proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr


def said(proc: subprocess.CompletedProcess) -> list[str]:
    """What the command told the person on stderr (log records, which go there too, left out)."""
    return [line for line in proc.stderr.strip().splitlines()
            if line and not re.match(r"\d{4}-\d\d-\d\d \d\d:", line)]


def test_symlinked_lanes_never_lead_off_the_stick(center, tmp_path, closing_node_db):
    stick = tmp_path / "usb"
    outside = tmp_path / "outside"                 # say, the center's own folder
    (outside / "receipts").mkdir(parents=True)
    (outside / "victim.mcp").write_bytes(b"a file that is not on the stick")
    (outside / "receipts" / f"{HEX_A}.json").write_bytes(b"{}")
    (outside / ".old.1234.tmp").write_bytes(b"not a leftover of ours")
    before = snapshot(outside)
    a = make_node(tmp_path, "07001", "A", center.url, center.token("07001"))
    add_dossiers(a, 2)
    b = make_node(tmp_path, "07002", "B", center.url, center.token("07002"))
    add_dossiers(b, 1)
    export(a, stick)
    export(b, stick)
    root = stick / "motcua"
    (root / "07001" / "down").symlink_to(outside, target_is_directory=True)   # a lane
    (root / "07003").symlink_to(outside, target_is_directory=True)            # a whole point
    (root / "07002" / "up" / "receipts").rmdir()
    (root / "07002" / "up" / "receipts").symlink_to(outside / "receipts")     # a lane's folder
    c = make_node(tmp_path, "07004", "C", center.url, center.token("07004"))
    add_dossiers(c, 1)
    export(c, stick)

    proc = run("central", "import", "--data-dir", center.dir, "--from", stick)
    no_traceback(proc)
    assert proc.returncode == 1 and "liên kết" in proc.stdout, proc.stdout
    assert snapshot(outside) == before                      # nothing written or deleted there
    state = center_state(center)
    assert state["by_origin"]["07001"] == 0 and state["by_origin"]["07002"] == 0
    assert state["events"] >= 1 and (root / "07004" / "down" / "receipts").is_dir()   # C went
    assert (root / "07001" / "down").is_symlink()           # left for a person to look at

    proc = run("central", "export", "--data-dir", center.dir, "--to", stick)
    no_traceback(proc)
    assert snapshot(outside) == before

    use(a)
    proc = run("node", "export", "--data-dir", a, "--to", stick)     # its own down lane: refused
    no_traceback(proc)
    assert proc.returncode == 1 and len(said(proc)) == 1, proc.stderr
    assert "liên kết" in proc.stderr
    (root / "07001" / "down").unlink()
    up = root / "07001" / "up"
    up.rename(tmp_path / "real-up")
    up.symlink_to(outside, target_is_directory=True)
    proc = run("node", "export", "--data-dir", a, "--to", stick)
    no_traceback(proc)
    assert proc.returncode == 1 and "liên kết" in proc.stderr, proc.stderr
    proc = run("node", "import", "--data-dir", a, "--from", stick)
    no_traceback(proc)
    assert proc.returncode == 1 and "liên kết" in proc.stderr, proc.stderr
    assert snapshot(outside) == before
    proc = run("parcel", "verify", stick)
    no_traceback(proc)
    assert proc.returncode == 1 and "liên kết" in proc.stdout, proc.stdout
    assert pending(a) == 2                                   # nothing lost on the point


def test_special_files_and_wrong_types_are_refused_and_the_rest_goes(center, tmp_path,
                                                                      closing_node_db):
    from sync import stickfs as stickmod
    stick = tmp_path / "usb"
    a = make_node(tmp_path, "07001", "A", center.url, center.token("07001"))
    add_dossiers(a, 2)
    export(a, stick)
    up = stick / "motcua" / "07001" / "up"
    (up / "zero.mcp").symlink_to("/dev/zero")               # reads until memory runs out
    os.mkfifo(up / "fifo.mcp")                               # hangs whoever opens it
    (up / "folder.mcp").mkdir()                              # a folder named like a parcel
    (up / "folder.mcp" / "inside").write_bytes(b"x")
    (up / "receipts").mkdir(exist_ok=True)
    (up / "receipts" / f"{HEX_A}.json").mkdir()              # ... and like a receipt
    os.mkfifo(up / "receipts" / f"{HEX_B}.json")
    (up / "receipts" / f"{HEX_C}.json").symlink_to("/dev/zero")
    (up / "enroll-request.json").symlink_to("/dev/zero")
    huge = up / "huge.mcp"
    with open(huge, "wb") as handle:                         # sparse: costs no disk
        handle.truncate(stickmod.MAX_PARCEL_BYTES + 1)

    started = time.monotonic()
    proc = run("central", "import", "--data-dir", center.dir, "--from", stick)
    no_traceback(proc)
    assert time.monotonic() - started < 30                   # refused, not read
    assert proc.returncode == 1
    for name in ("zero.mcp", "fifo.mcp", "folder.mcp", "huge.mcp", f"{HEX_A}.json",
                 f"{HEX_B}.json", f"{HEX_C}.json", "enroll-request.json"):
        assert name in proc.stdout, (name, proc.stdout)
    assert "1 gói áp dụng (2 sự kiện)" in proc.stdout, proc.stdout
    assert center_state(center)["by_origin"]["07001"] == 2

    proc = run("parcel", "verify", stick)
    no_traceback(proc)
    assert proc.returncode == 1 and "fifo.mcp" in proc.stdout and "huge.mcp" in proc.stdout

    down = stick / "motcua" / "07001" / "down"
    os.mkfifo(down / "fifo.mcp")
    (down / "zero.mcp").symlink_to("/dev/zero")
    (down / "folder.mcp").mkdir()
    (down / "receipts").mkdir(exist_ok=True)
    (down / "receipts" / f"{HEX_A}.json").mkdir()
    (down / "rotate-answer.json").symlink_to("/dev/zero")
    report = node_import(a, stick)
    refused = {name for name, _, _ in report.refused}
    assert {"fifo.mcp", "zero.mcp", "folder.mcp", f"{HEX_A}.json"} <= refused, report.lines()
    assert report.counts["acked_parcels"] == 1 and pending(a) == 0

    add_dossiers(a, 1)
    report = export(a, stick)                                # prunes only regular files
    assert report.counts["parcels"] == 1
    assert stat.S_ISFIFO((up / "fifo.mcp").lstat().st_mode)
    assert (up / "zero.mcp").is_symlink() and (up / "folder.mcp" / "inside").exists()
    assert (up / "receipts" / f"{HEX_A}.json").is_dir()
    assert stat.S_ISCHR(os.stat("/dev/zero").st_mode)
    assert any(name == "folder.mcp" for name, _ in report.ignored), report.lines()
    proc = run("central", "import", "--data-dir", center.dir, "--from", stick)
    no_traceback(proc)
    assert center_state(center)["by_origin"]["07001"] == 3


def test_bounded_read_refuses_without_reading(tmp_path):
    from sync import stickfs as stickmod
    (tmp_path / "zero.mcp").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "fifo.mcp")
    (tmp_path / "dir.mcp").mkdir()
    (tmp_path / "big.mcp").write_bytes(b"x" * 101)
    (tmp_path / "ok.mcp").write_bytes(b"x" * 100)
    codes = {}
    for name in ("zero.mcp", "fifo.mcp", "dir.mcp", "big.mcp"):
        with pytest.raises(stickmod.StickRefused) as caught:
            stickmod.read_file(tmp_path / name, limit=100)
        codes[name] = caught.value.reason
    assert codes == {"zero.mcp": "symlink", "fifo.mcp": "special_file", "dir.mcp": "not_a_file",
                     "big.mcp": "too_large"}
    assert stickmod.read_file(tmp_path / "ok.mcp", limit=100) == b"x" * 100
    try:                                                     # /dev/zero itself, copied on
        os.mknod(tmp_path / "dev.mcp", 0o644 | stat.S_IFCHR, os.makedev(1, 5))
    except OSError:
        return                                               # not allowed here: symlink case above
    with pytest.raises(stickmod.StickRefused) as caught:
        stickmod.read_file(tmp_path / "dev.mcp", limit=100)
    assert caught.value.reason == "special_file"


def _fail_fsync_under(monkeypatch, folder: Path, code: int, only: str = "") -> None:
    """The stick's file system refuses at fsync (where ENOSPC and EIO often show up first), for
    files whose path holds `only`."""
    real = os.fsync
    folder = str(folder.resolve())

    def fsync(fd):
        path = os.readlink(f"/proc/self/fd/{fd}")
        if path.startswith(folder) and only in path:
            raise OSError(code, os.strerror(code))
        return real(fd)
    monkeypatch.setattr(os, "fsync", fsync)


def _leftovers(stick: Path) -> list[Path]:
    return [p for p in stick.rglob("*") if p.name.endswith(".tmp") or ".probe" in p.name]


def test_full_stick_is_one_line_and_nothing_half_written(center, tmp_path, closing_node_db,
                                                          monkeypatch):
    from motcua.errors import DomainError
    from webui.desk.ferry import FerryJob, _run
    stick = tmp_path / "usb"
    a = make_node(tmp_path, "07001", "A", center.url, center.token("07001"))
    add_dossiers(a, 2, scan_bytes=50_000)
    export(a, stick)
    assert run("central", "import", "--data-dir", center.dir, "--from", stick).returncode == 0
    add_dossiers(a, 1)
    with monkeypatch.context() as patch:
        _fail_fsync_under(patch, stick, errno.ENOSPC)
        with pytest.raises(DomainError) as caught:
            export(a, stick)
        assert "đầy" in caught.value.message_vi and "\n" not in caught.value.message_vi
        assert not _leftovers(stick)
        with pytest.raises(DomainError) as caught:
            node_import(a, stick)
        assert "đầy" in caught.value.message_vi
        assert pending(a) == 5                               # nothing acknowledged half-way
        job = FerryJob("export", str(stick))
        _run(job, str(a), None)                              # the clerk's USB page
        assert job.state == "failed" and "đầy" in job.error and "Errno" not in job.error
    lane = stick / "motcua" / "07001" / "up"
    before = snapshot(lane)
    with monkeypatch.context() as patch:             # full once the new parcel is being written
        _fail_fsync_under(patch, stick, errno.ENOSPC, only=".mcp.")
        with pytest.raises(DomainError) as caught:
            export(a, stick)
        assert "đầy" in caught.value.message_vi
    assert not _leftovers(stick) and snapshot(lane) == before     # no half file, no .tmp
    with monkeypatch.context() as patch:
        _fail_fsync_under(patch, stick, errno.EIO)
        with pytest.raises(DomainError) as caught:
            export(a, stick)
        assert "USB" in caught.value.message_vi and not _leftovers(stick)
    assert not _leftovers(stick)
    node_import(a, stick)                                    # the stick works again
    assert pending(a) == 1


@pytest.fixture
def small_mount(tmp_path):
    """A tiny tmpfs (root in a sandbox that allows mounts); skipped where it cannot be had."""
    where = tmp_path / "mnt"
    where.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs",
                                            str(where)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here")
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)


def test_read_only_and_full_sticks_on_the_command_line(center, tmp_path, closing_node_db,
                                                       small_mount):
    a = make_node(tmp_path, "07001", "A", center.url, center.token("07001"))
    add_dossiers(a, 2)
    export(a, small_mount)
    before = center_state(center)
    subprocess.run(["mount", "-o", "remount,ro", str(small_mount)], check=True)
    for args in (("central", "import", "--data-dir", center.dir, "--from", small_mount),
                 ("node", "export", "--data-dir", a, "--to", small_mount),
                 ("node", "import", "--data-dir", a, "--from", small_mount),
                 ("central", "export", "--data-dir", center.dir, "--to", small_mount)):
        proc = run(*args)
        no_traceback(proc)
        assert proc.returncode == 1 and "chỉ đọc" in proc.stderr, (args, proc.stderr)
        assert len(said(proc)) == 1, proc.stderr
    assert center_state(center) == before                    # refused before ingesting anything
    subprocess.run(["mount", "-o", "remount,rw", str(small_mount)], check=True)
    with open(small_mount / "filler", "wb", buffering=0) as handle:   # the rest of it is full
        try:
            while True:
                handle.write(b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    proc = run("central", "import", "--data-dir", center.dir, "--from", small_mount)
    no_traceback(proc)
    assert proc.returncode == 1 and "đầy" in proc.stderr, proc.stderr
    assert center_state(center) == before
    assert not _leftovers(small_mount)
    (small_mount / "filler").unlink()
    proc = run("central", "import", "--data-dir", center.dir, "--from", small_mount)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert center_state(center)["by_origin"]["07001"] == 2


def test_parcel_commands_refuse_what_is_not_a_file(tmp_path):
    lane = tmp_path / "usb" / "motcua" / "07001" / "up"
    (lane / "receipts").mkdir(parents=True)
    (lane / "zero.mcp").symlink_to("/dev/zero")
    os.mkfifo(lane / "fifo.mcp")
    (lane / "manifest.json").symlink_to("/dev/zero")
    os.mkfifo(lane / "receipts" / f"{HEX_A}.json")
    proc = run("parcel", "inspect", lane, timeout=30)
    no_traceback(proc)
    assert proc.returncode == 1 and "zero.mcp: symlink" in proc.stderr, proc.stderr
    assert "fifo.mcp: special_file" in proc.stderr
    proc = run("parcel", "verify", tmp_path / "usb", timeout=30)
    no_traceback(proc)
    assert proc.returncode == 1
    for name in ("zero.mcp", "fifo.mcp", "manifest.json", f"{HEX_A}.json"):
        assert name in proc.stdout, (name, proc.stdout)
    elsewhere = tmp_path / "elsewhere"
    (tmp_path / "usb" / "motcua").rename(elsewhere)
    (tmp_path / "usb" / "motcua").symlink_to(elsewhere, target_is_directory=True)
    proc = run("parcel", "verify", tmp_path / "usb", timeout=30)
    no_traceback(proc)
    assert proc.returncode == 1 and "liên kết" in proc.stdout, proc.stdout
