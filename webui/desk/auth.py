"""Logging in and out, and the language switch."""
from __future__ import annotations

from flask import Blueprint, redirect, session, url_for

from motcua.web import same_site_path
from node.users import end_session, log_in, start_session, user_for_session
from webui.login import login_page, switch_language
from webui.security import login_required, session_user_loader

bp = Blueprint("auth", __name__)


load_user = session_user_loader("sid", user_for_session)   # the clerks' accounts, session key `sid`


def _safe_next(target: str | None) -> str:
    """Only a path on this node, so the login cannot be used as a redirector."""
    return same_site_path(target, url_for("today.index"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form; on POST check the password, with a pause after repeated failures."""
    return login_page("sid", log_in, start_session, "node/login.html", _safe_next)


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
    return switch_language(_safe_next)
