"""Databases written by the previous release open with this one, upgraded in place, nothing lost.

`tests/fixtures/previous-{node,central}.db` were made by the code at commit fb54d5d
(`tests/fixtures/build_previous_release.py`): an enrolled point and its center after a few days of
work — accounts and tokens, dossiers with a scan, corrections, officers' decisions and two open
conflicts, a refusal. Each test copies one, opens it the way the app does (which migrates it), and
checks every row of every old table is still there with the same values, the schema is what the
models declare, and the app still works on the old data.
"""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from test_schema import describe

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


def _assert_nothing_lost(before: dict, after: dict, new_versions: int) -> None:
    for table, rows in before.items():
        if table == "schema_migration":        # gains one row per migration applied
            assert after[table][:len(rows)] == rows
            assert len(after[table]) == len(rows) + new_versions
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
    _assert_nothing_lost(before, after, LATEST - old_version)
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
    _assert_nothing_lost(before, after, LATEST - old_version)
