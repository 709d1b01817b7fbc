"""Receiving a new dossier: pick the procedure (typing without accents), then one form with the
applicant, the checklist of papers, their scans, the fee and the due date shown before saving."""
from __future__ import annotations

import re

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext

from motcua import legaltime
from motcua.cccd import parse_card_qr
from motcua.errors import DomainError, InvalidInput
from motcua.fees import METHOD_LABELS_VI
from node import catalogue, clerk, duplicates, fees as node_fees, reception
from node.reception import APPLICANT_FIELDS, CHANNELS, COPY_TYPES, validate_person
from node.users import actor_name
from webui.desk import desk_rules
from webui.i18n import error_text
from webui.security import login_required

bp = Blueprint("intake", __name__)


@bp.get("/dossiers/new")
@login_required
def pick():
    """The procedure picker; a search that leaves exactly one procedure goes straight to its form."""
    q = request.args.get("q", "").strip()[:100]
    procedures = catalogue.search_procedures(q)
    if q and len(procedures) == 1:
        return redirect(url_for("intake.form", procedure_code=procedures[0].code))
    return render_template("node/new_pick.html", q=q, procedures=procedures)


@bp.get("/procedures.json")
@login_required
def procedures_json():
    """Server-side filter for the picker's live search."""
    q = request.args.get("q", "")[:100]
    return jsonify({"items": [{"code": p.code, "name": p.name_vi, "days": p.processing_days,
                               "url": url_for("intake.form", procedure_code=p.code)}
                              for p in catalogue.search_procedures(q)]})


@bp.get("/dossiers/preview.json")
@login_required
def preview():
    """Fee and due moment if the dossier were saved now (the form refreshes it while open)."""
    p = clerk.preview_due(request.args.get("procedure", ""), rules=desk_rules())
    return jsonify({"fee_vnd": p["fee_vnd"], "due_at": p["due_at"].strftime("%H:%M %d/%m/%Y"),
                    "received_at": p["received_at"].strftime("%H:%M %d/%m/%Y")})


def _field_name(key: str) -> str:
    """The form's name of a field the domain reports as `applicant.x` or `details.x`."""
    return key.removeprefix("applicant.").replace("details.", "detail-", 1)


def _read_form(requirements, specs) -> tuple[dict, list, dict]:
    """The posted applicant, the procedure's own fields, checklist and scans; scans are staged at
    once so a re-shown form keeps them."""
    form, errors = request.form, {}
    data = {"procedure_code": request.view_args["procedure_code"],
            "applicant": {f: form.get(f, "").strip() for f in APPLICANT_FIELDS},
            "details": {s.key: form.get(f"detail-{s.key}", "").strip() for s in specs},
            "notes": form.get("notes") or None, "fee_paid": form.get("fee_paid") == "1",
            "fee_pages": form.get("fee_pages") or None, "fee_copies": form.get("fee_copies") or None,
            "fee_method": form.get("fee_method") or "cash"}
    try:
        data["channel"] = int(form.get("channel", "1"))
    except ValueError:
        data["channel"] = form.get("channel")
    components, staged = [], []
    store, limit = current_app.extensions["motcua.blobs"], int(current_app.config["MAX_UPLOAD_BYTES"])
    for r in requirements:
        if form.get(f"has-{r.key}"):
            count = form.get(f"count-{r.key}", "").strip()
            components.append({"requirement": r.key, "copy_type": form.get(f"type-{r.key}"),
                               "count": int(count) if re.fullmatch(r"[0-9]{1,4}", count) else -1})
        for item in form.getlist(f"staged-{r.key}"):
            sha, _, name = item.partition("|")
            staged.append((r.key, sha, name or None))
        for upload in request.files.getlist(f"scan-{r.key}"):
            if not upload or not upload.filename:
                continue
            try:
                staged.append((r.key, clerk.stage_scan(store, upload.read(), limit), upload.filename))
            except DomainError as exc:
                errors[f"scan-{r.key}"] = f"{upload.filename}: {exc.message_vi}"
    data["components"] = components
    if form.get("cccd_qr", "").strip():
        # Without JavaScript the card's QR still fills what the clerk left empty (typed text wins).
        try:
            card = parse_card_qr(form["cccd_qr"])
        except DomainError as exc:
            errors[exc.field if exc.field == "id_number" else "cccd_qr"] = error_text(exc)
        else:
            for name, value in card.applicant().items():
                data["applicant"][name] = data["applicant"][name] or value
    return data, staged, errors


@bp.post("/cccd.json")
@login_required
def cccd():
    """The applicant fields read from a chip ID card's QR string, checked; or the error and its field."""
    try:
        card = parse_card_qr(request.form.get("qr", ""))
    except DomainError as exc:
        return jsonify({"error": error_text(exc), "field": exc.field}), 422
    return jsonify({"fields": card.applicant(), "sex": card.sex,
                    "issued_on": card.issued_on.strftime("%d/%m/%Y") if card.issued_on else None})


def _same_recently(id_number: str, procedure_code: str, exclude_code: str | None = None) -> list:
    return duplicates.recent_same(id_number, procedure_code, exclude_code=exclude_code,
                                  window_days=float(current_app.config["DUPLICATE_WINDOW_DAYS"]))


