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
"""
from __future__ import annotations

import base64
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

from motcua import files
from sync import crypto
from sync.parcel import ParcelRefused, canonical_json, parcel_sha256, peek_header, verify_parcel
from sync.receipt import verify_receipt

ROOT_NAME = "motcua"
KEYS_NAME = "public_keys.json"
MANIFEST_NAME = "manifest.json"
_HASH_NAME = re.compile(r"[0-9a-f]{64}\.json")

Progress = Callable[[int, int, str], None]


def _no_progress(done: int, total: int, label: str) -> None:
    """The default progress hook: nobody is watching."""


@dataclass
class FerryReport:
    """What one export or import did, for the CLI and the clerk's summary (Vietnamese)."""
    went: list[str] = field(default_factory=list)       # what this side wrote for the other
    came: list[str] = field(default_factory=list)       # what this side took in
    refused: list[tuple[str, str, str]] = field(default_factory=list)   # (file, code, message)
    ignored: list[tuple[str, str]] = field(default_factory=list)        # (file or lane, why)
    left: list[str] = field(default_factory=list)       # what waits for the next trip
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def lines(self) -> list[str]:
        out = [f"Đã ghi: {x}" for x in self.went] + [f"Đã nhận: {x}" for x in self.came]
        out += [f"Từ chối {name}: {code} — {msg}" for name, code, msg in self.refused]
        out += [f"Bỏ qua {name}: {why}" for name, why in self.ignored]
        out += [f"Còn lại cho chuyến sau: {x}" for x in self.left] or ["Không còn gì chờ chuyến sau."]
        return out

    def to_dict(self) -> dict:
        return {"went": self.went, "came": self.came, "left": self.left, "counts": self.counts,
                "refused": [{"file": f, "code": c, "message": m} for f, c, m in self.refused],
                "ignored": [{"file": f, "why": w} for f, w in self.ignored]}




def ferry_root(folder: str | os.PathLike) -> Path:
    return Path(folder) / ROOT_NAME


def lane(folder: str | os.PathLike, unit: str, direction: str) -> Path:
    """`<FOLDER>/motcua/<unit>/<up|down>` (not created)."""
    if direction not in ("up", "down"):
        raise ValueError(direction)
    return ferry_root(folder) / unit / direction


def units_on(folder: str | os.PathLike) -> list[str]:
    """Unit codes that have a lane on the stick."""
    root = ferry_root(folder)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def parcel_files(lane_dir: Path) -> list[Path]:
    return sorted(lane_dir.glob("*.mcp")) if lane_dir.is_dir() else []


def receipt_files(lane_dir: Path) -> list[Path]:
    folder = lane_dir / "receipts"
    return sorted(p for p in folder.glob("*.json") if _HASH_NAME.fullmatch(p.name)) \
        if folder.is_dir() else []


def receipt_path(lane_dir: Path, parcel_sha256: str) -> Path:
    """Receipts are named by the parcel's hash: nothing else about the parcel shows."""
    return lane_dir / "receipts" / f"{parcel_sha256}.json"


def free_bytes(folder: str | os.PathLike) -> int:
    path = Path(folder)
    while not path.exists():
        path = path.parent
    return shutil.disk_usage(path).free


def sweep_temporaries(folder: str | os.PathLike) -> int:
    """Remove `.tmp` leftovers of writes a pulled stick interrupted; returns how many."""
    return files.sweep_temporaries(ferry_root(folder))


def write_manifest(lane_dir: Path, writer: str, reader: str, identity: crypto.Identity,
                   left: dict | None = None) -> dict:
    """List every file the writer left in its lane (size, sha256), signed by the writer."""
    entries = []
    for path in parcel_files(lane_dir) + receipt_files(lane_dir):
        data = path.read_bytes()
        entries.append({"name": path.relative_to(lane_dir).as_posix(), "size": len(data),
                        "sha256": crypto.sha256_hex(data)})
    body = {"v": 1, "writer": writer, "reader": reader, "files": entries, "left": left or {},
            "written_at": datetime.now().isoformat(timespec="seconds")}
    signature = crypto.sign(canonical_json(body), identity, purpose="ferry-manifest")
    files.write_durably(lane_dir / MANIFEST_NAME, canonical_json(
        {"manifest": body, "signature": base64.b64encode(signature).decode()}))
    return body


