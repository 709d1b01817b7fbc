"""The officers' pages at the center: log in, the officers' desk (work list, dossiers, decisions),
conflicts between points.

`motcua.apps.create_central_app` calls `init_app(app)` on the center's app. Same look as the clerk's desk
(its stylesheet, served by the center itself, no CDN) and the same CSRF helpers; the guards are
attached to the UI blueprints only, so the JSON API and the sync endpoints are left as they are.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flask import Blueprint, Flask, redirect, url_for
from jinja2 import ChoiceLoader, FileSystemLoader

from motcua.files import secret_file
from webui import i18n, security

HERE = Path(__file__).parent
UI_DEFAULTS = {
    "LOGIN_MAX_FAILURES": 5,        # wrong passwords per account (from any address) before a pause
    "LOGIN_LOCK_SECONDS": 300,
    "SESSION_MAX_HOURS": 12,        # a login lasts one working day at most, then log in again
}


def _fmt_dt(value) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.strftime("%H:%M %d/%m/%Y")


def _fmt_money(value) -> str:
    return "" if value is None else f"{value:,}".replace(",", ".") + " đồng"


def _fmt_size(value) -> str:
    """Bytes as an officer reads them (what is still to come over a thin island link)."""
    if value is None:
        return "?"
    for unit, scale in (("MB", 1 << 20), ("KB", 1 << 10)):
        if value >= scale:
            return f"{value / scale:.1f} {unit}".replace(".", ",")
    return f"{value} B"


def init_app(app: Flask) -> None:
    """Register the officers' UI on a center app: blueprints, templates, assets, cookie settings."""
    from webui.central import auth, conflicts, dashboard, dossiers, fleet, lookup, rules, users

    for key, value in UI_DEFAULTS.items():
        app.config.setdefault(key, value)
    if not app.config.get("SECRET_KEY"):
        # CENTRAL_SECRET_KEY when set (several center processes behind one load balancer must
        # share it), else one made once in the data dir, readable by its owner only.
        app.config["SECRET_KEY"] = secret_file(Path(app.config["DATA_DIR"]) / "ui_secret_key")
    if app.config.get("SESSION_COOKIE_NAME") in (None, "session"):     # Flask's default name
        app.config["SESSION_COOKIE_NAME"] = "motcua_center_session"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = bool(app.config.get("SESSION_COOKIE_SECURE"))
    app.jinja_loader = ChoiceLoader([FileSystemLoader(str(HERE / "templates")), app.jinja_loader])
    i18n.init_babel(app)
    app.jinja_env.globals.update(csrf_token=security.csrf_token, current_lang=i18n.current_language)
    app.jinja_env.filters.update(dt=_fmt_dt, money=_fmt_money, size=_fmt_size)
    app.register_blueprint(Blueprint("ui", __name__, static_folder=str(HERE / "static"),
                                     static_url_path="/assets"))
    for module in (auth, conflicts, dossiers, dashboard, fleet, lookup, rules, users):
        app.register_blueprint(module.bp)

    @app.get("/")
    def home():
        """The officers' pages open on the work list (what is late or due soon)."""
        return redirect(url_for("center_dossiers.work"))
