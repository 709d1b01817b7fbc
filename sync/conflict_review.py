"""A conflict as a person reads it, and the checks on a person's decision: pure, shared by both sides.

The center (`central.conflict_decisions`) and the point (`node.conflict_decisions`) show the same
conflict the same way — both sides' events with who, where, when and what, and the version of the
dossier each would give — and refuse the same bad decisions with the same Vietnamese messages.
Each side only fetches what this module needs (point names, event payloads, dossier rows)
from its own database.

Decisions (payload {"conflict_id", "decision", "value", "note"}):
- status conflicts (concurrent_transition, status_stale): keep_a, keep_b, or value = a status code;
- received_twice: keep_a, keep_b, or value = {field name: value} (e.g. {"applicant.phone": "09…"});
- possible_duplicate (two dossiers, two points): keep_a = "keep both, they are different filings";
  keep_b = "B is a duplicate of A" (recorded only). A value makes no sense there and is refused.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from motcua import errors as E
from motcua.errors import InvalidInput
from motcua.lifecycle import STATUS_LABELS_VI, Status, parse_status
from sync.conflict_rules import (
    CONCURRENT_TRANSITION,
    DECISIONS,
    POSSIBLE_DUPLICATE,
    RECEIVED_TWICE,
    STATUS_STALE,
)
from sync.folding import parse_time

CENTER_NAME_VI = "Trung tâm"
KIND_LABELS_VI = {
    CONCURRENT_TRANSITION: "Hai bên cùng chuyển trạng thái",
    STATUS_STALE: "Chuyển trạng thái không còn phù hợp",
    RECEIVED_TWICE: "Hồ sơ được tiếp nhận hai lần",
    POSSIBLE_DUPLICATE: "Có thể nộp trùng tại hai điểm",
}
DECISION_LABELS_VI = {"keep_a": "Giữ phiên bản A", "keep_b": "Giữ phiên bản B",
                      "value": "Nhập giá trị đúng"}
STATUS_KINDS = frozenset({CONCURRENT_TRANSITION, STATUS_STALE})
MAX_NOTE = 2000
MAX_FIELDS = 50
# Fields a person may set when two receptions disagree: the dossier's plain values, not its
# status, counters or secrets (the merge ignores status keys anyway; we say so up front).
FIELD_PREFIXES = ("applicant.", "owner.", "fee.", "book.")
FIELD_NAMES = frozenset({"code", "procedure_code", "catalogue_version", "channel", "received_at",
                         "due_at", "notes"})


def status_label(code: Any) -> str | None:
    try:
        return STATUS_LABELS_VI[Status(int(code))]
    except (TypeError, ValueError):
        return None


def event_refs(details: Iterable[Mapping]) -> list[dict]:
    """Both sides' event references of some conflicts (`Conflict.to_dict()`), for fetching."""
    return [x for d in details for x in (d.get("a"), d.get("b")) if x]


def dossier_brief(d: Any) -> dict | None:
    """The few facts of a dossier row (node or center: same column names) a conflict page shows."""
    if d is None:
        return None
    return {"id": d.uid, "code": d.code, "point": d.origin, "status": d.status,
            "status_label": status_label(d.status),
            "applicant_name": (d.applicant or {}).get("full_name"),
            "id_number": d.applicant_id_number, "procedure_code": d.procedure_code,
            "received_at": d.received_at.isoformat() if d.received_at else None,
            "due_at": d.due_at.isoformat() if d.due_at else None}


def received_version(payload: Mapping) -> dict:
    """The plain fields a `dossier.received` would give, flattened like the merge's field names."""
    out = {k: payload[k] for k in sorted(FIELD_NAMES) if payload.get(k) is not None}
    for group in ("applicant", "owner"):
        value = payload.get(group)
        if isinstance(value, dict):
            out.update({f"{group}.{k}": v for k, v in sorted(value.items())})
    return out


def _version(kind: str, ref: dict | None, payload: Mapping, dossier: dict | None,
             current_status: int | None) -> dict:
    """The state one side's event would give the dossier, as shown in the side-by-side view."""
    if kind in STATUS_KINDS:
        status = ref.get("to") if ref else current_status
        return {"status": status, "status_label": status_label(status)}
    if kind == RECEIVED_TWICE:
        return {"fields": received_version(payload)}
    return {"dossier": dossier}


