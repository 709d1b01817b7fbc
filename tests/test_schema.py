"""The schema the migrations build is the schema the models declare, on both sides and backends.

Peewee never creates a table here: migrations do, and the models only describe them. So a column
added to a model without its migration (or the other way round) would pass every test that uses a
fresh database made one way and fail on a real upgraded one. This builds each side twice — once by
running every migration, once by `create_tables` from the models — and compares what the database
itself reports: columns (type, NULL, primary key), indexes (columns, unique), foreign keys (target,
ON DELETE).
"""
from __future__ import annotations

import pytest
from central_fixtures import pg_cluster  # noqa: F401  (fixture)
from pg import missing_reason

from central.migrations import POSTGRES_ONLY_INDEXES

# Tables a migration makes that no model declares: the node's search index (FTS5 and its shadow
# tables, written by triggers), the center's list of applied migrations, and SQLite's counters of
# AUTOINCREMENT keys (the journal's and the dossiers' keys are never reused after a delete).
UNDECLARED = {"node": {"dossier_fts", "dossier_fts_config", "dossier_fts_data",
                       "dossier_fts_docsize", "dossier_fts_idx"},
              "center": {"schema_migration"}}


def _models(side: str) -> list:
    if side == "node":
        from node.models import MODELS
        return list(MODELS)
    from central.models import MODELS
    from central.outbound import DownParcel
    return list(MODELS) + [DownParcel]


def _migrate(side: str, database) -> None:
    if side == "node":
        from node.migrations import migrate
    else:
        from central.migrations import migrate
    migrate(database)


def _on_delete(database, table: str) -> dict[str, str]:
    """{column: ON DELETE action} of the table's foreign keys."""
    if type(database).__name__ == "PostgresqlDatabase":
        codes = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL",
                 "d": "SET DEFAULT"}
        rows = database.execute_sql(
            "SELECT a.attname, c.confdeltype FROM pg_constraint c JOIN pg_attribute a "
            "ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
            "WHERE c.contype = 'f' AND c.conrelid = %s::regclass", (f'"{table}"',)).fetchall()
        return {col: codes[code if isinstance(code, str) else code.decode()] for col, code in rows}
    return {row[3]: row[6] for row in database.execute_sql(f'PRAGMA foreign_key_list("{table}")')}


def _type(database, data_type: str) -> str:
    data_type = data_type.upper()
    if type(database).__name__ != "PostgresqlDatabase" and data_type.startswith("VARCHAR"):
        return "VARCHAR"        # SQLite keeps a declared length but never enforces it
    return data_type


def describe(database, tables) -> dict:
    """What the database says about each table, in a form two databases can be compared by."""
    out = {}
    for table in tables:
        columns = {c.name: (_type(database, c.data_type), c.null, c.primary_key)
                   for c in database.get_columns(table)}
        indexes = sorted((tuple(i.columns), i.unique) for i in database.get_indexes(table)
                         if not i.name.endswith("_pkey") and i.name not in POSTGRES_ONLY_INDEXES)
        actions = _on_delete(database, table)
        keys = sorted((f.column, f.dest_table, f.dest_column, actions.get(f.column))
                      for f in database.get_foreign_keys(table))
        out[table] = {"columns": columns, "indexes": indexes, "foreign_keys": keys}
    return out


def _fresh(backend: str, tmp_path, name: str, pg_cluster):  # noqa: F811
    if backend == "sqlite":
        from peewee import SqliteDatabase
        return SqliteDatabase(str(tmp_path / f"{name}.db"))
    if pg_cluster is None:
        pytest.skip(missing_reason())
    from central.db import connect
    return connect(database_url=pg_cluster.create_database())


CASES = [("node", "sqlite"), ("center", "sqlite"),
         pytest.param("center", "postgres", marks=pytest.mark.postgres)]


@pytest.mark.parametrize("side,backend", CASES)
def test_migrations_build_what_the_models_declare(side, backend, tmp_path, pg_cluster):  # noqa: F811
    models = _models(side)
    declared_db = _fresh(backend, tmp_path, "declared", pg_cluster)
    with declared_db.bind_ctx(models, bind_refs=False, bind_backrefs=False):
        declared_db.create_tables(models)
    migrated_db = _fresh(backend, tmp_path, "migrated", pg_cluster)
    _migrate(side, migrated_db)

    tables = sorted(m._meta.table_name for m in models)
    extra = {"sqlite_sequence"} if backend == "sqlite" else set()
    assert set(migrated_db.get_tables()) - set(tables) == UNDECLARED[side] | extra
    declared, migrated = describe(declared_db, tables), describe(migrated_db, tables)
    differ = {t: (migrated[t], declared[t]) for t in tables if migrated[t] != declared[t]}
    assert not differ, "\n".join(f"{t}: migrated {m}\n{' ' * len(t)}  declared {d}"
                                   for t, (m, d) in differ.items())
    declared_db.close()
    migrated_db.close()


def test_the_comparison_sees_a_missing_column_and_index(tmp_path):
    """The check above could pass by comparing nothing: a column and an index the models declare
    but no migration made must show."""
    from peewee import SqliteDatabase

    from node.migrations import migrate
    from node.models import Dossier
    database = SqliteDatabase(str(tmp_path / "n.db"))
    migrate(database)
    before = describe(database, ["dossier", "blob"])
    database.execute_sql('ALTER TABLE "blob" DROP COLUMN "purged_at"')
    database.execute_sql('DROP INDEX "dossier_due_at"')
    after = describe(database, ["dossier", "blob"])
    assert "purged_at" in before["blob"]["columns"] and "purged_at" not in after["blob"]["columns"]
    assert (("due_at",), False) in before["dossier"]["indexes"]
    assert (("due_at",), False) not in after["dossier"]["indexes"]
    assert Dossier.due_at.index
