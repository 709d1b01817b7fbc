"""Logging in and out, and the language switch."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for

from motcua.errors import Unauthorized
from node.users import authenticate
from webui import i18n
from webui.security import client_ip, login_required, throttle

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only a path on this node (never `//elsewhere`), so the login cannot be used as a redirector."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("today.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form; on POST check the password, with a pause after repeated failures."""
    error, username = None, ""
    if request.method == "POST":
        username = request.form.get("username", "").strip()[:100]
        guard = throttle("login")
        key = f"{client_ip()}|{username.lower()}"
        guard.check(key, "Đăng nhập sai quá nhiều lần. Hãy thử lại sau {seconds} giây.")
        try:
            user = authenticate(username, request.form.get("password", ""))
        except Unauthorized as exc:
            guard.fail(key)
            error = exc.message_vi
        else:
            guard.reset(key)
            lang = session.get("lang")
            session.clear()                      # a fresh session (and CSRF token) per login
            session["uid"] = user.id
            if lang:
                session["lang"] = lang
            return redirect(_safe_next(request.args.get("next")))
    status = 401 if error else 200
    return render_template("node/login.html", error=error, username=username), status


@bp.post("/logout")
@login_required
def logout():
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
