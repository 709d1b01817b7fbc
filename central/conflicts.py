"""Conflicts at the center: what an officer sees of them, and the decision that closes them.

A conflict is raised by the merge (`sync.conflicts`) on the center and on the point alike, under the
same id. Here we lay it out for a person — both sides' events with who, where, when and what, and the
two versions of the dossier side by side — and turn the officer's decision into a `conflict.resolved`
event. That event goes through `central.apply.record_center_event` like any other officer action, so
the fold closes the conflict here and the same event, synced down, closes it at the point.

Decisions (payload {"conflict_id", "decision", "value", "note"}):
- status conflicts (concurrent_transition, status_stale): keep_a, keep_b, or value = a status code;
- received_twice: keep_a, keep_b, or value = {field name: value} (e.g. {"applicant.phone": "09…"});
- possible_duplicate (two dossiers, two points): keep_a = "keep both, they are different filings";
  keep_b = "B is a duplicate of A" (recorded only: to stop B, move B to 7 → 8 like any dossier).
  A value makes no sense there and is refused. The merge takes no state change for either, and the
  event rides on B's dossier (the later filing), which is the point that must hear of it.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from motcua.errors import Conflict as Refused, InvalidInput, NotFound
from motcua.lifecycle import STATUS_LABELS_VI, Status, parse_status
from central.apply import CENTRAL, record_center_event
from central.db import is_postgres, write_transaction
from central.folding import parse_time
from central.models import ConflictRecord, Dossier, Event, Point
from sync.conflicts import (CONCURRENT_TRANSITION, DECISIONS, POSSIBLE_DUPLICATE, RECEIVED_TWICE,
                            STATUS_STALE)

logger = logging.getLogger(__name__)

KIND_LABELS_VI = {
    CONCURRENT_TRANSITION: "Hai bên cùng chuyển trạng thái",
    STATUS_STALE: "Chuyển trạng thái không còn phù hợp",
    RECEIVED_TWICE: "Hồ sơ được tiếp nhận hai lần",
    POSSIBLE_DUPLICATE: "Có thể nộp trùng tại hai điểm",
}
STATUS_KINDS = frozenset({CONCURRENT_TRANSITION, STATUS_STALE})
MAX_NOTE = 2000
MAX_FIELDS = 50
# Fields a person may set when two receptions disagree: the dossier's plain values, not its
# status, counters or secrets (the merge ignores status keys anyway; we say so up front).
FIELD_PREFIXES = ("applicant.", "owner.", "fee.", "book.")
FIELD_NAMES = frozenset({"code", "procedure_code", "catalogue_version", "channel", "received_at",
                         "due_at", "notes"})


def _status_label(code: Any) -> str | None:
    try:
        return STATUS_LABELS_VI[Status(int(code))]
    except (TypeError, ValueError):
        return None


def _point_names(codes: set[str]) -> dict[str, str]:
    names = {CENTRAL: "Trung tâm"}
    codes = codes - {CENTRAL}
    if codes:
        names.update(Point.select(Point.unit_code, Point.name)
                     .where(Point.unit_code.in_(codes)).tuples())
    return names


def _payloads(ids: set[str]) -> dict[str, dict]:
    if not ids:
        return {}
    return {r.event_id: r.payload for r in
            Event.select(Event.event_id, Event.payload).where(Event.event_id.in_(ids))}


def _dossier_brief(d: Dossier | None) -> dict | None:
    if d is None:
        return None
    return {"id": d.uid, "code": d.code, "point": d.origin, "status": d.status,
            "status_label": _status_label(d.status),
            "applicant_name": (d.applicant or {}).get("full_name"),
            "id_number": d.applicant_id_number, "procedure_code": d.procedure_code,
            "received_at": d.received_at.isoformat() if d.received_at else None,
            "due_at": d.due_at.isoformat() if d.due_at else None}


def _received_version(payload: dict) -> dict:
    """The plain fields a `dossier.received` would give, flattened like the merge's field names."""
    out = {k: payload[k] for k in sorted(FIELD_NAMES) if payload.get(k) is not None}
    for group in ("applicant", "owner"):
        value = payload.get(group)
        if isinstance(value, dict):
            out.update({f"{group}.{k}": v for k, v in sorted(value.items())})
    return out


