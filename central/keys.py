"""The center's own keys: made once in its data dir, shared by every center process that serves it.

Points pin the public half at enrollment, so a center whose `central_keys.json` is lost must never
quietly make new ones: every point would refuse its answers, and every enrollment file it issued
would name a key it no longer holds. Keys are made only for a center that has not yet enrolled a
point nor issued an enrollment token, or when the technician asks for new ones
(`motcua central init --new-keys`); otherwise the center refuses to start, in one line.

The private file is written 0600, tmp → fsync → rename
(`sync.crypto.save_identity`); two processes starting at once race harmlessly: the loser re-reads.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from motcua import errors as E
from motcua.errors import Conflict
from sync import crypto
from sync.events import CENTER_ID  # noqa: F401  (re-exported: central.keys.CENTER_ID)

logger = logging.getLogger(__name__)

KEYS_FILENAME = "central_keys.json"


def center_identity(data_dir: str | os.PathLike, *, new_keys: bool = False) -> crypto.Identity:
    """The center's identity from its data dir, made on first use (or with `new_keys`).
    :raises CryptoRefused: bad_key; Conflict: the file is gone after points pinned the keys."""
    path = Path(data_dir) / KEYS_FILENAME
    if not path.exists():
        if not new_keys and _keys_were_given_out():      # the one line goes to the journal
            raise Conflict(E.CENTER_KEYS_LOST(path=path))
        if new_keys:
            logger.critical("new center keys made on request: every point must enroll again")
        fresh = crypto.generate_identity()
        try:
            fd = os.open(path.with_suffix(".lock"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:          # another process is writing it right now
            fd = None
        if fd is not None:
            os.close(fd)
            try:
                if not path.exists():
                    crypto.save_identity(fresh, path)
                    logger.info("center keys made: %s", fresh.public_keys().fingerprint())
            finally:
                path.with_suffix(".lock").unlink(missing_ok=True)
    return crypto.load_identity(path)


def _keys_were_given_out() -> bool:
    """Whether this center's database knows a point that pinned its keys, or an enrollment token
    or file issued with them (the database must be open; a database not open knows nothing)."""
    from central.db import db
    from central.models import EnrollToken, Point
    if db.obj is None:
        return False
    return (Point.select().where(Point.sign_pub.is_null(False)).exists()
            or EnrollToken.select().exists())
