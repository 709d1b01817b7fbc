"""Officers' login at the center, and the guards every center page blueprint shares."""
from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, session, url_for
from werkzeug.exceptions import HTTPException

from central.users import end_session, log_in, start_session, user_for_session
from motcua import errors as E
from motcua.errors import DomainError
from motcua.web import same_site_path
from webui import i18n
from webui.login import login_page, switch_language
from webui.security import check_csrf, login_guard, session_user_loader

bp = Blueprint("center_auth", __name__)

HTTP_PAGES = {400: E.SESSION_EXPIRED_PAGE, 403: E.ROLE_FORBIDDEN, 404: E.HTTP_404, 405: E.HTTP_405}
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")


_load_user = session_user_loader("center_sid", user_for_session)


def _headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def render_error(status: int, message):
    """The officers' error page, with the catalogue message in the reader's language."""
    return render_template("central/error.html", status=status,
                           message=i18n.error_text(message)), status


def guard(blueprint: Blueprint, *, before_csrf=()) -> Blueprint:
    """Give a UI blueprint the user loader, the CSRF check, security headers and HTML errors;
    `before_csrf`: hooks that must run with the user known but before the form is read."""
    blueprint.before_request(_load_user)
    for hook in before_csrf:
        blueprint.before_request(hook)
    blueprint.before_request(check_csrf)
    blueprint.after_request(_headers)
    blueprint.register_error_handler(DomainError, lambda e: render_error(e.status, e.said or e.message_vi))
    blueprint.register_error_handler(
        HTTPException, lambda e: render_error(e.code, HTTP_PAGES.get(e.code, E.HTTP_400)()))
    return blueprint


guard(bp)


login_required = login_guard("center_auth.login")


def admin_required(view):
    """Log in first (the center's login page); then admins only, 403 for anyone else."""
    import functools

    @functools.wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if g.user.role != "admin":
            abort(403)
        return view(*args, **kwargs)
    return wrapped


def require_act() -> None:
    """Officers and admins decide; leaders only read. Aborts 403 otherwise."""
    from central.users import CAN_ACT
    if g.user is None or g.user.role not in CAN_ACT:
        abort(403)


def _safe_next(target: str | None) -> str:
    """Only a path on this site, so the login cannot be used as a redirector."""
    return same_site_path(target, url_for("center_conflicts.index"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; on POST check the password, pausing after repeated failures."""
    return login_page("center_sid", log_in, start_session, "central/login.html", _safe_next)


@bp.post("/logout")
@login_required
def logout():
    """End the session on the server too, so a copy of the cookie is worth nothing."""
    end_session(session.get("center_sid"))
    session.clear()
    return redirect(url_for("center_auth.login"))


@bp.post("/language")
def language():
    """Switch between Vietnamese and English, then go back where the officer was."""
    return switch_language(_safe_next)
