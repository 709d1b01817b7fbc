"""The officers' desk at the center: the incoming list with its due windows, the work list, and
what a dossier page shows beyond the row (papers handed over, scans on their way, whether the point
has heard of the center's decisions yet), plus the one new date of Form 04.

Domain only (no Flask): the pages in `webui/central/desk.py` parse, call one of these and render.
Every decision is a center event (`central.apply.record_center_event`), so it flows down to the
dossier's point like any other; nothing here writes the `dossier` table.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from central.apply import record_center_event
from central.db import write_transaction
from central.dossiers import get_dossier
from central.models import Attachment, Dossier, Event, Outbound, Point
from motcua import deadlines, errors as E, legaltime
from motcua.errors import Conflict, InvalidInput
from motcua.lifecycle import Status
from motcua.paging import Page, check_paging, page_of, search_words, status_filter
from sync.events import CENTER_ID

# Dossiers whose clock runs (the supplement wait stops it; the closed ones have no clock left).
RUNNING = (int(Status.SUBMITTED_ONLINE), int(Status.RECEIVED), int(Status.PROCESSING),
           int(Status.AWAITING_PAYMENT), int(Status.WITHDRAWAL_REQUESTED))
DUE_WINDOWS = ("", "late", "soon", "paused")
SOON_WORKING_DAYS = 2          # the work list warns this many working days ahead (time for Form 04)
MAX_DELAY_REASON = 2000


def soon_horizon(now: datetime, calendar: deadlines.WorkCalendar,
                 days: int = SOON_WORKING_DAYS) -> datetime:
    """The end of the last working day of the warning window: due before it means "due soon"."""
    return datetime.combine(calendar.add_working_days(now.date(), days) + timedelta(days=1), time.min)


def _due_window(query, due: str, now: datetime, calendar):
    if due not in DUE_WINDOWS:
        raise InvalidInput(E.BAD_DUE_WINDOW(allowed=", ".join(w for w in DUE_WINDOWS if w)),
                           field="due")
    running = Dossier.status.in_(RUNNING)
    if due == "late":
        return query.where(running & (Dossier.due_at < now))
    if due == "soon":
        return query.where(running & (Dossier.due_at >= now)
                           & (Dossier.due_at < soon_horizon(now, calendar())))
    if due == "paused":
        return query.where(Dossier.status == int(Status.SUPPLEMENT_REQUESTED))
    return query


def find(q: str | None = None, *, point: str | None = None, status=None,
         procedure: str | None = None, due: str = "", page: int = 1, per_page: int = 50,
         max_per_page: int = 100, now: datetime | None = None, calendar=None,
         assignee: str | None = None) -> Page:
    """Incoming dossiers matching every word of `q` (accents optional) and the filters. In a due
    window ("late", "soon", "paused") the most urgent come first; otherwise the newest.

    :raises InvalidInput: bad status, due window, paging or query.
    """
    check_paging(page, per_page, max_per_page)
    now = now or legaltime.now()
    query = Dossier.select()
    for word in search_words(q):
        query = query.where(Dossier.search_text.contains(word))
    if point and point.strip():
        query = query.where(Dossier.origin == point.strip())
    if procedure and procedure.strip():
        query = query.where(Dossier.procedure_code == procedure.strip())
    if assignee:
        query = query.where(Dossier.assignee == assignee)
    statuses = status_filter(status)
    if statuses:
        query = query.where(Dossier.status.in_(statuses))
    query = _due_window(query, due or "", now,
                        (lambda: calendar) if calendar else deadlines.load_default_calendar)
    order = ((Dossier.due_at, Dossier.id) if due in ("late", "soon")
             else (Dossier.received_at.desc(), Dossier.id.desc()))
    return page_of(query.order_by(*order), page, per_page)


def work_list(*, now: datetime | None = None, calendar=None, limit: int = 200) -> dict:
    """What needs an officer first: running dossiers already late, and those due within two
    working days (most urgent first)."""
    now = now or legaltime.now()
    cal = calendar or deadlines.load_default_calendar()
    return {"late": find(due="late", now=now, calendar=cal, per_page=limit, max_per_page=limit).items,
            "soon": find(due="soon", now=now, calendar=cal, per_page=limit, max_per_page=limit).items,
            "horizon": soon_horizon(now, cal)}


def point_choices() -> list[tuple[str, str]]:
    """(unit code, name) of every enrolled point, for the filters."""
    return [(p.unit_code, p.name) for p in Point.select().order_by(Point.unit_code)]


# The procedures dossiers were filed under, read from the procedure index one step at a time
# (a "loose index scan": one probe per procedure, not a pass over every dossier), the same SQL on
# SQLite and PostgreSQL.
_PROCEDURES_SQL = (
    'WITH RECURSIVE p(c) AS (SELECT MIN("procedure_code") FROM "dossier" UNION ALL '
    'SELECT (SELECT MIN("procedure_code") FROM "dossier" WHERE "procedure_code" > p.c) '
    'FROM p WHERE p.c IS NOT NULL) SELECT c FROM p WHERE c IS NOT NULL')


# What an officer still works on: the clock runs, or the citizen's papers are awaited.
WITH_OFFICER = RUNNING + (int(Status.SUPPLEMENT_REQUESTED),)


def my_work(username: str, *, now: datetime | None = None, calendar=None,
            limit: int = 200) -> dict:
    """One officer's work list: the dossiers assigned to them that are still with the office,
    and of those the ones already late and the ones due within two working days."""
    now = now or legaltime.now()
    cal = calendar or deadlines.load_default_calendar()
    mine = ",".join(str(s) for s in WITH_OFFICER)
    kwargs = {"assignee": username, "now": now, "calendar": cal, "per_page": limit,
              "max_per_page": limit}
    return {"mine": find(status=mine, **kwargs).items,
            "late": find(due="late", **kwargs).items,
            "soon": find(due="soon", **kwargs).items,
            "horizon": soon_horizon(now, cal)}


def officers() -> list[tuple[str, str]]:
    """(username, name) of the active accounts that may be assigned dossiers."""
    from central.models import User
    from central.users import CAN_ACT
    return [(u.username, u.full_name or u.username) for u in
            User.select().where(User.active & User.role.in_(sorted(CAN_ACT))).order_by(User.username)]


def assign(code: str, username: str | None, actor: str, *, now: datetime | None = None) -> Dossier:
    """Assign a dossier still with the office to an officer (None or "": to nobody), journalled as a
    `dossier.corrected` of the field "assignee", so the point sees who handles it.

    :raises InvalidInput: no such active officer; NotFound: no dossier; Conflict: result ready or closed.
    """
    username = (username or "").strip() or None
    if username is not None and username not in {u for u, _ in officers()}:
        raise InvalidInput(E.ASSIGNEE_UNKNOWN(username=username[:64]), field="assignee")
    now = (now or legaltime.now()).replace(microsecond=0)
    with write_transaction():
        dossier = get_dossier(code)
        if dossier.status not in WITH_OFFICER:
            raise Conflict(E.ASSIGN_CLOSED)
        if dossier.assignee != username:
            record_center_event("dossier.corrected", dossier.uid, actor,
                                {"fields": {"assignee": username}}, now=now)
    return get_dossier(dossier.uid)


def filter_choices() -> dict:
    """The points and procedures the list can be filtered by."""
    from central.db import db
    return {"points": point_choices(),
            "procedures": [c for (c,) in db.execute_sql(_PROCEDURES_SQL).fetchall()]}


def components_of(dossier: Dossier) -> list[dict]:
    """The papers handed over at the point (Form 01's table), as its `dossier.received` says."""
    ev = (Event.select(Event.payload).where((Event.dossier_uid == dossier.uid)
                                            & (Event.kind == "dossier.received")).first())
    items = (ev.payload or {}).get("components") if ev else None
    return [c for c in items or [] if isinstance(c, dict)]


def _field_specs(procedure_code: str, version: str | None) -> list[dict]:
    """The procedure's own fields as the catalogue version the dossier was taken under declares
    them: a version this center issued, else the shipped one; [] when the center knows neither."""
    from central import rules
    catalogues = [v["data"] for v in rules.versions("catalogue")] + [rules.shipped("catalogue")]
    for catalogue in catalogues:
        if version is not None and str(catalogue.get("catalogue_version")) != str(version):
            continue
        for item in catalogue.get("procedures") or []:
            if isinstance(item, dict) and item.get("code") == procedure_code:
                return [f for f in item.get("fields") or []
                        if isinstance(f, dict) and isinstance(f.get("key"), str)]
        return []
    return []


def details_of(dossier: Dossier) -> list[dict]:
    """The procedure-specific fields the point took (`details` of its `dossier.received`), each
    with its label and value as the point prints them on Form 01 (dates dd/mm/yyyy), in the
    catalogue's order; a value under a key the center's catalogues do not declare is still shown,
    under its key, so nothing the point recorded is hidden. Empty values are skipped."""
    from datetime import date
    ev = (Event.select(Event.payload).where((Event.dossier_uid == dossier.uid)
                                            & (Event.kind == "dossier.received")).first())
    given = (ev.payload or {}).get("details") if ev else None
    if not isinstance(given, dict) or not given:
        return []
    rows = []
    specs = _field_specs(dossier.procedure_code, dossier.catalogue_version)
    for spec in specs + [{"key": k} for k in given if k not in {s["key"] for s in specs}]:
        value = given.get(spec["key"])
        if value in (None, "") or isinstance(value, (dict, list)):
            continue
        value = str(value)
        if spec.get("type") == "date":
            try:
                value = date.fromisoformat(value).strftime("%d/%m/%Y")
            except ValueError:
                pass
        rows.append({"key": spec["key"], "label_vi": str(spec.get("label_vi") or spec["key"]),
                     "label_en": spec.get("label_en"), "value": value})
    return rows


def scans_of(dossier: Dossier) -> list[dict]:
    """Each scan with whether the center holds it yet (a scan from an island may still be on its way)."""
    return [{"sha256": a.sha256, "requirement": a.requirement, "size": a.size, "mime": a.mime,
             "filename": a.filename, "present": bool(a.present)}
            for a in Attachment.select().where(Attachment.dossier_uid == dossier.uid)
            .order_by(Attachment.requirement, Attachment.sha256)]


def delivery_of(dossier: Dossier) -> dict[str, datetime | None]:
    """For each center event on this dossier: when its point acknowledged it (None: not yet)."""
    rows = (Outbound.select(Outbound.event_id, Outbound.acked_at)
            .join(Event, on=(Event.event_id == Outbound.event_id))
            .where((Event.dossier_uid == dossier.uid) & (Event.origin == CENTER_ID)).tuples())
    return {event_id: acked for event_id, acked in rows}


def apology_of(dossier: Dossier) -> dict | None:
    """The Form 04 record (original date, new date, reason, who) or None if never made."""
    for e in (Event.select().where((Event.dossier_uid == dossier.uid)
                                   & (Event.kind == "dossier.corrected")).order_by(Event.hlc)):
        fields = (e.payload or {}).get("fields") or {}
        if "apology.new_due_at" in fields:
            return {"original_due_at": datetime.fromisoformat(fields["apology.original_due_at"]),
                    "new_due_at": datetime.fromisoformat(fields["apology.new_due_at"]),
                    "reason": fields.get("apology.reason"), "actor": e.actor}
    return None


def set_new_due_date(code: str, new_due: datetime, reason: str, actor: str, *,
                     now: datetime | None = None) -> Dossier:
    """Give a dossier that will be late its one new date (Form 04), journalled as the same
    `dossier.corrected` a point writes, so the point prints the apology from it.

    :raises InvalidInput: no reason, or a new date not after the current one; NotFound: no dossier;
        Conflict: the dossier is finished or already had its new date.
    """
    now = (now or legaltime.now()).replace(microsecond=0)
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_DELAY_REASON:
        raise InvalidInput(E.DELAY_REASON_REQUIRED, field="reason")
    if not isinstance(new_due, datetime):
        raise InvalidInput(E.BAD_NEW_DUE, field="new_due_at")
    with write_transaction():
        dossier = get_dossier(code)
        if dossier.finished_at or dossier.status not in RUNNING + (int(Status.SUPPLEMENT_REQUESTED),):
            raise Conflict(E.DOSSIER_FINISHED)
        if apology_of(dossier):
            raise Conflict(E.ALREADY_RESCHEDULED)
        if dossier.due_at is None or new_due <= dossier.due_at:
            raise InvalidInput(E.NEW_DUE_NOT_LATER(due=dossier.due_at), field="new_due_at")
        fields = {"due_at": new_due.isoformat(), "apology.reason": reason,
                  "apology.original_due_at": dossier.due_at.isoformat(),
                  "apology.new_due_at": new_due.isoformat()}
        record_center_event("dossier.corrected", dossier.uid, actor, {"fields": fields}, now=now)
    return get_dossier(dossier.uid)


def supplement_reason(items: list[str], note: str | None = None) -> str:
    """Form 02's list of what to add, numbered, as the request's reason.

    :raises InvalidInput: no item listed.
    """
    items = [i.strip() for i in items if i and i.strip()]
    if not items:
        raise InvalidInput(E.SUPPLEMENT_REASON_REQUIRED, field="items")
    lines = [f"{n}. {item}" for n, item in enumerate(items, 1)]
    if note and note.strip():
        lines.append(note.strip())
    return "; ".join(lines)     # one line: reasons are folded to single spaces (identity.to_nfc)


def payment_reason(amount: str | None, what: str | None) -> str:
    """The financial obligation asked for (what and how much), as the request's reason.

    :raises InvalidInput: an amount that is not a whole number of dong, or nothing said.
    """
    what = (what or "").strip()
    raw = (amount or "").replace(".", "").replace(",", "").replace(" ", "")
    if raw and (not raw.isdigit() or len(raw) > 13):
        raise InvalidInput(E.BAD_AMOUNT, field="amount")
    if not raw and not what:
        raise InvalidInput(E.PAYMENT_REQUIRED, field="what")
    money = f"{int(raw):,}".replace(",", ".") + " đồng" if raw else ""
    return " — ".join(part for part in (what, money) if part)


def held_scan(dossier: Dossier, sha256: str) -> Attachment:
    """One of the dossier's scans that the center holds. :raises NotFound: not this dossier's, or
    still on its way from the point."""
    from motcua.errors import NotFound
    row = Attachment.get_or_none((Attachment.dossier_uid == dossier.uid)
                                 & (Attachment.sha256 == (sha256 or "")[:64]))
    if row is None or not row.present:
        raise NotFound(E.SCAN_NOT_AT_CENTER)
    return row
