"""The center: folds every point's journal into one view, and sends officers' decisions back down.

`create_app(config)` builds the center's Flask app (the center API of interface.md and the sync
endpoints of `central.sync_api`: parcels, blobs, receipts, enrollment over HTTP) over the domain
layer (`apply`, `dossiers`, `stats`, `points`, `enrollment`, `users`) on SQLite or PostgreSQL. The
officers' pages are added by the composition root, `motcua.apps.create_central_app`: this package
never imports the UI.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask

logger = logging.getLogger(__name__)

CONFIG_FILENAME = "central.cfg"


def create_app(config: dict | None = None) -> Flask:
    """Build the center's API app (no pages) for the data dir in `config` or `MOTCUA_DATA_DIR`.

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
    from motcua import legaltime
    legaltime.set_zone(app.config["LEGAL_TIME_ZONE"])   # before anything reads the clock
    app.config["DATA_DIR"] = str(data_dir)
    Path(data_dir).mkdir(parents=True, exist_ok=True)     # keys and blobs live here on any backend
    open_database(data_dir, app.config.get("DATABASE_URL") or None,
                  pool_size=int(app.config["DB_POOL_SIZE"]) or int(app.config["SERVE_THREADS"]) + 2)
    from motcua.objectstore import open_store
    app.extensions["motcua.store"] = open_store(
        app.config.get("BLOB_STORE") or None, data_dir, access_key=app.config["S3_ACCESS_KEY"],
        secret_key=app.config["S3_SECRET_KEY"], region=app.config["S3_REGION"])

    # The largest body: a tus chunk of a parcel (the point sends 64 kB chunks); JSON bodies are
    # capped lower per request by motcua.web, forms by Flask's MAX_FORM_MEMORY_SIZE.
    app.config["MAX_CONTENT_LENGTH"] = int(app.config["MAX_REQUEST_BYTES"])

    from central import api, healthz, sync_api
    from motcua.web import init_boundaries, register_error_handlers
    init_boundaries(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(sync_api.bp)
    app.register_blueprint(healthz.bp)
    sync_api.init_app(app)
    register_error_handlers(app)

    from central.db import release_connection

    @app.teardown_appcontext
    def _give_back_connection(_exc):
        release_connection()
    release_connection()          # the thread that built the app serves no request
    return app
