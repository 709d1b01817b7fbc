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


def secret_file(path: str | os.PathLike) -> str:
    """A random secret (64 hex digits) made once at `path`, readable by its owner only, and read
    back ever after: what a side signs its cookies with. Two processes starting at once agree on
    one: the file is linked into place only where none is yet, never replaced."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(tmp, path)
            except FileExistsError:     # another process made it first: theirs stands
                pass
        finally:
            tmp.unlink(missing_ok=True)
        fsync_dir(path.parent)
    return path.read_text().strip()


class ContentFolder:
    """Files named by their SHA-256 under `root/ab/abcdef…`: the scans of a point and of the
    center. A name is checked before it becomes a path, so none ever leads outside `root`."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        """:raises InvalidInput: `sha256` is not 64 lowercase hex digits."""
        if not isinstance(sha256, str) or len(sha256) != 64 or sha256.strip("0123456789abcdef"):
            from motcua import errors as E
            from motcua.errors import InvalidInput
            raise InvalidInput(E.BAD_SHA256, field="sha256")
        return self.root / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        return self.path_for(sha256).exists()

    def read(self, sha256: str) -> bytes:
        """The file's bytes. :raises FileNotFoundError: not held here."""
        return self.path_for(sha256).read_bytes()
