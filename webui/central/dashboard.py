"""The leaders' dashboard (read-only for every role): the center's figures with filters by period
(by date finished) and point, on-time charts drawn on the server, and a CSV export."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext

from central import desk, queuestats, stats
from motcua import errors as E, legaltime
from motcua.errors import InvalidInput
from webui.central.auth import guard, login_required
from webui.central.charts import rate_bars

bp = guard(Blueprint("center_dashboard", __name__, url_prefix="/dashboard"))


def _date(name: str) -> date | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(E.BAD_DATE_ARG(name=name), field=name) from None


def _figures() -> tuple[dict, dict]:
    f = {"from": request.args.get("from", "")[:10], "to": request.args.get("to", "")[:10],
         "point": (request.args.get("point") or "").strip()[:32]}
    figures = stats.compute_dashboard(_date("from"), _date("to"), point=f["point"] or None,
                                      now=legaltime.now())
    return figures, f


@bp.get("/")
@login_required
def index():
    """Counts, rates, open dossiers and two charts, for the period and point chosen."""
    figures, f = _figures()
    fin = figures["finished"]
    charts = {
        "month": rate_bars([(k, v["on_time_rate"]) for k, v in fin["by_month"].items()],
                           gettext("Tỷ lệ sớm và đúng hạn theo tháng"), chart_id="chart-month"),
        "point": rate_bars([(k, v["on_time_rate"]) for k, v in fin["by_point"].items()],
                           gettext("Tỷ lệ sớm và đúng hạn theo điểm"), chart_id="chart-point"),
    }
    return render_template("central/dashboard.html", s=figures, f=f, charts=charts,
                           points=desk.filter_choices()["points"], queue=_queue_figures(f))


def _queue_figures(f: dict) -> dict:
    """The queue's figures per point for the period (without a start: the last 30 days)."""
    date_to = _date("to") or legaltime.today()
    date_from = _date("from") or date_to - timedelta(days=29)
    return queuestats.compute(date_from, date_to, point=f["point"] or None)


@bp.get("/stats.csv")
@login_required
def export_csv():
    """The same figures as CSV (UTF-8 with a BOM, so a spreadsheet reads the Vietnamese)."""
    figures, f = _figures()
    out = io.StringIO()
    out.write("\ufeff")
    csv.writer(out).writerows(stats.dashboard_rows(figures))
    name = re.sub(r"[^0-9A-Za-z.-]", "", f"thong-ke-{f['from'] or 'dau'}-{f['to'] or 'nay'}-{f['point']}")
    return Response(out.getvalue(), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
