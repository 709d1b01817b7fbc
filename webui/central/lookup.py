"""The citizen's lookup at the center (no login): the address Form 01's QR points to when the
point has a center lookup configured (`motcua node config --center-lookup-url`)."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from central.lookup import guarded_lookup
from motcua.errors import NotFound
from webui.central.auth import guard
from webui.i18n import error_text

bp = guard(Blueprint("center_lookup", __name__))


@bp.route("/lookup", methods=["GET", "POST"])
def lookup():
    """Code + secret (typed, or from the QR link) → procedure, status, due date, what to bring; a
    wrong pair gets the same answer whether or not the code exists."""
    source = request.form if request.method == "POST" else request.args
    code, secret = source.get("code", "").strip()[:60], source.get("s", "").strip()[:20]
    result, error = None, None
    if code or secret:
        try:
            result = guarded_lookup(code, secret)
        except NotFound as exc:
            error = error_text(exc)
    return render_template("central/lookup.html", code=code, result=result, error=error), \
        (404 if error else 200)
