"""Backing up a point and restoring it: `motcua node backup`, `backup verify`, `node restore`.

A backup is one file: a tar stream (a consistent copy of `node.db` made with SQLite's online backup
API while the point keeps serving, the scans, the keys, `node.cfg`, and a manifest) encrypted under
a passphrase (`sync.crypto.PassphraseWriter`: scrypt + ChaCha20-Poly1305 records). The spool
(`outbox/`) is left out on purpose: after a restore the point rebuilds its parcels from where the
center stands (below), never from what it remembered when the copy was taken.

An old backup knows less than the center: parcels sent, events acknowledged, dossier codes issued
after it was taken. So a restored point is marked `restore:standing` and sends nothing until the
center has told it where it stands (`node.rounds` asks a live carrier, `POST /sync/v1/standing`, see
docs/protocol.md "Restoring a point"); `resume_from_standing` then continues the parcel chain after
the center's last parcel, lifts the code and book counters and the hybrid clock past what the
center holds, and the center sends back every event of the point's dossiers, which the inbox applies
once; a dossier the backup lacked gets its row back from the fold of those events, like any other
(`node.apply.refold` writes the row of every dossier received here).
"""
from __future__ import annotations

import io
import json
import logging
import os
import shutil
import sqlite3
import tarfile
import tempfile
import time
from datetime import datetime
from pathlib import Path

from motcua import errors as E, legaltime
from motcua.errors import Conflict, InvalidInput
from motcua.files import write_durably
from node.db import DB_FILENAME, database_path
from sync import crypto

logger = logging.getLogger(__name__)

FORMAT = "motcua-node-backup-1"
MIN_PASSPHRASE = 10
KEY_FILES = ("node_keys.json", "node_keys.prev.json", "node_keys.next.json", "node.cfg")
STANDING_KEY = "restore:standing"
RESTORE_CODE_FLOOR = 5000      # a desk takes 20–80 dossiers a day: far above any real day


def check_passphrase(passphrase: str) -> str:
    passphrase = (passphrase or "").strip("\n")
    if len(passphrase) < MIN_PASSPHRASE:
        raise InvalidInput(E.WEAK_PASSPHRASE(min=MIN_PASSPHRASE), field="passphrase")
    return passphrase


def make_backup(data_dir: str | os.PathLike, target: str | os.PathLike, passphrase: str) -> dict:
    """Write an encrypted backup of the point in `data_dir` to `target` (tmp → fsync → rename).
    Safe while the point serves. Returns the manifest. :raises InvalidInput: weak passphrase."""
    passphrase = check_passphrase(passphrase)
    data_dir, target = Path(data_dir), Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".motcua-backup-", dir=target.parent) as tmp:
        snapshot = Path(tmp) / DB_FILENAME
        _snapshot_database(database_path(data_dir), snapshot)
        manifest = _manifest(snapshot, data_dir)
        partial = Path(tmp) / "backup.part"
        with open(partial, "wb") as raw:
            writer = crypto.PassphraseWriter(raw, passphrase)
            with tarfile.open(fileobj=writer, mode="w|") as tar:
                _add_bytes(tar, "manifest.json", json.dumps(manifest, ensure_ascii=False,
                                                            indent=1).encode())
                tar.add(snapshot, arcname=DB_FILENAME)
                for name in KEY_FILES:
                    if (data_dir / name).is_file():
                        tar.add(data_dir / name, arcname=name)
                for path in sorted((data_dir / "scans").glob("??/*")):
                    if path.is_file() and len(path.name) == 64:
                        tar.add(path, arcname=f"scans/{path.parent.name}/{path.name}")
            writer.close()
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, target)
        _fsync_dir(target.parent)
    _note_backup()
    logger.info("backup of %s written to %s (%d dossiers, %d scans)", manifest["unit_code"],
                target, manifest["dossiers"], manifest["scans"])
    return manifest


def _note_backup() -> None:
    """Remember when the last backup was made (doctor and the heartbeat read it)."""
    from node.facts import set_state
    from node.heartbeat import LAST_BACKUP_KEY
    from node.models import State, db
    if db.obj is None:
        return
    with db.atomic("IMMEDIATE"):
        set_state(LAST_BACKUP_KEY, legaltime.now().isoformat(timespec="seconds"))
        State.delete().where(State.key == "backup:last_error").execute()


def verify_backup(source: str | os.PathLike, passphrase: str) -> dict:
    """Read the whole backup without restoring it: decrypts every record, checks the database's
    integrity and every scan against its name. Returns the manifest with `problems` (a list).
    :raises InvalidInput: not a backup, wrong passphrase, cut short or altered."""
    with tempfile.TemporaryDirectory(prefix=".motcua-verify-") as tmp:
        manifest = _unpack(source, passphrase, Path(tmp))
        manifest["problems"] = _check_unpacked(Path(tmp), manifest)
    return manifest


