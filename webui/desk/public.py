"""Pages without login: the citizen's lookup (kiosk in the hall) and the help page."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from motcua.errors import NotFound
from node import desk
from webui.security import client_ip, throttle

bp = Blueprint("public", __name__)


@bp.route("/lookup", methods=["GET", "POST"])
def lookup():
    """Code + secret (typed, or from the QR link) → procedure, status, due date, what to bring.

    A wrong pair gets the same answer whether or not the code exists; after a few wrong pairs from
    one address, the address waits before it may try again.
    """
    source = request.form if request.method == "POST" else request.args
    code, secret = source.get("code", "").strip(), source.get("s", "").strip()
    result, error = None, None
    if code or secret:
        guard = throttle("lookup")
        guard.check(client_ip(), "Nhập sai quá nhiều lần. Hãy thử lại sau {seconds} giây.")
        try:
            result = desk.public_lookup(code, secret)
        except NotFound as exc:
            guard.fail(client_ip())
            error = exc.message_vi
    status = 404 if error else 200
    return render_template("node/lookup.html", code=code, result=result, error=error), status


@bp.get("/help")
def help_page():
    """What to do when the network is down, and how parcels travel by USB."""
    return render_template("node/help.html")