def _version(kind: str, ref: dict | None, payload: dict, dossier: dict | None,
             current_status: int | None) -> dict:
    """The state one side's event would give the dossier, as shown in the side-by-side view."""
    if kind in STATUS_KINDS:
        status = ref.get("to") if ref else current_status
        return {"status": status, "status_label": _status_label(status)}
    if kind == RECEIVED_TWICE:
        return {"fields": _received_version(payload)}
    return {"dossier": dossier}


def _side(kind: str, ref: dict | None, names: dict, payloads: dict, dossiers: dict,
          current_status: int | None) -> dict | None:
    if ref is None and kind not in STATUS_KINDS:
        return None
    payload = payloads.get(ref["id"], {}) if ref else {}
    dossier = dossiers.get(ref.get("dossier_id")) if ref else None
    side = dict(ref or {})
    if ref:
        when = parse_time(None, ref["hlc"])
        side.update(point_name=names.get(ref["origin"], ref["origin"]),
                    time=when.isoformat(timespec="seconds") if when else None,
                    from_label=_status_label(ref.get("from")), to_label=_status_label(ref.get("to")))
    side["version"] = _version(kind, ref, payload, dossier, current_status)
    return side


def _present(rows: list[ConflictRecord]) -> list[dict]:
    """Conflict records as people read them; three queries for the whole list, not per row."""
    details = [r.detail for r in rows]
    refs = [x for d in details for x in (d.get("a"), d.get("b")) if x]
    names = _point_names({x["origin"] for x in refs})
    payloads = _payloads({x["id"] for x in refs if x["kind"] == "dossier.received"})
    uids = {x.get("dossier_id") for x in refs} | {d.get("dossier_id") for d in details}
    uids.discard(None)
    dossiers = {d.uid: _dossier_brief(d) for d in Dossier.select().where(Dossier.uid.in_(uids))} \
        if uids else {}
    names.update(_point_names({d["point"] for d in dossiers.values()} - set(names)))
    out = []
    for r, d in zip(rows, details):
        own = dossiers.get(d.get("dossier_id"))
        status = own["status"] if own else None
        if own:
            own = {**own, "point_name": names.get(own["point"], own["point"])}
        out.append({**d, "kind_label": KIND_LABELS_VI.get(d["kind"], d["kind"]), "dossier": own,
                    "first_seen": r.first_seen.isoformat() if r.first_seen else None,
                    "a": _side(d["kind"], d.get("a"), names, payloads, dossiers, status),
                    "b": _side(d["kind"], d.get("b"), names, payloads, dossiers, status),
                    "decisions": sorted(allowed_decisions(d["kind"]))})
    return out


def allowed_decisions(kind: str) -> frozenset[str]:
    """What a person may decide for this kind of conflict (see the module docstring)."""
    return frozenset({"keep_a", "keep_b"}) if kind == POSSIBLE_DUPLICATE else DECISIONS


def list_open_conflicts(limit: int = 500) -> list[dict]:
    """Open conflicts across points, newest first, each with both sides' events and its dossier."""
    rows = list(ConflictRecord.select().where(ConflictRecord.is_open == True)  # noqa: E712
                .order_by(ConflictRecord.updated_at.desc(), ConflictRecord.conflict_id)
                .limit(limit))
    return _present(rows)


def get_conflict(conflict_id: str) -> dict:
    """One conflict (open or closed) with both versions side by side.

    :raises NotFound: no conflict with this id.
    """
    row = ConflictRecord.get_or_none(ConflictRecord.conflict_id == str(conflict_id or "")[:64])
    if row is None:
        raise NotFound("Không tìm thấy xung đột này.", code="conflict_not_found")
    return _present([row])[0]


