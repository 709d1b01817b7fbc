"""Receiving dossiers and moving them through their lifecycle: the node's domain layer.

Every function here validates its input first (bad input changes nothing, with `motcua.errors`
exceptions and Vietnamese messages), then says which events the act makes and hands them to
`node.apply.commit`, which journals them and writes the rows as the fold of the journal, in ONE
IMMEDIATE transaction (nothing half-written survives a crash). No column is set here by hand.
Views (API and web) call these and nothing lower.
"""
from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from motcua import deadlines, errors as E, legaltime
from motcua.errors import Conflict, InvalidInput, NotFound
from motcua.identity import (
    normalize_phone,
    parse_date_vi,
    to_nfc,
    to_nfc_lines,
    validate_email,
    validate_full_name,
    validate_id_number,
)
from motcua.lifecycle import Status, TransitionRefused, read_transition_request, transition_payload
from node import catalogue, fees, queue
from node.apply import Change, commit, commit_one
from node.facts import next_counter, unit_code
from node.holidays import work_calendar
from node.models import Attachment, Blob, Dossier, Requirement, db

CHANNELS = {1: "Trực tiếp", 2: "Trực tuyến", 3: "Bưu chính"}
APPLICANT_FIELDS = ("full_name", "id_number", "date_of_birth", "phone", "address", "email")
RATINGS = {"very_satisfied": "Rất hài lòng", "satisfied": "Hài lòng",     # the default scale;
           "not_satisfied": "Không hài lòng"}                               # NODE_RATING_SCALE changes it
LOOKUP_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"   # no 0/O, 1/I: read aloud at a kiosk
MAX_NOTES = 2000


@dataclass(frozen=True)
class DeskRules:
    """The hours that deadlines depend on; from the app config (`NODE_CUTOFF`, …)."""
    cutoff: str = "15:00"
    office_open: str = "07:30"
    office_close: str = "17:00"

    def times(self) -> dict:
        def parse(text):
            return datetime.strptime(text, "%H:%M").time()
        return {"cutoff": parse(self.cutoff), "office_open": parse(self.office_open),
                "office_close": parse(self.office_close)}


# ---- validation -------------------------------------------------------------------------------

def _text(value, limit: int = 300) -> str:
    if value is None:
        return ""
    if not isinstance(value, (str, int)):
        raise TypeError
    text = to_nfc(str(value))
    if len(text) > limit:
        raise ValueError
    return text


def validate_person(raw, prefix: str, *, today: date) -> tuple[dict, dict[str, str]]:
    """Clean a person's fields; returns (clean, errors keyed `prefix.field`). Never raises on content."""
    errors: dict[str, str] = {}
    clean: dict = {}
    if not isinstance(raw, dict):
        return {}, {prefix: E.APPLICANT_MISSING()}

    def field(name, required, check):
        try:
            value = _text(raw.get(name))
        except (TypeError, ValueError):
            errors[f"{prefix}.{name}"] = E.FIELD_BAD_VALUE()
            return
        if not value:
            if required:
                errors[f"{prefix}.{name}"] = E.FIELD_REQUIRED()
            else:
                clean[name] = None
            return
        try:
            clean[name] = check(value)
        except InvalidInput as exc:
            errors[f"{prefix}.{name}"] = exc.said or exc.message_vi

    field("full_name", True, validate_full_name)
    field("date_of_birth", True, lambda v: parse_date_vi(v, today=today).isoformat())
    dob = date.fromisoformat(clean["date_of_birth"]) if clean.get("date_of_birth") else None
    field("id_number", True, lambda v: validate_id_number(v, dob))
    field("phone", True, normalize_phone)
    field("address", True, lambda v: v)
    field("email", False, validate_email)
    return clean, errors


def _raise_if(errors: dict[str, str]) -> None:
    if errors:
        first_field, first_message = next(iter(errors.items()))
        raise InvalidInput(first_message if len(errors) == 1 else
                           E.FIELDS_INVALID(n=len(errors), field=first_field, first=first_message),
                           field=first_field, fields=errors)


def _new_lookup_secret() -> str:
    return "".join(secrets.choice(LOOKUP_ALPHABET) for _ in range(6))


