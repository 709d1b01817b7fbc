"""The clerk's working lists and desk-only acts: what the web UI asks of the domain beyond reception.

Today's lists, the due-date preview before saving, the once-only new date of Form 04, the tracking
book (Form 06) for a date range, the papers of Form 01 and the public lookup. Views call these and
never query tables themselves. Every read is bounded (LIMIT, indexed ranges) so the pages stay fast
with 100,000 dossiers.
"""
from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from motcua import deadlines, errors as E, legaltime
from motcua.errors import Conflict, InvalidInput, NotFound
from motcua.lifecycle import Status
from node import catalogue, reception
from node.apply import Change, commit_one
from node.holidays import work_calendar
from node.models import Dossier, Event, db
from sync.events import CENTER_ID

# Open dossiers whose clock runs: these can be overdue or due soon (1 is not received yet, 5 and 6
# are paused, 9/10 are done).
RUNNING = (int(Status.RECEIVED), int(Status.PROCESSING), int(Status.WITHDRAWAL_REQUESTED))
# Open dossiers with a clock, running or paused: these may get a new date (Form 04).
CLOCKED = RUNNING + (int(Status.SUPPLEMENT_REQUESTED), int(Status.AWAITING_PAYMENT))
MAX_BOOK_DAYS = 366
LIST_LIMIT = 50


@dataclass
class Bucket:
    """One of today's lists: the first rows and how many there are in all (counted up to COUNT_CAP)."""
    rows: list
    total: int
    capped: bool = False


COUNT_CAP = 1000


def _bucket(query, order, limit: int) -> Bucket:
    total = query.limit(COUNT_CAP).count()
    return Bucket(rows=list(query.order_by(*order).limit(limit)), total=total,
                  capped=total >= COUNT_CAP)


def desk_queries(now: datetime, due_soon_working_days: int) -> dict[str, tuple]:
    """The desk's lists as (query, order) pairs, not yet run: waiting for papers, due soon (to the
    end of the `due_soon_working_days`-th working day after today), late, to return, received
    today. `today_lists` and `node.worklists` take the ones they show."""
    midnight = datetime.combine(now.date(), time.min)
    horizon = datetime.combine(work_calendar().add_working_days(now.date(), due_soon_working_days),
                               time.max)
    # `status + 0` keeps SQLite off the status index here, so it walks the due_at index in order
    # and stops after `limit` rows instead of sorting every open dossier (37 ms → 0.3 ms at 100k).
    running = (Dossier.status + 0).in_(RUNNING)
    return {
        "waiting_papers": (Dossier.select().where(Dossier.status == int(Status.SUPPLEMENT_REQUESTED)),
                           [Dossier.paused_at]),
        "due_soon": (Dossier.select().where(running & (Dossier.due_at >= now)
                                            & (Dossier.due_at <= horizon)), [Dossier.due_at]),
        "late": (Dossier.select().where(running & (Dossier.due_at < now)), [Dossier.due_at]),
        # rowid order rides the status index: oldest waiting first, no sort.
        "to_return": (Dossier.select().where(Dossier.status == int(Status.RESULT_READY)),
                      [Dossier.id]),
        "received_today": (Dossier.select().where(Dossier.received_at >= midnight),
                           [Dossier.received_at.desc()]),
    }


def today_lists(now: datetime | None = None, *, limit: int = LIST_LIMIT) -> dict[str, Bucket]:
    """Received today, due soon (today or next working day), overdue, results waiting to go back."""
    q = desk_queries(now or legaltime.now(), 1)
    return {"received_today": _bucket(*q["received_today"], limit),
            "due_soon": _bucket(*q["due_soon"], limit),
            "overdue": _bucket(*q["late"], limit),
            "to_return": _bucket(*q["to_return"], limit)}


def preview_due(procedure_code: str, *, rules: reception.DeskRules = reception.DeskRules(),
                now: datetime | None = None) -> dict:
    """The fee and due moment a dossier of this procedure would get if saved now.

    :raises InvalidInput: unknown procedure code.
    """
    now = (now or legaltime.now()).replace(microsecond=0)
    procedure = catalogue.get_procedure(procedure_code, now.date())
    due = deadlines.compute_due(now, procedure.processing_days, work_calendar(), **rules.times())
    return {"procedure_code": procedure.code, "processing_days": procedure.processing_days,
            "fee_vnd": procedure.fee_vnd, "received_at": now, "due_at": due}


