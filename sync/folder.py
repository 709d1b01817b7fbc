"""The USB stick: where parcels, receipts and signed manifests lie, and how files get there whole.

One stick carries lanes for many points, in both directions (docs/protocol.md, "Folder (USB)
transport"):

    <FOLDER>/motcua/public_keys.json           PUBLIC keys of the center and points, center-signed
    <FOLDER>/motcua/<unit>/up/*.mcp            the point's parcels for the center (written by the point)
    <FOLDER>/motcua/<unit>/up/receipts/*.json  the point's receipts for down parcels
    <FOLDER>/motcua/<unit>/down/*.mcp          the center's parcels for the point (written by the center)
    <FOLDER>/motcua/<unit>/down/receipts/*.json the center's receipts for the point's parcels
    <lane>/manifest.json                       what the lane's one writer put there, signed by it

Each lane has exactly one writer, so two parties never race on a file. Every file is written
tmp → fsync → rename → fsync(dir): a stick pulled out mid-write leaves a hidden `.tmp`, never a
half file under a real name. Nothing here needs a database or a private key except the writer's
own key for its manifest; `verify_folder` (`motcua parcel verify`) uses public keys only.
The stick itself is not trusted as a file system: every path goes through `sync.stickfs` (real
lanes, no symlinks, bounded reads of regular files, deletions of regular files only).
"""
from __future__ import annotations

import base64
import json
import logging
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from motcua import errors as E, legaltime
from sync import crypto, stickfs
from sync.carrier import Note, TripReport, say
from sync.events import CENTER_ID
from sync.parcel import ParcelRefused, canonical_json, parcel_sha256, peek_header, verify_parcel
from sync.receipt import verify_receipt
from sync.stickfs import (
    MAX_DOC_BYTES,
    MAX_PARCEL_BYTES,
    StickRefused,
    StickUnusable,
    check_dirs,
    entries,
    kind_of,
    probe_writable as probe_writable,
    read_file,
    remove_file,
    same_bytes as same_bytes,
    write_file,
)

# probe_writable and same_bytes are re-exported (`x as x`): the ferries call them as stick.*.

logger = logging.getLogger(__name__)

ROOT_NAME = "motcua"
KEYS_NAME = "public_keys.json"
MANIFEST_NAME = "manifest.json"
_HASH_NAME = re.compile(r"[0-9a-f]{64}\.json")
_LISTED_NAME = re.compile(r"[^/\\]+\.mcp|receipts/[0-9a-f]{64}\.json")   # what a manifest may name

Progress = Callable[[int, int, str], None]


def _no_progress(done: int, total: int, label: str) -> None:
    """The default progress hook: nobody is watching."""


# What one trip did: the report of a round over any carrier (kept under its old name here).
FerryReport = TripReport


def ferry_root(folder: str | os.PathLike) -> Path:
    return Path(folder) / ROOT_NAME


def lane(folder: str | os.PathLike, unit: str, direction: str) -> Path:
    """`<FOLDER>/motcua/<unit>/<up|down>` (not created)."""
    if direction not in ("up", "down"):
        raise ValueError(direction)
    return ferry_root(folder) / unit / direction


def survey(folder: str | os.PathLike) -> tuple[list[str], list[tuple[str, StickRefused]]]:
    """Unit codes with a real folder on the stick, and the entries refused instead (symlinks,
    special files, where a point's folder would be).
    :raises StickUnusable: `motcua/` itself is a symlink or not a folder."""
    try:
        if not check_dirs(folder, [ROOT_NAME]):
            return [], []
    except StickRefused as exc:
        raise StickUnusable(E.STICK_UNUSABLE(detail=exc.said or exc.message_vi)) from None
    units, odd = [], []
    for path in entries(ferry_root(folder), lambda name: True):
        kind = kind_of(path)
        if kind == "dir":
            units.append(path.name)
        elif kind in ("symlink", "special"):
            odd.append((f"{ROOT_NAME}/{path.name}", StickRefused(
                (E.STICK_ROOT_SYMLINK if kind == "symlink" else E.STICK_ROOT_SPECIAL)(
                    label=f"{ROOT_NAME}/{path.name}"))))
    return units, odd


