"""The officers' pages at the center: log in, review conflicts between points, a simple dossier list.

`central.create_app` calls `init_app(app)` when this module exists. Same look as the clerk's desk
(its stylesheet, served by the center itself, no CDN) and the same CSRF helpers; the guards are
attached to the UI blueprints only, so the JSON API and the sync endpoints are left as they are.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Blueprint, Flask, redirect, url_for
from jinja2 import ChoiceLoader, FileSystemLoader

from webui import i18n, security

HERE = Path(__file__).parent
UI_DEFAULTS = {
    "LOGIN_MAX_FAILURES": 5,        # wrong passwords per account (from any address) before a pause
    "LOGIN_LOCK_SECONDS": 300,
    "SESSION_MAX_HOURS": 12,        # a login lasts one working day at most, then log in again
}


def _secret_key(data_dir: str) -> str:
    """The cookie-signing key: CENTRAL_SECRET_KEY when set (needed when several center processes
    sit behind one load balancer), else one made once in the data dir, readable by its owner only."""
    path = Path(data_dir) / "ui_secret_key"
    if not path.exists():
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    return path.read_text().strip()


def init_app(app: Flask) -> None:
    """Register the officers' UI on a center app: blueprints, templates, assets, cookie settings."""
    from webui.central import auth, conflicts, dossiers

    for key, value in UI_DEFAULTS.items():
        app.config.setdefault(key, value)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app.config["DATA_DIR"])
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
