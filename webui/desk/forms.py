"""The printed forms of Circular 01/2018 (01–05) from a dossier, and the tracking book (06).

Each is a plain HTML page with A4 print CSS: the clerk presses Ctrl+P (or the Print button).
"""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import segno
from flask import Blueprint, Response, current_app, render_template, request, url_for
from markupsafe import Markup

from motcua import legaltime
from motcua.errors import DomainError
from motcua.identity import upper_vi
from motcua.lifecycle import Status
from node import catalogue, clerk, reception
from node.journal import dossier_history
from node.reception import COPY_TYPES
from webui.security import login_required

bp = Blueprint("forms", __name__)


def lookup_url(d) -> str:
    """The public lookup link printed as a QR code: carries the dossier code and its secret."""
    base = current_app.config.get("PUBLIC_URL")
    if base:
        return f"{base.rstrip('/')}{url_for('public.lookup', code=d.code, s=d.lookup_secret)}"
    return url_for("public.lookup", code=d.code, s=d.lookup_secret, _external=True)


def _qr_svg(text: str) -> Markup:
    svg = segno.make(text, error="m").svg_inline(scale=3, border=4, title="QR tra cứu hồ sơ")
    return Markup(svg)


def _render(template: str, code: str, **extra):
    d = reception.get_dossier(code)
    procedure = catalogue.Procedure.get(code=d.procedure_code, catalogue_version=d.catalogue_version)
    return render_template(template, d=d, procedure=procedure, filer=upper_vi(d.applicant["full_name"]),
                           copy_types=COPY_TYPES, **extra)


@bp.get("/dossiers/<code>/form/01")
@login_required
def form01(code):
    """Receipt and appointment slip, with the lookup QR code."""
    d = reception.get_dossier(code)
    url = lookup_url(d)
    return _render("forms/form01.html", code, components=clerk.components_of(d), qr=_qr_svg(url),
                   lookup_link=url, just_saved=request.args.get("new") == "1")


@bp.get("/dossiers/<code>/form/02")
@login_required
def form02(code):
    """Supplement request: what the citizen must add."""
    d = reception.get_dossier(code)
    return _render("forms/form02.html", code,
                   reason=clerk.last_reason_for(d, int(Status.SUPPLEMENT_REQUESTED)))


@bp.get("/dossiers/<code>/form/03")
@login_required
def form03(code):
    """Refusal, with its reasons."""
    d = reception.get_dossier(code)
    return _render("forms/form03.html", code, reason=clerk.last_reason_for(d, int(Status.REFUSED)))


@bp.get("/dossiers/<code>/form/04")
@login_required
def form04(code):
    """Apology and new date (once the new date is set on the dossier page)."""
    d = reception.get_dossier(code)
    return _render("forms/form04.html", code, apology=clerk.apology_of(d))


@bp.get("/dossiers/<code>/form/05")
@login_required
def form05(code):
    """Control sheet: one row per hand-off, with the step's result against the due time."""
    d = reception.get_dossier(code)
    steps = [e for e in dossier_history(d.uid) if e.kind == "dossier.transitioned"]
    return _render("forms/form05.html", code, steps=steps)


def _range() -> tuple[date, date, str | None]:
    today = legaltime.today()
    try:
        start = date.fromisoformat(request.args.get("from") or today.replace(day=1).isoformat())
        end = date.fromisoformat(request.args.get("to") or today.isoformat())
    except ValueError:
        return today - timedelta(days=7), today, "Ngày phải theo dạng năm-tháng-ngày."
    return start, end, None


@bp.get("/book")
@login_required
def book():
    """Tracking book (Form 06) for a date range, printable; at most 1000 rows on screen."""
    start, end, error = _range()
    rows = []
    if not error:
        try:
            rows = clerk.tracking_book(start, end, limit=1001)
        except DomainError as exc:
            error = exc.message_vi
    return render_template("forms/form06.html", rows=rows[:1000], truncated=len(rows) > 1000,
                           date_from=start, date_to=end, error=error)


CSV_HEADER = ["STT", "Mã hồ sơ", "Thủ tục", "Số bộ", "Người nộp", "Địa chỉ", "Số điện thoại",
              "Đơn vị giải quyết", "Ngày nhận", "Hẹn trả", "Chuyển xử lý", "Có kết quả",
              "Đã trả", "Quyển/Số", "Ghi chú"]


def _cell(value) -> str:
    text = value.strftime("%d/%m/%Y %H:%M") if hasattr(value, "strftime") else str(value or "")
    return "'" + text if text and text[0] in "=+-@" else text     # no formulas from typed data in Excel


@bp.get("/book.csv")
@login_required
def book_csv():
    """Tracking book as CSV with a UTF-8 BOM, so Excel shows the Vietnamese right."""
    start, end, error = _range()
    if error:
        return Response(error, status=422, mimetype="text/plain")
    rows = clerk.tracking_book(start, end)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for r in rows:
        writer.writerow([_cell(r[k]) for k in ("no", "code", "procedure", "sets", "filer", "address",
                                              "phone", "handler", "received_at", "due_at", "sent_at",
                                              "result_at", "returned_at", "book", "notes")])
    name = f"so-theo-doi-{start:%Y%m%d}-{end:%Y%m%d}.csv"
    return Response(out.getvalue().encode("utf-8"), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