def open_lane(folder: str | os.PathLike, unit: str, direction: str, *,
              create: bool = False) -> Path | None:
    """The lane, once `motcua/<unit>/<direction>` and its `receipts` are known to be real folders
    on the stick (made when `create`); None when absent.
    :raises StickRefused: a component is a symlink or not a folder.
    :raises StickUnusable: it could not be made (read-only or full stick)."""
    path = lane(folder, unit, direction)
    if not check_dirs(folder, [ROOT_NAME, unit, direction], create=create):
        return None
    check_dirs(path, ["receipts"], create=create)
    return path


def require_lane(folder: str | os.PathLike, unit: str, direction: str, *,
                 create: bool = False) -> Path | None:
    """`open_lane` for this side's own lane, which it cannot do without.
    :raises StickUnusable: with the one line to show (a symlink, a read-only or full stick)."""
    try:
        return open_lane(folder, unit, direction, create=create)
    except StickRefused as exc:
        raise StickUnusable(E.STICK_UNSAFE(detail=exc.said or exc.message_vi)) from None


def parcel_files(lane_dir: Path) -> list[Path]:
    """Entries named like parcels (of any kind: `read_parcel` refuses what is not a regular file)."""
    return entries(lane_dir, lambda name: name.endswith(".mcp"))


def receipt_files(lane_dir: Path) -> list[Path]:
    """Entries named like receipts in the lane's (checked) `receipts` folder."""
    if kind_of(lane_dir / "receipts") != "dir":
        return []
    return entries(lane_dir / "receipts", _HASH_NAME.fullmatch)


def read_parcel(path: Path) -> bytes:
    """A parcel file's bytes, bounded. :raises StickRefused: not a regular file, too large."""
    return read_file(path, limit=MAX_PARCEL_BYTES)


def read_doc(path: Path) -> bytes:
    """A receipt, manifest, keys file or request, bounded. :raises StickRefused: as `read_parcel`."""
    return read_file(path, limit=MAX_DOC_BYTES)


def present(path: Path) -> bool:
    """Whether anything (even a symlink or a folder) lies at `path`: the reader decides."""
    return kind_of(path) is not None


def receipt_path(lane_dir: Path, parcel_sha256: str) -> Path:
    """Receipts are named by the parcel's hash: nothing else about the parcel shows."""
    return lane_dir / "receipts" / f"{parcel_sha256}.json"


def free_bytes(folder: str | os.PathLike) -> int:
    path = Path(folder)
    while not path.exists():
        path = path.parent
    return shutil.disk_usage(path).free


def sweep_temporaries(lane_dir: Path) -> int:
    """Remove `.tmp` leftovers of writes a pulled stick interrupted, in one (checked) lane only,
    regular files only; returns how many."""
    return stickfs.sweep_temporaries(lane_dir)


def write_manifest(lane_dir: Path, writer: str, reader: str, identity: crypto.Identity,
                   left: dict | None = None) -> dict:
    """List every file the writer left in its lane (size, sha256), signed by the writer."""
    listed = []
    for path in parcel_files(lane_dir) + receipt_files(lane_dir):
        try:
            data = read_parcel(path)
        except StickRefused:
            continue                          # not the writer's: never listed as if it were
        listed.append({"name": path.relative_to(lane_dir).as_posix(), "size": len(data),
                       "sha256": crypto.sha256_hex(data)})
    body = {"v": 1, "writer": writer, "reader": reader, "files": listed, "left": left or {},
            "written_at": legaltime.now().isoformat(timespec="seconds")}
    signature = crypto.sign(canonical_json(body), identity, purpose="ferry-manifest")
    write_file(lane_dir / MANIFEST_NAME, canonical_json(
        {"manifest": body, "signature": base64.b64encode(signature).decode()}))
    return body