def _received_payload(dossier: Dossier) -> dict:
    event = (Event.select(Event.payload).where((Event.dossier_uid == dossier.uid)
                                               & (Event.kind == "dossier.received")).first())
    return event.payload if event else {}


def details_of(dossier: Dossier) -> list[dict]:
    """The procedure's own fields as received (Form 01 and the dossier page print them): each
    declared field with its label and value, dates as dd/mm/yyyy; fields left empty are skipped."""
    procedure = catalogue.Procedure.get(code=dossier.procedure_code,
                                        catalogue_version=dossier.catalogue_version)
    given = _received_payload(dossier).get("details") or {}
    rows = []
    for spec in catalogue.fields_of(procedure):
        value = given.get(spec.key)
        if not value:
            continue
        if spec.type == "date":
            try:
                value = date.fromisoformat(value).strftime("%d/%m/%Y")
            except ValueError:
                pass
        rows.append({"key": spec.key, "label_vi": spec.label_vi, "label_en": spec.label_en,
                     "value": value})
    return rows


def fee_of(dossier: Dossier) -> dict:
    """The dossier's fee as Forms 01 and the dossier page print it: amount, kind, pages and copies,
    whether paid, when (reception / supplement / return), how (cash / transfer), the receipt."""
    from motcua import fees
    fee = dict(_received_payload(dossier).get("fee") or {})
    for e in (Event.select().where((Event.dossier_uid == dossier.uid)
                                   & (Event.kind == "dossier.corrected")).order_by(Event.seq)):
        for name, value in (e.payload.get("fields") or {}).items():
            if name.startswith("fee."):
                fee[name[4:]] = value
    procedure = catalogue.Procedure.get(code=dossier.procedure_code,
                                        catalogue_version=dossier.catalogue_version)
    from node.fees import rule_for
    rule = rule_for(procedure, dossier.received_at.date() if dossier.received_at else None)
    return {"vnd": dossier.fee_vnd, "paid": dossier.fee_paid, "receipt_no": dossier.fee_receipt_no,
            "kind": fee.get("kind"), "pages": fee.get("pages"), "copies": fee.get("copies"),
            "stage": fee.get("stage"), "method": fee.get("method"),
            "collected_at": datetime.fromisoformat(fee["collected_at"]) if fee.get("collected_at")
            else None, "rule_vi": rule.describe_vi() if rule else None,
            "stage_vi": fees.STAGE_LABELS_VI.get(fee.get("stage")),
            "method_vi": fees.METHOD_LABELS_VI.get(fee.get("method"))}


def components_of(dossier: Dossier) -> list[dict]:
    """Form 01's table: each required document with the copy type and count handed over, and scans."""
    procedure = catalogue.Procedure.get(code=dossier.procedure_code,
                                        catalogue_version=dossier.catalogue_version)
    given = {c["requirement"]: c for c in _received_payload(dossier).get("components") or []}
    scans: dict[str, int] = {}
    for a in reception.active_attachments(dossier):
        scans[a.requirement_key] = scans.get(a.requirement_key, 0) + 1
    rows = []
    for r in catalogue.requirements_of(procedure):
        c = given.get(r.key)
        rows.append({"key": r.key, "name_vi": r.name_vi, "required_copies": r.copies,
                     "copy_type": c["copy_type"] if c else None, "count": c["count"] if c else None,
                     "scans": scans.get(r.key, 0)})
    return rows


def apology_of(dossier: Dossier) -> dict | None:
    """The Form 04 record (original date, new date, reason, who, when) or None if never made."""
    for e in (Event.select().where((Event.dossier_uid == dossier.uid)
                                   & (Event.kind == "dossier.corrected")).order_by(Event.seq)):
        fields = e.payload.get("fields") or {}
        if "apology.new_due_at" in fields:
            return {"original_due_at": datetime.fromisoformat(fields["apology.original_due_at"]),
                    "new_due_at": datetime.fromisoformat(fields["apology.new_due_at"]),
                    "reason": fields.get("apology.reason"), "actor": e.actor, "at": e.recorded_at}
    return None


