"""The officers' desk: incoming dossiers with filters, the work list, one dossier's page, and every
decision the lifecycle allows at the center as a form (each a center event that flows down)."""
from __future__ import annotations

import io
from datetime import datetime

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext

from central import desk, dossiers, results
from central.blobstore import CenterBlobs
from central.users import CAN_ACT, actor_name
from motcua import errors as E, legaltime
from motcua.errors import DomainError, InvalidInput, NotFound
from motcua.lifecycle import RESULT_REQUIREMENT, Status, next_statuses
from motcua.paging import MAX_PAGE
from motcua.web import parse_int
from webui import i18n
from webui.central.auth import guard, login_required, require_act

bp = guard(Blueprint("center_dossiers", __name__, url_prefix="/dossiers"))

FILTERS = ("q", "point", "status", "procedure", "due")


def _filters() -> dict:
    return {k: (request.args.get(k) or "").strip()[:200] for k in FILTERS}


@bp.get("/")
@login_required
def index():
    """Dossiers across points, filtered by words, point, status, procedure and due window."""
    page_no = parse_int(request.args.get("page"), "page", 1, high=MAX_PAGE)      # else a 422 page
    f = _filters()
    page = desk.find(f["q"], point=f["point"], status=f["status"], procedure=f["procedure"],
                     due=f["due"], page=page_no, per_page=50,
                     max_per_page=int(current_app.config["MAX_PER_PAGE"]))
    return render_template("central/dossiers.html", page=page, f=f, q=f["q"],
                           choices=desk.filter_choices(), now=legaltime.now())


@bp.get("/work")
@login_required
def work():
    """The work list: running dossiers already late, and those due within two working days."""
    return render_template("central/work.html", work=desk.work_list(), now=legaltime.now())


def _page(code: str, error: str | None = None, status: int = 200):
    d = dossiers.get_dossier(code)
    delivered = desk.delivery_of(d)
    return render_template(
        "central/dossier.html", d=d, error=error, now=legaltime.now(),
        components=desk.components_of(d), scans=desk.scans_of(d), details=desk.details_of(d),
        history=dossiers.history_of(d), delivered=delivered,
        pending_down=sum(1 for v in delivered.values() if v is None),
        apology=desk.apology_of(d), actions=next_statuses(d.status),
        can_act=g.user.role in CAN_ACT,
        can_reschedule=d.status in desk.RUNNING + (int(Status.SUPPLEMENT_REQUESTED),)
        and d.due_at is not None,
        can_assign=d.status in desk.WITH_OFFICER, officer_names=dict(desk.officers()),
        result_key=RESULT_REQUIREMENT), status


@bp.get("/mine")
@login_required
def mine():
    """The signed-in officer's own list: assigned to me, late, due within two working days."""
    return render_template("central/mine.html", work=desk.my_work(g.user.username),
                           now=legaltime.now())


@bp.post("/<code>/assign")
@login_required
def assign(code):
    """Assign the dossier to an officer (or to nobody); the point hears of it at its next sync."""
    require_act()
    try:
        desk.assign(code, request.form.get("assignee"), actor_name(g.user))
    except DomainError as exc:
        return _page(code, i18n.error_text(exc), exc.status)
    flash(gettext("Đã phân công."), "ok")
    return redirect(url_for("center_dossiers.show", code=code))


@bp.get("/<code>")
@login_required
def show(code):
    """One dossier: applicant, papers and scans, both sides' timeline, and the decision forms."""
    return _page(code)


def _reason_for(target: int) -> str | None:
    form = request.form
    if target == Status.SUPPLEMENT_REQUESTED:
        return desk.supplement_reason(form.get("items", "").splitlines(), form.get("reason"))
    if target == Status.AWAITING_PAYMENT:
        return desk.payment_reason(form.get("amount"), form.get("what"))
    return form.get("reason") or None


@bp.post("/<code>/transition")
@login_required
def transition(code):
    """Record the officer's decision as a center event; the point hears of it at its next sync."""
    require_act()
    try:
        target = parse_int(request.form.get("to"), "to", 0, low=1, high=10)
        upload = request.files.get("result_file") if target == Status.RESULT_READY else None
        if upload is not None and upload.filename:
            results.result_ready(code, upload.read(), upload.filename, actor_name(g.user),
                                 CenterBlobs(current_app.extensions["motcua.store"]),
                                 max_bytes=int(current_app.config["MAX_RESULT_BYTES"]))
        else:
            dossiers.transition(code, target, actor_name(g.user), reason=_reason_for(target),
                                returned_to=request.form.get("returned_to") or None)
    except DomainError as exc:
        return _page(code, i18n.error_text(exc), exc.status)
    flash(gettext("Đã ghi; điểm tiếp nhận sẽ nhận được ở lần đồng bộ tới."), "ok")
    return redirect(url_for("center_dossiers.show", code=code))


def _parse_when(raw: str | None) -> datetime:
    raw = (raw or "").strip()
    for fmt in ("%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M", "%d/%m/%Y"):
        try:
            return datetime.strptime(raw, fmt)
        except ValueError:
            continue
    raise InvalidInput(E.BAD_ACTION_DATE, field="new_due_at")


@bp.post("/<code>/new-due")
@login_required
def new_due(code):
    """The apology with a new date (Form 04), once, as a correction that flows down."""
    require_act()
    try:
        desk.set_new_due_date(code, _parse_when(request.form.get("new_due_at")),
                              request.form.get("reason", ""), actor_name(g.user))
    except DomainError as exc:
        return _page(code, i18n.error_text(exc), exc.status)
    flash(gettext("Đã hẹn lại; điểm tiếp nhận sẽ in Mẫu 04 sau lần đồng bộ tới."), "ok")
    return redirect(url_for("center_dossiers.show", code=code))


@bp.get("/<code>/scans/<sha256>")
@login_required
def scan(code, sha256):
    """A scan the center holds (404 with a sentence while it is still on its way)."""
    a = desk.held_scan(dossiers.get_dossier(code), sha256)
    try:
        data = CenterBlobs(current_app.extensions["motcua.store"]).read(a.sha256)
    except FileNotFoundError:
        raise NotFound(E.SCAN_NOT_AT_CENTER) from None
    return send_file(io.BytesIO(data), mimetype=a.mime or "application/octet-stream",
                     download_name=a.filename or a.sha256, max_age=0)
