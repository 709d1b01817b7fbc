"""The composition root: each whole app (domain + API + pages) is put together here, and only here.

`node.create_app` and `central.create_app` build an app from their own package (settings, database,
JSON API, sync endpoints, background jobs) and know nothing of the UI; `webui` adds its pages to an
app it is given. This module joins the two, so the layering stays one-way (see the import contracts
in pyproject.toml): domain packages never import `webui`, and the center's app never loads the
node's tables.
"""
from __future__ import annotations

from flask import Flask


def create_node_app(config: dict | None = None) -> Flask:
    """The whole commune desk: the node's API app with the clerks' pages on it.

    :raises RuntimeError: no data dir (in `config` or `MOTCUA_DATA_DIR`).
    """
    import node
    from webui import node_ui

    app = node.create_app(config)
    node_ui.init_app(app)
    return app


def create_central_app(config: dict | None = None) -> Flask:
    """The whole center: the center's API and sync endpoints with the officers' pages on it.

    :raises RuntimeError: no data dir (in `config` or `MOTCUA_DATA_DIR`).
    """
    import central
    from webui import central_ui

    app = central.create_app(config)
    central_ui.init_app(app)
    return app