def read_manifest(lane_dir: Path, writer_sign_pub: bytes | None) -> dict | None:
    """The lane's manifest body, its signature checked when the writer's key is given.
    Returns None when there is none. :raises ValueError: unreadable or badly signed."""
    path = lane_dir / MANIFEST_NAME
    if not present(path):
        return None
    try:
        doc = json.loads(read_doc(path))
        body, signature = doc["manifest"], base64.b64decode(doc["signature"], validate=True)
    except StickRefused as exc:
        raise ValueError(exc.said or exc.message_vi) from None
    except (ValueError, KeyError, TypeError):
        raise ValueError(E.VERIFY_MANIFEST_UNREADABLE()) from None
    if writer_sign_pub is not None:
        try:
            crypto.verify(canonical_json(body), signature, writer_sign_pub, purpose="ferry-manifest")
        except crypto.CryptoRefused:
            raise ValueError(E.VERIFY_MANIFEST_UNSIGNED()) from None
    return body


def write_public_keys(folder: str | os.PathLike, center_id: str, identity: crypto.Identity,
                      points: dict[str, list[crypto.PublicKeys]]) -> None:
    """The center's and points' PUBLIC keys, signed by the center, so anyone can run verify.
    A point's keys are listed current first; keys replaced by a rotation still in their grace go
    under "previous" (files on the stick may still be signed with them)."""
    def entry(keys: list[crypto.PublicKeys]) -> dict:
        doc = keys[0].to_dict()
        if keys[1:]:
            doc["previous"] = [k.to_dict() for k in keys[1:]]
        return doc
    body = {"v": 1, "center": {"id": center_id, **identity.public_keys().to_dict()},
            "points": {unit: entry(keys) for unit, keys in sorted(points.items())}}
    signature = crypto.sign(canonical_json(body), identity, purpose="ferry-keys")
    write_file(ferry_root(folder) / KEYS_NAME, canonical_json(
        {"keys": body, "signature": base64.b64encode(signature).decode()}))


def read_public_keys(folder: str | os.PathLike) -> tuple[str, crypto.PublicKeys,
                                                         dict[str, list[crypto.PublicKeys]]] | None:
    """(center id, center keys, {unit: [current keys, previous…]}) from the stick, self-consistent
    (signed by the center key it names; compare that key's fingerprint with the one you trust).
    None if absent.
    :raises ValueError: unreadable or not signed by the center key it names."""
    path = ferry_root(folder) / KEYS_NAME
    if not present(path):
        return None
    try:
        doc = json.loads(read_doc(path))
        body = doc["keys"]
        center = crypto.PublicKeys.from_dict(body["center"])
        crypto.verify(canonical_json(body), base64.b64decode(doc["signature"], validate=True),
                      center.sign_pub, purpose="ferry-keys")
        points = {u: [crypto.PublicKeys.from_dict(k)]
                  + [crypto.PublicKeys.from_dict(p) for p in k.get("previous", [])]
                  for u, k in body["points"].items()}
    except StickRefused as exc:
        raise ValueError(exc.said or exc.message_vi) from None
    except (ValueError, KeyError, TypeError, crypto.CryptoRefused):
        raise ValueError(E.VERIFY_KEYS_UNREADABLE()) from None
    return body["center"]["id"], center, points


def prune(lane_dir: Path, keep: set[str], report: FerryReport | None = None) -> int:
    """Delete the lane's parcels and receipts whose names are not in `keep` (the lane's writer
    only: they were acknowledged or are no longer owed): regular files only, a folder, symlink or
    special file under such a name is left as it is (and reported). Returns how many went."""
    gone = 0
    for path in parcel_files(lane_dir) + receipt_files(lane_dir):
        name = path.relative_to(lane_dir).as_posix()
        if name in keep:
            continue
        try:
            gone += remove_file(path)
        except StickRefused as exc:
            if report is not None:
                report.leave(path.name, _why(exc))
    return gone


def _why(exc: Exception) -> Note:
    """What an error says, as a catalogue sentence when it carries one."""
    said = getattr(exc, "said", None) or (exc.args[0] if exc.args else None)
    return said if isinstance(said, E.Said) else getattr(exc, "message_vi", None) or str(exc)


