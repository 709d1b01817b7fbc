"""Pages without login: the citizen's lookup (kiosk in the hall) and the help page."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from motcua import errors as E
from motcua.errors import NotFound
from node import clerk
from webui.security import client_ip, throttle

bp = Blueprint("public", __name__)


@bp.route("/lookup", methods=["GET", "POST"])
def lookup():
    """Code + secret (typed, or from the QR link) → procedure, status, due date, what to bring.

    A wrong pair gets the same answer whether or not the code exists. A few wrong secrets for one
    code make that code wait (counted in the database); one address waits only after many wrong
    pairs (LOOKUP_ADDRESS_MAX_FAILURES), so the hall's kiosk survives a day of citizens' typos.
    """
    source = request.form if request.method == "POST" else request.args
    code, secret = source.get("code", "").strip(), source.get("s", "").strip()
    result, error = None, None
    if code or secret:
        per_address, cfg = throttle("lookup_address"), current_app.config
        per_address.check(client_ip(), E.ADDRESS_LOCKED)
        try:
            result = clerk.guarded_lookup(code, secret, max_failures=int(cfg["LOOKUP_MAX_FAILURES"]),
                                         lock_seconds=float(cfg["LOOKUP_LOCK_SECONDS"]))
        except NotFound as exc:
            per_address.fail(client_ip())
            error = exc.message_vi
    status = 404 if error else 200
    return render_template("node/lookup.html", code=code, result=result, error=error), status


@bp.get("/help")
def help_page():
    """What to do when the network is down, and how parcels travel by USB."""
    return render_template("node/help.html")
