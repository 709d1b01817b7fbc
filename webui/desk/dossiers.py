"""Finding a dossier and working on it: the dossier page, its scans and its allowed next actions."""
from __future__ import annotations

from datetime import date, datetime

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext

from motcua import errors as E, fees
from motcua.errors import DomainError
from motcua.lifecycle import RESULT_REQUIREMENT, Status, next_statuses
from motcua.paging import MAX_PAGE
from motcua.web import parse_int
from node import catalogue, clerk, conflict_decisions, fees as node_fees, papers, queue, reception, search
from node.facts import unit_code
from node.journal import dossier_history
from node.reception import CHANNELS
from node.users import actor_name
from webui.desk import desk_rules
from webui.i18n import N_, error_text
from webui.security import login_required

bp = Blueprint("dossiers", __name__)

# Moves the dossier can never come back from: each asks for a reason and a ticked confirmation that
# names its consequence (the API keeps the lifecycle's own rules).
IRREVERSIBLE = {
    int(Status.REFUSED): {"title": N_("Từ chối hồ sơ"), "consequence": N_(
        "Hồ sơ kết thúc ở trạng thái từ chối, không mở lại được; in Mẫu 03 giao công dân.")},
    int(Status.WITHDRAWAL_REQUESTED): {"title": N_("Ghi nhận công dân xin rút hồ sơ"), "consequence": N_(
        "Hồ sơ ngừng xử lý và chỉ còn có thể dừng hẳn; không quay lại xử lý được.")},
    int(Status.STOPPED): {"title": N_("Dừng xử lý (rút hồ sơ)"), "consequence": N_(
        "Hồ sơ kết thúc, không mở lại được; công dân muốn làm lại phải nộp hồ sơ mới.")},
}


def _date(name: str) -> date | None:
    raw = request.args.get(name, "").strip()
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


@bp.get("/find")
@login_required
def find():
    """One box (code, name without accents, ID number, phone) plus status and date filters, paged."""
    q, status = request.args.get("q", "").strip()[:200], request.args.get("status", "")
    page, error, page_no = None, None, 1
    try:
        page_no = parse_int(request.args.get("page"), "page", 1, high=MAX_PAGE)
        page = search.search_dossiers(q, status=status or None, received_from=_date("from"),
                                      received_to=_date("to"), page=page_no, per_page=20)
    except DomainError as exc:
        error = exc.message_vi
    if page and q and page_no == 1 and len(page.items) == 1 and page.items[0].code == q:
        return redirect(url_for("dossiers.show", code=q))
    def page_url(n: int) -> str:
        return url_for("dossiers.find", q=q, status=status, page=n,
                       **{"from": request.args.get("from", ""), "to": request.args.get("to", "")})
    return render_template("node/find.html", q=q, status=status, page=page, error=error,
                           page_url=page_url,
                           statuses=list(Status), date_from=request.args.get("from", ""),
                           date_to=request.args.get("to", ""))


@bp.get("/dossiers/<code>")
@login_required
def show(code):
    """All of a dossier: data, scans, history timeline, and only the actions its status allows."""
    d = reception.get_dossier(code)
    procedure = catalogue.Procedure.get(code=d.procedure_code, catalogue_version=d.catalogue_version)
    return render_template(
        "node/dossier.html", d=d, procedure=procedure, history=dossier_history(d.uid),
        open_conflicts=conflict_decisions.open_conflict_ids(d.uid), irreversible=IRREVERSIBLE,
        here=unit_code(), attachments=reception.active_attachments(d), result_key=RESULT_REQUIREMENT,
        components=clerk.components_of(d), details=clerk.details_of(d),
        actions=next_statuses(d.status),
        apology=clerk.apology_of(d), timeliness=reception.timeliness(d), channels=CHANNELS,
        ratings=current_app.config["RATING_SCALE"],
        can_rate=d.status in (Status.RESULT_READY, Status.RETURNED),
        supplement_asked=(clerk.last_reason_for(d, int(Status.SUPPLEMENT_REQUESTED))
                          if d.status == Status.SUPPLEMENT_REQUESTED else None),
        can_reschedule=d.finished_at is None and d.status not in (Status.REFUSED, Status.STOPPED),
        fee_stages=fees.STAGE_LABELS_VI, fee_methods=fees.METHOD_LABELS_VI,
        default_stage=("return" if d.status in (Status.RESULT_READY, Status.RETURNED) else
                       "supplement" if d.status == Status.SUPPLEMENT_REQUESTED else "reception"))


