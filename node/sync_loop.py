"""The node's background sync: a `schedule` loop every SYNC_INTERVAL_SECONDS, plus "sync now".

`init_app` leaves two hooks on the app: `motcua.start_background` (called by `node serve`) and
`motcua.sync_now` (what the UI's button and `POST /api/v1/sync/now` call): it wakes the loop at
once instead of waiting for the next tick. The loop runs `sync_round` in its own thread, the same
code path as `motcua node sync`.
"""
from __future__ import annotations

import logging
import threading

import schedule
from flask import Blueprint, current_app, jsonify

from node.api import token_required

logger = logging.getLogger(__name__)
bp = Blueprint("node_sync", __name__, url_prefix="/api/v1/sync")


class SyncLoop:
    """Runs rounds in a daemon thread; `wake()` asks for one now."""

    def __init__(self, data_dir: str, interval_s: float):
        self.data_dir = data_dir
        self.scheduler = schedule.Scheduler()
        self.scheduler.every(max(1, int(interval_s))).seconds.do(self.wake)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.thread: threading.Thread | None = None
        self.last_report = None

    def start(self) -> None:
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, name="motcua-sync", daemon=True)
            self.thread.start()
            self.wake()                   # a first round at start-up

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        from node.sync_client import sync_round
        while not self._stop.is_set():
            self.scheduler.run_pending()
            if not self._wake.wait(timeout=1.0):
                continue
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.last_report = sync_round(self.data_dir)
            except Exception:             # keep the loop alive; the round logs what went wrong
                logger.exception("sync round crashed")


def init_app(app) -> None:
    """Attach the loop (started only by `node serve`) and the "sync now" endpoint."""
    loop = SyncLoop(app.config["DATA_DIR"], float(app.config["SYNC_INTERVAL_SECONDS"]))
    app.extensions["motcua.sync_loop"] = loop
    app.extensions["motcua.start_background"] = loop.start
    app.extensions["motcua.sync_now"] = loop.wake
    app.register_blueprint(bp)


@bp.post("/now")
@token_required
def sync_now():
    """Ask the background loop for a round at once → 202 (the status endpoint shows the result)."""
    loop = current_app.extensions["motcua.sync_loop"]
    running = loop.thread is not None
    loop.wake()
    return jsonify({"requested": True, "background_running": running}), 202
