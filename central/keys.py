"""The center's own keys: made once in its data dir, shared by every center process that serves it.

Points pin the public half at enrollment. The private file is written 0600, tmp → fsync → rename
(`sync.crypto.save_identity`); two processes starting at once race harmlessly: the loser re-reads.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from sync import crypto
from sync.events import CENTER_ID  # noqa: F401  (re-exported: central.keys.CENTER_ID)

logger = logging.getLogger(__name__)

KEYS_FILENAME = "central_keys.json"


def center_identity(data_dir: str | os.PathLike) -> crypto.Identity:
    """The center's identity from its data dir, made on first use. :raises CryptoRefused: bad_key."""
    path = Path(data_dir) / KEYS_FILENAME
    if not path.exists():
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