COPY_TYPES = {"original": "Bản chính", "certified_copy": "Bản sao chứng thực",
              "photocopy": "Bản photocopy", "electronic": "Bản điện tử"}


def _components(raw, errors: dict) -> list[dict] | None:
    """The papers handed over (Form 01's table): [{requirement, copy_type, count}]; None if absent."""
    if raw is None:
        return None
    if not isinstance(raw, list) or len(raw) > 50:
        errors["components"] = E.COMPONENTS_BAD()
        return None
    clean = []
    for i, item in enumerate(raw):
        ok = (isinstance(item, dict) and isinstance(item.get("requirement"), str)
              and item.get("copy_type") in COPY_TYPES and isinstance(item.get("count"), int)
              and not isinstance(item.get("count"), bool) and 0 <= item["count"] <= 99)
        if not ok:
            errors[f"components.{i}"] = E.COMPONENT_BAD()
            continue
        clean.append({"requirement": item["requirement"][:60], "copy_type": item["copy_type"],
                      "count": item["count"]})
    return clean


# ---- intake -----------------------------------------------------------------------------------

def _read_intake(data, now: datetime) -> tuple[catalogue.Procedure, dict]:
    """Validate what the desk was handed; returns the procedure and the `dossier.received` fields
    that do not depend on the outcome (no code, status or times yet).

    :raises InvalidInput: on any bad field (all field errors in `.fields`).
    """
    if not isinstance(data, dict):
        raise InvalidInput(E.BAD_JSON_BODY)
    procedure = catalogue.get_procedure(str(data.get("procedure_code") or "").strip(), now.date())
    applicant, errors = validate_person(data.get("applicant"), "applicant", today=now.date())
    owner = None
    if data.get("owner"):
        owner, owner_errors = validate_person(data["owner"], "owner", today=now.date())
        errors.update(owner_errors)
    channel = data.get("channel", 1)
    if channel not in CHANNELS:
        errors["channel"] = E.BAD_CHANNEL()
    notes = data.get("notes")
    if notes is not None and (not isinstance(notes, str) or len(notes) > MAX_NOTES):
        errors["notes"] = E.BAD_NOTES(max=MAX_NOTES)
    try:
        owed = fees.due_for(procedure, pages=data.get("fee_pages"), copies=data.get("fee_copies"),
                            on=now.date())
    except InvalidInput as exc:
        errors[exc.field] = exc.message_vi
        owed = {"vnd": None, "kind": None, "pages": 1, "copies": 1}
    fee = data.get("fee_vnd", owed["vnd"])
    if fee is not None and (isinstance(fee, bool) or not isinstance(fee, int) or fee < 0):
        errors["fee_vnd"] = E.BAD_FEE()
    paid = bool(data.get("fee_paid", False)) and bool(fee)
    method = data.get("fee_method") or "cash"
    if paid and method not in ("cash", "transfer"):
        errors["fee_method"] = E.FEE_METHOD_BAD()
    components = _components(data.get("components"), errors)
    details, detail_errors = catalogue.validate_details(catalogue.fields_of(procedure),
                                                       data.get("details"), today=now.date())
    errors.update(detail_errors)
    _raise_if(errors)
    return procedure, {
        "procedure_code": procedure.code, "catalogue_version": procedure.catalogue_version,
        "channel": channel, "applicant": applicant, "owner": owner,
        "fee": {"vnd": fee, "paid": paid, "pages": owed["pages"], "copies": owed["copies"],
                **({"kind": owed["kind"]} if owed["kind"] else {}),
                **({"stage": "reception", "method": method} if paid else {})},
        "notes": to_nfc(notes) if notes else None,
        **({"components": components} if components else {}),
        **({"details": details} if details else {}),    # the procedure's own fields
    }


