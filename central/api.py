"""The center's JSON API under /api/v1 (interface.md): thin views over the domain layer.

Each view parses, calls one domain function, and returns JSON. Errors come back as
`{"error": {"code", "message", "message_en"}}` with a 4xx status (the message in Vietnamese, its
English beside it; `motcua.web`), never a 500 for bad input.
"""
from __future__ import annotations

import logging
from datetime import datetime

from flask import Blueprint, current_app, g, jsonify, request

from central import conflict_decisions, desk, dossiers, points, queuestats, rules, stats
from central.present import dossier_detail, dossier_summary
from central.users import CAN_ACT, actor_name, require_role, user_for_token
from motcua import errors as E, legaltime
from motcua.errors import InvalidInput, NotFound
from motcua.web import bearer_token_required, date_arg, int_arg, json_body

logger = logging.getLogger(__name__)
bp = Blueprint("central_api", __name__, url_prefix="/api/v1")


token_required = bearer_token_required(user_for_token)


@bp.get("/dossiers")
@token_required
def find_dossiers():
    """Dossiers across points, filtered by point, status and words (accents optional)."""
    page = dossiers.search_dossiers(
        request.args.get("q"), point=request.args.get("point"), status=request.args.get("status"),
        page=int_arg("page", 1), per_page=int_arg("per_page", 20),
        max_per_page=int(current_app.config["MAX_PER_PAGE"]))
    return jsonify({"items": [dossier_summary(d) for d in page.items], "page": page.page,
                    "per_page": page.per_page, "has_more": page.has_more})


@bp.get("/dossiers/<code>")
@token_required
def show_dossier(code):
    """One dossier by code or official code, with its scans' hashes and its history."""
    return jsonify(dossier_detail(dossiers.get_dossier(code)))


@bp.post("/dossiers/<code>/transitions")
@token_required
def make_transition(code):
    """{to, reason?, returned_to?} → 200 with the dossier | 409 when the lifecycle refuses."""
    require_role(g.user, CAN_ACT)
    body = json_body()
    if "to" not in body:
        raise InvalidInput(E.TARGET_REQUIRED, field="to")
    d = dossiers.transition(code, body["to"], actor_name(g.user), reason=body.get("reason"),
                            returned_to=body.get("returned_to"))
    return jsonify(dossier_detail(d))


@bp.post("/dossiers/<code>/official-code")
@token_required
def set_official_code(code):
    """{official_code} → 200 with the dossier | 409 when another dossier has it."""
    require_role(g.user, CAN_ACT)
    d = dossiers.attach_official_code(code, json_body().get("official_code"), actor_name(g.user))
    return jsonify(dossier_detail(d))


@bp.post("/dossiers/<code>/new-due")
@token_required
def set_new_due(code):
    """{new_due_at (ISO 8601), reason} → 200 with the dossier | 409 finished or already rescheduled."""
    require_role(g.user, CAN_ACT)
    body = json_body()
    try:
        when = datetime.fromisoformat(str(body.get("new_due_at") or ""))
    except ValueError:
        raise InvalidInput(E.BAD_NEW_DUE, field="new_due_at") from None
    d = desk.set_new_due_date(code, when, body.get("reason") or "", actor_name(g.user))
    return jsonify(dossier_detail(d))


@bp.get("/work")
@token_required
def work_list():
    """Running dossiers already late, and those due within two working days (most urgent first)."""
    work = desk.work_list()
    return jsonify({"late": [dossier_summary(d) for d in work["late"]],
                    "soon": [dossier_summary(d) for d in work["soon"]],
                    "horizon": work["horizon"].isoformat()})


@bp.get("/work/mine")
@token_required
def my_work():
    """The caller's own list: dossiers assigned to them still with the office, late, due soon."""
    work = desk.my_work(g.user.username)
    return jsonify({"mine": [dossier_summary(d) for d in work["mine"]],
                    "late": [dossier_summary(d) for d in work["late"]],
                    "soon": [dossier_summary(d) for d in work["soon"]],
                    "horizon": work["horizon"].isoformat()})


