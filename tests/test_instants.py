"""Instants are stored in UTC on both sides and both backends (issue #12), the domain still sees legal
wall time, and the migration that converts old naive values is right, idempotent and all-or-nothing.

What is checked here is the storage itself: raw rows read past peewee, and the instant a value names
after the legal zone or the PC's zone changed.
"""
from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest
from central_fixtures import *  # noqa: F401,F403
from peewee import DateTimeField, SqliteDatabase

from motcua import legaltime
from motcua.dbfields import InstantField, to_utc, utc_text

# Friday 6 March 2026, 16:00 in Vietnam = 09:00 UTC
LEGAL = datetime(2026, 3, 6, 16, 0)
UTC_TEXT = "2026-03-06 09:00:00.000000+00:00"


@pytest.fixture
def legal_zone():
    """Restore the default legal zone whatever a test set."""
    yield legaltime.set_zone
    legaltime.set_zone(None)


def test_the_stored_text_is_utc_and_sorts_in_time_order():
    assert utc_text(LEGAL) == UTC_TEXT
    assert utc_text(datetime(2026, 3, 6, 9, 0, tzinfo=timezone.utc)) == UTC_TEXT
    assert utc_text("2026-03-06 16:00:00") == UTC_TEXT            # a naive text is legal time too
    assert utc_text(UTC_TEXT) == UTC_TEXT                          # already converted: unchanged
    # 06:59 on the 7th in Vietnam is still the 6th in UTC: the text must still sort after 16:00.
    moments = [datetime(2026, 3, 7, 6, 59), LEGAL, datetime(2026, 3, 6, 16, 0, 0, 1),
               datetime(2025, 12, 31, 23, 0)]
    assert sorted(utc_text(m) for m in moments) == [utc_text(m) for m in sorted(moments)]


def test_no_model_keeps_a_naive_date_time():
    """Every date-time column of both sides is an instant (a DATE column is a legal date), and the
    migrations convert exactly those columns."""
    from central.migrations import INSTANTS_SINCE_V10, V10_INSTANTS
    from central.models import MODELS as CENTER
    from central.outbound import DownParcel
    from node.migrations import V9_INSTANTS
    from node.models import MODELS as NODE
    for models, migrated in ((NODE, V9_INSTANTS), (CENTER + [DownParcel],
                                                       V10_INSTANTS + INSTANTS_SINCE_V10)):
        fields = [f for m in models for f in m._meta.sorted_fields]
        assert not [f for f in fields if isinstance(f, DateTimeField)]
        assert sorted(migrated) == sorted((f.model._meta.table_name, f.column_name)
                                          for f in fields if isinstance(f, InstantField))


def test_a_node_stores_utc_and_the_legal_zone_never_shifts_it(app, legal_zone, time_machine):
    """Stored under LEGAL_TIME_ZONE=Asia/Ho_Chi_Minh, the raw row is UTC; read under another legal
    zone, the same instant comes out as that zone's wall time."""
    from node import reception
    from node.db import database_path
    from node.models import Dossier
    from tests.conftest import dossier_body
    time_machine.move_to(datetime(2026, 3, 6, 9, 0, tzinfo=timezone.utc), tick=False)
    d = reception.receive_dossier(dossier_body(), "lan@07024")
    assert d.received_at == LEGAL
    raw = sqlite3.connect(database_path(app.config["DATA_DIR"])).execute(
        "SELECT received_at, due_at FROM dossier WHERE code = ?", (d.code,)).fetchone()
    assert raw[0] == UTC_TEXT
    assert raw[1].endswith("+00:00") and datetime.fromisoformat(raw[1]) == to_utc(d.due_at)

    legal_zone("Asia/Tokyo")                       # two hours ahead of Vietnam
    again = Dossier.get(Dossier.code == d.code)
    assert again.received_at == datetime(2026, 3, 6, 18, 0)
    assert legaltime.to_ms(again.received_at) == legaltime.to_ms(LEGAL.replace(
        tzinfo=legaltime.ZoneInfo("Asia/Ho_Chi_Minh")))
    # A where clause is converted the same way: the dossier is found by its Tokyo wall time.
    assert Dossier.select().where(Dossier.received_at == datetime(2026, 3, 6, 18, 0)).count() == 1


def test_a_center_stores_utc_on_either_backend(central_db, legal_zone):
    """The center's columns hold the instant: raw UTC text on SQLite, `timestamptz` on PostgreSQL,
    whatever the database session's own zone."""
    from central.models import Refusal
    Refusal.create(sender="07024", reason_code="x", message="m", at=LEGAL)
    if type(central_db).__name__ == "PostgresqlDatabase":
        kind, utc = central_db.execute_sql(
            "SELECT pg_typeof(at)::text, to_char(at AT TIME ZONE 'UTC', "
            "'YYYY-MM-DD HH24:MI:SS') FROM refusal").fetchone()
        assert (kind, utc) == ("timestamp with time zone", "2026-03-06 09:00:00")
        central_db.execute_sql("SET TIME ZONE 'America/Los_Angeles'")    # the server's zone
    else:
        assert central_db.execute_sql("SELECT at FROM refusal").fetchone()[0] == UTC_TEXT
    assert Refusal.get().at == LEGAL
    legal_zone("UTC")
    assert Refusal.get().at == datetime(2026, 3, 6, 9, 0)


