"""Today: what the desk must deal with now, and a sync badge that never blocks work."""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, render_template

from node import sync_status, worklists
from webui.security import login_required

logger = logging.getLogger(__name__)
bp = Blueprint("today", __name__)


def sync_badge() -> dict | None:
    """The sync indicator's state, or None if it cannot be read (the desk keeps working)."""
    try:
        return sync_status.indicator(
            interval_s=float(current_app.config.get("SYNC_INTERVAL_SECONDS") or 60))
    except Exception:                       # noqa: BLE001 — a badge must never take the page down
        logger.exception("sync status unavailable")
        return None


@bp.get("/today")
@login_required
def index():
    """Waiting for papers, due within two working days, late, results to hand back, received today."""
    return render_template("node/today.html", lists=worklists.work_lists(),
                           stamp=worklists.stamp())


@bp.get("/today/lists.json")
@login_required
def lists_stamp():
    """A few bytes the Today page polls: the lists' stamp and counts (they move when something
    arrives from the center or another desk acts), so it refreshes without reloading."""
    lists = worklists.work_lists(limit=0)
    return jsonify(stamp=worklists.stamp(), counts={k: b.total for k, b in lists.items()})


@bp.get("/today/lists")
@login_required
def lists_fragment():
    """Today's lists alone (HTML fragment), fetched by desk.js when the stamp moved."""
    return render_template("node/_worklists.html", lists=worklists.work_lists())


@bp.get("/sync/indicator")
@login_required
def indicator():
    """The sync indicator alone (HTML fragment), for desk.js to refresh every page without reload."""
    return render_template("node/_sync.html", sync=sync_badge())
