"""Writing files so that a power cut leaves the old file, the new one, or nothing — never half.

tmp (in the same folder) → write → fsync → rename → fsync the folder. Every file motcua keeps or
carries (scans, parcels, receipts, keys, the spool's chain) goes through `write_durably`.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

TMP_GLOB = ".*.tmp"


def fsync_dir(path: str | os.PathLike) -> None:
    """Make a rename inside `path` itself durable (Windows cannot open a folder; NTFS journals
    renames anyway, so there it is skipped)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durably(path: str | os.PathLike, data: bytes, *, mode: int = 0o644) -> None:
    """Write `data` to `path` atomically and durably (`mode` e.g. 0o600 for private keys)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def sweep_temporaries(folder: str | os.PathLike, pattern: str = f"**/{TMP_GLOB}") -> int:
    """Remove the `.tmp` files a crash left under `folder`; returns how many."""
    count = 0
    for tmp in Path(folder).glob(pattern):
        tmp.unlink(missing_ok=True)
        count += 1
    return count
