"""The shape of every event kind's payload, checked before anything is applied, on both sides.

A parcel's seal proves who sent it, not that its bodies make sense: a name that is an object, a size
of 2**70 or a lone surrogate must be refused at the door with a reason, never reach the fold, a
search index or a template. `check_event` raises `SchemaError` (a `ValueError`) naming the field.
Unknown keys are tolerated (a newer point may send more) but count against the size bound.
"""
from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any, Callable, Mapping

from motcua.lifecycle import Status
from sync.events import KINDS, Event
from sync.hlc import Stamp

MAX_PAYLOAD_BYTES = 64 * 1024        # a dossier.received with 100 components is ~20 KB
MAX_RULES_BYTES = 4 * 1024 * 1024    # catalogue.updated: 369 procedures and their papers
MAX_DEPTH = 8
MAX_TEXT = 2000
MAX_SCAN_BYTES = 1 << 40

_ID = re.compile(r"[A-Za-z0-9_.:@-]{1,64}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_FIELD = re.compile(r"(applicant|owner)\.[a-z_]{1,40}|official_code|notes|returned_to"
                    r"|due_at|apology\.(reason|original_due_at|new_due_at)"
                    r"|guidance\.(to_add|at|contact)"
                    r"|fee\.(paid|method|stage|receipt_no|collected_at)")
# Fields a correction writes whose values are times (Form 04: the apology and its new date).
_TIME_FIELDS = frozenset({"due_at", "apology.original_due_at", "apology.new_due_at",
                          "guidance.at", "fee.collected_at"})
# A fee collected after reception (at a supplement or at the return): when, how, its receipt.
FEE_METHODS = frozenset({"cash", "transfer"})
FEE_STAGES = frozenset({"reception", "supplement", "return"})
STATUSES = frozenset(int(s) for s in Status)
DECISIONS = frozenset({"keep_a", "keep_b", "value"})
CHANNELS = frozenset({1, 2, 3})


class SchemaError(ValueError):
    """An event whose envelope or payload is not what its kind promises."""


Check = Callable[[Any, str], None]


def _fail(path: str, what: str) -> None:
    raise SchemaError(f"{path}: {what}")


def text(max_len: int = 300, *, required: bool = False, pattern: re.Pattern | None = None) -> Check:
    def check(value: Any, path: str) -> None:
        if value is None:
            if required:
                _fail(path, "bắt buộc")
            return
        if not isinstance(value, str):
            _fail(path, "phải là chuỗi")
        if len(value) > max_len:
            _fail(path, f"dài quá {max_len} ký tự")
        if required and not value:
            _fail(path, "bắt buộc")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            _fail(path, "không phải Unicode hợp lệ")
        if pattern is not None and not pattern.fullmatch(value):
            _fail(path, "sai định dạng")
    return check


def integer(lo: int, hi: int, *, required: bool = False,
            allowed: frozenset[int] | None = None) -> Check:
    def check(value: Any, path: str) -> None:
        if value is None:
            if required:
                _fail(path, "bắt buộc")
            return
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            _fail(path, f"phải là số nguyên từ {lo} đến {hi}")
        if allowed is not None and value not in allowed:
            _fail(path, "giá trị không được phép")
    return check


def boolean(value: Any, path: str) -> None:
    if value is not None and not isinstance(value, bool):
        _fail(path, "phải là đúng/sai")


def iso_time(*, required: bool = False) -> Check:
    base = text(40, required=required)

    def check(value: Any, path: str) -> None:
        base(value, path)
        if value:
            try:
                datetime.fromisoformat(value)
            except ValueError:
                _fail(path, "không phải thời điểm ISO 8601")
    return check


def scalar(value: Any, path: str) -> None:
    """A plain field value: text, a number, true/false or nothing."""
    if isinstance(value, str):
        text(MAX_TEXT)(value, path)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        integer(-(1 << 53), 1 << 53)(value, path)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            _fail(path, "không phải số hữu hạn")
    else:
        _fail(path, "phải là giá trị đơn (chuỗi, số, đúng/sai)")


