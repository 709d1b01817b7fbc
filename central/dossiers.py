"""Dossiers at the center: finding them across points, and officers' decisions on them.

Every decision is journalled by `central.apply.record_center_event`, which folds it into the row and
owes it to the dossier's point; nothing here writes the `dossier` table directly.
"""
from __future__ import annotations

from datetime import datetime

from peewee import IntegrityError

from central.apply import record_center_event
from central.db import write_transaction
from central.models import Attachment, Dossier, Event
from motcua import deadlines, errors as E, legaltime
from motcua.errors import Conflict, InvalidInput, NotFound
from motcua.lifecycle import TransitionRefused, read_transition_request, transition_payload
from motcua.paging import Page, check_paging, page_of, search_words, status_filter


def search_dossiers(q: str | None = None, *, point: str | None = None, status=None,
                    page: int = 1, per_page: int = 20, max_per_page: int = 100) -> Page:
    """Dossiers matching every word of `q` (accents optional) and the filters, newest first.

    :raises InvalidInput: bad status, paging or query.
    """
    check_paging(page, per_page, max_per_page)
    query = Dossier.select()
    for word in search_words(q):
        query = query.where(Dossier.search_text.contains(word))
    if point:
        query = query.where(Dossier.origin == point.strip())
    statuses = status_filter(status)
    if statuses:
        query = query.where(Dossier.status.in_(statuses))
    return page_of(query.order_by(Dossier.received_at.desc(), Dossier.id.desc()), page, per_page)


def get_dossier(code: str) -> Dossier:
    """The dossier with this code, official code or uid. :raises NotFound: when there is none."""
    code = (code or "").strip()
    row = Dossier.get_or_none((Dossier.code == code) | (Dossier.official_code == code)
                              | (Dossier.uid == code))
    if row is None:
        raise NotFound(E.DOSSIER_NOT_FOUND(code=code))
    return row


def attachments_of(dossier: Dossier) -> list[Attachment]:
    return list(Attachment.select().where(Attachment.dossier_uid == dossier.uid)
                .order_by(Attachment.requirement, Attachment.sha256))


def history_of(dossier: Dossier) -> list[Event]:
    """The dossier's events from every side, in clock order."""
    return list(Event.select().where(Event.dossier_uid == dossier.uid)
                .order_by(Event.hlc, Event.origin, Event.event_id))


def transition(code: str, to, actor: str, *, reason: str | None = None,
               returned_to: str | None = None, calendar: deadlines.WorkCalendar | None = None,
               now: datetime | None = None) -> Dossier:
    """An officer moves a dossier to status `to`; the decision flows down to the dossier's point.

    :raises InvalidInput: bad status or missing reason; NotFound: no dossier; Conflict (409): the
        lifecycle refuses, with the Vietnamese reason.
    """
    now = (now or legaltime.now()).replace(microsecond=0)
    target, reason, returned_to = read_transition_request(to, reason, returned_to)
    with write_transaction():
        dossier = get_dossier(code)
        try:
            payload = transition_payload(
                dossier.status, target, reason=reason, returned_to=returned_to, now=now,
                due_at=dossier.due_at, paused_at=dossier.paused_at,
                applicant_name=dossier.applicant.get("full_name"),
                calendar=lambda: calendar or deadlines.load_default_calendar())
        except TransitionRefused as exc:
            raise Conflict(exc.said) from None
        record_center_event("dossier.transitioned", dossier.uid, actor, payload, now=now)
    return get_dossier(dossier.uid)


def attach_official_code(code: str, official_code: str, actor: str, *,
                         now: datetime | None = None) -> Dossier:
    """Give a dossier the official code from the provincial system; both codes then find it.

    :raises InvalidInput: empty code; NotFound: no dossier; Conflict: the code is on another dossier.
    """
    official_code = (official_code or "").strip()
    if not official_code or len(official_code) > 100:
        raise InvalidInput(E.BAD_OFFICIAL_CODE, field="official_code")
    try:
        with write_transaction():
            dossier = get_dossier(code)
            other = Dossier.get_or_none(Dossier.official_code == official_code)
            if other is not None and other.uid != dossier.uid:
                raise Conflict(E.OFFICIAL_CODE_TAKEN(official=official_code, other=other.code))
            record_center_event("dossier.corrected", dossier.uid, actor,
                                {"fields": {"official_code": official_code}}, now=now)
    except IntegrityError:
        raise Conflict(E.OFFICIAL_CODE_TAKEN_ELSEWHERE(official=official_code)) from None
    return get_dossier(dossier.uid)


def open_conflicts() -> list[dict]:
    """Open conflicts across points, newest first, each with both sides' events."""
    from central.models import ConflictRecord
    rows = (ConflictRecord.select().where(ConflictRecord.is_open == True)  # noqa: E712
            .order_by(ConflictRecord.updated_at.desc(), ConflictRecord.conflict_id))
    return [r.detail for r in rows]

