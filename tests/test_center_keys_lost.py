"""A center whose `central_keys.json` is lost after points pinned its key refuses to start, in one
Vietnamese line with a non-zero exit, instead of quietly making new keys; `central init
--new-keys` is the explicit way out."""
from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

from motcua import legaltime
from tests.procs import free_port, motcua


def _run(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "motcua", *map(str, args)], capture_output=True,
                          text=True, timeout=60)


def test_lost_keys_refuse_to_start_unless_new_keys_are_asked_for(tmp_path):
    folder = tmp_path / "center"
    motcua("central", "init", "--data-dir", folder)
    keys = folder / "central_keys.json"
    first = keys.read_bytes()

    # A center no point knows yet may still lose its keys: new ones are simply made.
    keys.unlink()
    motcua("central", "init", "--data-dir", folder)
    assert keys.exists() and keys.read_bytes() != first
    first = keys.read_bytes()

    from central.db import close_database, open_database
    from central.enrollment import issue_enroll_token
    open_database(folder)
    try:
        issue_enroll_token("07024", "Quan Lạn", ttl=timedelta(hours=1), now=legaltime.now())
    finally:
        close_database()
    keys.unlink()

    for args in (["central", "serve", "--data-dir", folder, "--port", free_port()],
                 ["central", "init", "--data-dir", folder],
                 ["central", "export", "--data-dir", folder, "--to", tmp_path / "stick"]):
        r = _run(*args)
        assert r.returncode != 0, (args, r.stdout, r.stderr)
        lines = [line for line in r.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "Mất tệp khóa trung tâm" in lines[0], r.stderr
        assert "--new-keys" in lines[0] and "Traceback" not in r.stderr
        assert not keys.exists()

    out = _run("central", "init", "--data-dir", folder, "--new-keys")
    assert out.returncode == 0 and "ghi danh lại" in out.stderr
    assert keys.exists() and keys.read_bytes() != first