def record(fields: Mapping[str, Check], *, required: bool = True, other: Check | None = None,
           max_keys: int = 64) -> Check:
    """A JSON object whose known keys are checked by `fields` and the others by `other`."""
    def check(value: Any, path: str) -> None:
        if value is None and not required:
            return
        if not isinstance(value, dict):
            _fail(path, "phải là đối tượng")
        if len(value) > max_keys:
            _fail(path, f"quá {max_keys} khóa")
        for key, sub in value.items():
            text(64, required=True)(key, f"{path} (khóa)")
            (fields.get(key) or other or (lambda v, p: None))(sub, f"{path}.{key}")
        for key, sub_check in fields.items():
            if key not in value:
                sub_check(None, f"{path}.{key}")
    return check


def array(item: Check, max_len: int) -> Check:
    def check(value: Any, path: str) -> None:
        if value is None:
            return
        if not isinstance(value, list) or len(value) > max_len:
            _fail(path, f"phải là danh sách tối đa {max_len} phần tử")
        for i, sub in enumerate(value):
            item(sub, f"{path}[{i}]")
    return check


PERSON = record({"full_name": text(300), "id_number": text(32), "phone": text(32),
                 "date_of_birth": text(32), "address": text(MAX_TEXT), "email": text(254)},
                required=False, other=scalar, max_keys=32)

PAYLOADS: dict[str, Check] = {
    "dossier.received": record({
        "code": text(64, required=True), "lookup_secret": text(64),
        "procedure_code": text(64, required=True), "catalogue_version": text(64),
        "channel": integer(1, 3, allowed=CHANNELS), "status": integer(1, 10, allowed=STATUSES),
        "applicant": PERSON, "owner": PERSON,
        "received_at": iso_time(required=True), "due_at": iso_time(),
        "fee": record({"vnd": integer(0, 10 ** 12), "paid": boolean,
                       "kind": text(16), "pages": integer(1, 10 ** 4), "copies": integer(1, 10 ** 3),
                       "stage": text(16), "method": text(16), "receipt_no": text(32),
                       "collected_at": iso_time()}, required=False),
        "book": record({"volume": text(16), "number": integer(0, 10 ** 9)}, required=False),
        "notes": text(MAX_TEXT),
        "components": array(record({}, other=scalar), 200),
        # the procedure's own fields (birth registration: the child's name, date and place of
        # birth), keys as the catalogue declares them, values plain text
        "details": record({}, other=text(MAX_TEXT), required=False, max_keys=20),
        # taken from a queue ticket: which, and when it was taken and called (no name)
        "queue": record({"ticket": text(16, required=True), "group": text(8, required=True),
                         "desk": integer(1, 99), "issued_at": iso_time(required=True),
                         "called_at": iso_time(required=True)}, required=False, max_keys=8),
    }),
    "dossier.corrected": record({"fields": record({}, other=scalar, max_keys=50)}),
    "dossier.transitioned": record({
        "from": integer(1, 10, required=True, allowed=STATUSES),
        "to": integer(1, 10, required=True, allowed=STATUSES),
        "reason": text(MAX_TEXT), "at": iso_time(), "due_at": iso_time(),
        "received_at": iso_time(), "returned_to": text(300)}),
    "attachment.added": record({
        "sha256": text(64, required=True, pattern=_SHA256), "size": integer(0, MAX_SCAN_BYTES),
        "mime": text(100), "requirement_id": text(100), "filename": text(255)}),
    "attachment.removed": record({"sha256": text(64, required=True, pattern=_SHA256),
                                  "requirement_id": text(100)}),
    "dossier.rated": record({"rating": text(64, required=True)}),
    "conflict.resolved": record({"conflict_id": text(64, required=True),
                                 "decision": text(16, required=True), "value": scalar,
                                 "note": text(MAX_TEXT)}),
    "catalogue.updated": record({}, max_keys=10_000),
    "holidays.updated": record({}, max_keys=10_000),
}


