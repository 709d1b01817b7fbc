"""The one migration runner of both sides, on SQLite and on PostgreSQL.

Each side lists its own steps (`node.migrations`, `central.migrations`); a step is a list of SQL
templates or a function of the database, applied in one transaction together with the new version
number, so a crash leaves the old schema or the new one, never half of a step. In templates,
`{serial}`, `{ts}`, `{bool}`, `{bigint}` and `{bytes}` become the backend's types (write `{{` for a
literal brace). On PostgreSQL an advisory lock makes several processes starting at once migrate one
after another; on SQLite `BEGIN IMMEDIATE` does the same. Never edit a released step: add the next.

Where the version is kept differs and stays as released, so old files upgrade in place: a node
keeps it in `PRAGMA user_version` (`UserVersion`), a center in a `schema_migration` table
(`VersionTable`).
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Callable, Protocol, Sequence, Union

from motcua import legaltime

logger = logging.getLogger(__name__)

Step = Union[Sequence[str], Callable[..., None]]

TYPES = {
    "sqlite": {"serial": "INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT", "ts": "DATETIME",
               "bool": "INTEGER", "bigint": "INTEGER", "bytes": "BLOB"},
    "postgres": {"serial": "BIGSERIAL NOT NULL PRIMARY KEY", "ts": "TIMESTAMP", "bool": "BOOLEAN",
                 "bigint": "BIGINT", "bytes": "BYTEA"},
}


def dialect(database) -> str:
    """`postgres` or `sqlite`, for the templates and the locks."""
    return ("postgres" if any(c.__name__ == "PostgresqlDatabase" for c in type(database).__mro__)
            else "sqlite")


class VersionStore(Protocol):
    def read(self, database) -> int: ...
    def write(self, database, version: int) -> None: ...


class UserVersion:
    """The version in SQLite's `PRAGMA user_version` (the node's, since its first release)."""

    def read(self, database) -> int:
        return database.execute_sql("PRAGMA user_version").fetchone()[0]

    def write(self, database, version: int) -> None:
        database.execute_sql(f"PRAGMA user_version = {int(version)}")


class VersionTable:
    """The versions applied, one row each, in `schema_migration` (the center's, on both backends)."""

    def read(self, database) -> int:
        database.execute_sql('CREATE TABLE IF NOT EXISTS "schema_migration" ('
                             '"version" INTEGER NOT NULL PRIMARY KEY, '
                             '"applied_at" VARCHAR(40) NOT NULL)')
        row = database.execute_sql('SELECT MAX("version") FROM "schema_migration"').fetchone()
        return row[0] or 0

    def write(self, database, version: int) -> None:
        param = database.param
        database.execute_sql(f'INSERT INTO "schema_migration" ("version", "applied_at") '
                             f'VALUES ({param}, {param})',
                             (version, datetime.now(timezone.utc).isoformat(timespec="seconds")))


class Migrations:
    """One side's steps, where it keeps its version, and its advisory lock id on PostgreSQL."""

    def __init__(self, name: str, steps: Sequence[Step], versions: VersionStore,
                 lock_key: int):
        self.name, self.steps, self.versions, self.lock_key = name, list(steps), versions, lock_key

    @property
    def latest(self) -> int:
        return len(self.steps)

    def schema_version(self, database) -> int:
        """The highest step applied (0 for an empty database)."""
        return self.versions.read(database)

    def migrate(self, database, target: int | None = None) -> int:
        """Bring the database up to `target` (default: the latest); returns the version reached.

        :raises RuntimeError: the database was written by a newer program.
        """
        target = self.latest if target is None else target
        with self._locked(database, write=False):
            current = self.versions.read(database)
        if current > self.latest:
            raise RuntimeError(f"database schema v{current} is newer than this program "
                               f"(v{self.latest})")
        for version in range(current + 1, target + 1):
            self._apply(database, version)
        return max(current, target)

    @contextmanager
    def _locked(self, database, *, write: bool = True):
        """A transaction that only one process at a time holds for this side's schema (on SQLite
        the write lock is taken at once unless `write` is false: reading the version needs none)."""
        if dialect(database) == "postgres":
            with database.atomic():
                database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (self.lock_key,))
                yield
        else:
            with database.atomic("IMMEDIATE" if write else None):
                yield

    def _apply(self, database, version: int) -> None:
        step, types = self.steps[version - 1], TYPES[dialect(database)]
        with self._locked(database):
            if self.versions.read(database) >= version:     # another process got here first
                return
            if callable(step):
                step(database)
            else:
                for statement in step:
                    database.execute_sql(statement.format(**types))
            self.versions.write(database, version)
        logger.info("%s database migrated to schema v%d (%s)", self.name, version,
                    dialect(database))



