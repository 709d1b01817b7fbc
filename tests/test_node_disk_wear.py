"""Disk wear on a point (issue "The technician's kit"): a clerk's commit writes few bytes to the
WAL, an older database is rebuilt with small pages once and only when no one else holds it, and
the center's clock offset is not rewritten for every receipt."""
from __future__ import annotations

import io
import shutil
import sqlite3
import time
from pathlib import Path

from tests.conftest import dossier_body, png_bytes

FIXTURE = Path(__file__).parent / "fixtures" / "previous-node.db"


def _wal_bytes_of(data_dir: Path, action) -> int:
    from node.db import db
    db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    action()
    return (data_dir / "node.db-wal").stat().st_size


def test_a_clerks_commit_writes_a_few_kilobytes_not_sixty(node_dir):
    """Attaching a scan touches 15 pages (row, indexes, journal, clock): with 4 KiB pages that
    was 60 KiB of WAL per scan, fsynced; with 1 KiB pages it is under 20 KiB."""
    from node.db import PAGE_SIZE, db
    from node.reception import attach_scan, receive_dossier
    from node.scans import BlobStore
    assert db.execute_sql("PRAGMA page_size").fetchone()[0] == PAGE_SIZE == 1024
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute_sql("PRAGMA synchronous").fetchone()[0] == 2          # FULL, as before
    store = BlobStore(node_dir / "scans")
    codes = []
    received = _wal_bytes_of(node_dir, lambda: codes.append(receive_dossier(dossier_body(), "lan").code))
    attached = _wal_bytes_of(node_dir, lambda: attach_scan(codes[0], png_bytes(3000), "1.001193-d1",
                                                           "lan", store, max_bytes=10**6))
    assert attached < 20 * 1024, attached
    assert received < 28 * 1024, received


def _old_point(tmp_path: Path) -> Path:
    folder = tmp_path / "old"
    folder.mkdir()
    shutil.copy(FIXTURE, folder / "node.db")
    return folder


def test_an_older_database_is_rebuilt_with_small_pages_once(tmp_path):
    from node.db import close_database, open_database, shrink_pages
    folder = _old_point(tmp_path)
    before = sqlite3.connect(folder / "node.db")
    assert before.execute("PRAGMA page_size").fetchone()[0] == 4096
    rows = before.execute("SELECT uid, status, updated_hlc FROM dossier ORDER BY uid").fetchall()
    before.close()
    database = open_database(folder)
    try:
        assert database.execute_sql("PRAGMA page_size").fetchone()[0] == 1024
        assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert database.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert database.execute_sql("SELECT uid, status, updated_hlc FROM dossier "
                                    "ORDER BY uid").fetchall() == rows
        assert database.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 10000
        assert shrink_pages(database) is False                   # once
    finally:
        close_database()


def test_the_rebuild_waits_while_another_process_holds_the_database(tmp_path):
    """`node status` while `node serve` runs must neither wait nor break anything: the rebuild is
    left for an open with the file to itself."""
    from node.db import close_database, open_database
    folder = _old_point(tmp_path)
    other = sqlite3.connect(folder / "node.db")
    other.execute("PRAGMA journal_mode = WAL")
    other.execute("SELECT count(*) FROM dossier").fetchone()      # holds the WAL open
    started = time.monotonic()
    database = open_database(folder)
    try:
        assert time.monotonic() - started < 3
        assert database.execute_sql("PRAGMA page_size").fetchone()[0] == 4096
        assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert database.execute_sql("SELECT count(*) FROM dossier").fetchone()[0] == 4
    finally:
        close_database()
        other.close()
    database = open_database(folder)
    try:
        assert database.execute_sql("PRAGMA page_size").fetchone()[0] == 1024
    finally:
        close_database()


def test_the_center_offset_is_written_only_when_it_moves(node_dir):
    """Every signed receipt tells the center's time; the offset kept to the second is what the
    clock checks use, so a receipt that moves it less than that writes nothing."""
    from node.db import db
    from node.facts import get_state
    from node.journal import CENTER_OFFSET_KEY, note_center_time
    from sync.hlc import Stamp
    local = 1_800_000_000_000
    note_center_time(str(Stamp(local + 5_000, 0)), local_ms=local)
    assert get_state(CENTER_OFFSET_KEY) == "5000"
    changes = db.execute_sql("SELECT total_changes()").fetchone()[0]
    for jitter in (120, -300, 900):           # link latency: the same offset to the second
        note_center_time(str(Stamp(local + 5_000 + jitter, 0)), local_ms=local)
    assert db.execute_sql("SELECT total_changes()").fetchone()[0] == changes
    assert get_state(CENTER_OFFSET_KEY) == "5000"
    note_center_time(str(Stamp(local - 7_200_000, 0)), local_ms=local)    # the PC's clock jumped
    assert get_state(CENTER_OFFSET_KEY) == "-7200000"


def test_scans_over_the_api_still_land(api):
    """The clerk's path end to end on the small-page database (no regression in the API)."""
    code = api.post("/api/v1/dossiers", json=dossier_body()).get_json()["code"]
    resp = api.post(f"/api/v1/dossiers/{code}/attachments", content_type="multipart/form-data",
                    data={"requirement": "1.001193-d1",
                          "file": (io.BytesIO(png_bytes(3000)), "p.png")})
    assert resp.status_code in (200, 201), resp.get_data(as_text=True)


def test_node_serve_never_loads_the_postgresql_driver(tmp_path):
    """Where the center's `postgres` extra is installed too (this test's environment), peewee
    would import psycopg into the point's process: 11 MB resident for a driver it never uses."""
    import importlib.util

    import pytest

    from tests.procs import free_port, motcua, start_server, stop
    if importlib.util.find_spec("psycopg") is None:
        pytest.skip("psycopg not installed: nothing to keep out")
    folder, port = tmp_path / "n", free_port()
    motcua("node", "init", "--data-dir", folder, "--unit-code", "07024", "--name", "Quan Lạn")
    proc = start_server(["node", "serve", "--data-dir", folder, "--port", port], port, path="/login")
    try:
        maps = Path(f"/proc/{proc.pid}/maps").read_text()
        assert "_sqlite3" in maps                          # the reading is of the right process
        assert "psycopg" not in maps
    finally:
        stop(proc)
