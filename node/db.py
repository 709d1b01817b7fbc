"""The node's SQLite database: one file in the data dir, WAL, settings that survive a power cut.

Pragmas live here and nowhere else. `synchronous=FULL` because a commune PC loses power without
warning: a committed dossier must still be there after the lights come back (WAL + NORMAL can lose
the last commits on power loss, which would break "nothing acknowledged is lost").
"""
from __future__ import annotations

import logging
from pathlib import Path

from peewee import DatabaseProxy, SqliteDatabase

from motcua.migrations import close_bound, open_migrated

logger = logging.getLogger(__name__)

# Peewee models need a database object when the class is defined: this one unbound proxy is bound
# by `open_database` (the one honest global, see STYLE.md).
db = DatabaseProxy()

PRAGMAS = {
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
    return open_migrated(db, SqliteDatabase(str(path), pragmas=PRAGMAS, check_same_thread=False,
                                            timeout=10), NODE)


def close_database() -> None:
    close_bound(db)