def instants_to_utc(columns: Sequence[tuple[str, str]]) -> Callable[..., None]:
    """A step that turns the naive legal wall times of `columns` ((table, column) pairs) into the
    UTC instants `motcua.dbfields.InstantField` keeps, in place, in the step's one transaction.

    PostgreSQL: `ALTER COLUMN … TYPE timestamptz USING col AT TIME ZONE <legal zone>` (one rewrite
    per table; a column already `timestamptz` is left alone). SQLite: every value rewritten as
    ISO 8601 UTC text (`… +00:00`); a value already aware is only reformatted, so running it twice
    changes nothing. The legal zone is the one in force (`legaltime.zone()`: the apps set it from
    LEGAL_TIME_ZONE before they open their database), the zone the naive values were written in.
    """
    def step(database) -> None:
        if dialect(database) == "postgres":
            _instants_to_timestamptz(database, columns)
        else:
            _instants_to_utc_text(database, columns)
    step.__doc__ = f"Instants kept in UTC: {len(columns)} columns (issue #12)."
    return step


def _instants_to_timestamptz(database, columns) -> None:
    zone = legaltime.zone().key
    if not all(c.isalnum() or c in "/_+-" for c in zone):     # an IANA name, spliced into DDL
        raise ValueError(f"unexpected zone name {zone!r}")
    by_table: dict[str, list[str]] = {}
    for table, column in columns:
        kind = database.execute_sql(
            "SELECT data_type FROM information_schema.columns WHERE table_schema = "
            "current_schema() AND table_name = %s AND column_name = %s", (table, column)).fetchone()
        if kind is None:
            raise RuntimeError(f"no column {table}.{column} to convert")
        if kind[0] == "timestamp without time zone":
            by_table.setdefault(table, []).append(column)
    for table, names in by_table.items():
        database.execute_sql(f'ALTER TABLE "{table}" ' + ", ".join(
            f'ALTER COLUMN "{c}" TYPE timestamptz USING "{c}" AT TIME ZONE \'{zone}\''
            for c in names))


def _instants_to_utc_text(database, columns) -> None:
    from motcua.dbfields import utc_text  # the one definition of the stored text

    def convert(value):
        if not isinstance(value, str):
            return value
        try:
            return utc_text(value)
        except ValueError:
            logger.warning("kept a value that is not a date-time as it was: %r", value)
            return value
    database.connection().create_function("motcua_instant_utc", 1, convert, deterministic=True)
    for table, column in columns:
        database.execute_sql(f'UPDATE "{table}" SET "{column}" = motcua_instant_utc("{column}") '
                             f'WHERE "{column}" IS NOT NULL')


def open_migrated(proxy, database, migrations: Migrations):
    """Bind one app's `proxy` to `database`, connect, and bring its schema up to date."""
    proxy.initialize(database)
    database.connect(reuse_if_open=True)
    migrations.migrate(database)
    return database


def close_bound(proxy) -> None:
    """Close the database bound to `proxy`, if any is open."""
    if proxy.obj is not None and not proxy.is_closed():
        proxy.close()