def set_new_due_date(code: str, new_due: datetime, reason: str, actor: str, *,
                     now: datetime | None = None) -> Dossier:
    """Give a late dossier its one new date (Form 04), journaled as `dossier.corrected` of `due_at`.

    Once, and only at least one working day before the due date (domain.md); the original due date
    is kept (`apology.original_due_at`, the `original_due_at` column) and statistics judge against it.
    :raises InvalidInput: no reason, or the new date is not after the current one;
        Conflict: the dossier is finished, already had its new date, or it is too late (less than
        one working day before the due date, or past it).
    """
    now = (now or legaltime.now()).replace(microsecond=0)
    reason = (reason or "").strip()
    if not reason or len(reason) > reception.MAX_NOTES:
        raise InvalidInput(E.DELAY_REASON_REQUIRED, field="reason")
    if not isinstance(new_due, datetime):
        raise InvalidInput(E.BAD_NEW_DUE, field="new_due_at")
    with db.atomic("IMMEDIATE"):
        dossier = reception.get_dossier(code)
        if dossier.finished_at or dossier.status not in CLOCKED:
            raise Conflict(E.DOSSIER_FINISHED)
        if apology_of(dossier):
            raise Conflict(E.ALREADY_RESCHEDULED)
        # domain.md: the apology comes at least one working day before the due date, never after.
        if deadlines.working_days_between(now.date(), dossier.due_at.date(), work_calendar()) < 1:
            raise Conflict(E.APOLOGY_TOO_LATE(due=dossier.due_at))
        if new_due <= dossier.due_at:
            raise InvalidInput(E.NEW_DUE_NOT_LATER(due=dossier.due_at),
                               field="new_due_at")
        fields = {"due_at": new_due.isoformat(), "apology.reason": reason,
                  "apology.original_due_at": dossier.due_at.isoformat(),
                  "apology.new_due_at": new_due.isoformat()}
        return commit_one(Change("dossier.corrected", dossier.uid, {"fields": fields}), actor,
                          now=now)


def last_reason_for(dossier: Dossier, status: int) -> str | None:
    """The reason given with the latest move to `status` (what Form 02/03 print)."""
    for e in (Event.select().where((Event.dossier_uid == dossier.uid)
                                   & (Event.kind == "dossier.transitioned"))
              .order_by(Event.seq.desc())):
        if e.payload.get("to") == status:
            return e.payload.get("reason")
    return None


def guidance_of(dossier: Dossier) -> dict | None:
    """The guidance given before receipt (Form 02 with no clock): what to add, one item a line,
    the contact for help, when, by whom; None if the dossier was never guided."""
    for e in (Event.select().where((Event.dossier_uid == dossier.uid)
                                   & (Event.kind == "dossier.corrected")).order_by(Event.seq.desc())):
        fields = e.payload.get("fields") or {}
        if "guidance.to_add" in fields:
            return {"lines": _lines(fields["guidance.to_add"]), "contact": fields.get("guidance.contact"),
                    "at": datetime.fromisoformat(fields["guidance.at"]), "actor": e.actor,
                    "event_id": e.event_id}
    return None


def supplement_request_of(dossier: Dossier) -> dict | None:
    """The latest supplement request (5) of a received dossier, as Form 02 prints it."""
    for e in (Event.select().where((Event.dossier_uid == dossier.uid)
                                   & (Event.kind == "dossier.transitioned"))
              .order_by(Event.seq.desc())):
        if e.payload.get("to") == int(Status.SUPPLEMENT_REQUESTED):
            return {"lines": _lines(e.payload.get("reason") or ""), "contact": None,
                    "at": datetime.fromisoformat(e.payload["at"]) if e.payload.get("at") else
                    e.recorded_at, "actor": e.actor, "event_id": e.event_id}
    return None


def _lines(text: str) -> list[str]:
    """What to add, one item a line (a bullet or number typed in front is dropped)."""
    out = []
    for line in text.splitlines():
        line = line.strip().lstrip("-•*+").strip()
        if line[:3].rstrip(".)").isdigit() and line[:4].rstrip()[-1:] in ".)":
            line = line.split(line[:4].rstrip()[-1:], 1)[1].strip()
        if line:
            out.append(line)
    return out or [text.strip()]


