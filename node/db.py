"""The node's SQLite database: one file in the data dir, WAL, settings that survive a power cut.

Pragmas live here and nowhere else. `synchronous=FULL` because a commune PC loses power without
warning: a committed dossier must still be there after the lights come back (WAL + NORMAL can lose
the last commits on power loss, which would break "nothing acknowledged is lost").

1 KiB pages, not SQLite's 4 KiB: every commit writes each page it touches to the WAL, and a clerk's
commit touches 15-21 pages (the row, its indexes, the journal and its indexes, the clock) holding a
few hundred bytes of news. On an SD card that is the wear: with 1 KiB pages the database's share
of a day of work (bench/node_health_bench.py) fell from 28 to 12 MB, with the same commits and the
same fsyncs. A database made with other pages is rebuilt once (`VACUUM`) when it is opened with
no one else on it.
"""
from __future__ import annotations

import logging
from pathlib import Path

from peewee import DatabaseError, DatabaseProxy, SqliteDatabase

from motcua.migrations import close_bound, open_migrated

logger = logging.getLogger(__name__)

# Peewee models need a database object when the class is defined: this one unbound proxy is bound
# by `open_database` (the one honest global, see STYLE.md).
db = DatabaseProxy()

PAGE_SIZE = 1024

PRAGMAS = {
    "page_size": PAGE_SIZE,    # before journal_mode: a new file takes it; see the docstring
    "journal_mode": "wal",
    "synchronous": 2,          # FULL
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "cache_size": -16000,      # 16 MB page cache
    "temp_store": "memory",
}

DB_FILENAME = "node.db"


def database_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / DB_FILENAME


def open_database(data_dir: str | Path) -> SqliteDatabase:
    """Open (creating if needed) the node database in `data_dir`, bind the proxy and migrate it."""
    from node.migrations import NODE

    path = database_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    database = open_migrated(db, SqliteDatabase(str(path), pragmas=PRAGMAS,
                                                check_same_thread=False, timeout=10), NODE)
    shrink_pages(database)
    return database


def shrink_pages(database: SqliteDatabase) -> bool:
    """Rebuild a database made with larger pages (older releases) with PAGE_SIZE ones, once.

    Only with no other connection on the file (leaving WAL needs it alone; no waiting for it):
    otherwise it stays as it is, fully usable, and the next open tries again. VACUUM runs under
    a rollback journal, so a power cut midway leaves the old database whole.
    :returns: True when it was rebuilt."""
    if _pragma(database, "page_size") == PAGE_SIZE:
        return False
    busy = _pragma(database, "busy_timeout")
    _pragma(database, "busy_timeout = 0")
    try:
        mode = _pragma(database, "journal_mode = DELETE")
        if mode != "delete":             # another connection holds the WAL open
            return False
        database.execute_sql(f"PRAGMA page_size = {PAGE_SIZE}")
        database.execute_sql("VACUUM")
        logger.info("node database rebuilt with %d-byte pages", PAGE_SIZE)
        return True
    except DatabaseError as exc:       # locked meanwhile, or damaged (`node doctor` says which)
        # The text only: a kept exception keeps its cursor, and so the file, open.
        logger.warning("node database kept its pages: %s", str(exc))
        return False
    finally:
        _pragma(database, f"busy_timeout = {int(busy)}")
        try:
            _pragma(database, "journal_mode = WAL")
        except DatabaseError as exc:   # still a whole database (rollback journal): WAL next open
            logger.warning("node database left in rollback-journal mode: %s", str(exc))


def _pragma(database: SqliteDatabase, text: str):
    """A pragma's value, its statement run to the end (one left open would hold a read lock)."""
    rows = database.execute_sql(f"PRAGMA {text}").fetchall()
    return rows[0][0] if rows else None


def close_database() -> None:
    close_bound(db)
