"""The clerk's desk in the browser: wires the UI blueprints, guards and helpers into a node app.

`motcua.apps.create_node_app` calls `init_app(app)` on the node's app. Pages are plain server-rendered
HTML with one CSS and one small JS file served by the node itself: no CDN, no external font, so
the desk works the same with the cable pulled out.
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from flask import Blueprint, Flask, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext
from jinja2 import ChoiceLoader, FileSystemLoader

from motcua import legaltime
from webui import i18n, security

HERE = Path(__file__).parent
UI_DEFAULTS = {
    "LOGIN_MAX_FAILURES": 5,        # wrong passwords per account (from any address) before a pause
    "LOGIN_LOCK_SECONDS": 300,
    "SESSION_MAX_HOURS": 12,        # a login lasts one working day at most, then log in again
    # The lookup secret is 6 characters of 32 (2^30): 5 wrong tries per code per 15 minutes
    # leave a guesser 480 tries a day (~1 chance in 2 million per dossier) and lock only that code.
    "LOOKUP_MAX_FAILURES": 5,
    "LOOKUP_LOCK_SECONDS": 900,
    # One address (the hall's kiosk is one address for every citizen): a ceiling only against a
    # script, far above a queue of citizens mistyping (a kiosk serves ~1 person a minute).
    "LOOKUP_ADDRESS_MAX_FAILURES": 200,
    "LOOKUP_ADDRESS_LOCK_SECONDS": 600,
    # Taking a number at the kiosk: a hall's kiosk serves about one citizen a minute; more than
    # TICKET_KIOSK_MAX from one kiosk (address), or TICKET_ALL_MAX from all, within the window is
    # a finger on the button or a script, and that kiosk (or all) waits the window out.
    "TICKET_KIOSK_MAX": 6,
    "TICKET_ALL_MAX": 60,
    "TICKET_WINDOW_SECONDS": 60,
    "PUBLIC_URL": None,             # base of the QR link on Form 01 (default: the address used)
}
CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
       "object-src 'self'; frame-src 'self'; frame-ancestors 'self'; form-action 'self'; "
       "base-uri 'none'")


def _fmt_dt(value) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.strftime("%H:%M %d/%m/%Y")


def _fmt_date(value) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return value.strftime("%d/%m/%Y")


def _fmt_money(value) -> str:
    if value is None:
        return gettext("Theo nghị quyết HĐND tỉnh")
    return f"{value:,}".replace(",", ".") + " đồng"


def render_error(status: int, message):
    """The one HTML error page (the API's error handler calls this for browser requests), with the
    catalogue message in the reader's language."""
    return render_template("node/error.html", status=status,
                           message=i18n.error_text(message)), status


def _security_headers(response):
    if not request.path.startswith("/api/"):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    return response


def procedure_name(code: str) -> str:
    """A procedure's name for lists (names, not codes); the catalogue is read once per request."""
    if "procedure_names" not in g:
        from node.catalogue import Procedure
        names = {}
        for p in Procedure.select(Procedure.code, Procedure.name_vi).order_by(
                Procedure.catalogue_version):
            names[p.code] = p.name_vi          # the newest version's name wins
        g.procedure_names = names
    return g.procedure_names.get(code, code)


def _context() -> dict:
    from node.facts import get_state
    from webui.desk.today import sync_badge
    return {"lang": i18n.current_language(), "user": g.get("user"),
            "sync": sync_badge() if g.get("user") else None,
            # the badge refreshes at least once per sync interval (and at most every 2 s)
            "sync_refresh_ms": int(1000 * max(2.0, min(20.0, float(
                current_app.config.get("SYNC_INTERVAL_SECONDS") or 60) / 2))),
            "unit_name": get_state("unit_name", ""), "unit_code": get_state("unit_code", ""),
            "today": legaltime.today(),
            "unit_full_name": (current_app.config.get("UNIT_FULL_NAME")
                               or f"UBND xã {get_state('unit_name', '')}")}


def init_app(app: Flask) -> None:
    """Register the UI on `app`: blueprints, templates, static files, guards and the error page."""
    from webui.desk import auth, conflicts, dossiers, ferry, forms, intake, public, queue, today, users

    for key, value in UI_DEFAULTS.items():
        app.config.setdefault(key, value)
    app.config["SESSION_COOKIE_NAME"] = "motcua_session"   # Flask presets "session": set, not setdefault
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = bool(app.config.get("SESSION_COOKIE_SECURE"))
    app.jinja_loader = ChoiceLoader([FileSystemLoader(str(HERE / "templates")), app.jinja_loader])
    app.jinja_env.filters.update(dt=_fmt_dt, d=_fmt_date, money=_fmt_money)
    i18n.init_babel(app)
    app.jinja_env.globals.update(csrf_token=security.csrf_token, procedure_name=procedure_name)

    static = Blueprint("ui", __name__, static_folder=str(HERE / "static"),
                       static_url_path="/assets")
    app.register_blueprint(static)
    for module in (auth, today, intake, dossiers, forms, public, conflicts, ferry, users, queue):
        app.register_blueprint(module.bp)

    app.before_request(auth.load_user)
    app.before_request(security.check_csrf)
    app.after_request(_security_headers)
    app.context_processor(_context)
    app.extensions["motcua.render_error"] = render_error

    @app.get("/")
    def home():
        """The desk opens on Today."""
        return redirect(url_for("today.index"))
