"""How a node's records look to the outside: the JSON shapes of the API's dossiers."""
from __future__ import annotations

from datetime import datetime

from motcua.lifecycle import STATUS_LABELS_VI, Status, next_statuses
from node import reception
from node.journal import dossier_history
from node.models import Event


def _iso(value):
    return value.isoformat() if isinstance(value, datetime) else value


def dossier_summary(d) -> dict:
    return {
        "id": d.uid, "code": d.code, "official_code": d.official_code,
        "procedure_code": d.procedure_code, "status": d.status,
        "status_label": STATUS_LABELS_VI[Status(d.status)],
        "applicant_name": d.applicant.get("full_name"), "received_at": _iso(d.received_at),
        "due_at": _iso(d.due_at), "timeliness": reception.timeliness(d),
    }


def dossier_detail(d) -> dict:
    history = dossier_history(d.uid)
    pending = sum(1 for e in history if e.acked_at is None)
    return {
        **dossier_summary(d),
        "origin": d.origin, "catalogue_version": d.catalogue_version, "channel": d.channel,
        "applicant": d.applicant, "owner": d.owner, "notes": d.notes,
        "fee_vnd": d.fee_vnd, "fee_paid": d.fee_paid,
        "book": {"volume": d.book_volume, "number": d.book_number},
        "finished_at": _iso(d.finished_at), "returned_at": _iso(d.returned_at),
        "returned_to": d.returned_to, "paused_at": _iso(d.paused_at),
        "supplement_count": d.supplement_count, "rating": d.rating, "last_reason": d.last_reason,
        "allowed_transitions": [int(s) for s in next_statuses(d.status)],
        "attachments": [
            {"sha256": a.sha256, "requirement": a.requirement_key, "filename": a.filename,
             "size": a.blob.size, "mime": a.blob.mime, "added_at": _iso(a.added_at)}
            for a in reception.active_attachments(d)],
        "history": [event_dict(e) for e in history],
        "sync": {"pending_events": pending, "synced": pending == 0},
    }


def event_dict(e: Event) -> dict:
    return {"id": e.event_id, "kind": e.kind, "origin": e.origin, "actor": e.actor, "hlc": e.hlc,
            "recorded_at": _iso(e.recorded_at), "payload": e.payload,
            "acknowledged": e.acked_at is not None}
