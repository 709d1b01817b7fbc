"""The reception node: a commune desk that works all day with the network cable pulled out.

`create_app(config)` builds the node's Flask app (settings, database, scans, JSON API, background
jobs) over its domain layer (`reception`, `catalogue`, `search`, `scans`, `journal`), all on one
SQLite file in the data dir. The clerks' pages are added by the composition root,
`motcua.apps.create_node_app`: this package never imports the UI.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask

from motcua.files import secret_file

logger = logging.getLogger(__name__)


def create_app(config: dict | None = None) -> Flask:
    """Build the node's API app (no pages) for the data dir in `config` or `MOTCUA_DATA_DIR`.

    :raises RuntimeError: no data dir.
    """
    from node.config import defaults
    from node.db import open_database
    from node.scans import BlobStore

    app = Flask(__name__, instance_relative_config=False)
    app.config.from_mapping(defaults())
    data_dir = (config or {}).get("DATA_DIR") or os.environ.get("MOTCUA_DATA_DIR")
    if not data_dir:
        raise RuntimeError("no data dir: pass --data-dir or set MOTCUA_DATA_DIR")
    data_dir = Path(data_dir)
    cfg_file = data_dir / "node.cfg"
    if cfg_file.exists():
        app.config.from_pyfile(str(cfg_file))
    app.config.from_prefixed_env("NODE")
    app.config.update(config or {})
    from motcua import legaltime
    legaltime.set_zone(app.config["LEGAL_TIME_ZONE"])   # before anything reads the clock
    app.config["DATA_DIR"] = str(data_dir)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_file(data_dir / "secret_key")   # per node, 0600
    app.config["MAX_CONTENT_LENGTH"] = int(app.config["MAX_UPLOAD_BYTES"]) + 1024 * 1024

    open_database(data_dir)
    store = BlobStore(data_dir / "scans")
    store.sweep_temporaries()
    app.extensions["motcua.blobs"] = store

    _add_server_timing(app)
    from motcua.web import init_boundaries, register_error_handlers
    from node import api
    init_boundaries(app)
    app.register_blueprint(api.bp)
    register_error_handlers(app)
    from node import background
    background.init_app(app)
    return app


def _add_server_timing(app: Flask) -> None:
    """Every response says how long the server worked on it (`Server-Timing: app;dur=ms`):
    the bench scripts read it, and so can a technician's browser tools."""
    import time

    from flask import g

    @app.before_request
    def _start_timer():
        g.request_started = time.perf_counter()

    @app.after_request
    def _server_timing(response):
        started = g.get("request_started")
        if started is not None:
            response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response

