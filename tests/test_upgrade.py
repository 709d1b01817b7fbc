"""Databases written by the previous release open with this one, upgraded in place, nothing lost.

`tests/fixtures/previous-{node,central}.db` were made by the code at commit fb54d5d
(`tests/fixtures/build_previous_release.py`): an enrolled point and its center after a few days of
work — accounts and tokens, dossiers with a scan, corrections, officers' decisions and two open
conflicts, a refusal. Each test copies one, opens it the way the app does (which migrates it), and
checks every row of every old table is still there with the same values, the schema is what the
models declare, and the app still works on the old data. The center's rows are also laid into a
PostgreSQL database at the old version and upgraded there, as a province's center would be.
"""
from __future__ import annotations

import shutil
import sqlite3
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from central_fixtures import backend, pg_cluster  # noqa: F401  (fixtures)
from pg import missing_reason
from test_schema import describe

from motcua.dbfields import utc_text

FIXTURES = Path(__file__).parent / "fixtures"
PASSWORD = {"lan": "mat-khau-dai-1", "quan": "mat-khau-dai-1", "hoa": "mat-khau-dai-2"}


def _rows(path: Path) -> dict[str, list[dict]]:
    """Every row of every table (the search index's own shadow tables aside), in key order."""
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        tables = [name for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'dossier_fts%' "
            "ORDER BY name")]
        return {t: [dict(r) for r in conn.execute(f'SELECT * FROM "{t}" ORDER BY rowid')]
                for t in tables}
    finally:
        conn.close()


def _same_instant(old, new) -> bool:
    """An old naive legal wall time (Vietnam) and the UTC text the upgrade made of it (issue #12)."""
    if old is None or new is None:
        return old is new
    legal = datetime.fromisoformat(old).replace(tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    return new.endswith("+00:00") and datetime.fromisoformat(new) == legal


def _assert_nothing_lost(before: dict, after: dict, new_versions: int,
                         instants: list[tuple[str, str]]) -> None:
    """Every old row is still there with the same values; an instant column holds the same instant,
    now written in UTC."""
    migrated = set(instants)
    for table, rows in before.items():
        rows = [dict(r) for r in rows]
        for column in [c for c in (rows[0] if rows else {}) if (table, c) in migrated]:
            for old, new in zip(rows, after[table]):
                assert _same_instant(old[column], new[column]), (table, column, old, new)
                old[column] = new[column]
        if table == "schema_migration":        # gains one row per migration applied
            assert after[table][:len(rows)] == rows
            assert len(after[table]) == len(rows) + new_versions
            continue
        if table == "sqlite_sequence":         # a new table with a key counter adds its own row
            assert [r for r in after[table] if r["name"] in {b["name"] for b in rows}] == rows
            continue
        # search_text is derived (what search holds): an upgrade may recompute it (v6: whole codes,
        # the lookup secret); verify compares it with the journal's fold below.
        derived = {"search_text"} if table == "dossier" else set()
        kept = [{k: r[k] for k in rows[0] if k not in derived} for r in after[table]] \
            if rows else after[table]
        assert kept == [{k: v for k, v in r.items() if k not in derived} for r in rows], \
            f"{table}: rows changed by the upgrade"


def _declared_equals_upgraded(database, models) -> None:
    from peewee import SqliteDatabase
    tables = sorted(m._meta.table_name for m in models)
    fresh = SqliteDatabase(":memory:")
    with fresh.bind_ctx(models, bind_refs=False, bind_backrefs=False):
        fresh.create_tables(models)
    assert describe(database, tables) == describe(fresh, tables)


def test_a_node_database_of_the_previous_release_upgrades_in_place(tmp_path):
    from node.db import close_database, open_database
    from node.migrations import LATEST, schema_version
    path = tmp_path / "node" / "node.db"
    path.parent.mkdir()
    shutil.copyfile(FIXTURES / "previous-node.db", path)
    before = _rows(path)
    old_version = sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0]
    assert old_version < LATEST                 # the fixture really is older
    assert len(before["dossier"]) == 4 and len(before["user"]) == 2 and before["conflict"]

    database = open_database(path.parent)
    try:
        assert schema_version(database) == LATEST
        from node.models import MODELS
        _declared_equals_upgraded(database, MODELS)

        from node.verify import verify_node
        checked, problems = verify_node()
        assert (checked, problems) == (4, [])
        from node.conflict_decisions import list_open_conflicts
        assert len(list_open_conflicts()) == 2
        from node.search import search_dossiers
        assert [d.code for d in search_dossiers("tran thi binh").items] == \
            [r["code"] for r in before["dossier"] if "Bình" in r["applicant"]]
        from node.users import log_in
        for name in ("lan", "quan"):
            assert log_in(name, PASSWORD[name], max_failures=5, lock_seconds=300).username == name
    finally:
        close_database()
    after = _rows(path)
    from node.migrations import V9_INSTANTS
    _assert_nothing_lost(before, after, LATEST - old_version, V9_INSTANTS)
    # One value checked by hand: the first account, made at 17:51 in Vietnam, is 10:51 UTC.
    assert before["user"][0]["created_at"] == "2026-11-30 17:51:17.455735"
    assert after["user"][0]["created_at"] == "2026-11-30 10:51:17.455735+00:00"
    for table in ("user_session", "throttle"):          # what the upgrade added
        assert table not in before and table in after

    # Work goes on: a new dossier continues the numbering and the journal (AUTOINCREMENT kept).
    open_database(path.parent)
    try:
        from node import reception
        from node.models import Event
        from tests.conftest import dossier_body
        d = reception.receive_dossier(dossier_body(), "lan")
        assert d.code not in {r["code"] for r in before["dossier"]}
        assert Event.select().order_by(Event.seq.desc()).first().seq > \
            max(r["seq"] for r in before["event"])
    finally:
        close_database()