@bp.post("/dossiers/<code>/fee")
@login_required
def collect_fee(code):
    """Record the fee collected now (when, how) with the next receipt number; then print Form 01."""
    try:
        node_fees.collect(code, request.form.get("fee_method"), request.form.get("fee_stage"),
                          actor_name(g.user))
    except DomainError as exc:
        return _back(code, error_text(exc))
    flash(gettext("Đã ghi nhận thu lệ phí."), "ok")
    return _back(code)


def _back(code: str, error: str | None = None):
    if error:
        flash(error, "error")
    return redirect(url_for("dossiers.show", code=code) + ("#actions" if error else ""))


@bp.post("/dossiers/<code>/transition")
@login_required
def transition(code):
    """Move the dossier to the chosen status (reason for supplement/refusal, who took the result);
    an irreversible move also needs its reason and the ticked confirmation."""
    to = request.form.get("to", "")
    if to.isdigit() and int(to) in IRREVERSIBLE:
        if not (request.form.get("reason") or "").strip():
            return _back(code, error_text(E.IRREVERSIBLE_REASON_REQUIRED()))
        if request.form.get("confirm") != "1":
            return _back(code, error_text(E.IRREVERSIBLE_NOT_CONFIRMED()))
    try:
        reception.transition(code, request.form.get("to", ""), actor_name(g.user),
                             reason=request.form.get("reason") or None,
                             returned_to=request.form.get("returned_to") or None, rules=desk_rules())
    except DomainError as exc:
        return _back(code, exc.message_vi)
    flash("Đã cập nhật trạng thái.", "ok")
    return _back(code)


@bp.post("/dossiers/<code>/rating")
@login_required
def rating(code):
    """The level the citizen ticked on a paper form, typed in by the clerk (nothing preselected;
    once per dossier, through the same domain function as the kiosk and the tablet)."""
    try:
        queue.rate_once([reception.get_dossier(code).code], request.form.get("rating", ""),
                        current_app.config["RATING_SCALE"], actor=actor_name(g.user))
    except DomainError as exc:
        return _back(code, error_text(exc))
    flash(gettext("Đã ghi nhận đánh giá."), "ok")
    return _back(code)


@bp.route("/dossiers/<code>/rate", methods=["GET", "POST"])
@login_required
def rate_tablet(code):
    """The screen the clerk turns towards the citizen (or opens on the desk's tablet): the citizen
    picks a level, none preselected; once per dossier (`node.queue.rate_once`, the kiosk's too)."""
    d = reception.get_dossier(code)
    procedure = catalogue.Procedure.get(code=d.procedure_code, catalogue_version=d.catalogue_version)
    scale, error, done = current_app.config["RATING_SCALE"], None, None
    if request.method == "POST":
        try:
            done = queue.rate_once([d.code], request.form.get("rating", ""), scale,
                                   actor=actor_name(g.user))
        except DomainError as exc:
            error = error_text(exc)
    elif d.rating:
        error = error_text(E.ALREADY_RATED())
    elif d.status not in (Status.RESULT_READY, Status.RETURNED):
        error = error_text(E.TOO_EARLY_TO_RATE())
    d = reception.get_dossier(code)
    can = not d.rating and d.status in (Status.RESULT_READY, Status.RETURNED)
    subject = {"code": d.code, "procedure": procedure.name_vi}
    return render_template("queue/rate.html", scale=scale, code=d.code, secret="", error=error,
                           done=done, asked=can and not done, subject=subject,
                           back=url_for("dossiers.show", code=d.code)), (422 if error else 200)


