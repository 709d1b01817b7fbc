"""The node's background jobs on one scheduler (`motcua.jobs`), plus "sync now".

The jobs share one thread: `sync` (a round every SYNC_INTERVAL_SECONDS, the same code path as
`motcua node sync`), `retention` (daily: drop local scans the center holds, SCAN_RETENTION_DAYS),
`cleanup` (hourly: forget browser sessions older than a working day) and, when BACKUP_DIR is set,
`backup` (the day's encrypted backup once BACKUP_AT has passed, `node.backup_schedule`).
`init_app` leaves two hooks on the app: `motcua.start_background` (called by `node serve`; the
first sync round runs at once) and `motcua.sync_now` (what `POST /api/v1/sync/now` calls): the
thread wakes and syncs at once instead of waiting for the next tick.
"""
from __future__ import annotations

import logging

from flask import Blueprint, Flask, current_app, jsonify

from motcua.jobs import Jobs
from node.api import token_required

logger = logging.getLogger(__name__)
bp = Blueprint("node_sync", __name__, url_prefix="/api/v1/sync")

RETENTION_EVERY_S = 24 * 3600
CLEANUP_EVERY_S = 3600


def node_jobs(app: Flask) -> Jobs:
    """The node's periodic jobs for `app` (not started)."""
    jobs = Jobs("motcua-node-jobs")
    jobs.every(float(app.config["SYNC_INTERVAL_SECONDS"]), "sync", lambda: sync_job(app))
    jobs.every(RETENTION_EVERY_S, "retention", lambda: retention_job(app))
    jobs.every(CLEANUP_EVERY_S, "cleanup", lambda: cleanup_job(app))
    if app.config.get("BACKUP_DIR"):
        from node.backup_schedule import CHECK_EVERY_S
        jobs.every(CHECK_EVERY_S, "backup", lambda: backup_job(app))
    return jobs


def sync_job(app: Flask):
    """One sync round (rounds never overlap: `node.rounds.exclusive`); keeps its report."""
    from node.rounds import sync_round
    app.extensions["motcua.last_sync_report"] = report = sync_round(app.config["DATA_DIR"])
    return report


def retention_job(app: Flask) -> tuple[int, int]:
    """Drop the local scans the retention rule allows (`node.retention`)."""
    from node.retention import purge_scans
    with app.app_context():
        return purge_scans(app.extensions["motcua.blobs"], int(app.config["SCAN_RETENTION_DAYS"]))


def backup_job(app: Flask):
    """The day's encrypted backup once it is due (`node.backup_schedule`)."""
    from node.backup_schedule import run_if_due
    with app.app_context():
        return run_if_due(app.config["DATA_DIR"], app.config)


def cleanup_job(app: Flask) -> int:
    """Forget browser sessions no one logged out of, older than 12 hours (`SESSION_MAX_HOURS` in
    the app's config overrides it; it is not a declared setting)."""
    from node.users import end_stale_sessions
    with app.app_context():
        ended = end_stale_sessions(max_age_hours=float(app.config.get("SESSION_MAX_HOURS", 12)))
    if ended:
        logger.info("%d stale browser sessions forgotten", ended)
    return ended


def init_app(app: Flask) -> None:
    """Attach the jobs (started only by `node serve`) and the "sync now" endpoint."""
    jobs = node_jobs(app)
    app.extensions["motcua.jobs"] = jobs
    app.extensions["motcua.start_background"] = lambda: jobs.start(first=("sync",))
    app.extensions["motcua.sync_now"] = lambda: jobs.run_soon("sync")
    app.register_blueprint(bp)


@bp.post("/now")
@token_required
def sync_now():
    """Ask the background jobs for a sync round at once → 202 (the status endpoint shows the result)."""
    running = current_app.extensions["motcua.jobs"].thread is not None
    current_app.extensions["motcua.sync_now"]()
    return jsonify({"requested": True, "background_running": running}), 202