def read_manifest(lane_dir: Path, writer_sign_pub: bytes | None) -> dict | None:
    """The lane's manifest body, its signature checked when the writer's key is given.
    Returns None when there is none. :raises ValueError: unreadable or badly signed."""
    path = lane_dir / MANIFEST_NAME
    if not path.exists():
        return None
    try:
        doc = json.loads(path.read_bytes())
        body, signature = doc["manifest"], base64.b64decode(doc["signature"], validate=True)
    except (ValueError, KeyError, TypeError):
        raise ValueError("manifest unreadable") from None
    if writer_sign_pub is not None:
        try:
            crypto.verify(canonical_json(body), signature, writer_sign_pub, purpose="ferry-manifest")
        except crypto.CryptoRefused:
            raise ValueError("manifest signature does not verify") from None
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
    files.write_durably(ferry_root(folder) / KEYS_NAME, canonical_json(
        {"keys": body, "signature": base64.b64encode(signature).decode()}))


def read_public_keys(folder: str | os.PathLike) -> tuple[str, crypto.PublicKeys,
                                                         dict[str, list[crypto.PublicKeys]]] | None:
    """(center id, center keys, {unit: [current keys, previous…]}) from the stick, self-consistent (signed by the
    center key it names; compare that key's fingerprint with the one you trust). None if absent.
    :raises ValueError: unreadable or not signed by the center key it names."""
    path = ferry_root(folder) / KEYS_NAME
    if not path.exists():
        return None
    try:
        doc = json.loads(path.read_bytes())
        body = doc["keys"]
        center = crypto.PublicKeys.from_dict(body["center"])
        crypto.verify(canonical_json(body), base64.b64decode(doc["signature"], validate=True),
                      center.sign_pub, purpose="ferry-keys")
        points = {u: [crypto.PublicKeys.from_dict(k)]
                  + [crypto.PublicKeys.from_dict(p) for p in k.get("previous", [])]
                  for u, k in body["points"].items()}
    except (ValueError, KeyError, TypeError, crypto.CryptoRefused):
        raise ValueError("public keys file unreadable or not signed by its center") from None
    return body["center"]["id"], center, points


def prune(lane_dir: Path, keep: set[str]) -> int:
    """Delete the lane's parcels and receipts whose names are not in `keep` (the lane's writer
    only: they were acknowledged or are no longer owed). Returns how many went."""
    gone = 0
    for path in parcel_files(lane_dir) + receipt_files(lane_dir):
        if path.relative_to(lane_dir).as_posix() not in keep:
            path.unlink(missing_ok=True)
            gone += 1
    return gone


@dataclass
class VerifyReport:
    """What `verify_folder` found: one line per file, and the problems among them."""
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def bad(self, text: str) -> None:
        self.problems.append(text)
        self.lines.append(f"LỖI  {text}")