@bp.post("/dossiers/<code>/new-due")
@login_required
def new_due(code):
    """Set the one new date of Form 04, then print it."""
    raw = request.form.get("new_due_at", "").strip()
    parsed = None
    for fmt in ("%d/%m/%Y %H:%M", "%d/%m/%Y", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            parsed = datetime.strptime(raw, fmt)
            break
        except ValueError:
            continue
    if parsed is None:
        return _back(code, "Ngày hẹn mới phải theo dạng ngày/tháng/năm giờ:phút, ví dụ 20/05/2026 16:00.")
    if parsed.hour == 0 and parsed.minute == 0 and ":" not in raw:
        parsed = parsed.replace(hour=16, minute=0)
    try:
        clerk.set_new_due_date(code, parsed, request.form.get("reason", ""), actor_name(g.user))
    except DomainError as exc:
        return _back(code, exc.message_vi)
    return redirect(url_for("forms.form04", code=code))


@bp.get("/dossiers/<code>/scans/<sha256>")
@login_required
def scan(code, sha256):
    """A scan shown in the browser (inline, never guessed as another type)."""
    d = reception.get_dossier(code)
    match = [a for a in reception.active_attachments(d) if a.sha256 == sha256]
    if not match:
        abort(404)
    data = current_app.extensions["motcua.blobs"].read(sha256)
    return Response(data, mimetype=match[0].blob.mime, headers={
        "Content-Disposition": "inline", "Cache-Control": "private, max-age=3600",
        "X-Content-Type-Options": "nosniff"})


def _uploads(keys) -> list[tuple[str, bytes, str | None]]:
    """The files posted as `scan-<requirement key>`, for the given keys, in form order."""
    return [(key, upload.read(), upload.filename or None)
            for key in keys for upload in request.files.getlist(f"scan-{key}")
            if upload and upload.filename]


def _store_args() -> dict:
    return {"store": current_app.extensions["motcua.blobs"],
            "max_bytes": int(current_app.config["MAX_UPLOAD_BYTES"])}


@bp.post("/dossiers/<code>/scans")
@login_required
def add_scans(code):
    """Add scans to one required document of a saved dossier, or replace one scan (`replace`)."""
    key = request.form.get("requirement", "")
    try:
        papers.add_scans(code, _uploads([key]), actor_name(g.user),
                         replace=request.form.get("replace") or None, **_store_args())
    except DomainError as exc:
        flash(error_text(exc), "error")
        return redirect(url_for("dossiers.show", code=code) + "#papers")
    flash(gettext("Đã lưu bản quét."), "ok")
    return redirect(url_for("dossiers.show", code=code) + "#papers")


@bp.post("/dossiers/<code>/scan")
@login_required
def scan_now(code):
    """"Quét": scan one required document on the desk's scanner (source, colour mode,
    resolution; a feeder batch becomes one PDF) and attach it."""
    key, form = request.form.get("requirement", ""), request.form
    try:
        papers.scan_into(code, key, actor_name(g.user), source=form.get("source", "flatbed"),
                         mode=form.get("mode", "Gray"),
                         resolution=parse_int(form.get("resolution"), "resolution", 150,
                                              low=50, high=600),
                         pages=parse_int(form.get("pages"), "pages", 1, low=1, high=50),
                         device=current_app.config.get("SCANNER_DEVICE") or None,
                         **_store_args())
    except DomainError as exc:
        flash(error_text(exc), "error")
    else:
        flash(gettext("Đã quét và lưu bản quét."), "ok")
    return redirect(url_for("dossiers.show", code=code) + f"#paper-{key}")


@bp.post("/dossiers/<code>/scans/<sha256>/remove")
@login_required
def remove_scan(code, sha256):
    """Remove one scan from a saved dossier (journaled; the file stays for the history)."""
    try:
        reception.remove_attachment(code, sha256, actor_name(g.user))
    except DomainError as exc:
        flash(error_text(exc), "error")
    else:
        flash(gettext("Đã bỏ bản quét."), "ok")
    return redirect(url_for("dossiers.show", code=code) + "#papers")


@bp.post("/dossiers/<code>/supplement")
@login_required
def supplement(code):
    """Record the papers brought for a supplement and send the dossier back to processing."""
    d = reception.get_dossier(code)
    try:
        papers.receive_supplement(code, _uploads(sorted(papers.requirement_keys(d))),
                                  actor_name(g.user), note=request.form.get("reason") or None,
                                  rules=desk_rules(), **_store_args())
    except DomainError as exc:
        return _back(code, error_text(exc))
    flash(gettext("Đã nhận bổ sung, hồ sơ tiếp tục xử lý."), "ok")
    return _back(code)
