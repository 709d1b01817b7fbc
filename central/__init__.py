"""The center: folds every point's journal into one view, and sends officers' decisions back down.

`create_app(config)` builds the Flask app (the center API of interface.md) over the domain layer
(`apply`, `dossiers`, `stats`, `points`, `enrollment`, `users`) on SQLite or PostgreSQL. The sync
endpoints (parcels, blobs, receipts, enrollment over HTTP) live in `central.sync_api`, registered
by `register_sync_endpoints` when that module exists.
"""
from __future__ import annotations

import importlib
import logging
import os
from pathlib import Path

from flask import Flask

logger = logging.getLogger(__name__)

CONFIG_FILENAME = "central.cfg"


def create_app(config: dict | None = None) -> Flask:
    """Build a center app for the data dir in `config` or `MOTCUA_DATA_DIR`.

    :raises RuntimeError: no data dir.
    """
    from central.config import defaults
    from central.db import open_database

    app = Flask(__name__)
    app.config.from_mapping(defaults())
    data_dir = (config or {}).get("DATA_DIR") or os.environ.get("MOTCUA_DATA_DIR")
    if not data_dir:
        raise RuntimeError("no data dir: pass --data-dir or set MOTCUA_DATA_DIR")
    cfg_file = Path(data_dir) / CONFIG_FILENAME
    if cfg_file.exists():
        app.config.from_pyfile(str(cfg_file))
    app.config.from_prefixed_env("CENTRAL")
    app.config.update(config or {})
    app.config["DATA_DIR"] = str(data_dir)
    Path(data_dir).mkdir(parents=True, exist_ok=True)     # keys and blobs live here on any backend
    open_database(data_dir, app.config.get("DATABASE_URL") or None)

    # The largest body: a tus chunk of a parcel (the point sends 64 kB chunks); JSON bodies are
    # capped lower per request by motcua.web, forms by Flask's MAX_FORM_MEMORY_SIZE.
    app.config["MAX_CONTENT_LENGTH"] = int(app.config["MAX_REQUEST_BYTES"])

    from central import api
    from motcua.web import init_boundaries, register_error_handlers
    init_boundaries(app)
    app.register_blueprint(api.bp)
    register_error_handlers(app)
    register_sync_endpoints(app)
    register_ui(app)
    return app


def register_ui(app: Flask) -> None:
    """The officers' web pages (`webui.central_ui`), when the UI package is installed."""
    try:
        from webui import central_ui
    except ModuleNotFoundError as exc:      # API-only install; any other import error must show
        if exc.name not in ("webui", "webui.central_ui"):
            raise
        return
    central_ui.init_app(app)


def register_sync_endpoints(app: Flask) -> None:
    """The hook for the sync layer: `central.sync_api` gives `bp` (and optionally `init_app(app)`).

    Kept apart so the parcel/transport engineer adds endpoints without touching the center API.
    """
    try:
        module = importlib.import_module("central.sync_api")
    except ModuleNotFoundError as exc:       # not built yet; any other import error must show
        if exc.name != "central.sync_api":
            raise
        return
    if hasattr(module, "bp"):
        app.register_blueprint(module.bp)
    if hasattr(module, "init_app"):
        module.init_app(app)