@dataclass
class VerifyReport:
    """What `verify_folder` found: one note per file, and the problems among them, catalogue
    sentences rendered in either language by `lines`."""
    notes: list[Note] = field(default_factory=list)
    problems: list[Note] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def bad(self, problem: Note) -> None:
        self.problems.append(problem)
        self.notes.append(E.VERIFY_BAD(problem=problem))

    def lines(self, lang: str = "vi") -> list[str]:
        return [say(note, lang) for note in self.notes]


def verify_folder(folder: str | os.PathLike, *, center_fingerprint: str | None = None) -> VerifyReport:
    """Check signatures, hashes and completeness of everything on a stick, with public keys only;
    decrypts nothing and prints no content (file names, kinds, seq numbers, sizes)."""
    report = VerifyReport()
    try:
        units, odd = survey(folder)
    except StickUnusable as exc:
        report.bad(_why(exc))
        return report
    if kind_of(ferry_root(folder)) != "dir":
        report.bad(E.VERIFY_NOT_A_STICK(root=ROOT_NAME, folder=str(folder)))
        return report
    for name, exc in odd:
        report.bad(_why(exc))
    try:
        keys = read_public_keys(folder)
    except ValueError as exc:
        keys = None
        report.bad(E.VERIFY_FILE_BAD(file=KEYS_NAME, detail=_why(exc)))
    if keys is None:
        report.notes.append(E.VERIFY_NO_KEYS())
        center_id, center, points = CENTER_ID, None, {}
    else:
        center_id, center, points = keys
        report.notes.append(E.VERIFY_CENTER_KEY(fingerprint=center.fingerprint()))
        if center_fingerprint and center.fingerprint() != center_fingerprint.strip().lower():
            report.bad(E.VERIFY_OTHER_CENTER(file=KEYS_NAME, fingerprint=center_fingerprint))

    def keys_of(party: str) -> list[crypto.PublicKeys] | None:
        return [center] if party == center_id else points.get(party)

    for unit in units:
        for direction in ("up", "down"):
            try:
                lane_dir = open_lane(folder, unit, direction)
            except StickRefused as exc:
                report.bad(E.VERIFY_FILE_BAD(file=f"{ROOT_NAME}/{unit}", detail=_why(exc)))
                continue
            if lane_dir is None:
                continue
            writer, reader = (unit, center_id) if direction == "up" else (center_id, unit)
            _verify_lane(report, lane_dir, f"{unit}/{direction}", writer, reader, keys_of, keys is not None)
    report.notes.append((E.VERIFY_ALL_GOOD if report.ok else E.VERIFY_SOME_BAD)(n=len(report.problems)))
    return report


