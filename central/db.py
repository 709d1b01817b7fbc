"""The center's database: SQLite in the data dir by default, or one PostgreSQL for a province.

Its own `DatabaseProxy` (not the node's), so a process could host both. Pragmas for SQLite live here
and nowhere else; PostgreSQL is imported only when a `postgresql://` URL is given, so nothing on a
node ever opens psycopg through this module.
"""
from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import unquote, urlparse

from peewee import DatabaseProxy, SqliteDatabase

from motcua.migrations import close_bound, open_migrated

logger = logging.getLogger(__name__)

# Peewee models need a database object when the class is defined: this one unbound proxy is bound by
# `open_database` (the one honest global, see STYLE.md).
db = DatabaseProxy()

PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": 2,          # FULL: a receipt is signed only after the parcel is durably applied
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "cache_size": -32000,      # 32 MB page cache
    "temp_store": "memory",
}

DB_FILENAME = "central.db"


# The center's queries are short: JIT compiling them costs more than running them (the dashboard's
# grouped counts over a million dossiers spent 0.6 s of 1.7 s compiling).
SESSION_OPTIONS = "-c jit=off"


def connect(data_dir: str | Path | None = None, database_url: str | None = None, *,
            pool_size: int = 0):
    """An unbound peewee database for `database_url`, else SQLite `central.db` in `data_dir`;
    on PostgreSQL with `pool_size`, its connections come from a psycopg_pool of that size.

    :raises ValueError: an unsupported URL scheme, or neither argument given.
    """
    if database_url:
        url = urlparse(database_url)
        if url.scheme in ("postgres", "postgresql"):
            from peewee import PostgresqlDatabase  # lazily: pulls in psycopg
            if pool_size > 0:
                return _pooled_class()(
                    unquote(url.path.lstrip("/")) or "postgres", host=url.hostname or None,
                    port=url.port, user=unquote(url.username) if url.username else None,
                    password=unquote(url.password) if url.password else None,
                    options=SESSION_OPTIONS, pool_size=pool_size)
            return PostgresqlDatabase(
                unquote(url.path.lstrip("/")) or "postgres", host=url.hostname or None,
                port=url.port, user=unquote(url.username) if url.username else None,
                password=unquote(url.password) if url.password else None,
                options=SESSION_OPTIONS)
        if url.scheme == "sqlite":
            return _sqlite(Path(unquote(url.path)))
        raise ValueError(f"unsupported database URL scheme {url.scheme!r} (postgresql:// or sqlite://)")
    if data_dir is None:
        raise ValueError("need a data dir or a database URL")
    return _sqlite(Path(data_dir) / DB_FILENAME)


def _pooled_class():
    """PostgresqlDatabase whose connections come from one psycopg_pool per process: a thread
    takes one when it first needs the database in a request and gives it back when the request
    ends (`release_connection`), so N server threads need fewer than N connections, and a
    province's processes together stay under the server's max_connections."""
    from peewee import PostgresqlDatabase
    from psycopg_pool import ConnectionPool

    class PooledPostgresqlDatabase(PostgresqlDatabase):
        def __init__(self, database, *, pool_size: int, **kwargs):
            super().__init__(database, **kwargs)
            self.pool_size = pool_size
            self._pool = None

        def _open_pool(self):
            if self._pool is None:
                params = {k: v for k, v in self.connect_params.items() if v is not None}
                params["dbname"] = self.database
                self._pool = ConnectionPool(kwargs=params, min_size=1, max_size=self.pool_size,
                                            open=True, timeout=30,
                                            name=f"motcua-{self.database}")
            return self._pool

        def connect(self, reuse_if_open=False):
            # peewee takes its connection under one lock for every thread, and gives it back
            # under the same lock: a thread waiting for the pool would block the threads
            # returning theirs. So the pool is asked outside that lock.
            import peewee
            if not self._state.closed:
                if reuse_if_open:
                    return False
                raise peewee.OperationalError("Connection already opened.")
            with getattr(peewee, "__exception_wrapper__"):
                conn = self._connect()
            with self._lock:
                self._state.reset()
                self._state.set_connection(conn)
                if self.server_version is None:
                    self._set_server_version(conn)
                self._initialize_connection(conn)
            return True

        def _connect(self):
            conn = self._open_pool().getconn()
            conn.autocommit = True
            return conn

        def close(self):
            import peewee
            if self.in_transaction():
                raise peewee.OperationalError("Attempting to close database while transaction "
                                              "is open.")
            conn, is_open = self._state.conn, not self._state.closed
            self._state.reset()
            if is_open:
                with getattr(peewee, "__exception_wrapper__"):
                    self._close(conn)
            return is_open

        def _close(self, conn):
            self._open_pool().putconn(conn)

        def pool_stats(self) -> dict:
            return self._open_pool().get_stats()

        def close_pool(self) -> None:
            if self._pool is not None:
                self._pool.close()
                self._pool = None

    return PooledPostgresqlDatabase