@bp.get("/officers")
@token_required
def list_officers():
    """Who dossiers may be assigned to: the active officers and admins."""
    return jsonify({"items": [{"username": u, "full_name": n} for u, n in desk.officers()]})


@bp.post("/dossiers/<code>/assignee")
@token_required
def set_assignee(code):
    """{assignee: username | null} → 200 with the dossier | 409 result ready or closed | 422 no such
    active officer. Flows down to the point like any decision."""
    require_role(g.user, CAN_ACT)
    body = json_body()
    if "assignee" not in body:
        raise InvalidInput(E.ASSIGNEE_UNKNOWN(username=""), field="assignee")
    who = body["assignee"]
    if who is not None and not isinstance(who, str):
        raise InvalidInput(E.ASSIGNEE_UNKNOWN(username=str(who)[:64]), field="assignee")
    return jsonify(dossier_detail(desk.assign(code, who, actor_name(g.user))))


def _rules_kind(which: str) -> str:
    if which not in rules.KINDS:
        raise NotFound(E.RULES_KIND_UNKNOWN(which=which[:40], allowed=", ".join(rules.KINDS)))
    return which


@bp.get("/rules/<which>")
@token_required
def show_rules(which):
    """The catalogue or the holiday calendar: the version an edit starts from, and every version
    this center issued (newest first)."""
    which = _rules_kind(which)
    return jsonify({"latest": rules.latest(which),
                    "versions": [{k: v for k, v in r.items() if k != "data"}
                                 for r in rules.versions(which)]})


@bp.post("/rules/<which>")
@token_required
def issue_rules(which):
    """Admin only: a whole new version (JSON, with its version name and `effective_from`) issued to
    every point → 200 with what was issued | 409 that version name is taken | 422 not installable."""
    require_role(g.user, frozenset({"admin"}))
    which = _rules_kind(which)
    return jsonify(rules.issue(which, json_body(), actor_name(g.user)))


@bp.get("/dashboard")
@token_required
def show_dashboard():
    """The leaders' figures: intake (by date received), results (by date finished), open now."""
    return jsonify(stats.compute_dashboard(date_arg("from"), date_arg("to"),
                                           point=request.args.get("point") or None,
                                           now=legaltime.now()))


@bp.get("/stats")
@token_required
def show_stats():
    """Counts and early / on-time / late rates for dossiers received from `from` to `to`."""
    return jsonify(stats.compute_stats(date_arg("from"), date_arg("to"), now=legaltime.now()))


@bp.get("/queue-stats")
@token_required
def show_queue_stats():
    """The queue's figures per point for tickets taken from `from` to `to`, from the synced events."""
    return jsonify(queuestats.compute(date_arg("from"), date_arg("to"),
                                      point=(request.args.get("point") or "").strip()[:32] or None))


@bp.get("/nodes")
@token_required
def list_nodes():
    """Each point: key status, fingerprint and last rotation, last contact (heartbeats count),
    silent for longer than SILENT_AFTER_HOURS or not, backlog, clock skew, refused parcels, its
    last heartbeat."""
    return jsonify({"items": points.fleet(
        now=legaltime.now(), silent_after_hours=float(current_app.config["SILENT_AFTER_HOURS"]))})


@bp.post("/nodes/<unit_code>/revoke")
@token_required
def revoke_node(unit_code):
    """Admin only: refuse this point's parcels from now on → 200 with the point | 404."""
    require_role(g.user, frozenset({"admin"}))
    points.revoke_point(unit_code)
    return jsonify(next(p for p in points.list_points() if p["unit_code"] == unit_code.strip()))


@bp.get("/openapi.json")
def openapi():
    """This API and the sync endpoints, described in OpenAPI 3.1 (no token needed to read it)."""
    from central.openapi import document
    return jsonify(document())


@bp.get("/conflicts")
@token_required
def list_conflicts():
    """Open conflicts across points, each with both sides' events (who, where, when, what)."""
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
    require_role(g.user, CAN_ACT)
    body = json_body()
    return jsonify(conflict_decisions.resolve_conflict(conflict_id, body.get("decision"), body.get("value"),
                                              actor_name(g.user), note=body.get("note")))