def restore_backup(data_dir: str | os.PathLike, source: str | os.PathLike, passphrase: str, *,
                   replace: bool = False) -> dict:
    """Restore a backup into `data_dir`, which must not hold a point (or, with `replace`, the
    point there is moved aside to `<data_dir>.before-restore-<time>`). The point then waits for
    the center's standing before sending anything. Returns the manifest.
    :raises InvalidInput: bad file or passphrase, a damaged backup; Conflict: a point is there."""
    data_dir = Path(data_dir)
    if database_path(data_dir).exists() and not replace:
        raise Conflict(E.POINT_EXISTS(folder=data_dir))
    staging = data_dir.with_name(f".{data_dir.name}.restoring")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        manifest = _unpack(source, passphrase, staging)
        problems = _check_unpacked(staging, manifest)
        if problems:
            raise InvalidInput(E.BACKUP_DAMAGED(detail="; ".join(problems[:3])))
        (staging / "scans").mkdir(exist_ok=True)
        for name in KEY_FILES:
            if (staging / name).exists():
                os.chmod(staging / name, 0o600)
        _mark_restored(staging, manifest)
        if data_dir.exists():
            aside = data_dir.with_name(f"{data_dir.name}.before-restore-"
                                       f"{legaltime.now():%Y%m%d-%H%M%S}")
            os.replace(data_dir, aside)
            logger.warning("restore: the former %s is kept as %s", data_dir, aside)
        os.replace(staging, data_dir)
        _fsync_dir(data_dir.parent)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    logger.info("restored %s from a backup of %s", manifest["unit_code"], manifest["created_at"])
    return manifest


def needs_standing() -> bool:
    """True while a restored point has not yet heard where the center stands."""
    from node.facts import get_state
    return bool(get_state(STANDING_KEY))


def resume_from_standing(data_dir: str | os.PathLike, standing: dict) -> None:
    """Continue after a restore from what the center holds (`POST /sync/v1/standing`): the up
    chain after its last parcel from us, the down chain after the last parcel we acknowledged,
    counters and clock past everything it has seen from us. Idempotent."""
    from node.facts import get_state, set_state
    from node.models import State, db
    from sync import hlc
    data_dir = Path(data_dir)
    outbox = data_dir / "outbox"
    shutil.rmtree(outbox, ignore_errors=True)
    outbox.mkdir(parents=True)
    write_durably(outbox / "chain.json", json.dumps({
        "last_seq": int(standing["last_seq_in"]), "last_hash": standing["last_hash_in"] or "",
        "through": 0}).encode())          # every unacknowledged journal row goes again
    with db.atomic("IMMEDIATE"):
        set_state("sync:down_last_seq", str(int(standing["down_acked_seq"])))
        set_state("sync:down_last_hash", standing["down_acked_hash"] or "")
        for name, value in standing["counters"].items():
            key = f"counter:{name}"
            if int(value) > int(get_state(key, "0")):
                set_state(key, str(int(value)))
        if standing.get("max_hlc"):
            ours = hlc.Stamp.parse(get_state("hlc", str(hlc.ZERO)) or str(hlc.ZERO))
            theirs = hlc.Stamp.parse(standing["max_hlc"])
            if theirs > ours:
                set_state("hlc", str(theirs))
        State.delete().where(State.key == STANDING_KEY).execute()
    logger.info("resumed after restore: up chain at %s, down chain at %s, %d counters",
                standing["last_seq_in"], standing["down_acked_seq"], len(standing["counters"]))


# --- the parts ----------------------------------------------------------------------------------

def _snapshot_database(source: Path, target: Path) -> None:
    """A consistent copy while others write (SQLite's online backup API, page by page)."""
    if not source.is_file():
        raise InvalidInput(E.BACKUP_NO_DATABASE(path=source))
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst, pages=1024, sleep=0.01)
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()


def _manifest(snapshot: Path, data_dir: Path) -> dict:
    import motcua
    con = sqlite3.connect(snapshot)
    try:
        state = dict(con.execute("SELECT key, value FROM state").fetchall())
        dossiers = con.execute("SELECT COUNT(*) FROM dossier").fetchone()[0]
        events = con.execute("SELECT COUNT(*) FROM event").fetchone()[0]
        scans = con.execute("SELECT COUNT(*) FROM blob WHERE purged_at IS NULL").fetchone()[0]
    finally:
        con.close()
    return {"format": FORMAT, "unit_code": state.get("unit_code"), "name": state.get("unit_name"),
            "created_at": legaltime.now().isoformat(timespec="seconds"),
            "software": getattr(motcua, "__version__", "?"), "dossiers": dossiers,
            "events": events, "scans": scans, "database_sha256": _file_sha(snapshot),
            "enrolled": bool(state.get("central_keys"))}


