"""A simple dossier list at the center (code, point, status, due); the officers' desk comes later."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from central import dossiers
from motcua.paging import MAX_PAGE
from motcua.web import parse_int
from webui.central.auth import guard, login_required

bp = guard(Blueprint("center_dossiers", __name__, url_prefix="/dossiers"))


@bp.get("/")
@login_required
def index():
    """Dossiers across points, filtered by words, point and status, newest first."""
    page_no = parse_int(request.args.get("page"), "page", 1, high=MAX_PAGE)      # else a 422 page
    page = dossiers.search_dossiers(request.args.get("q"), point=request.args.get("point"),
                                    status=request.args.get("status"), page=page_no,
                                    per_page=50, max_per_page=int(current_app.config["MAX_PER_PAGE"]))
    return render_template("central/dossiers.html", page=page, q=request.args.get("q", ""))
