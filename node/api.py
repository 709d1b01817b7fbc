"""The node's JSON API under /api/v1 (interface.md): thin views over the domain layer.

Each view parses, calls one domain function, and returns JSON. Errors come back as
`{"error": {"code", "message", "message_en"}}` with a 4xx status (the message in Vietnamese, its
English beside it; `motcua.web`), never a 500 for bad input.
"""
from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, g, jsonify, request

from motcua import errors as E
from motcua.errors import DomainError, InvalidInput, NotFound
from motcua.web import bearer_token_required, date_arg, int_arg, json_body
from node import catalogue, conflict_decisions, reception, search
from node.present import dossier_detail, dossier_summary
from node.users import actor_name, user_for_token

logger = logging.getLogger(__name__)
bp = Blueprint("api", __name__, url_prefix="/api/v1")


token_required = bearer_token_required(user_for_token)


def _rules() -> reception.DeskRules:
    c = current_app.config
    return reception.DeskRules(cutoff=c["CUTOFF"], office_open=c["OFFICE_OPEN"],
                               office_close=c["OFFICE_CLOSE"])


@bp.get("/procedures")
@token_required
def list_procedures():
    """The catalogue in force, each procedure with its required documents."""
    return jsonify({"items": [catalogue.procedure_to_dict(p)
                              for p in catalogue.procedures_in_force()]})


@bp.post("/dossiers")
@token_required
def create_dossier():
    """Receive a dossier at the desk → 201 with its code and due time."""
    d = reception.receive_dossier(json_body(), actor_name(g.user), rules=_rules())
    return jsonify({"id": d.uid, "code": d.code, "status": d.status,
                    "received_at": d.received_at.isoformat(), "due_at": d.due_at.isoformat(),
                    "lookup_secret": d.lookup_secret}), 201


@bp.get("/dossiers")
@token_required
def find_dossiers():
    """Search by code, name (accents optional), ID number or phone; filter by status and dates."""
    page = search.search_dossiers(
        request.args.get("q"), status=request.args.get("status"),
        received_from=date_arg("from"), received_to=date_arg("to"),
        page=int_arg("page", 1), per_page=int_arg("per_page", 20))
    return jsonify({"items": [dossier_summary(d) for d in page.items], "page": page.page,
                    "per_page": page.per_page, "has_more": page.has_more})


@bp.get("/dossiers/<code>")
@token_required
def show_dossier(code):
    return jsonify(dossier_detail(reception.get_dossier(code)))


@bp.patch("/dossiers/<code>")
@token_required
def correct_dossier(code):
    """Correct applicant fields: {"applicant": {"phone": …}}."""
    body = json_body()
    changes = body.get("applicant")
    d = reception.correct_applicant(code, changes, actor_name(g.user))
    return jsonify(dossier_detail(d))


@bp.post("/dossiers/<code>/attachments")
@token_required
def upload_attachment(code):
    """Attach a scan (multipart `file`, `requirement`) → 201 {sha256, size}."""
    upload = request.files.get("file")
    if upload is None:
        raise InvalidInput(E.FILE_REQUIRED, field="file")
    data = upload.read()
    a = reception.attach_scan(code, data, request.form.get("requirement"), actor_name(g.user),
                              current_app.extensions["motcua.blobs"],
                              max_bytes=int(current_app.config["MAX_UPLOAD_BYTES"]),
                              filename=upload.filename)
    return jsonify({"sha256": a.sha256, "size": len(data), "requirement": a.requirement_key}), 201


@bp.get("/scanners")
@token_required
def scanners():
    """The scanners attached to this PC."""
    from node.scanner import list_scanners
    return jsonify({"items": [{"device": s.device, "description": s.description}
                              for s in list_scanners()]})


@bp.post("/dossiers/<code>/scan")
@token_required
def scan_into_dossier(code):
    """Scan pages on the desk's scanner into one required document → 201 {attachments}."""
    from node.scanner import scan_pages
    body = json_body()
    reception.get_dossier(code)               # refuse an unknown dossier before scanning paper
    pages = scan_pages(body.get("device"), pages=body.get("pages", 1),
                       mode=body.get("mode", "Gray"), resolution=body.get("resolution", 150),
                       feeder=bool(body.get("feeder", False)))
    added = reception.attach_scanned_pages(
        code, pages, body.get("requirement"), actor_name(g.user),
        current_app.extensions["motcua.blobs"],
        max_bytes=int(current_app.config["MAX_UPLOAD_BYTES"]))
    unique = {a.id: a for a in added}.values()      # identical pages are stored once
    return jsonify({"pages": len(pages), "attachments": [
        {"sha256": a.sha256, "filename": a.filename} for a in unique]}), 201


@bp.get("/dossiers/<code>/attachments/<sha256>")
@token_required
def download_attachment(code, sha256):
    d = reception.get_dossier(code)
    match = [a for a in reception.active_attachments(d) if a.sha256 == sha256]
    if not match:
        raise NotFound(E.ATTACHMENT_NOT_FOUND)
    if match[0].blob.purged_at:
        raise DomainError(E.SCAN_PURGED)
    store = current_app.extensions["motcua.blobs"]
    return Response(store.read(sha256), mimetype=match[0].blob.mime,
                    headers={"Cache-Control": "private, max-age=3600",
                             "X-Content-Type-Options": "nosniff"})


@bp.delete("/dossiers/<code>/attachments/<sha256>")
@token_required
def delete_attachment(code, sha256):
    reception.remove_attachment(code, sha256, actor_name(g.user))
    return "", 204


@bp.post("/dossiers/<code>/transitions")
@token_required
def make_transition(code):
    """{to, reason?, returned_to?} → 200 with the dossier | 409 when the lifecycle refuses."""
    body = json_body()
    if "to" not in body:
        raise InvalidInput(E.TARGET_REQUIRED, field="to")
    d = reception.transition(code, body["to"], actor_name(g.user), reason=body.get("reason"),
                             returned_to=body.get("returned_to"), rules=_rules())
    return jsonify(dossier_detail(d))


@bp.post("/dossiers/<code>/rating")
@token_required
def rate_dossier(code):
    d = reception.rate(code, json_body().get("rating"), actor_name(g.user),
                       scale=current_app.config["RATING_SCALE"])
    return jsonify({"code": d.code, "rating": d.rating})


@bp.get("/sync/status")
@token_required
def sync_status():
    from node import sync_status
    return jsonify(sync_status.status_dict())


@bp.get("/conflicts")
@token_required
def list_conflicts():
    """Open conflicts here, each with both sides' events (who, where, when, what)."""
    return jsonify({"items": conflict_decisions.list_open_conflicts()})


@bp.get("/conflicts/<conflict_id>")
@token_required
def show_conflict(conflict_id):
    """One conflict with version A and version B side by side."""
    return jsonify(conflict_decisions.get_conflict(conflict_id))


@bp.post("/conflicts/<conflict_id>/resolve")
@token_required
def resolve_conflict(conflict_id):
    """{decision: keep_a|keep_b|value, value?, note?} → 200 | 404 | 409 already resolved | 422."""
    body = json_body()
    return jsonify(conflict_decisions.resolve_conflict(conflict_id, body.get("decision"), body.get("value"),
                                              actor_name(g.user), note=body.get("note")))
