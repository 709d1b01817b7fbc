"""Conflicts at the desk: the list, one conflict's two versions side by side, and the clerk's decision.

Views only parse and call `node.conflict_decisions`; the layout and the checks are the center's too
(`sync.conflict_review`), so a clerk and an officer see the same conflict the same way.
"""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext

from motcua.errors import DomainError
from motcua.lifecycle import STATUS_LABELS_VI
from node import conflict_decisions
from node.users import actor_name
from sync.conflict_review import field_names, form_value
from webui.security import login_required

bp = Blueprint("conflicts", __name__, url_prefix="/conflicts")


def _page(c: dict, error: str | None = None, status: int = 200):
    return render_template("node/conflict.html", c=c, error=error, statuses=STATUS_LABELS_VI,
                           field_names=field_names(c)), status


@bp.get("/")
@login_required
def index():
    """Open conflicts at this point, newest first."""
    return render_template("node/conflicts.html", items=conflict_decisions.list_open_conflicts())


@bp.get("/<conflict_id>")
@login_required
def show(conflict_id):
    """Version A and version B side by side, with their origins and the three decisions."""
    return _page(conflict_decisions.get_conflict(conflict_id))


@bp.post("/<conflict_id>/resolve")
@login_required
def resolve(conflict_id):
    """Record the decision as a `conflict.resolved` event, then show the closed conflict."""
    c = conflict_decisions.get_conflict(conflict_id)
    decision = request.form.get("decision", "")
    value = form_value(c["kind"], request.form) if decision == "value" else None
    try:
        conflict_decisions.resolve_conflict(conflict_id, decision, value, actor_name(g.user),
                                   note=request.form.get("note") or None)
    except DomainError as exc:
        return _page(conflict_decisions.get_conflict(conflict_id), exc.message_vi, exc.status)
    flash(gettext("Đã ghi quyết định; quyết định sẽ được gửi lên trung tâm ở lần đồng bộ tới."), "ok")
    return redirect(url_for("conflicts.show", conflict_id=conflict_id))
