"""Fleet health for technicians: each point's last contact, backlogs both ways, refused parcels
with the latest reason, clock skew and key state; silent points flagged; revoke (admin only, with
the unit code typed again as the confirmation)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext

from central import points
from motcua import legaltime
from webui.central.auth import guard, login_required

bp = guard(Blueprint("center_fleet", __name__, url_prefix="/points"))


def _page(error: str | None = None, status: int = 200):
    hours = float(current_app.config["SILENT_AFTER_HOURS"])
    return render_template("central/fleet.html", error=error, silent_after=hours,
                           items=points.fleet(now=legaltime.now(), silent_after_hours=hours),
                           is_admin=g.user.role == "admin"), status


@bp.get("/")
@login_required
def index():
    """Every point's health, silent ones flagged."""
    return _page()


@bp.post("/<unit_code>/revoke")
@login_required
def revoke(unit_code):
    """Refuse this point's parcels from now on; the unit code must be typed again to confirm."""
    if g.user.role != "admin":
        abort(403)
    point = points.get_point(unit_code)                     # 404 page for an unknown point
    if (request.form.get("confirm") or "").strip() != point.unit_code:
        return _page(gettext("Gõ lại mã điểm %(unit)s để xác nhận thu hồi.", unit=point.unit_code),
                     422)
    points.revoke_point(point.unit_code)
    current_app.logger.warning("point %s revoked by %s", point.unit_code, g.user.username)
    flash(gettext("Đã thu hồi khóa của điểm %(unit)s: trung tâm từ chối mọi gói tin của điểm này.",
                  unit=point.unit_code), "ok")
    return redirect(url_for("center_fleet.index"))