def _numbered(fields: dict, status: Status, now: datetime, due_at: datetime | None,
              actor: str) -> tuple[dict, dict | None]:
    """The `dossier.received` payload: `fields` plus the code, the book number, the times and the
    queue ticket this desk called (returned too, to link once committed). Call inside the
    IMMEDIATE transaction (the counters)."""
    unit = unit_code()
    seq = next_counter(f"code:{now:%y%m%d}")
    book_number = next_counter(f"book:{now:%Y}")
    ticket = queue.queue_payload(actor, now)     # taken from the ticket this desk called
    if fields["fee"]["paid"]:                    # collected at reception: its receipt number
        fields = {**fields, "fee": {**fields["fee"], "receipt_no": fees.next_receipt_no(now),
                                    "collected_at": now.isoformat()}}
    return {"code": f"{unit}-{now:%y%m%d}-{seq:04d}", "lookup_secret": _new_lookup_secret(),
            **fields, "status": int(status), "received_at": now.isoformat(),
            "due_at": due_at.isoformat() if due_at else None,
            "book": {"volume": f"{now:%Y}", "number": book_number},
            **({"queue": ticket} if ticket else {})}, ticket


def receive_dossier(data, actor: str, *, rules: DeskRules = DeskRules(),
                    now: datetime | None = None) -> Dossier:
    """Receive a dossier: validate, number it, journal it. A walk-in (channel 1 or 3) handed over
    complete is received at once (status 2, the clock starts, its due time computed); an online
    dossier (channel 2) starts at status 1, not yet received: the desk then receives it (1→2, the
    clock starts then) or refuses it (1→3).

    :raises InvalidInput: on any bad field (all field errors in `.fields`); nothing is written.
    """
    now = (now or legaltime.now()).replace(microsecond=0)
    procedure, fields = _read_intake(data, now)
    online = fields["channel"] == 2
    due_at = None if online else deadlines.compute_due(now, procedure.processing_days,
                                                       work_calendar(), **rules.times())
    status = Status.SUBMITTED_ONLINE if online else Status.RECEIVED
    with db.atomic("IMMEDIATE"):
        payload, ticket = _numbered(fields, status, now, due_at, actor)
        dossier = commit_one(Change("dossier.received", uuid.uuid4().hex, payload), actor, now=now)
        if ticket:
            queue.record_link(dossier.code, ticket, now)
        return dossier


def refuse_at_reception(data, reason, actor: str, *, now: datetime | None = None) -> Dossier:
    """Refuse a walk-in at the desk (Form 03): the dossier is recorded, not received (status 1, no
    clock), and moved 1→3 with the reasons in the same commit, so the refusal is kept and printable.

    :raises InvalidInput: a bad field or no reason; nothing is written.
    """
    now = (now or legaltime.now()).replace(microsecond=0)
    target, reason, _ = read_transition_request(int(Status.REFUSED), reason)
    _procedure, fields = _read_intake(data, now)
    uid = uuid.uuid4().hex
    with db.atomic("IMMEDIATE"):
        payload, ticket = _numbered(fields, Status.SUBMITTED_ONLINE, now, None, actor)
        move = transition_payload(Status.SUBMITTED_ONLINE, target, reason=reason, returned_to=None,
                                  now=now, due_at=None, paused_at=None, applicant_name=None,
                                  calendar=work_calendar)
        commit([Change("dossier.received", uid, payload),
                Change("dossier.transitioned", uid, move)], actor, now=now)
        dossier = Dossier.get(Dossier.uid == uid)
        if ticket:
            queue.record_link(dossier.code, ticket, now)
        return dossier


def guide_at_reception(data, to_add, actor: str, *, contact: str | None = None,
                       now: datetime | None = None) -> Dossier:
    """Guide a walk-in whose papers are incomplete (Form 02 before receipt): the dossier is kept as
    a record at status 1 with what to add, the clock not started; when the citizen comes back
    complete the desk receives it (1→2) and the clock starts then.

    :raises InvalidInput: a bad field or nothing listed to add; nothing is written.
    """
    now = (now or legaltime.now()).replace(microsecond=0)
    if not isinstance(to_add, str) or not to_add.strip() or len(to_add) > MAX_NOTES:
        raise InvalidInput(E.SUPPLEMENT_REASON_REQUIRED, field="to_add")
    if contact is not None and (not isinstance(contact, str) or len(contact) > 300):
        raise InvalidInput(E.FIELD_BAD_VALUE, field="contact")
    _procedure, fields = _read_intake(data, now)
    uid = uuid.uuid4().hex
    guidance = {"guidance.to_add": to_nfc_lines(to_add), "guidance.at": now.isoformat()}
    if contact:
        guidance["guidance.contact"] = to_nfc(contact.strip())
    with db.atomic("IMMEDIATE"):
        payload, ticket = _numbered(fields, Status.SUBMITTED_ONLINE, now, None, actor)
        commit([Change("dossier.received", uid, payload),
                Change("dossier.corrected", uid, {"fields": guidance})], actor, now=now)
        dossier = Dossier.get(Dossier.uid == uid)
        if ticket:
            queue.record_link(dossier.code, ticket, now)
        return dossier


