"""Logging in and out, and the language switch."""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for

from motcua.errors import Unauthorized
from motcua.web import same_site_path
from node.users import end_session, log_in, start_session, user_for_session
from webui import i18n
from webui.security import begin_session, login_required, session_user_loader

bp = Blueprint("auth", __name__)


load_user = session_user_loader("sid", user_for_session)   # the clerks' accounts, session key `sid`


def _safe_next(target: str | None) -> str:
    """Only a path on this node, so the login cannot be used as a redirector."""
    return same_site_path(target, url_for("today.index"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form; on POST check the password, with a pause after repeated failures."""
    error, username = None, ""
    if request.method == "POST":
        username = request.form.get("username", "").strip()[:100]
        cfg = current_app.config
        try:
            user = log_in(username, request.form.get("password", ""),
                          max_failures=int(cfg["LOGIN_MAX_FAILURES"]),
                          lock_seconds=float(cfg["LOGIN_LOCK_SECONDS"]))
        except Unauthorized as exc:
            error = exc.message_vi
        else:
            begin_session("sid", start_session(user))
            return redirect(_safe_next(request.args.get("next")))
    status = 401 if error else 200
    return render_template("node/login.html", error=error, username=username), status


@bp.post("/logout")
@login_required
def logout():
    """End the session on the server too, so a copy of the cookie is worth nothing."""
    end_session(session.get("sid"))
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("auth.login"))


@bp.post("/language")
def language():
    """Switch between Vietnamese and English, then go back where the clerk was."""
    lang = request.form.get("lang")
    if lang in i18n.LANGUAGES:
        session["lang"] = lang
    return redirect(_safe_next(request.form.get("back")))