def test_a_center_database_of_the_previous_release_upgrades_in_place(tmp_path):
    from central.db import close_database, open_database
    from central.migrations import LATEST, schema_version
    folder = tmp_path / "center"
    folder.mkdir()
    shutil.copyfile(FIXTURES / "previous-central.db", folder / "central.db")
    before = _rows(folder / "central.db")
    old_version = len(before["schema_migration"])
    assert old_version < LATEST
    assert len(before["dossier"]) == 4 and before["event"] and before["seen_parcel"]
    assert before["point"][0]["sign_pub"] and before["refusal"] and before["conflict"]

    database = open_database(folder)
    try:
        assert schema_version(database) == LATEST
        from central.models import MODELS
        from central.outbound import DownParcel
        _declared_equals_upgraded(database, MODELS + [DownParcel])

        from central.verify import verify_center
        report = verify_center()
        assert report.problems == [] and report.checked == 4
        from central.conflict_decisions import list_open_conflicts
        assert len(list_open_conflicts()) == 2
        from central.users import log_in
        assert log_in("hoa", PASSWORD["hoa"], max_failures=5, lock_seconds=300).role == "officer"
        from central.dossiers import get_dossier
        assert get_dossier(before["dossier"][0]["code"]).uid == before["dossier"][0]["uid"]
    finally:
        close_database()

    after = _rows(folder / "central.db")
    from central.migrations import V10_INSTANTS
    _assert_nothing_lost(before, after, LATEST - old_version, V10_INSTANTS)
    received = [(r["received_at"], a["received_at"]) for r, a in zip(before["dossier"],
                                                                      after["dossier"])]
    assert all(_same_instant(old, new) and old != new for old, new in received)


# ---- the center on PostgreSQL -----------------------------------------------------------------

