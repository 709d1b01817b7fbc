"""Conflict review: the list, one conflict's two versions side by side, and the officer's decision."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from central import conflict_decisions
from central.users import CAN_ACT, actor_name
from motcua.errors import DomainError
from motcua.lifecycle import STATUS_LABELS_VI
from sync.conflict_review import DECISION_LABELS_VI, field_names, form_value
from webui.central.auth import guard, login_required, require_act

bp = guard(Blueprint("center_conflicts", __name__, url_prefix="/conflicts"))


def _page(c: dict, error: str | None = None, status: int = 200):
    return render_template("central/conflict.html", c=c, error=error,
                           can_act=g.user.role in CAN_ACT, statuses=STATUS_LABELS_VI,
                           labels=DECISION_LABELS_VI,
                           field_names=field_names(c)), status


@bp.get("/")
@login_required
def index():
    """Open conflicts across points, newest first."""
    return render_template("central/conflicts.html", items=conflict_decisions.list_open_conflicts())


@bp.get("/<conflict_id>")
@login_required
def show(conflict_id):
    """Version A and version B side by side, with their origins and the decision forms."""
    return _page(conflict_decisions.get_conflict(conflict_id))


@bp.post("/<conflict_id>/resolve")
@login_required
def resolve(conflict_id):
    """Record the decision as a `conflict.resolved` event, then show the closed conflict."""
    require_act()
    c = conflict_decisions.get_conflict(conflict_id)
    decision = request.form.get("decision", "")
    value = form_value(c["kind"], request.form) if decision == "value" else None
    try:
        conflict_decisions.resolve_conflict(conflict_id, decision, value, actor_name(g.user),
                                   note=request.form.get("note") or None)
    except DomainError as exc:
        return _page(conflict_decisions.get_conflict(conflict_id), exc.message_vi, exc.status)
    flash("Đã ghi quyết định; quyết định sẽ được gửi về điểm tiếp nhận ở lần đồng bộ tới.", "ok")
    return redirect(url_for("center_conflicts.show", conflict_id=conflict_id))
