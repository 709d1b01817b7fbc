"""`GET /healthz`: can this center process do its work? What a load balancer asks every few seconds.

200 when the database answers a query and the object store takes, gives back and deletes a probe;
503 naming what failed otherwise, so HAProxy sends the points to another process until this one
recovers. No login (it says nothing about any dossier); never cached.
"""
from __future__ import annotations

import logging
import os
import time

from flask import Blueprint, current_app, jsonify

from central.db import db

logger = logging.getLogger(__name__)
bp = Blueprint("central_health", __name__)


def check_health(store) -> dict:
    """{"database": "ok" | error, "store": "ok" | error, "ok": bool, "ms": …, "pid": …}."""
    started = time.monotonic()
    answer: dict = {"pid": os.getpid()}
    try:
        db.execute_sql("SELECT 1").fetchone()
        answer["database"] = "ok"
    except Exception as exc:               # any failure is the answer, never a 500
        answer["database"] = f"{type(exc).__name__}: {exc}"[:300]
        try:
            db.close()                     # a broken connection: the next request opens another
        except Exception:
            pass
    try:
        store.check()
        answer["store"] = "ok"
    except Exception as exc:
        answer["store"] = str(exc)[:300]
    answer["ok"] = answer["database"] == "ok" and answer["store"] == "ok"
    answer["ms"] = round((time.monotonic() - started) * 1000, 1)
    return answer


@bp.get("/healthz")
def healthz():
    answer = check_health(current_app.extensions["motcua.store"])
    if not answer["ok"]:
        logger.warning("health check failed: %s", answer)
    response = jsonify(answer)
    response.status_code = 200 if answer["ok"] else 503
    response.headers["Cache-Control"] = "no-store"
    return response