def _depth(value: Any, limit: int) -> bool:
    """True when `value` nests no deeper than `limit` (iterative: no recursion to exhaust)."""
    stack = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            if level >= limit:
                return False
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return True


def _check_fee_field(name: str, value: Any, path: str, *, optional: bool = False) -> None:
    """The fee fields whose values are from a short list (or true/false)."""
    if optional and value is None:
        return
    if name == "fee.paid":
        if not isinstance(value, bool):
            _fail(path, "phải là đúng/sai")
    elif name == "fee.method" and value not in FEE_METHODS:
        _fail(path, "phải là cash hoặc transfer")
    elif name == "fee.stage" and value not in FEE_STAGES:
        _fail(path, "phải là reception, supplement hoặc return")
    elif name == "fee.receipt_no":
        text(32, required=True)(value, path)


def check_event(ev: Event) -> None:
    """Check one event's envelope and payload. :raises SchemaError: naming the first bad field."""
    for name, limit in (("id", 64), ("origin", 32), ("actor", 128), ("dossier_id", 64)):
        value = getattr(ev, name)
        if value is None and name == "dossier_id":
            continue
        text(limit, required=True, pattern=_ID if name != "actor" else None)(value, name)
    if ev.kind not in KINDS:
        _fail("kind", f"loại sự kiện lạ {ev.kind!r}")
    Stamp.parse(ev.hlc)
    if not _depth(ev.payload, MAX_DEPTH):
        _fail("payload", f"lồng sâu quá {MAX_DEPTH} tầng")
    size = len(json.dumps(ev.payload, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    limit = MAX_RULES_BYTES if ev.kind in ("catalogue.updated", "holidays.updated") \
        else MAX_PAYLOAD_BYTES
    if size > limit:
        _fail("payload", f"lớn quá {limit} byte")
    PAYLOADS[ev.kind](ev.payload, "payload")
    if ev.kind == "dossier.corrected":
        fields = ev.payload["fields"]
        if not fields:
            _fail("payload.fields", "không có trường nào")
        for name in fields:
            if not _FIELD.fullmatch(name):
                _fail(f"payload.fields.{name}", "trường này không sửa được bằng sự kiện")
            if name in _TIME_FIELDS:
                iso_time(required=True)(fields[name], f"payload.fields.{name}")
            _check_fee_field(name, fields[name], f"payload.fields.{name}")
    if ev.kind == "dossier.received" and isinstance(ev.payload.get("fee"), dict):
        for name in ("stage", "method"):
            _check_fee_field(f"fee.{name}", ev.payload["fee"].get(name), f"payload.fee.{name}",
                             optional=True)
    if ev.kind == "conflict.resolved" and ev.payload["decision"] not in DECISIONS:
        _fail("payload.decision", "phải là keep_a, keep_b hoặc value")


_VERSIONS = array(text(64, required=True), 32)
HEARTBEAT = record({
    "format": text(64, required=True), "unit_code": text(32, required=True, pattern=_ID),
    "sent_at": iso_time(required=True), "version": text(64, required=True),
    "backlog": record({"events": integer(0, 1 << 40, required=True),
                       "scans": integer(0, 1 << 40, required=True),
                       "bytes": integer(0, 1 << 60, required=True),
                       "oldest_waiting": iso_time()}, max_keys=16),
    "disk_free_bytes": integer(0, 1 << 60, required=True), "last_backup_at": iso_time(),
    "clock": record({"wall": iso_time(required=True), "hlc": text(64, required=True)},
                    max_keys=8),
    "catalogue_versions": _VERSIONS, "calendar_versions": _VERSIONS,
}, max_keys=32)


def check_heartbeat(body: Any) -> None:
    """Check a point's heartbeat body (`sync.heartbeat`). :raises SchemaError: the first bad field."""
    if not _depth(body, 4):
        _fail("heartbeat", "lồng sâu quá 4 tầng")
    HEARTBEAT(body, "heartbeat")
    try:
        Stamp.parse(body["clock"]["hlc"])
    except ValueError:
        _fail("heartbeat.clock.hlc", "không phải dấu giờ lai")