DESK_UNIT = "Bộ phận tiếp nhận và trả kết quả"
HANDLER_UNIT = "Công chức chuyên môn"
CENTER_UNIT = "Trung tâm Phục vụ hành chính công"
CITIZEN = "Tổ chức, cá nhân"
# Form 05: who hands the dossier over and who takes it, by the status it moves to.
_HANDOFF = {int(Status.RECEIVED): (CITIZEN, DESK_UNIT),
            int(Status.PROCESSING): (DESK_UNIT, HANDLER_UNIT),
            int(Status.SUPPLEMENT_REQUESTED): (HANDLER_UNIT, CITIZEN),
            int(Status.AWAITING_PAYMENT): (HANDLER_UNIT, CITIZEN),
            int(Status.RESULT_READY): (HANDLER_UNIT, DESK_UNIT),
            int(Status.RETURNED): (DESK_UNIT, CITIZEN),
            int(Status.WITHDRAWAL_REQUESTED): (CITIZEN, DESK_UNIT),
            int(Status.STOPPED): (DESK_UNIT, CITIZEN),
            int(Status.REFUSED): (DESK_UNIT, CITIZEN)}
FINISHING = (int(Status.RESULT_READY),)


def control_sheet(dossier: Dossier) -> list[dict]:
    """Form 05's rows: each hand-off (from → to, when, by whom) and the step's result. The step
    that brings the result carries the dossier's own verdict (against its original due date when an
    apology moved it, as the statistics judge); other steps compare their time with the due time."""
    due = dossier.original_due_at or dossier.due_at
    rows = [{"from": CITIZEN, "to": DESK_UNIT, "at": dossier.received_at, "actor": dossier.received_by,
             "result": None, "note": None}] if dossier.received_at and dossier.status != 1 else []
    for e in (Event.select().where((Event.dossier_uid == dossier.uid)
                                   & (Event.kind == "dossier.transitioned")).order_by(Event.seq)):
        p = e.payload
        at = datetime.fromisoformat(p["at"]) if p.get("at") else e.recorded_at
        if p.get("to") == int(Status.RECEIVED):        # received after guidance: the first row
            rows = [{"from": CITIZEN, "to": DESK_UNIT, "at": at, "actor": e.actor, "result": None,
                     "note": None}]
            continue
        giver, taker = _HANDOFF.get(p.get("to"), (DESK_UNIT, DESK_UNIT))
        if e.origin == CENTER_ID:
            giver = CENTER_UNIT if giver == HANDLER_UNIT else giver
            taker = CENTER_UNIT if taker == HANDLER_UNIT else taker
        if p.get("to") in FINISHING and due:
            result = deadlines.classify(at, due, dossier.supplement_count)
        elif due and p.get("to") not in (int(Status.REFUSED), int(Status.STOPPED)):
            result = "late" if at > due else ("early" if at.date() < due.date() else "on_time")
        else:
            result = None
        rows.append({"from": giver, "to": taker, "at": at, "actor": e.actor, "result": result,
                     "note": p.get("reason") or p.get("returned_to")})
    return rows