# ---- reading ----------------------------------------------------------------------------------

def get_dossier(code: str) -> Dossier:
    """The dossier with this code or official code. :raises NotFound: when there is none."""
    code = (code or "").strip()
    row = Dossier.get_or_none((Dossier.code == code) | (Dossier.official_code == code))
    if row is None:
        raise NotFound(E.DOSSIER_NOT_FOUND(code=code))
    return row


def active_attachments(dossier: Dossier) -> list[Attachment]:
    return list(dossier.attachments.where(Attachment.removed_at.is_null())
                .order_by(Attachment.id))


# ---- changes ----------------------------------------------------------------------------------

def correct_applicant(code: str, changes, actor: str, *, now: datetime | None = None) -> Dossier:
    """Correct some of the applicant's fields (a plain-field write, last writer wins across sides).

    :raises InvalidInput: unknown or bad field; NotFound: no such dossier.
    """
    now = now or legaltime.now()
    if not isinstance(changes, dict) or not changes:
        raise InvalidInput(E.NOTHING_TO_CHANGE)
    unknown = [k for k in changes if k not in APPLICANT_FIELDS]
    if unknown:
        raise InvalidInput(E.FIELDS_NOT_CORRECTABLE(fields=", ".join(map(str, unknown))),
                           field=f"applicant.{unknown[0]}")
    with db.atomic("IMMEDIATE"):
        dossier = get_dossier(code)
        merged = {**dossier.applicant, **changes}
        clean, errors = validate_person(merged, "applicant", today=now.date())
        _raise_if({k: v for k, v in errors.items() if k.split(".", 1)[1] in changes} or errors)
        changed = {f"applicant.{k}": clean.get(k) for k in changes
                   if clean.get(k) != dossier.applicant.get(k)}
        if not changed:
            return dossier
        return commit_one(Change("dossier.corrected", dossier.uid, {"fields": changed}), actor,
                          now=now)


def transition(code: str, to, actor: str, *, reason: str | None = None,
               returned_to: str | None = None, rules: DeskRules = DeskRules(),
               now: datetime | None = None) -> Dossier:
    """Move a dossier to status `to` if the lifecycle allows it; pauses and resumes the clock.

    :raises InvalidInput: bad status code or a missing reason; Conflict: the lifecycle refuses.
    """
    now = (now or legaltime.now()).replace(microsecond=0)
    target, reason, returned_to = read_transition_request(to, reason, returned_to)
    with db.atomic("IMMEDIATE"):
        dossier = get_dossier(code)

        def start_clock(received_at: datetime) -> datetime:
            procedure = catalogue.Procedure.get(code=dossier.procedure_code,
                                                catalogue_version=dossier.catalogue_version)
            return deadlines.compute_due(received_at, procedure.processing_days, work_calendar(),
                                         **rules.times())
        try:
            payload = transition_payload(
                dossier.status, target, reason=reason, returned_to=returned_to, now=now,
                due_at=dossier.due_at, paused_at=dossier.paused_at,
                applicant_name=dossier.applicant.get("full_name"), calendar=work_calendar,
                start_clock=start_clock)
        except TransitionRefused as exc:
            raise Conflict(exc.said) from None
        # The fold sets status, paused/finished/returned times, the supplement count and the reason.
        return commit_one(Change("dossier.transitioned", dossier.uid, payload), actor, now=now)