def release_connection() -> None:
    """At the end of a request: a pooled PostgreSQL connection goes back to the pool (SQLite keeps
    its per-thread connection)."""
    target = db.obj
    if target is not None and hasattr(target, "pool_size") and not target.is_closed() \
            and not target.in_transaction():
        target.close()


def _sqlite(path: Path) -> SqliteDatabase:
    from motcua.dbfields import legal_day
    path.parent.mkdir(parents=True, exist_ok=True)
    database = SqliteDatabase(str(path), pragmas=PRAGMAS, check_same_thread=False, timeout=10)
    database.register_function(legal_day, "legal_day", 1)     # statistics by legal day (stats.py)
    return database


def open_database(data_dir: str | Path | None = None, database_url: str | None = None, *,
                  pool_size: int = 0):
    """Open the center database, bind the proxy and bring the schema up to date."""
    from central.migrations import CENTER
    return open_migrated(db, connect(data_dir, database_url, pool_size=pool_size), CENTER)


def close_database() -> None:
    target = db.obj
    close_bound(db)
    if target is not None and hasattr(target, "close_pool"):
        target.close_pool()


def is_postgres(database=None) -> bool:
    """True when the bound (or given) database is PostgreSQL: row locks and advisory locks exist."""
    target = database if database is not None else db.obj
    return any(c.__name__ == "PostgresqlDatabase" for c in type(target).__mro__)


def write_transaction():
    """A transaction that takes the write lock at once on SQLite (no upgrade deadlocks)."""
    return db.atomic() if is_postgres() else db.atomic("IMMEDIATE")


def bulk_insert(model, rows: list[dict], *, conflict: tuple[str, ...] = (),
                update: tuple[str, ...] = (), ignore: bool = False) -> None:
    """Insert many rows with one statement rendered once (unnest of arrays on PostgreSQL,
    `executemany` on SQLite).

    Peewee's `insert_many` renders a fresh statement with thousands of parameters per batch, which
    cost more than the database itself at ingest rates; this renders one row's statement once.
    `update` columns are overwritten from the new row on a `conflict`; `ignore` skips any conflict.
    """
    if not rows:
        return
    from datetime import datetime
    pg = is_postgres()
    names = list(rows[0])
    fields = [model._meta.fields[n] for n in names]
    head = (f'INSERT INTO "{model._meta.table_name}" ('
            + ", ".join(f'"{f.column_name}"' for f in fields) + ") ")
    if pg:   # one statement per batch: a typed array per column, unnested server-side
        sql = head + "SELECT * FROM unnest(" + ", ".join(
            f"%s::{_PG_ARRAY.get(f.field_type, 'text')}[]" for f in fields) + ")"
    else:
        sql = head + "VALUES (" + ", ".join(["?"] * len(fields)) + ")"
    if update:
        sql += (" ON CONFLICT (" + ", ".join(f'"{c}"' for c in conflict) + ") DO UPDATE SET "
                + ", ".join(f'"{model._meta.fields[c].column_name}" = excluded."'
                            f'{model._meta.fields[c].column_name}"' for c in update))
    elif ignore:
        sql += " ON CONFLICT DO NOTHING"

    def adapt(field, value):
        value = field.db_value(value)
        if not pg and isinstance(value, datetime):
            return value.isoformat(" ")     # what peewee reads back; no sqlite3 default adapter
        return value
    values = [tuple(adapt(f, row[n]) for f, n in zip(fields, names)) for row in rows]
    if pg:
        db.execute_sql(sql, [list(column) for column in zip(*values)])
    else:
        db.cursor().executemany(sql, values)


_PG_ARRAY = {"DATETIME": "timestamp", "TIMESTAMPTZ": "timestamptz", "INT": "integer",
             "BIGINT": "bigint", "AUTO": "bigint", "BIGAUTO": "bigint", "BOOL": "boolean",
             "BLOB": "bytea", "FLOAT": "double precision"}


def is_in(field, values: list):
    """`field IN values` as one array parameter on PostgreSQL (a constant statement the server can
    prepare once, instead of a new plan per list length); a plain IN list on SQLite."""
    if is_postgres():
        from peewee import SQL, NodeList
        return NodeList((field, SQL("= ANY(%s)", (list(values),))))
    return field.in_(values)
