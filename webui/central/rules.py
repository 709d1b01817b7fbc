"""The admin's page of the rules the center issues to every point: the procedure catalogue (fees
and processing days per procedure, or a whole catalogue as JSON) and the holiday calendar, each a
new version with the date it takes effect, sent down as a parcel (`central.rules`)."""
from __future__ import annotations

import copy
import json

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext

from central import rules
from central.users import actor_name
from motcua import errors as E
from motcua.errors import DomainError, InvalidInput
from webui import i18n
from webui.central.auth import admin_required, guard

bp = guard(Blueprint("center_rules", __name__, url_prefix="/rules"))
MAX_JSON_CHARS = 2_000_000


def _page(error: str | None = None, status: int = 200, holiday_text: str | None = None):
    holidays = rules.latest("holidays")
    lines = holiday_text if holiday_text is not None else "\n".join(
        f"{e['date']} | {e['kind']} | {e.get('name_vi', '')}" for e in holidays.get("entries", []))
    return render_template("central/rules.html", error=error, catalogue=rules.latest("catalogue"),
                           holidays=holidays, holiday_lines=lines, day_kinds=rules.DAY_KINDS,
                           issued={w: rules.versions(w) for w in rules.KINDS}), status


def _issue(which: str, data, holiday_text: str | None = None):
    try:
        checked = rules.issue(which, data, actor_name(g.user))
    except DomainError as exc:
        return _page(i18n.error_text(exc), exc.status, holiday_text=holiday_text)
    flash(gettext("Đã ban hành phiên bản %(v)s; các điểm nhận ở lần đồng bộ tới.",
                  v=checked[rules.VERSION_KEY[which]]), "ok")
    return redirect(url_for("center_rules.index"))


def _head(form) -> dict:
    return {"effective_from": (form.get("effective_from") or "").strip()[:10]}


@bp.get("/")
@admin_required
def index():
    """The versions in force and issued, and the forms for a new one."""
    return _page()


@bp.post("/catalogue")
@admin_required
def catalogue():
    """A new catalogue version: the latest with each procedure's fee and processing days as typed."""
    data = copy.deepcopy(rules.latest("catalogue"))
    data.update(_head(request.form), catalogue_version=(request.form.get("version") or "").strip())
    try:
        for p in data["procedures"]:
            for field in ("fee_vnd", "processing_days"):
                raw = (request.form.get(f"{field}-{p['code']}") or "").replace(".", "").strip()
                if raw == "" and field == "fee_vnd":
                    p[field] = None
                elif raw.isdigit() and len(raw) <= 13:
                    p[field] = int(raw)
                else:
                    raise InvalidInput(E.RULES_BAD(detail=f"{field}-{p['code']}"), field=field)
    except InvalidInput as exc:
        return _page(i18n.error_text(exc), exc.status)
    return _issue("catalogue", data)


@bp.post("/catalogue.json")
@admin_required
def catalogue_json():
    """A whole catalogue typed or pasted as JSON (new procedures, their documents)."""
    raw = request.form.get("catalogue_json") or ""
    try:
        if len(raw) > MAX_JSON_CHARS:
            raise InvalidInput(E.RULES_BAD(detail="catalogue_json"), field="catalogue_json")
        data = json.loads(raw)
    except (ValueError, InvalidInput):
        return _page(i18n.error_text(InvalidInput(E.RULES_BAD(detail="JSON"))), 422)
    return _issue("catalogue", data)


@bp.post("/holidays")
@admin_required
def holidays():
    """A new calendar version from the form's lines ("yyyy-mm-dd | kind | name")."""
    text = request.form.get("entries") or ""
    try:
        lines = rules.parse_holiday_lines(text[:200_000])
    except InvalidInput as exc:
        return _page(i18n.error_text(exc), exc.status, holiday_text=text)
    known = {e["date"]: e for e in rules.latest("holidays").get("entries", [])}
    entries = []
    for e in lines:      # a day kept as it was keeps its English name and source
        old = known.get(e["date"])
        entries.append({**old, **e} if old and old.get("kind") == e["kind"] else e)
    data = {**rules.latest("holidays"), **_head(request.form), "entries": entries,
            "calendar_version": (request.form.get("version") or "").strip()}
    return _issue("holidays", data, holiday_text=text)