def _plain(value):
    """A PostgreSQL value as SQLite stored it (booleans as 0/1, times as peewee writes them: a naive
    one as it was, an instant in UTC)."""
    from datetime import datetime
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime) and value.tzinfo:
        return utc_text(value)
    if isinstance(value, datetime):
        return str(value)
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def _pg_rows(database, tables: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """The rows of `tables` in PostgreSQL, in the fixture's order (its keys), as SQLite holds them."""
    out = {}
    for table, rows in tables.items():
        if not rows:
            continue
        key = [c.name for c in database.get_columns(table) if c.primary_key]
        cursor = database.execute_sql(f'SELECT * FROM "{table}" ORDER BY '
                                      + ", ".join(f'"{k}"' for k in key))
        names = [d[0] for d in cursor.description]
        out[table] = [{n: _plain(v) for n, v in zip(names, row)} for row in cursor.fetchall()]
    return out


@pytest.mark.postgres
def test_a_center_on_postgresql_at_the_previous_release_upgrades_in_place(tmp_path, pg_cluster):  # noqa: F811
    """The previous release's center on PostgreSQL: its schema (the released migrations, which are
    never edited, up to the fixture's version) holding the fixture's rows, every value as it was.
    Opening it with this release migrates the rest on PostgreSQL; nothing is lost and work goes on
    (the keys' sequences continue after the old rows)."""
    if pg_cluster is None:
        pytest.skip(missing_reason())
    from central.db import close_database, connect, open_database
    from central.migrations import CENTER, LATEST, schema_version
    before = _rows(FIXTURES / "previous-central.db")
    old_version = len(before["schema_migration"])
    url = pg_cluster.create_database()

    old = connect(database_url=url)
    CENTER.migrate(old, target=old_version)
    with old.atomic():
        old.execute_sql("DELETE FROM schema_migration")
        old.execute_sql("SET LOCAL session_replication_role = replica")   # rows in any order
        for table, rows in before.items():
            if table == "sqlite_sequence" or not rows:
                continue
            kinds = {c.name: c.data_type for c in old.get_columns(table)}
            names = list(rows[0])
            columns, marks = ", ".join(f'"{n}"' for n in names), ", ".join(["%s"] * len(names))
            old.cursor().executemany(
                f'INSERT INTO "{table}" ({columns}) VALUES ({marks})',
                [[bool(r[n]) if kinds[n] == "boolean" and r[n] is not None else r[n] for n in names]
                 for r in rows])
            for (column,) in old.execute_sql(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                    "AND column_default LIKE 'nextval%%'", (table,)).fetchall():
                old.execute_sql(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', %s), "
                                f'(SELECT MAX("{column}") FROM "{table}"))', (column,))
    assert schema_version(old) == old_version < LATEST
    before.pop("sqlite_sequence", None)
    assert _pg_rows(old, before) == {t: r for t, r in before.items() if r}, "the copy itself"
    old.close()

    database = open_database(database_url=url)
    try:
        assert schema_version(database) == LATEST
        from central.models import MODELS
        from central.outbound import DownParcel
        models = MODELS + [DownParcel]
        tables = sorted(m._meta.table_name for m in models)
        fresh = connect(database_url=pg_cluster.create_database())
        with fresh.bind_ctx(models, bind_refs=False, bind_backrefs=False):
            fresh.create_tables(models)
        assert describe(database, tables) == describe(fresh, tables)
        fresh.close()

        from central.verify import verify_center
        report = verify_center()
        assert report.problems == [] and report.checked == 4
        from central.conflict_decisions import list_open_conflicts
        assert len(list_open_conflicts()) == 2
        from central.users import log_in
        assert log_in("hoa", PASSWORD["hoa"], max_failures=5, lock_seconds=300).role == "officer"
        from central.migrations import V10_INSTANTS
        _assert_nothing_lost(before, _pg_rows(database, before), LATEST - old_version,
                             V10_INSTANTS)

        from central.models import Event, Refusal
        Refusal.create(sender="07024", reason_code="bad_signature", message="thử", at=datetime.now())
        assert Refusal.select().count() == len(before["refusal"]) + 1   # the key went on
        assert Event.select().count() == len(before["event"])
    finally:
        close_database()


# ---- a center at v9 or v10 (before uploads moved into the database) -----------------------------

@pytest.mark.parametrize("version", [9, 10, 11])
def test_a_center_before_v12_gains_the_upload_table_and_keeps_its_rows(tmp_path, backend,  # noqa: F811
                                                                        version):
    """A center last opened by a release before uploads moved into the database (migration 12):
    at 9 (naive legal times), 10 (instants in UTC) or 11 (the dashboard's summary). It upgrades:
    its heartbeat is kept, the same instant, and a point's upload is taken, piece by piece, into
    the new table and the store."""
    import hashlib
    import io
    import os

    from central.db import close_database, connect, open_database
    from central.migrations import CENTER, LATEST, schema_version
    from central.uploads import UploadStore
    from motcua.dbfields import to_utc
    from motcua.objectstore import FolderStore
    assert LATEST == 12
    folder = tmp_path / "center"
    old = connect(folder, backend)
    CENTER.migrate(old, target=version)
    assert schema_version(old) == version and "upload" not in old.get_tables()
    mark = "%s" if backend else "?"
    sent = datetime(2026, 3, 5, 9)                                  # legal wall time
    if version >= 10:                                               # an instant, as v10 keeps it
        sent = to_utc(sent) if backend else utc_text(sent)
    old.execute_sql(
        'INSERT INTO "point_heartbeat" ("unit_code", "received_at", "via", "sent_at", "version", '
        '"backlog_events", "backlog_scans", "backlog_bytes", "disk_free_bytes", "body") VALUES '
        f'({", ".join([mark] * 10)})', ("07024", sent, "http", sent, "1.0", 3, 1, 20000, 10**9,
                                        "{}"))
    old.close()

    database = open_database(folder, backend)
    try:
        assert schema_version(database) == LATEST
        from central.models import Heartbeat
        beat = Heartbeat.get()
        assert beat.backlog_events == 3 and beat.sent_at == datetime(2026, 3, 5, 9)
        data = os.urandom(100_000)
        pieces = [hashlib.sha256(data[i:i + 65536]).hexdigest() for i in range(0, len(data), 65536)]
        sha = hashlib.sha256(data).hexdigest()
        uploads = UploadStore(FolderStore(folder))
        assert uploads.create("07024", sha, len(data), 65536, pieces,
                              body=lambda: (io.BytesIO(data[:70_000]), 70_000)) == 70_000
        rest = data[70_000:]
        assert uploads.append("07024", sha, 70_000, rest, len(rest)) == (len(data), len(data))
        assert uploads.read_complete("07024", sha) == data
    finally:
        close_database()
