"""The leaders' dashboard (read-only for every role): the center's figures with filters by period
(by date finished) and point, on-time charts drawn on the server, and a CSV export."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, render_template, request
from flask_babel import gettext

from central import desk, queuestats, stats
from motcua import errors as E, legaltime
from motcua.errors import InvalidInput
from webui import i18n
from webui.central import sheets
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
                           points=desk.point_choices(), queue=_queue_figures(f))


def _queue_figures(f: dict) -> dict:
    """The queue's figures per point for the period (without a start: the last 30 days)."""
    date_to = _date("to") or legaltime.today()
    date_from = _date("from") or date_to - timedelta(days=29)
    return queuestats.compute(date_from, date_to, point=f["point"] or None)


def _name(kind: str, f: dict) -> str:
    return f"{kind}-{f['from'] or 'dau'}-{f['to'] or 'nay'}-{f['point']}"


@bp.get("/stats.csv")
@login_required
def export_csv():
    """The same figures as CSV (UTF-8 with a BOM, so a spreadsheet reads the Vietnamese)."""
    figures, f = _figures()
    return sheets.csv_response(stats.dashboard_rows(figures), _name("thong-ke", f))


@bp.get("/stats.xlsx")
@login_required
def export_xlsx():
    """The same figures as an XLSX workbook."""
    figures, f = _figures()
    return sheets.xlsx_response([(gettext("Thống kê"), stats.dashboard_rows(figures))],
                                _name("thong-ke", f))


def _book() -> tuple[list[list], dict]:
    """The tracking book of the period (received in it; the last 31 days when none is given)."""
    date_to = _date("to") or legaltime.today()
    date_from = _date("from") or date_to - timedelta(days=30)
    point = (request.args.get("point") or "").strip()[:32]
    rows = stats.tracking_book(date_from, date_to, point=point or None)
    header = [gettext("STT"), gettext("Mã hồ sơ"), gettext("Mã hồ sơ chính thức"),
              gettext("Điểm tiếp nhận"), gettext("Thủ tục"), gettext("Người nộp"),
              gettext("Địa chỉ"), gettext("Số điện thoại"), gettext("Kênh"), gettext("Ngày nhận"),
              gettext("Hẹn trả"), gettext("Có kết quả"), gettext("Đã trả"), gettext("Trạng thái"),
              gettext("Cán bộ xử lý")]
    out = [header]
    for r in rows:
        out.append([r[k] if k != "status" else i18n.status_label(r[k]) for k in stats.BOOK_COLUMNS])
    return out, {"from": date_from.isoformat(), "to": date_to.isoformat(), "point": point}


@bp.get("/book.csv")
@login_required
def book_csv():
    """The center's tracking book (every point, or one) as CSV."""
    rows, f = _book()
    return sheets.csv_response(rows, _name("so-theo-doi", f))


@bp.get("/book.xlsx")
@login_required
def book_xlsx():
    """The center's tracking book as an XLSX workbook."""
    rows, f = _book()
    return sheets.xlsx_response([(gettext("Sổ theo dõi"), rows)], _name("so-theo-doi", f))