def _check_range(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    if date_to < date_from:
        raise InvalidInput(E.RANGE_BACKWARDS, field="to")
    if (date_to - date_from).days >= MAX_BOOK_DAYS:
        raise InvalidInput(E.RANGE_TOO_LONG(days=MAX_BOOK_DAYS), field="to")
    return (datetime.combine(date_from, time.min),
            datetime.combine(date_to + timedelta(days=1), time.min))


def tracking_book(date_from: date, date_to: date, *, limit: int | None = None) -> list[dict]:
    """Form 06 rows for dossiers received in [date_from, date_to], in book order.

    Hand-off times come from the journal in one query per 500 dossiers, not one per row.
    :raises InvalidInput: reversed or too long a range.
    """
    start, end = _check_range(date_from, date_to)
    # Plain tuples of the columns the book prints: building full model objects cost 4× more.
    query = (Dossier.select(Dossier.uid, Dossier.code, Dossier.procedure_code, Dossier.applicant,
                            Dossier.received_at, Dossier.due_at, Dossier.original_due_at,
                            Dossier.returned_at,
                            Dossier.book_volume, Dossier.book_number, Dossier.notes)
             .where((Dossier.received_at >= start) & (Dossier.received_at < end))
             .order_by(Dossier.received_at, Dossier.id).tuples())
    if limit:
        query = query.limit(limit)
    dossiers = list(query)
    steps: dict[str, dict[int, datetime]] = {}
    for i in range(0, len(dossiers), 500):
        uids = [d[0] for d in dossiers[i:i + 500]]
        for uid, payload, at, origin in (Event.select(Event.dossier_uid, Event.payload,
                                                      Event.recorded_at, Event.origin)
                                         .where(Event.dossier_uid.in_(uids)
                                                & (Event.kind == "dossier.transitioned"))
                                         .order_by(Event.seq).tuples()):
            steps.setdefault(uid, {}).setdefault(payload.get("to"), at)
            if origin == CENTER_ID:                  # an officer at the center handled it
                steps[uid]["center"] = True
    names = {p.code: p.name_vi for p in catalogue.procedures_in_force()}
    rows = []
    for n, (uid, code, proc, applicant, received, due, original_due, returned, volume, number,
            notes) in \
            enumerate(dossiers, start=1):
        s = steps.get(uid, {})
        rows.append({"no": n, "code": code, "procedure": names.get(proc, proc), "sets": 1,
                     "filer": applicant.get("full_name"), "address": applicant.get("address"),
                     "phone": applicant.get("phone"),
                     "handler": CENTER_UNIT if s.get("center") else HANDLER_UNIT,
                     "received_at": received, "due_at": due, "original_due_at": original_due,
                     "sent_at": s.get(int(Status.PROCESSING)),
                     "result_at": s.get(int(Status.RESULT_READY)), "returned_at": returned,
                     "book": f"{volume}/{number}", "notes": notes or ""})
    return rows


def public_lookup(code: str, secret: str) -> dict:
    """What the kiosk may show for a dossier: procedure, status, due date, what to bring.

    :raises NotFound: unknown code OR wrong secret — the same message, so guessing learns nothing.
    """
    refused = NotFound(E.LOOKUP_REFUSED)
    code, secret = (code or "").strip(), (secret or "").strip().upper()
    if not code or not secret or len(code) > 60 or len(secret) > 20:
        raise refused
    dossier = Dossier.get_or_none((Dossier.code == code) | (Dossier.official_code == code))
    expected = dossier.lookup_secret if dossier else "X" * len(secret)
    if not hmac.compare_digest(expected.encode(), secret.encode()) or dossier is None:
        raise refused
    names = {p.code: p.name_vi for p in catalogue.procedures_in_force()}
    waiting = dossier.status == int(Status.SUPPLEMENT_REQUESTED)
    return {"code": dossier.code, "procedure": names.get(dossier.procedure_code, dossier.procedure_code),
            "status": dossier.status, "due_at": dossier.due_at,
            "to_bring": dossier.last_reason if waiting else None}


LOOKUP_LOCKED = E.LOOKUP_LOCKED


def guarded_lookup(code: str, secret: str, *, max_failures: int, lock_seconds: float) -> dict:
    """`public_lookup`, counting wrong secrets per dossier code in the database: after
    `max_failures` of them the code waits `lock_seconds`, whoever asks. Counting per code, not per
    address, stops guessing one dossier's secret without locking a shared kiosk for everyone.

    :raises TooManyAttempts: while the code waits; NotFound: as `public_lookup`.
    """
    from motcua.throttle import Throttle
    from node.models import Throttle as ThrottleRow
    guard = Throttle(ThrottleRow, "lookup")
    key = (code or "").strip().upper()[:60]
    guard.check(key, LOOKUP_LOCKED)
    try:
        return public_lookup(code, secret)
    except NotFound:
        guard.fail(key, limit=max_failures, window_seconds=lock_seconds)
        raise


def stage_scan(store, data: bytes, max_bytes: int) -> str:
    """Keep an uploaded scan on disk before its dossier exists, so a form re-shown for a typo does
    not lose it; returns its SHA-256. :raises InvalidInput/TooLarge: empty, too big, wrong type."""
    from node.scans import check_scan
    check_scan(data, max_bytes)
    return store.put(data)


def receive_with_scans(data: dict, staged: list[tuple[str, str, str | None]], actor: str, store, *,
                       max_bytes: int, rules: reception.DeskRules = reception.DeskRules(),
                       now: datetime | None = None) -> Dossier:
    """Receive a dossier and attach its staged scans `(requirement_key, sha256, filename)`.

    The dossier is saved first (the clock and the code must not wait for the scans); each scan is then
    its own journaled `attachment.added`.
    :raises InvalidInput: as `receive_dossier`, or a staged scan that is no longer on disk.
    """
    for _key, sha, _name in staged:
        if not store.has(sha):
            raise InvalidInput(E.SCANS_GONE,
                               field="scans")
    dossier = reception.receive_dossier(data, actor, rules=rules, now=now)
    for key, sha, filename in staged:
        reception.attach_scan(dossier.code, store.read(sha), key, actor, store,
                              max_bytes=max_bytes, filename=filename, now=now)
    return dossier
