"""How the center's records look to the outside: the JSON shapes of the API's dossiers."""
from __future__ import annotations

from datetime import datetime

from central import dossiers
from motcua import legaltime
from motcua.lifecycle import STATUS_LABELS_VI, Status, next_statuses


def _iso(value):
    return value.isoformat() if isinstance(value, datetime) else value


def _timeliness(d, now: datetime) -> str:
    from motcua import deadlines
    if d.finished_at and d.due_at:
        return deadlines.classify(d.finished_at, d.due_at, d.supplement_count)
    if d.paused_at:
        return "paused"
    if d.due_at and deadlines.is_overdue(d.due_at, now):
        return "overdue"
    return "open"


def dossier_summary(d) -> dict:
    return {
        "id": d.uid, "code": d.code, "official_code": d.official_code, "point": d.origin,
        "procedure_code": d.procedure_code, "status": d.status,
        "status_label": STATUS_LABELS_VI.get(Status(d.status), str(d.status)),
        "applicant_name": (d.applicant or {}).get("full_name"),
        "received_at": _iso(d.received_at), "due_at": _iso(d.due_at),
        "timeliness": _timeliness(d, legaltime.now()), "open_conflicts": d.open_conflicts,
    }


def dossier_detail(d) -> dict:
    return {
        **dossier_summary(d),
        "catalogue_version": d.catalogue_version, "channel": d.channel,
        "applicant": d.applicant, "owner": d.owner,
        "paused_at": _iso(d.paused_at), "finished_at": _iso(d.finished_at),
        "returned_at": _iso(d.returned_at), "returned_to": d.returned_to,
        "supplement_count": d.supplement_count, "rating": d.rating,
        "allowed_transitions": [int(s) for s in next_statuses(d.status)],
        "attachments": [{"sha256": a.sha256, "requirement": a.requirement, "size": a.size,
                         "mime": a.mime, "filename": a.filename, "present": bool(a.present)}
                        for a in dossiers.attachments_of(d)],
        "history": [{"id": e.event_id, "kind": e.kind, "origin": e.origin, "actor": e.actor,
                     "hlc": e.hlc, "payload": e.payload} for e in dossiers.history_of(d)],
    }