def _verify_lane(report: VerifyReport, lane_dir: Path, label: str, writer: str, reader: str,
                 keys_of, signed: bool) -> None:
    writer_keys = keys_of(writer)
    manifest, error = None, None
    for key in writer_keys or [None]:
        try:
            manifest = read_manifest(lane_dir, key.sign_pub if key else None)
            break
        except ValueError as exc:
            error = error or exc
    if manifest is None and error is not None:
        report.bad(E.VERIFY_FILE_BAD(file=f"{label}/{MANIFEST_NAME}", detail=_why(error)))
    files = (manifest or {}).get("files", [])
    listed = {e.get("name"): e for e in (files if isinstance(files, list) else [])
              if isinstance(e, dict)}
    if manifest is None and (parcel_files(lane_dir) or receipt_files(lane_dir)):
        report.bad(E.VERIFY_NO_MANIFEST(lane=label))
    for name, entry in listed.items():
        if not isinstance(name, str) or not _LISTED_NAME.fullmatch(name):
            report.bad(E.VERIFY_ODD_NAME(lane=label, name=repr(name)))
            continue
        path = lane_dir / name
        kind = kind_of(path)
        if kind is None:
            report.bad(E.VERIFY_MISSING(file=f"{label}/{name}"))
        elif kind != "file":
            report.bad(_why(stickfs.refusal(kind, f"{label}/{name}")))
        elif path.lstat().st_size != entry.get("size"):
            report.bad(E.VERIFY_SIZE(file=f"{label}/{name}", size=path.lstat().st_size,
                                     listed=entry.get("size")))
    chain: dict[int, tuple[str, str]] = {}
    blobs: dict[str, list[int]] = {}
    for path in parcel_files(lane_dir):
        try:
            data = read_parcel(path)
        except StickRefused as exc:
            if exc.reason != "missing" or path.name not in listed:      # already said above
                report.bad(E.VERIFY_FILE_REFUSED(file=f"{label}/{path.name}", code=exc.reason,
                                                 detail=_why(exc)))
            continue
        name, sha = path.name, parcel_sha256(data)
        if manifest is not None and name not in listed:
            report.bad(E.VERIFY_UNLISTED(file=f"{label}/{name}"))
        elif name in listed and listed[name].get("sha256") != sha:
            report.bad(E.VERIFY_HASH(file=f"{label}/{name}"))
            continue
        try:
            header = (verify_parcel(data, sender_keys_lookup=keys_of, expected_recipient=reader)
                      if signed else peek_header(data))
        except ParcelRefused as exc:
            report.bad(E.VERIFY_FILE_BAD(file=f"{label}/{name}", detail=exc.reason))
            continue
        if header.sender != writer or header.recipient != reader:
            report.bad(E.VERIFY_WRONG_LANE(file=f"{label}/{name}", sender=header.sender,
                                           recipient=header.recipient))
            continue
        if header.kind == "blob-chunk":
            blobs.setdefault(header.blob_sha256, [header.blob_length, 0])[1] += header.content_length
        else:
            chain[header.seq] = (header.prev_hash, sha)
        good = E.VERIFY_PARCEL_OK if header.seq else E.VERIFY_CHUNK_OK
        report.notes.append(good(file=f"{label}/{name}", kind=header.kind, seq=header.seq,
                                 size=len(data)))
    seqs = sorted(chain)
    for a, b in zip(seqs, seqs[1:]):
        if b != a + 1:
            report.bad(E.VERIFY_GAP(lane=label, first=a + 1, last=b - 1))
        elif chain[b][0] != chain[a][1]:
            report.bad(E.VERIFY_BROKEN_CHAIN(lane=label, seq=b, prev=a))
    for i, (length, have) in enumerate(blobs.values(), 1):
        report.notes.append(E.VERIFY_SCAN(lane=label, n=i, have=f"{have / 1e6:.1f}",
                                          length=f"{length / 1e6:.1f}",
                                          state=E.SCAN_WHOLE if have >= length else E.SCAN_PART))
    for path in receipt_files(lane_dir):
        name = path.relative_to(lane_dir).as_posix()
        if manifest is not None and name not in listed:
            report.bad(E.VERIFY_UNLISTED(file=f"{label}/{name}"))
        try:
            data = read_doc(path)
        except StickRefused as exc:
            report.bad(E.VERIFY_FILE_REFUSED(file=f"{label}/{name}", code=exc.reason, detail=_why(exc)))
            continue
        if signed and writer_keys is None:
            report.bad(E.VERIFY_NO_WRITER_KEY(file=f"{label}/{name}", writer=writer))
        elif signed:
            try:
                _verify_receipt_any(data, writer_keys, path.stem)
            except ParcelRefused as exc:
                report.bad(E.VERIFY_RECEIPT_BAD(file=f"{label}/{name}", code=exc.reason))
                continue
        report.notes.append(E.VERIFY_RECEIPT_OK(file=f"{label}/{name}"))


def _verify_receipt_any(data: bytes, keys: list[crypto.PublicKeys], parcel_sha: str) -> None:
    """A receipt signed with any of the writer's listed keys (current or within a rotation's grace)."""
    for key in keys[1:]:
        try:
            verify_receipt(data, key.sign_pub, parcel_sha)
            return
        except ParcelRefused:
            continue
    verify_receipt(data, keys[0].sign_pub, parcel_sha)
