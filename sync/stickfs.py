"""The USB stick as an untrusted file system: real lanes, bounded reads, writes and deletions that
never leave the stick.

A stick passes through other hands, so nothing on it is taken at its word (docs/protocol.md,
"Folder (USB) transport", "A stick from other hands"):

- every folder below the stick root (`motcua`, the unit, `up`/`down`, `receipts`) must be a real
  folder, not a symlink, before anything in it is read, written or deleted;
- a file is opened with O_NOFOLLOW|O_NONBLOCK (a symlink or a FIFO never leads anywhere, never
  hangs), must be a regular file, and is read with a bound (a parcel's or a document's maximum);
- only regular files are deleted; a name taken by a folder or a special file is left as it is;
- a stick that cannot be written (read-only, full, pulled out) is one `StickUnusable` line, and
  `probe_writable` finds that out before anything is ingested or acknowledged.

One refused entry is a `StickRefused` (a `ParcelRefused`: a stable reason and a Vietnamese
message), reported and logged by the caller, which goes on with the rest.
"""
from __future__ import annotations

import errno
import logging
import os
import re
import secrets
import stat
from pathlib import Path

from motcua import errors as E, files
from motcua.errors import DomainError
from sync.parcel import MAX_CONTENT_BYTES, ParcelRefused

logger = logging.getLogger(__name__)

# The largest parcel the protocol allows (as central/uploads.py MAX_UPLOAD_BYTES): the header and
# signature fit in the 64 KiB beyond the largest content. Anything bigger is refused unread.
MAX_PARCEL_BYTES = MAX_CONTENT_BYTES + 64 * 1024
# Manifests, receipts, the keys file, enrollment and rotation requests: JSON far under this.
MAX_DOC_BYTES = 16 * 1024 * 1024