def verify_folder(folder: str | os.PathLike, *, center_fingerprint: str | None = None) -> VerifyReport:
    """Check signatures, hashes and completeness of everything on a stick, with public keys only;
    decrypts nothing and prints no content (file names, kinds, seq numbers, sizes)."""
    report = VerifyReport()
    if not ferry_root(folder).is_dir():
        report.bad(f"không thấy thư mục {ROOT_NAME}/ trong {folder}: đúng USB chưa?")
        return report
    try:
        keys = read_public_keys(folder)
    except ValueError as exc:
        keys = None
        report.bad(f"{KEYS_NAME}: {exc}")
    if keys is None:
        report.lines.append("Không có khóa công khai trên USB: chỉ kiểm tra cấu trúc và mã băm, "
                            "chưa kiểm tra chữ ký.")
        center_id, center, points = "central", None, {}
    else:
        center_id, center, points = keys
        report.lines.append(f"Khóa trung tâm trên USB: {center.fingerprint()}")
        if center_fingerprint and center.fingerprint() != center_fingerprint.strip().lower():
            report.bad(f"{KEYS_NAME}: khóa trung tâm khác dấu vân tay {center_fingerprint}")

    def keys_of(party: str) -> list[crypto.PublicKeys] | None:
        return [center] if party == center_id else points.get(party)

    for unit in units_on(folder):
        for direction in ("up", "down"):
            lane_dir = lane(folder, unit, direction)
            if not lane_dir.is_dir():
                continue
            writer, reader = (unit, center_id) if direction == "up" else (center_id, unit)
            _verify_lane(report, lane_dir, f"{unit}/{direction}", writer, reader, keys_of, keys is not None)
    report.lines.append(f"{'Tốt' if report.ok else 'CÓ LỖI'}: {len(report.problems)} vấn đề.")
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
        report.bad(f"{label}/{MANIFEST_NAME}: {error}")
    listed = {e["name"]: e for e in (manifest or {}).get("files", [])}
    if manifest is None and (parcel_files(lane_dir) or receipt_files(lane_dir)):
        report.bad(f"{label}: không có bản kê (manifest) hợp lệ")
    for name, entry in listed.items():
        path = lane_dir / name
        if not path.exists():
            report.bad(f"{label}/{name}: thiếu tệp có trong bản kê")
        elif path.stat().st_size != entry["size"]:
            report.bad(f"{label}/{name}: kích thước {path.stat().st_size}, bản kê ghi {entry['size']}")
    chain: dict[int, tuple[str, str]] = {}
    blobs: dict[str, list[int]] = {}
    for path in parcel_files(lane_dir):
        data = path.read_bytes()
        name, sha = path.name, parcel_sha256(data)
        if manifest is not None and name not in listed:
            report.bad(f"{label}/{name}: không có trong bản kê")
        elif name in listed and listed[name]["sha256"] != sha:
            report.bad(f"{label}/{name}: mã băm khác bản kê (bị sửa hoặc chép hỏng)")
            continue
        try:
            header = (verify_parcel(data, sender_keys_lookup=keys_of, expected_recipient=reader)
                      if signed else peek_header(data))
        except ParcelRefused as exc:
            report.bad(f"{label}/{name}: {exc.reason}")
            continue
        if header.sender != writer or header.recipient != reader:
            report.bad(f"{label}/{name}: gói của {header.sender} gửi {header.recipient}, "
                       f"không thuộc làn này")
            continue
        if header.kind == "blob-chunk":
            blobs.setdefault(header.blob_sha256, [header.blob_length, 0])[1] += header.content_length
        else:
            chain[header.seq] = (header.prev_hash, sha)
        report.lines.append(f"tốt  {label}/{name} {header.kind} "
                            f"{'seq ' + str(header.seq) if header.seq else ''} {len(data)} B".rstrip())
    seqs = sorted(chain)
    for a, b in zip(seqs, seqs[1:]):
        if b != a + 1:
            report.bad(f"{label}: thiếu gói số {a + 1}..{b - 1} trong chuỗi")
        elif chain[b][0] != chain[a][1]:
            report.bad(f"{label}: gói số {b} không nối tiếp gói số {a}")
    for i, (length, have) in enumerate(blobs.values(), 1):
        state = "đủ" if have >= length else "một phần, phần còn lại đi chuyến khác"
        report.lines.append(f"     {label}: tệp quét {i}: {have / 1e6:.1f}/{length / 1e6:.1f} MB ({state})")
    for path in receipt_files(lane_dir):
        name = path.relative_to(lane_dir).as_posix()
        if manifest is not None and name not in listed:
            report.bad(f"{label}/{name}: không có trong bản kê")
        if signed and writer_keys is None:
            report.bad(f"{label}/{name}: không có khóa công khai của {writer}")
        elif signed:
            try:
                _verify_receipt_any(path.read_bytes(), writer_keys, path.stem)
            except ParcelRefused as exc:
                report.bad(f"{label}/{name}: biên nhận {exc.reason}")
                continue
        report.lines.append(f"tốt  {label}/{name} biên nhận")


def _verify_receipt_any(data: bytes, keys: list[crypto.PublicKeys], parcel_sha: str) -> None:
    """A receipt signed with any of the writer's listed keys (current or within a rotation's grace)."""
    for key in keys[1:]:
        try:
            verify_receipt(data, key.sign_pub, parcel_sha)
            return
        except ParcelRefused:
            continue
    verify_receipt(data, keys[0].sign_pub, parcel_sha)