def _naive_center(backend, tmp_path, pg_cluster):  # noqa: F811
    """A center database at schema v9 (the naive release), with one naive row per kind of value."""
    from central.db import connect
    from central.migrations import CENTER
    if backend == "postgres":
        if pg_cluster is None:
            pytest.skip("no PostgreSQL")
        database = connect(database_url=pg_cluster.create_database())
    else:
        database = SqliteDatabase(str(tmp_path / "old.db"))
    CENTER.migrate(database, target=9)
    p = "%s" if backend == "postgres" else "?"
    database.execute_sql(f'INSERT INTO refusal (sender, reason_code, message, at) VALUES '
                         f'({p}, {p}, {p}, {p})', ("07024", "x", "m", LEGAL))
    database.execute_sql(f'INSERT INTO refusal (sender, reason_code, message, at) VALUES '
                         f'({p}, {p}, {p}, {p})',
                         ("07024", "y", "m", datetime(2026, 3, 7, 6, 59, 30, 250000)))
    database.execute_sql(
        f'INSERT INTO enroll_token (token_sha256, unit_code, name, created_at, expires_at, used_at) '
        f'VALUES ({p}, {p}, {p}, {p}, {p}, {p})', ("t", "07024", "n", LEGAL, LEGAL, None))
    return database


def _utc_values(database, backend) -> list:
    if backend == "postgres":
        rows = database.execute_sql("SELECT at FROM refusal ORDER BY id").fetchall()
        rows += database.execute_sql("SELECT created_at, expires_at, used_at FROM enroll_token"
                                     ).fetchall()
        return [None if v is None else v.astimezone(timezone.utc) for row in rows for v in row]
    rows = database.execute_sql("SELECT at FROM refusal ORDER BY id").fetchall()
    rows += database.execute_sql("SELECT created_at, expires_at, used_at FROM enroll_token"
                                 ).fetchall()
    return [v for row in rows for v in row]


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_migration_converts_naive_values_to_the_same_instant_once(backend, tmp_path,
                                                                     pg_cluster):  # noqa: F811
    from central.migrations import CENTER, V10_INSTANTS
    from motcua.migrations import instants_to_utc
    database = _naive_center(backend, tmp_path, pg_cluster)
    CENTER.migrate(database)
    expected = [datetime(2026, 3, 6, 9, 0, tzinfo=timezone.utc),
                datetime(2026, 3, 6, 23, 59, 30, 250000, tzinfo=timezone.utc),
                datetime(2026, 3, 6, 9, 0, tzinfo=timezone.utc),
                datetime(2026, 3, 6, 9, 0, tzinfo=timezone.utc), None]
    if backend == "postgres":
        assert _utc_values(database, backend) == expected
    else:
        assert _utc_values(database, backend) == [utc_text(v) if v else None for v in expected]
    first = _utc_values(database, backend)
    with database.atomic():                              # run again: nothing moves
        instants_to_utc(V10_INSTANTS)(database)
    assert _utc_values(database, backend) == first
    database.close()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_failed_conversion_leaves_every_value_and_the_version_as_they_were(backend, tmp_path,
                                                                              pg_cluster):  # noqa: F811
    """One transaction: a step that fails on its last column has converted nothing."""
    from central.migrations import MIGRATIONS
    from motcua.migrations import Migrations, VersionTable, instants_to_utc
    database = _naive_center(backend, tmp_path, pg_cluster)
    before = _utc_values(database, backend)
    broken = Migrations("center", MIGRATIONS[:9] + [instants_to_utc(
        [("refusal", "at"), ("enroll_token", "created_at"), ("no_such_table", "at")])],
        VersionTable(), lock_key=7024_0001)
    with pytest.raises(Exception):
        broken.migrate(database)
    if backend == "postgres":
        database.rollback()
    assert broken.schema_version(database) == 9
    assert _utc_values(database, backend) == before
    database.close()


def test_a_command_line_upgrade_reads_old_values_in_the_configured_legal_zone(tmp_path, legal_zone):
    """`motcua node verify` on the previous release's file, with LEGAL_TIME_ZONE set in node.cfg,
    converts the old wall times as that zone's (the app's), not as the default zone's."""
    import shutil

    from click.testing import CliRunner

    from motcua.cli import main
    from node.db import close_database
    folder = tmp_path / "node"
    folder.mkdir()
    shutil.copyfile(Path(__file__).parent / "fixtures" / "previous-node.db", folder / "node.db")
    (folder / "node.cfg").write_text('LEGAL_TIME_ZONE = "Asia/Tokyo"\n')
    try:
        result = CliRunner().invoke(main, ["node", "verify", "--data-dir", str(folder)])
    finally:
        close_database()
    assert result.exit_code == 0, result.output
    raw = sqlite3.connect(folder / "node.db").execute(
        "SELECT created_at FROM user ORDER BY id").fetchone()[0]
    assert raw == "2026-11-30 08:51:17.455735+00:00"          # 17:51 in Tokyo (UTC+9)