def rate(code: str, rating: str, actor: str, *, scale: dict[str, str] = RATINGS,
         now: datetime | None = None) -> Dossier:
    """Record the citizen's rating, on the scale in force (a setting: the scale is not fixed by
    law), once the result is ready or returned."""
    if rating not in scale:
        raise InvalidInput(E.BAD_RATING(scale=", ".join(scale.values())),
                           field="rating")
    with db.atomic("IMMEDIATE"):
        dossier = get_dossier(code)
        if dossier.status not in (Status.RESULT_READY, Status.RETURNED):
            raise Conflict(E.TOO_EARLY_TO_RATE)
        return commit_one(Change("dossier.rated", dossier.uid, {"rating": rating}), actor,
                          now=now or legaltime.now())


def attach_scan(code: str, data: bytes, requirement_key: str | None, actor: str, store, *,
                max_bytes: int, filename: str | None = None,
                now: datetime | None = None) -> Attachment:
    """Store a scanned paper and tie it to one of the dossier's required documents.

    The file is made durable before the row that names it is committed, so a crash leaves at worst an
    unreferenced file, never a row without its file.
    :raises InvalidInput/TooLarge: bad file or requirement; NotFound: no such dossier.
    """
    from node.scans import check_scan
    now = now or legaltime.now()
    dossier = get_dossier(code)
    mime = check_scan(data, max_bytes)
    if not requirement_key:
        raise InvalidInput(E.REQUIREMENT_REQUIRED, field="requirement")
    procedure = catalogue.Procedure.get(code=dossier.procedure_code,
                                        catalogue_version=dossier.catalogue_version)
    if not Requirement.select().where((Requirement.procedure == procedure) &
                                      (Requirement.key == requirement_key)).exists():
        raise InvalidInput(E.UNKNOWN_REQUIREMENT(key=requirement_key),
                           field="requirement")
    filename = to_nfc(filename)[:200] if filename else None
    sha = store.put(data)
    with db.atomic("IMMEDIATE"):
        dossier = get_dossier(code)
        existing = Attachment.get_or_none((Attachment.dossier == dossier) &
                                          (Attachment.blob == sha) &
                                          (Attachment.requirement_key == requirement_key) &
                                          Attachment.removed_at.is_null())
        if existing:
            return existing
        Blob.insert(sha256=sha, size=len(data), mime=mime, created_at=now,
                    at_center=False).on_conflict_ignore().execute()
        commit([Change("attachment.added", dossier.uid, {
            "sha256": sha, "size": len(data), "mime": mime, "requirement_id": requirement_key,
            "filename": filename})], actor, now=now)
        return Attachment.get((Attachment.dossier == dossier) & (Attachment.blob == sha) &
                              (Attachment.requirement_key == requirement_key) &
                              Attachment.removed_at.is_null())


def attach_scanned_pages(code: str, pages: list[bytes], requirement_key: str | None, actor: str,
                         store, *, max_bytes: int) -> list[Attachment]:
    """Attach each page a scanner produced, in order, to one required document."""
    return [attach_scan(code, page, requirement_key, actor, store, max_bytes=max_bytes,
                        filename=f"trang-{n:02d}.png") for n, page in enumerate(pages, start=1)]


def remove_attachment(code: str, sha256: str, actor: str, *, now: datetime | None = None) -> None:
    """Remove a scan from a dossier (explicitly, as an event; the file stays for the history)."""
    now = now or legaltime.now()
    with db.atomic("IMMEDIATE"):
        dossier = get_dossier(code)
        rows = list(dossier.attachments.where((Attachment.blob == sha256) &
                                              Attachment.removed_at.is_null()))
        if not rows:
            raise NotFound(E.ATTACHMENT_NOT_FOUND)
        commit([Change("attachment.removed", dossier.uid,
                       {"sha256": sha256, "requirement_id": row.requirement_key}) for row in rows],
               actor, now=now)


def timeliness(dossier: Dossier, now: datetime | None = None) -> str:
    """early / on_time / late for finished dossiers; on_track / overdue for open ones."""
    if dossier.finished_at:
        return deadlines.classify(dossier.finished_at, dossier.due_at, dossier.supplement_count)
    if dossier.paused_at:
        return "paused"
    return "overdue" if deadlines.is_overdue(dossier.due_at, now or legaltime.now()) else "on_track"
