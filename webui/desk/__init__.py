"""The clerk UI's blueprints: auth, today, intake (new dossier), dossiers, forms, public (lookup, help).

Each view parses the request, calls one domain function (`node.*`), and renders or redirects.
"""
from __future__ import annotations

from flask import current_app

from node.reception import DeskRules


def desk_rules() -> DeskRules:
    """The desk hours from the app config, as the domain functions want them."""
    c = current_app.config
    return DeskRules(cutoff=c["CUTOFF"], office_open=c["OFFICE_OPEN"], office_close=c["OFFICE_CLOSE"])
