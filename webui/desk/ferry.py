"""USB ("ferry mode") in the clerk's browser: export to and import from a folder on this PC.

The transfer runs in a background thread (a stick is slow and a day's scans are tens of MB); the
page polls a small JSON status for its progress bar, then shows the summary. The work itself is
`node.ferry.export_to` / `import_from`, the same functions as `motcua node export|import`.
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext

from webui.i18n import current_language
from webui.security import login_required

logger = logging.getLogger(__name__)
bp = Blueprint("ferry", __name__)


class FerryJob:
    """One transfer at a time per node app: its progress and, at the end, its summary."""

    def __init__(self, direction: str, folder: str):
        self.direction, self.folder = direction, folder
        self.done, self.total, self.label = 0, 0, "Đang bắt đầu…"
        self.state, self.report, self.error = "running", None, None
        self.started = time.time()

    def progress(self, done: int, total: int, label: str) -> None:
        self.done, self.total, self.label = done, total, label

    def to_dict(self, lang: str = "vi") -> dict:
        percent = 100 if self.state != "running" else int(100 * self.done / self.total) if self.total else 0
        return {"direction": self.direction, "folder": self.folder, "state": self.state,
                "percent": percent, "label": self.label, "error": self.error,
                "report": self.report.to_dict(lang) if self.report else None,
                "lines": self.report.lines(lang) if self.report else []}


def _run(job: FerryJob, data_dir: str, max_bytes: int | None) -> None:
    from motcua.errors import DomainError
    from node import ferry
    from node.models import db
    from sync.stickfs import unusable
    try:
        if job.direction == "export":
            job.report = ferry.export_to(data_dir, job.folder, max_bytes=max_bytes,
                                         progress=job.progress)
        else:
            job.report = ferry.import_from(data_dir, job.folder, progress=job.progress)
        job.state = "done"
    except DomainError as exc:                  # a read-only or full stick: one line (sync.stickfs)
        job.state, job.error = "failed", exc.message_vi
    except OSError as exc:
        job.state, job.error = "failed", unusable(exc, job.folder).message_vi
    except Exception as exc:                    # noqa: BLE001 - the clerk must see that it stopped
        logger.exception("USB %s failed", job.direction)
        job.state, job.error = "failed", f"Lỗi không lường trước: {exc}"
    finally:
        db.close()                              # this thread's own connection


def _check_folder(raw: str, direction: str) -> str:
    """:raises ValueError: the reason the path cannot be used, in the session's language."""
    path = Path(raw.strip())
    if not raw.strip() or not path.is_absolute():
        raise ValueError(gettext("Nhập đường dẫn đầy đủ tới thư mục USB, ví dụ /media/usb hoặc E:\\."))
    if direction == "import" and not path.is_dir():
        raise ValueError(gettext("Không thấy thư mục %(path)s. USB đã cắm chưa?", path=path))
    if direction == "export" and not path.parent.is_dir():
        raise ValueError(gettext("Không thấy thư mục %(path)s. USB đã cắm chưa?", path=path.parent))
    return str(path)


@bp.get("/usb")
@login_required
def index():
    """The two buttons, the folder path, and the last transfer's progress or summary."""
    job = current_app.extensions.get("motcua.ferry_job")
    return render_template("node/ferry.html", job=job.to_dict(current_language()) if job else None,
                           folder=job.folder if job else "")


@bp.post("/usb/<direction>")
@login_required
def start(direction):
    """Start an export or import in the background, then show its progress."""
    if direction not in ("export", "import"):
        return redirect(url_for("ferry.index"))
    job = current_app.extensions.get("motcua.ferry_job")
    if job is not None and job.state == "running":
        flash(gettext("Đang có một lần chép USB chưa xong."), "error")
        return redirect(url_for("ferry.index"))
    try:
        folder = _check_folder(request.form.get("folder", ""), direction)
    except ValueError as exc:
        flash(str(exc), "error")
        return redirect(url_for("ferry.index"))
    try:
        mb = request.form.get("max_mb", "").strip()
        if mb and not 0 < float(mb) <= 1_000_000:        # "inf", "1e400", "nan", negatives
            raise ValueError(mb)
        max_bytes = int(float(mb) * 1_000_000) if mb else None
    except ValueError:
        flash(gettext("Giới hạn dung lượng phải là một số (MB)."), "error")
        return redirect(url_for("ferry.index"))
    job = FerryJob(direction, folder)
    job.label = gettext("Đang bắt đầu…")
    current_app.extensions["motcua.ferry_job"] = job
    threading.Thread(target=_run, args=(job, current_app.config["DATA_DIR"], max_bytes),
                     name=f"motcua-usb-{direction}", daemon=True).start()
    return redirect(url_for("ferry.index"))


@bp.get("/usb/status.json")
@login_required
def status():
    """Progress of the current transfer, for the page's progress bar."""
    job = current_app.extensions.get("motcua.ferry_job")
    return jsonify(job.to_dict(current_language()) if job else {"state": "idle", "percent": 0})