def _check_value(kind: str, decision: str, value: Any) -> Any:
    """The value to journal for this decision. :raises InvalidInput: one that cannot apply."""
    if decision != "value":
        return None
    if kind == POSSIBLE_DUPLICATE:
        raise InvalidInput("Hồ sơ có thể trùng chỉ xác nhận “giữ cả hai” hoặc “B là bản trùng”.",
                           field="decision", code="bad_decision")
    if kind in STATUS_KINDS:
        try:
            return int(parse_status(value))
        except (ValueError, TypeError):
            raise InvalidInput("Hãy chọn một trạng thái hợp lệ (mã 1–10).", field="value",
                               code="bad_status") from None
    if not isinstance(value, dict) or not value or len(value) > MAX_FIELDS:
        raise InvalidInput("Hãy nhập giá trị đúng cho ít nhất một trường.", field="value")
    clean = {}
    for name, v in value.items():
        name = str(name).strip()
        if name not in FIELD_NAMES and not name.startswith(FIELD_PREFIXES):
            raise InvalidInput(f"Không sửa được trường “{name}” khi giải quyết xung đột.",
                               field="value", code="bad_field")
        if v is not None and not isinstance(v, (str, int, float, bool)):
            raise InvalidInput(f"Giá trị của “{name}” phải là văn bản hoặc số.", field="value")
        if isinstance(v, str) and len(v) > 1000:
            raise InvalidInput(f"Giá trị của “{name}” quá dài.", field="value")
        clean[name] = v.strip() if isinstance(v, str) else v
    return clean


def resolve_conflict(conflict_id: str, decision: str, value: Any, actor: str, *,
                     note: str | None = None, now: datetime | None = None) -> dict:
    """Journal a person's decision as `conflict.resolved`; it closes the conflict here and, once
    synced, at the point. Returns the conflict as `get_conflict` shows it.

    :raises InvalidInput (422): unknown decision, unusable value or note; NotFound (404): no such
        conflict; Conflict (409): it is already resolved. Nothing is written when any is raised.
    """
    if decision not in DECISIONS:
        raise InvalidInput("Quyết định phải là keep_a, keep_b hoặc value.", field="decision",
                           code="bad_decision")
    if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE):
        raise InvalidInput(f"Ghi chú phải là văn bản, tối đa {MAX_NOTE} ký tự.", field="note")
    now = now or datetime.now()
    with write_transaction():
        query = ConflictRecord.select().where(
            ConflictRecord.conflict_id == str(conflict_id or "")[:64])
        row = (query.for_update() if is_postgres() else query).first()
        if row is None:
            raise NotFound("Không tìm thấy xung đột này.", code="conflict_not_found")
        if not row.is_open:
            raise Refused("Xung đột này đã được giải quyết.", code="already_resolved")
        if decision not in allowed_decisions(row.kind):
            raise InvalidInput("Quyết định này không áp dụng cho loại xung đột này.",
                               field="decision", code="bad_decision")
        value = _check_value(row.kind, decision, value)
        payload = {"conflict_id": row.conflict_id, "decision": decision, "value": value}
        if note and note.strip():
            payload["note"] = note.strip()
        uid = row.dossier_uid or (row.detail.get("b") or {}).get("dossier_id")
        ev = record_center_event("conflict.resolved", uid, actor, payload, now=now)
        if row.dossier_uid is None:
            _close_cross_dossier(row, ev, now)
    logger.info("conflict %s resolved (%s) by %s in event %s", row.conflict_id, decision, actor,
                ev.id)
    return get_conflict(row.conflict_id)


def _close_cross_dossier(row: ConflictRecord, ev, now: datetime) -> None:
    """A possible duplicate spans two dossiers, so no single fold closes it: record the decision on
    the row ourselves (`central.verify` re-derives it from the journal the same way)."""
    detail = dict(row.detail)
    detail["resolution"] = {"event_id": ev.id, "origin": ev.origin, "actor": ev.actor,
                            "hlc": ev.hlc, "decision": ev.payload["decision"],
                            "value": ev.payload.get("value")}
    detail["open"] = False
    (ConflictRecord.update(is_open=False, detail=detail, updated_at=now)
     .where(ConflictRecord.conflict_id == row.conflict_id).execute())