def _unpack(source, passphrase: str, into: Path) -> dict:
    try:
        with open(source, "rb") as raw:
            reader = crypto.PassphraseReader(raw, passphrase)
            with tarfile.open(fileobj=reader, mode="r|") as tar:
                for member in tar:
                    if not _allowed(member):
                        raise InvalidInput(E.BACKUP_ODD_ENTRY(name=repr(member.name)))
                    tar.extract(member, into, filter="data")
    except OSError as exc:
        raise InvalidInput(E.BACKUP_UNREADABLE(path=source, detail=exc.strerror)) from None
    except crypto.CryptoRefused as exc:
        raise InvalidInput({"bad_backup": E.BACKUP_NOT_A_BACKUP,
                            "bad_passphrase": E.BACKUP_BAD_PASSPHRASE,
                            }.get(exc.reason, E.BACKUP_CUT_SHORT)) from None
    except tarfile.TarError:
        raise InvalidInput(E.BACKUP_CONTENT_UNREADABLE) from None
    try:
        manifest = json.loads((into / "manifest.json").read_text())
        if manifest.get("format") != FORMAT:
            raise ValueError
    except (OSError, ValueError):
        raise InvalidInput(E.BACKUP_NO_MANIFEST) from None
    return manifest


def _allowed(member: tarfile.TarInfo) -> bool:
    name = member.name
    if not member.isfile():
        return False
    if name in ("manifest.json", DB_FILENAME) or name in KEY_FILES:
        return True
    parts = name.split("/")
    return (len(parts) == 3 and parts[0] == "scans" and len(parts[2]) == 64
            and parts[1] == parts[2][:2] and not parts[2].strip("0123456789abcdef"))


def _check_unpacked(folder: Path, manifest: dict) -> list[str]:
    problems = []
    db_file = folder / DB_FILENAME
    if not db_file.is_file():
        return ["thiếu cơ sở dữ liệu"]
    if _file_sha(db_file) != manifest.get("database_sha256"):
        problems.append("cơ sở dữ liệu khác bảng kê")
    con = sqlite3.connect(db_file)
    try:
        result = [r[0] for r in con.execute("PRAGMA integrity_check").fetchall()]
    except sqlite3.DatabaseError as exc:
        result = [str(exc)]
    finally:
        con.close()
    if result != ["ok"]:
        problems.append("cơ sở dữ liệu hỏng: " + "; ".join(result[:2]))
    scans = list((folder / "scans").glob("??/*")) if (folder / "scans").exists() else []
    for path in scans:
        if _file_sha(path) != path.name:
            problems.append(f"bản quét {path.name[:12]}… hỏng")
    if len(scans) < int(manifest.get("scans", 0)):
        problems.append(f"thiếu bản quét: {len(scans)}/{manifest['scans']}")
    return problems


def _mark_restored(folder: Path, manifest: dict) -> None:
    """Flag the restored database: wait for the center's standing; until then, issue today's
    dossier numbers from RESTORE_CODE_FLOOR and jump the tracking book ahead, because the lost
    copy may have issued numbers after the backup that the center holds (only today's numbers
    can clash: earlier days are over, later ones come from this copy)."""
    today = legaltime.now()
    days = max(0, (today - datetime.fromisoformat(manifest["created_at"])).days) + 1
    con = sqlite3.connect(folder / DB_FILENAME)
    try:
        with con:
            state = dict(con.execute("SELECT key, value FROM state").fetchall())
            for key, value in _counter_floors(state, today, days).items():
                con.execute("INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)", (key, str(value)))
            if manifest.get("enrolled"):
                con.execute("INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)",
                            (STANDING_KEY, manifest["created_at"]))
            con.execute("INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)",
                        ("restore:last", f"{today.isoformat(timespec='seconds')} "
                                         f"from a backup of {manifest['created_at']}"))
    finally:
        con.close()


def _counter_floors(state: dict, today: datetime, days: int) -> dict[str, int]:
    """Today's dossier number and this year's tracking-book number lifted clear of any the
    center may hold from a copy of this point that worked `days` days this copy does not know."""
    code_key, book_key = f"counter:code:{today:%y%m%d}", f"counter:book:{today:%Y}"
    return {code_key: max(int(state.get(code_key, 0)), RESTORE_CODE_FLOOR),
            book_key: int(state.get(book_key, 0)) + max(1000, 200 * days)}


def await_standing_if_new(data_dir: str | os.PathLike, *, since: str) -> bool:
    """A point installed from nothing and enrolled under a unit code the center already holds a
    past for (`central.enrollment.has_history`): like a restored point, it sends nothing until
    the center has told it where it stands, and meanwhile numbers today's dossiers clear of the
    center's. Nothing changes for a point that has a parcel chain of its own (the same install
    enrolling again, e.g. after the center's keys were renewed): True when marked."""
    from node.facts import get_state, set_state
    from node.models import db
    chain = Path(data_dir) / "outbox" / "chain.json"
    built = chain.exists() and int(json.loads(chain.read_text()).get("last_seq", 0)) > 0
    if built or int(get_state("sync:down_last_seq", "0") or 0) > 0:
        return False
    today = legaltime.now()
    with db.atomic("IMMEDIATE"):
        set_state(STANDING_KEY, since)
        state = {k: get_state(k, "0") for k in _counter_floors({}, today, 1)}
        # The center may hold numbers from any day of this year: the whole year is unknown here.
        for key, value in _counter_floors(state, today, today.timetuple().tm_yday).items():
            set_state(key, str(value))
    logger.warning("new install of a point the center knows: waiting for its standing")
    return True


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def _file_sha(path: Path) -> str:
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