def _side(kind: str, ref: dict | None, names: Mapping, payloads: Mapping, dossiers: Mapping,
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
                    from_label=status_label(ref.get("from")), to_label=status_label(ref.get("to")))
    side["version"] = _version(kind, ref, payload, dossier, current_status)
    return side


def present_conflict(detail: Mapping, *, first_seen: Any, names: Mapping[str, str],
                     payloads: Mapping[str, dict], dossiers: Mapping[str, dict | None]) -> dict:
    """One conflict laid out for a person: its kind in words, its dossier, and sides A and B.

    `names` maps origins to point names, `payloads` event ids to payloads (only `dossier.received`
    ones are used), `dossiers` uids to `dossier_brief` dicts.
    """
    own = dossiers.get(detail.get("dossier_id"))
    status = own["status"] if own else None
    if own:
        own = {**own, "point_name": names.get(own["point"], own["point"])}
    kind = detail["kind"]
    return {**detail, "kind_label": KIND_LABELS_VI.get(kind, kind), "dossier": own,
            "first_seen": first_seen.isoformat() if first_seen else None,
            "a": _side(kind, detail.get("a"), names, payloads, dossiers, status),
            "b": _side(kind, detail.get("b"), names, payloads, dossiers, status),
            "decisions": sorted(allowed_decisions(kind))}


def field_names(c: Mapping) -> list[str]:
    """For two receptions: the fields where A and B differ first, then the rest."""
    a = ((c.get("a") or {}).get("version") or {}).get("fields") or {}
    b = ((c.get("b") or {}).get("version") or {}).get("fields") or {}
    names = sorted(set(a) | set(b))
    return [n for n in names if a.get(n) != b.get(n)] + [n for n in names if a.get(n) == b.get(n)]


def form_value(kind: str, form: Mapping[str, str]) -> Any:
    """The value a decision form sends: a status code (`status`), or the fields typed in
    (`field.<name>` inputs); None when nothing was sent."""
    if kind in STATUS_KINDS:
        return form.get("status") or None
    fields = {k[6:]: v for k, v in form.items() if k.startswith("field.")}
    return fields or None


def allowed_decisions(kind: str) -> frozenset[str]:
    """What a person may decide for this kind of conflict (see the module docstring)."""
    return frozenset({"keep_a", "keep_b"}) if kind == POSSIBLE_DUPLICATE else DECISIONS


def check_request(decision: Any, note: Any) -> None:
    """Checks that need no conflict. :raises InvalidInput: unknown decision or unusable note."""
    if decision not in DECISIONS:
        raise InvalidInput(E.BAD_DECISION, field="decision")
    if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE):
        raise InvalidInput(E.BAD_NOTE(max=MAX_NOTE), field="note")


def check_value(kind: str, decision: str, value: Any) -> Any:
    """The value to journal for this decision on this kind of conflict.

    :raises InvalidInput: a decision that does not apply to the kind, or a value that cannot apply.
    """
    if decision not in allowed_decisions(kind):
        raise InvalidInput(E.DECISION_NOT_FOR_KIND,
                           field="decision")
    if decision != "value":
        return None
    if kind in STATUS_KINDS:
        try:
            return int(parse_status(value))
        except (ValueError, TypeError):
            raise InvalidInput(E.DECISION_STATUS, field="value") from None
    if not isinstance(value, dict) or not value or len(value) > MAX_FIELDS:
        raise InvalidInput(E.DECISION_VALUE_REQUIRED, field="value")
    clean = {}
    for name, v in value.items():
        name = str(name).strip()
        if name not in FIELD_NAMES and not name.startswith(FIELD_PREFIXES):
            raise InvalidInput(E.DECISION_BAD_FIELD(name=name),
                               field="value")
        if v is not None and not isinstance(v, (str, int, float, bool)):
            raise InvalidInput(E.DECISION_VALUE_TYPE(name=name), field="value")
        if isinstance(v, str) and len(v) > 1000:
            raise InvalidInput(E.DECISION_VALUE_LONG(name=name), field="value")
        clean[name] = v.strip() if isinstance(v, str) else v
    return clean


def resolution_payload(conflict_id: str, decision: str, value: Any, note: str | None) -> dict:
    """The payload of the `conflict.resolved` event a decision becomes."""
    payload = {"conflict_id": conflict_id, "decision": decision, "value": value}
    if note and note.strip():
        payload["note"] = note.strip()
    return payload
