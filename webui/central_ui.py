"""The officers' pages at the center: log in, review conflicts between points, a simple dossier list.

`motcua.apps.create_central_app` calls `init_app(app)` on the center's app. Same look as the clerk's desk
(its stylesheet, served by the center itself, no CDN) and the same CSRF helpers; the guards are
attached to the UI blueprints only, so the JSON API and the sync endpoints are left as they are.
"""
from __future__ import annotations

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


def init_app(app: Flask) -> None:
    """Register the officers' UI on a center app: blueprints, templates, assets, cookie settings."""
    from webui.central import auth, conflicts, dossiers

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
    app.jinja_env.globals.update(csrf_token=security.csrf_token)
    app.register_blueprint(Blueprint("ui", __name__, static_folder=str(HERE / "static"),
                                     static_url_path="/assets"))
    for module in (auth, conflicts, dossiers):
        app.register_blueprint(module.bp)

    @app.get("/")
    def home():
        """The officers' pages open on the conflicts waiting for a person."""
        return redirect(url_for("center_conflicts.index"))