_READ_FLAGS = (os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
               | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
_TMP_NAME = re.compile(r"\..+\.tmp")
_BLOCK = 1024 * 1024


class StickRefused(ParcelRefused):
    """One entry on the stick is not taken (symlink, special file, folder, too large, unreadable);
    the caller reports it and goes on with the rest."""


class StickUnusable(DomainError):
    """The stick, or this side's lane on it, cannot be used at all (read-only, full, pulled out,
    a lane that is a symlink): one line for the CLI and the clerk's USB page."""
    status = 409
    code = "stick_unusable"


_WRITE_ERRORS = {errno.EROFS: E.STICK_READ_ONLY, errno.EACCES: E.STICK_NO_RIGHT,
                 errno.EPERM: E.STICK_NO_RIGHT, errno.ENOSPC: E.STICK_FULL}
for _name, _text in (("EDQUOT", E.STICK_FULL), ("EIO", E.STICK_GONE), ("ENODEV", E.STICK_GONE),
                     ("ENXIO", E.STICK_GONE), ("ENOENT", E.STICK_GONE), ("ESTALE", E.STICK_GONE)):
    if hasattr(errno, _name):                      # not every platform names them all
        _WRITE_ERRORS[getattr(errno, _name)] = _text


def unusable(exc: OSError, path: str | os.PathLike) -> StickUnusable:
    """The one line a clerk reads for a write the stick refused (the details go to the log)."""
    logger.warning("stick: cannot write %s: %s", path, exc)
    return StickUnusable(_WRITE_ERRORS.get(exc.errno) or E.STICK_WRITE_FAILED(detail=exc.strerror))


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISDIR(mode):
        return "dir"
    return "file" if stat.S_ISREG(mode) else "special"


def kind_of(path: str | os.PathLike) -> str | None:
    """'file', 'dir', 'symlink', 'special' (FIFO, device, socket), or None when absent; never
    follows a link. :raises StickUnusable: the stick cannot be read at all (EIO)."""
    try:
        return _kind(os.lstat(path).st_mode)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:                          # EIO: a failing or pulled-out stick
        raise unusable(exc, path) from None


def refusal(kind: str, label: str) -> StickRefused:
    """Why an entry of this kind is not taken where a regular file was expected."""
    if kind == "symlink":
        return StickRefused(E.STICK_SYMLINK(label=label))
    if kind == "dir":
        return StickRefused(E.STICK_NOT_A_FILE(label=label))
    return StickRefused(E.STICK_SPECIAL_FILE(label=label))


def check_dirs(root: str | os.PathLike, parts: list[str], *, create: bool = False) -> bool:
    """Every component `root/parts[0]/…` is a real folder (not a symlink), made when missing and
    `create`. Returns False when one is missing (and not made).
    :raises StickRefused: a component is a symlink or not a folder.
    :raises StickUnusable: a folder could not be made (read-only or full stick)."""
    path, label = Path(root), ""
    if create:                                      # the root is given by the person: trusted
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise unusable(exc, path) from None
    for part in parts:
        path, label = path / part, f"{label}/{part}" if label else part
        kind = kind_of(path)
        if kind is None:
            if not create:
                return False
            try:
                os.mkdir(path)
            except FileExistsError:
                pass
            except OSError as exc:
                raise unusable(exc, path) from None
            kind = kind_of(path)
        if kind == "symlink":
            raise StickRefused(E.STICK_SYMLINK_DIR(label=label))
        if kind != "dir":
            raise StickRefused(E.STICK_NOT_A_DIRECTORY(label=label))
    return True


def entries(folder: Path, match) -> list[Path]:
    """Names in `folder` (of any kind: the reader refuses what is not a regular file) that
    `match(name)` accepts, sorted; hidden names never."""
    try:
        with os.scandir(folder) as it:
            names = [e.name for e in it if not e.name.startswith(".") and match(e.name)]
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as exc:
        logger.warning("stick: cannot list %s: %s", folder, exc)
        return []
    return [folder / name for name in sorted(names)]


def read_file(path: str | os.PathLike, *, limit: int, label: str | None = None) -> bytes:
    """The bytes of a regular file on the stick, at most `limit`; never follows a symlink, never
    blocks on a FIFO, never reads a device.
    :raises StickRefused: symlink, not_a_file, special_file, too_large, unreadable (or absent)."""
    label = label or Path(path).name
    kind = kind_of(path)
    if kind is None:
        raise StickRefused(E.STICK_MISSING(label=label))
    if kind != "file":
        raise refusal(kind, label)
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise refusal("symlink", label) from None
        raise StickRefused(E.STICK_UNREADABLE(label=label, detail=exc.strerror)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):           # swapped between lstat and open
            raise refusal(_kind(st.st_mode), label)
        if st.st_size > limit:
            raise _too_large(label, st.st_size, limit)
        chunks, have = [], 0
        while have <= limit:
            block = os.read(fd, min(_BLOCK, limit + 1 - have))
            if not block:
                break
            chunks.append(block)
            have += len(block)
        if have > limit:                           # grew while being read
            raise _too_large(label, have, limit)
        return b"".join(chunks)
    except OSError as exc:
        raise StickRefused(E.STICK_UNREADABLE(label=label, detail=exc.strerror)) from None
    finally:
        os.close(fd)


def _too_large(label: str, size: int, limit: int) -> StickRefused:
    return StickRefused(E.STICK_TOO_LARGE(label=label, size=size, limit=limit))


def same_bytes(path: Path, data: bytes) -> bool:
    """Whether a regular file with exactly these bytes already lies at `path`."""
    try:
        return os.lstat(path).st_size == len(data) and read_file(path, limit=len(data)) == data
    except (OSError, StickRefused):
        return False


def write_file(path: Path, data: bytes) -> None:
    """Write durably (tmp → fsync → rename → fsync dir) into a lane already checked; a failed
    write leaves no `.tmp`.
    :raises StickRefused: the name is taken by a folder, symlink or special file (left as it is).
    :raises StickUnusable: the stick is read-only, full or gone."""
    kind = kind_of(path)
    if kind not in (None, "file"):
        raise refusal(kind, path.name)
    try:
        files.write_durably(path, data)
    except OSError as exc:
        raise unusable(exc, path) from None


def remove_file(path: Path) -> bool:
    """Delete a regular file (never what a symlink points at, never a folder or a special file).
    Returns False when there was nothing.
    :raises StickRefused: the entry is not a regular file (left as it is).
    :raises StickUnusable: the stick refused the deletion."""
    kind = kind_of(path)
    if kind is None:
        return False
    if kind != "file":
        raise refusal(kind, path.name)
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise unusable(exc, path) from None
    return True


def sweep_temporaries(lane_dir: Path) -> int:
    """Remove the hidden `.tmp` files an interrupted write left in a (checked) lane and its
    `receipts` folder: regular files only, nothing below or beyond them."""
    count = 0
    for folder in (lane_dir, lane_dir / "receipts"):
        if kind_of(folder) != "dir":
            continue
        try:
            with os.scandir(folder) as it:
                names = [e.name for e in it if _TMP_NAME.fullmatch(e.name)
                         and e.is_file(follow_symlinks=False)]
        except OSError as exc:
            raise unusable(exc, folder) from None
        for name in names:
            count += remove_file(folder / name)
    return count


def probe_writable(folder: Path) -> None:
    """Write, fsync and remove one byte in `folder`, so a read-only or full stick shows before
    anything is ingested or acknowledged. :raises StickUnusable: with the one line to show."""
    probe = folder / f".motcua-probe.{secrets.token_hex(4)}.tmp"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                     0o644)
        try:
            os.write(fd, b"\0")
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        try:
            if kind_of(probe) == "file":
                os.unlink(probe)
        except OSError:
            pass
        raise unusable(exc, folder) from None
    try:
        os.unlink(probe)
    except OSError as exc:
        raise unusable(exc, folder) from None
