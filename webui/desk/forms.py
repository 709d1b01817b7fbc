"""The printed forms of Circular 01/2018 (01–05) from a dossier, and the tracking book (06).

Each is a plain HTML page with A4 print CSS: the clerk presses Ctrl+P (or the Print button).
"""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import segno
from flask import Blueprint, Response, current_app, g, render_template, request, url_for
from markupsafe import Markup

from motcua import fees, legaltime
from motcua.errors import DomainError
from motcua.identity import upper_vi
from motcua.lifecycle import Status
from node import catalogue, clerk, formnumbers, reception
from node.facts import unit_name
from node.reception import COPY_TYPES
from node.setup import public_addresses
from webui.security import login_required

bp = Blueprint("forms", __name__)


def lookup_url(d) -> str:
    """The public lookup link printed as a QR code: carries the dossier code and its secret. It
    points to the center's lookup when one is configured (`motcua node config`; a citizen at home
    finds the dossier there once it has synced), else to this point's public address, else (not
    configured) to the address the desk was opened at."""
    addresses = public_addresses()
    base = (addresses["center_lookup_url"] or addresses["public_url"]
            or current_app.config.get("PUBLIC_URL"))
    path = url_for("public.lookup", code=d.code, s=d.lookup_secret)     # the center's is the same
    if base:
        return f"{base.rstrip('/')}{path}"
    return url_for("public.lookup", code=d.code, s=d.lookup_secret, _external=True)


def _qr_svg(text: str, title: str = "QR tra cứu hồ sơ", scale: int = 3) -> Markup:
    svg = segno.make(text, error="m").svg_inline(scale=scale, border=4, title=title)
    return Markup(svg)


def unit_full_name() -> str:
    """The unit's full name at the head of each form: the setting, else "UBND xã <name>" (the
    pages' context says the same)."""
    return current_app.config.get("UNIT_FULL_NAME") or f"UBND xã {unit_name()}"


def _clerk() -> str:
    return (g.user.full_name or g.user.username) if g.get("user") else ""


def _render(template: str, code: str, *, kind: str | None = None, about: str | None = None,
            **extra):
    d = reception.get_dossier(code)
    procedure = catalogue.Procedure.get(code=d.procedure_code, catalogue_version=d.catalogue_version)
    number = formnumbers.number_for(kind, about or d.uid) if kind else None
    return render_template(template, d=d, procedure=procedure, filer=upper_vi(d.applicant["full_name"]),
                           copy_types=COPY_TYPES, number=number, clerk=_clerk(), **extra)


def vietqr_of(d) -> dict | None:
    """The bank-transfer QR for an unpaid fee, when the payee account is set: payload and picture."""
    c = current_app.config
    if not d.fee_vnd or d.fee_paid or not (c.get("PAYEE_BANK_BIN") and c.get("PAYEE_ACCOUNT")):
        return None
    payload = fees.vietqr_payload(str(c["PAYEE_BANK_BIN"]), str(c["PAYEE_ACCOUNT"]), d.fee_vnd, d.code)
    return {"payload": payload, "svg": _qr_svg(payload, "VietQR chuyển khoản lệ phí", 2),
            "name": c.get("PAYEE_NAME"), "account": c["PAYEE_ACCOUNT"]}


@bp.get("/dossiers/<code>/form/01")
@login_required
def form01(code):
    """Receipt and appointment slip, with the lookup QR code and, for a fee to pay, a VietQR."""
    d = reception.get_dossier(code)
    url = lookup_url(d)
    fee = clerk.fee_of(d)
    return _render("forms/form01.html", code, kind="01", components=clerk.components_of(d),
                   qr=_qr_svg(url), details=clerk.details_of(d), lookup_link=url,
                   just_saved=request.args.get("new") == "1", fee=fee, vietqr=vietqr_of(d))


@bp.get("/dossiers/<code>/form/02")
@login_required
def form02(code):
    """Supplement request: what the citizen must add (asked before receipt, or while processing)."""
    d = reception.get_dossier(code)
    asked = (clerk.supplement_request_of(d) if d.status != int(Status.SUBMITTED_ONLINE) else None) \
        or clerk.guidance_of(d)
    contact = (asked or {}).get("contact") or current_app.config.get("HELP_CONTACT") \
        or f"Bộ phận tiếp nhận và trả kết quả {unit_full_name()}"
    return _render("forms/form02.html", code, kind="02",
                   about=f"{d.uid}:{asked['event_id']}" if asked else d.uid,
                   asked=asked, help_contact=contact, just_saved=request.args.get("new") == "1")


@bp.get("/dossiers/<code>/form/03")
@login_required
def form03(code):
    """Refusal, with its reasons."""
    d = reception.get_dossier(code)
    return _render("forms/form03.html", code, kind="03", reason=clerk.last_reason_for(d, int(Status.REFUSED)),
                   just_saved=request.args.get("new") == "1")


@bp.get("/dossiers/<code>/form/04")
@login_required
def form04(code):
    """Apology and new date (once the new date is set on the dossier page)."""
    d = reception.get_dossier(code)
    apology = clerk.apology_of(d)
    return _render("forms/form04.html", code, kind="04" if apology else None, apology=apology)


VERDICTS_VI = {"early": "Trước hạn", "on_time": "Đúng hạn", "late": "Quá hạn"}


@bp.get("/dossiers/<code>/form/05")
@login_required
def form05(code):
    """Control sheet: one row per hand-off, with the step's result against the due time."""
    d = reception.get_dossier(code)
    return _render("forms/form05.html", code, kind="05", rows=clerk.control_sheet(d),
                   verdicts=VERDICTS_VI)


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
                           date_from=start, date_to=end, error=error, clerk=_clerk())


CSV_HEADER = ["STT", "Mã hồ sơ", "Thủ tục", "Số bộ", "Người nộp", "Địa chỉ", "Số điện thoại",
              "Đơn vị giải quyết", "Ngày nhận", "Hẹn trả", "Hẹn trả ban đầu", "Chuyển xử lý",
              "Có kết quả", "Đã trả", "Quyển/Số", "Ghi chú"]
# Kept as text by a spreadsheet: a phone number's leading zero, a book number that looks like a date.
AS_TEXT = frozenset({"phone", "book"})


def _cell(value, as_text: bool = False) -> str:
    text = value.strftime("%d/%m/%Y %H:%M") if hasattr(value, "strftime") else str(value or "")
    if text and text[0] in "=+-@":
        return "'" + text                 # no formulas from typed data in Excel
    if as_text and text:
        return "\t" + text                # a leading tab: Excel and LibreOffice keep "0912…" as text
    return text


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
        writer.writerow([_cell(r[k], k in AS_TEXT) for k in (
            "no", "code", "procedure", "sets", "filer", "address", "phone", "handler", "received_at",
            "due_at", "original_due_at", "sent_at", "result_at", "returned_at", "book", "notes")])
    name = f"so-theo-doi-{start:%Y%m%d}-{end:%Y%m%d}.csv"
    return Response(out.getvalue().encode("utf-8"), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