def _warn_duplicates(d) -> None:
    """After a save: say (not refuse) that the same person filed the same procedure here lately."""
    same = _same_recently(d.applicant.get("id_number"), d.procedure_code, exclude_code=d.code)
    if same:
        flash(gettext("Có thể trùng: số định danh này đã nộp thủ tục này tại đây gần đây (%(codes)s).",
                      codes=", ".join(x.code for x in same)), "warn")


@bp.get("/dossiers/duplicates.json")
@login_required
def duplicates_json():
    """Dossiers of the same ID number and procedure received here within the window (the form warns)."""
    same = _same_recently(request.args.get("id_number", "")[:20], request.args.get("procedure", "")[:20])
    return jsonify({"items": [{"code": x.code, "received_at": x.received_at.strftime("%H:%M %d/%m/%Y"),
                               "url": url_for("dossiers.show", code=x.code)} for x in same]})


def _field_errors(data: dict, specs) -> dict[str, str]:
    """The applicant's and the procedure's field errors as the save would report them, without
    saving anything."""
    _clean, errors = validate_person(data["applicant"], "applicant", today=legaltime.today())
    _details, detail_errors = catalogue.validate_details(specs, data["details"],
                                                         today=legaltime.today())
    return {_field_name(k): error_text(v) for k, v in {**errors, **detail_errors}.items()}


@bp.route("/dossiers/new/<procedure_code>", methods=["GET", "POST"])
@login_required
def form(procedure_code):
    """The intake form; on POST save and go to Form 01, or show each error next to its field."""
    procedure = catalogue.get_procedure(procedure_code)
    requirements = catalogue.requirements_of(procedure)
    specs = catalogue.fields_of(procedure)
    errors, values, staged = {}, {}, []
    if request.method == "POST":
        data, staged, errors = _read_form(requirements, specs)
        values = {**data["applicant"], "cccd_qr": request.form.get("cccd_qr", ""),
                  **{f"detail-{k}": v for k, v in data["details"].items()},
                  "notes": data["notes"] or "", "channel": data["channel"],
                  "fee_paid": data["fee_paid"], "fee_pages": request.form.get("fee_pages", ""),
                  "fee_copies": request.form.get("fee_copies", ""), "fee_method": data["fee_method"],
                  "to_add": request.form.get("to_add", ""),
                  "help_contact": request.form.get("help_contact", ""),
                  "refuse_reason": request.form.get("refuse_reason", ""),
                  "components": {c["requirement"]: c for c in data["components"]}}
        if errors:
            # A bad scan must not hide the fields' errors: check the applicant too, writing nothing.
            errors = {**_field_errors(data, specs), **errors}
        elif request.form.get("action") in ("guide", "refuse"):
            done, errors = _guide_or_refuse(data)
            if done is not None:
                return done
        else:
            try:
                d = clerk.receive_with_scans(
                    data, staged, actor_name(g.user), current_app.extensions["motcua.blobs"],
                    max_bytes=int(current_app.config["MAX_UPLOAD_BYTES"]), rules=desk_rules())
            except InvalidInput as exc:
                errors = {_field_name(k): v for k, v in exc.fields.items()} or \
                    {"form": exc.message_vi}
            else:
                _warn_duplicates(d)
                return redirect(url_for("forms.form01", code=d.code, new=1))
    preview = clerk.preview_due(procedure.code, rules=desk_rules())
    rule = node_fees.rule_for(procedure)
    fee_rule = {"kind": rule.kind if rule else None, "text": rule.describe_vi() if rule else None}
    order = ["cccd_qr", *APPLICANT_FIELDS, "channel", "notes", *(f"detail-{x.key}" for x in specs),
             "fee_pages", "fee_copies", "fee_method", *(f"scan-{r.key}" for r in requirements),
             "to_add", "help_contact", "refuse_reason"]
    first_error = next((f for f in order if f in errors), None)
    return render_template("node/new_form.html", first_error=first_error, procedure=procedure,
                           requirements=requirements, specs=specs,
                           errors=errors, values=values, staged=staged, preview=preview,
                           channels=CHANNELS, copy_types=COPY_TYPES, fee_methods=METHOD_LABELS_VI,
                           fee_rule=fee_rule,
                           fields=APPLICANT_FIELDS), (422 if errors else 200)


# The two outcomes of a check that is not a receipt: what the view's form field is called for the
# domain function's `field`, and where the printed form is.
_NOT_RECEIVED = {"guide": ({"to_add": "to_add", "contact": "help_contact"}, "forms.form02"),
                 "refuse": ({"reason": "refuse_reason"}, "forms.form03")}


def _guide_or_refuse(data: dict):
    """Guidance before receipt (Form 02, no clock) or a walk-in refusal (Form 03, with reasons):
    the dossier is kept as a record and its form printed; or (None, errors by form field)."""
    action = request.form["action"]
    names, form_view = _NOT_RECEIVED[action]
    actor = actor_name(g.user)
    try:
        if action == "guide":
            d = reception.guide_at_reception(data, request.form.get("to_add", ""), actor,
                                             contact=request.form.get("help_contact") or None)
        else:
            d = reception.refuse_at_reception(data, request.form.get("refuse_reason") or None, actor)
    except InvalidInput as exc:
        errors = {names.get(k, k.removeprefix("applicant.")): v for k, v in exc.fields.items()}
        if not errors:
            errors = {names.get(exc.field, "form"): exc.message_vi}
        return None, errors
    return redirect(url_for(form_view, code=d.code, new=1)), {}
