"""The queue at the desk: tickets taken at the kiosk, clerks calling them, the display's state.

A ticket's number runs per service group per day (`A001`, `A002`, … `B001`): the counter and the
ticket row are written in ONE `BEGIN IMMEDIATE` transaction with `synchronous=FULL`, so a number
shown to a citizen survives a power cut and no crash can hand the same number out twice (the unique
index on day, group, number would refuse it anyway). Tickets are local and hold no name; what the
center learns is the link's times, inside the `dossier.received` of a dossier taken from a called
ticket (`queue_payload`, `record_link`).

The groups come from the catalogue (`motcua/data/catalogue.json`, `queue_groups`) unless the
`QUEUE_GROUPS` setting lists others.
"""
from __future__ import annotations

import json
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from motcua import errors as E, legaltime, queuestats
from motcua.errors import Conflict, InvalidInput, NotFound
from node.facts import get_state, next_counter, set_state, unit_code
from node.models import Dossier, QueueCall, QueueLink, Ticket, db

SECRET_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"   # no 0/O, 1/I: typed back at the kiosk
MAX_DESKS = 20


@dataclass(frozen=True)
class KioskLimit:
    """How fast numbers may be issued: `per_kiosk` within `window_seconds` from one kiosk (its
    address), `overall` from all kiosks together; past either, that kiosk (or every kiosk) waits
    `window_seconds`. A hall's kiosk serves about one citizen a minute, so the defaults only stop a
    finger on the button or a script; the counts live in the `throttle` table, so a restart
    forgets nothing."""
    per_kiosk: int = 6
    overall: int = 60
    window_seconds: float = 60.0


@dataclass(frozen=True)
class Group:
    code: str
    name_vi: str
    name_en: str | None = None


def groups_from(setting) -> list[Group]:
    """The service groups: the `QUEUE_GROUPS` setting if given, else the catalogue's."""
    if not setting:
        from node.catalogue import load_default_catalogue
        setting = load_default_catalogue().get("queue_groups", [])
    return [Group(g["code"], g["name_vi"], g.get("name_en")) for g in setting]


def label(ticket: Ticket) -> str:
    """What the ticket, the desk and the display show: group letter and three digits, `A007`."""
    return f"{ticket.group}{ticket.number:03d}"


# ---- taking a number --------------------------------------------------------------------------

def take_ticket(group: str, groups: list[Group], *, kiosk: str | None = None,
                limit: KioskLimit | None = None, now: datetime | None = None) -> Ticket:
    """Issue the next number of `group` today; durable once this returns. With `kiosk` (who asks:
    the kiosk's address), issuing is held to `limit` (default `KioskLimit()`), counted in the same
    transaction as the number.

    :raises InvalidInput: no such group; TooManyAttempts: this kiosk, or all, issued too fast.
    """
    if group not in {g.code for g in groups}:
        raise InvalidInput(E.UNKNOWN_QUEUE_GROUP(group=str(group)[:20]), field="group")
    now = (now or legaltime.now()).replace(microsecond=0)
    with db.atomic("IMMEDIATE"):
        if kiosk is not None:
            _count_issue(str(kiosk)[:100], limit or KioskLimit(), now)
        number = next_counter(f"ticket:{group}:{now:%y%m%d}")
        return Ticket.create(
            uid=secrets.token_urlsafe(12), day=now.date(), group=group, number=number,
            secret="".join(secrets.choice(SECRET_ALPHABET) for _ in range(4)),
            status="waiting", issued_at=now)


def _count_issue(kiosk: str, limit: KioskLimit, now: datetime) -> None:
    """Refuse while this kiosk (or every kiosk) is held, else count one issue towards the hold."""
    from motcua.throttle import Throttle
    from node.models import Throttle as ThrottleRow
    guard = Throttle(ThrottleRow, "ticket")
    guard.check("all", E.TICKETS_FLOOD, now=now)
    guard.check(f"kiosk:{kiosk}", E.TICKETS_TOO_FAST, now=now)
    guard.fail("all", limit=limit.overall, window_seconds=limit.window_seconds, now=now)
    guard.fail(f"kiosk:{kiosk}", limit=limit.per_kiosk, window_seconds=limit.window_seconds, now=now)


def get_ticket(uid: str) -> Ticket:
    """:raises NotFound: no ticket with this uid."""
    ticket = Ticket.get_or_none(Ticket.uid == (uid or "")[:40])
    if ticket is None:
        raise NotFound(E.TICKET_NOT_FOUND)
    return ticket


def waiting_before(ticket: Ticket) -> int:
    """How many of the same group are still waiting ahead of this ticket."""
    if ticket.status != "waiting":
        return 0
    return (Ticket.select().where((Ticket.day == ticket.day) & (Ticket.group == ticket.group) &
                                  (Ticket.status == "waiting") & (Ticket.number < ticket.number))
            .count())


# ---- the clerk's desk -------------------------------------------------------------------------

def desk_of(actor: str) -> dict:
    """The clerk's desk number and the groups it serves (empty: every group)."""
    raw = get_state(f"queue:clerk:{actor}")
    return json.loads(raw) if raw else {"desk": None, "groups": []}


def set_desk(actor: str, desk, groups: list[str]) -> dict:
    """Say which desk this clerk sits at and which groups it serves. :raises InvalidInput: bad desk."""
    desk = _desk_number(desk)
    value = {"desk": desk, "groups": sorted({str(g)[:8] for g in groups})}
    set_state(f"queue:clerk:{actor}", json.dumps(value))
    return value


def _desk_number(desk) -> int:
    try:
        number = int(desk)
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= MAX_DESKS:
        raise InvalidInput(E.BAD_DESK(max=MAX_DESKS), field="desk")
    return number


def serving(desk: int, today: date | None = None) -> Ticket | None:
    """The ticket called to `desk` and not yet finished, if any."""
    today = today or legaltime.today()
    return (Ticket.select().where((Ticket.day == today) & (Ticket.desk == desk) &
                                  (Ticket.status == "called"))
            .order_by(Ticket.called_at.desc()).first())


def _announce(ticket: Ticket, desk: int, now: datetime) -> None:
    QueueCall.create(ticket=ticket, desk=desk, at=now)


def call_next(desk, actor: str, groups: list[str] = (), *,
              now: datetime | None = None) -> Ticket | None:
    """Finish what `desk` serves and call the next ticket: first those transferred to this desk,
    then the oldest waiting of the groups it serves. None when nobody waits."""
    desk = _desk_number(desk)
    now = (now or legaltime.now()).replace(microsecond=0)
    with db.atomic("IMMEDIATE"):
        current = serving(desk, now.date())
        if current:
            current.status, current.finished_at = "done", now
            current.save()
        waiting = Ticket.select().where((Ticket.day == now.date()) & (Ticket.status == "waiting"))
        ticket = (waiting.where(Ticket.desk == desk).order_by(Ticket.issued_at, Ticket.id).first())
        if ticket is None:
            free = waiting.where(Ticket.desk.is_null())
            if groups:
                free = free.where(Ticket.group.in_(list(groups)))
            ticket = free.order_by(Ticket.issued_at, Ticket.id).first()
        if ticket is None:
            return None
        ticket.status, ticket.desk, ticket.called_by, ticket.called_at = "called", desk, actor, now
        ticket.save()
        _announce(ticket, desk, now)
        return ticket


def _current_or_refuse(desk: int, today: date) -> Ticket:
    ticket = serving(desk, today)
    if ticket is None:
        raise Conflict(E.NO_TICKET_AT_DESK(desk=desk))
    return ticket


def recall(desk, *, now: datetime | None = None) -> Ticket:
    """Call the same number again (the display announces it again). :raises Conflict: none called."""
    desk = _desk_number(desk)
    now = (now or legaltime.now()).replace(microsecond=0)
    with db.atomic("IMMEDIATE"):
        ticket = _current_or_refuse(desk, now.date())
        _announce(ticket, desk, now)
        return ticket


def skip(desk, *, now: datetime | None = None) -> Ticket:
    """The citizen did not come: the ticket is set aside. :raises Conflict: none called."""
    return _end_current(desk, "skipped", now)


def finish(desk, *, now: datetime | None = None) -> Ticket:
    """The citizen was served. :raises Conflict: none called."""
    return _end_current(desk, "done", now)


def _end_current(desk, status: str, now: datetime | None) -> Ticket:
    """Close the ticket this desk is serving with `status`. :raises Conflict: none called."""
    desk = _desk_number(desk)
    now = (now or legaltime.now()).replace(microsecond=0)
    with db.atomic("IMMEDIATE"):
        ticket = _current_or_refuse(desk, now.date())
        ticket.status, ticket.finished_at = status, now
        ticket.save()
        return ticket


def transfer(desk, to_desk, *, now: datetime | None = None) -> Ticket:
    """Send the citizen to another desk: the ticket waits again, first in line for `to_desk`.

    :raises InvalidInput: bad desk; Conflict: none called.
    """
    desk, to_desk = _desk_number(desk), _desk_number(to_desk)
    now = (now or legaltime.now()).replace(microsecond=0)
    with db.atomic("IMMEDIATE"):
        ticket = _current_or_refuse(desk, now.date())
        ticket.status, ticket.desk = "waiting", to_desk
        ticket.save()
        return ticket


# ---- the display ------------------------------------------------------------------------------

def display_state(groups: list[Group], *, after_call: int = 0, next_count: int = 8,
                  today: date | None = None) -> dict:
    """What the TV shows: the number at each desk, the next ones, and the calls after `after_call`
    (each announced once by sound)."""
    today = today or legaltime.today()
    desks = {}
    for t in (Ticket.select().where((Ticket.day == today) & (Ticket.status == "called"))
              .order_by(Ticket.called_at)):
        desks[t.desk] = label(t)
    waiting = (Ticket.select().where((Ticket.day == today) & (Ticket.status == "waiting"))
               .order_by(Ticket.issued_at, Ticket.id).limit(next_count))
    calls = (QueueCall.select(QueueCall, Ticket).join(Ticket)
             .where((QueueCall.id > after_call) & (Ticket.day == today)).order_by(QueueCall.id))
    last = QueueCall.select(QueueCall.id).order_by(QueueCall.id.desc()).first()
    return {
        "desks": [{"desk": d, "number": n} for d, n in sorted(desks.items())],
        "next": [label(t) for t in waiting],
        "calls": [{"id": c.id, "number": label(c.ticket), "desk": c.desk} for c in calls][-5:],
        "last_call": last.id if last else 0,
        "groups": [{"code": g.code, "name": g.name_vi} for g in groups],
    }


def get_call(call_id: int) -> QueueCall:
    """:raises NotFound: no such call."""
    call = QueueCall.get_or_none(QueueCall.id == call_id)
    if call is None:
        raise NotFound(E.TICKET_NOT_FOUND)
    return call


# ---- linking a dossier to the ticket it was taken from ----------------------------------------

def queue_payload(actor: str, received_at: datetime) -> dict | None:
    """The `queue` part of a `dossier.received` taken by `actor` now, if that clerk's desk is
    serving a called ticket: which ticket, and when it was taken and called (the center computes
    the same wait and service times from these). Call inside the receiving transaction."""
    desk = desk_of(actor).get("desk")
    ticket = serving(desk, received_at.date()) if desk else None
    if ticket is None:
        return None
    return {"ticket": label(ticket), "group": ticket.group, "desk": desk,
            "issued_at": ticket.issued_at.isoformat(), "called_at": ticket.called_at.isoformat()}


def record_link(dossier_code: str, queue: dict, received_at: datetime) -> QueueLink:
    """Keep the wait (ticket → call) and service (call → receipt) of a dossier taken from a ticket."""
    issued, called = (datetime.fromisoformat(queue[k]) for k in ("issued_at", "called_at"))
    ticket = Ticket.get((Ticket.day == issued.date()) & (Ticket.group == queue["group"]) &
                        (Ticket.number == int(queue["ticket"][len(queue["group"]):])))
    return QueueLink.create(dossier_code=dossier_code, ticket=ticket, desk=queue["desk"],
                            wait_seconds=int((called - issued).total_seconds()),
                            service_seconds=max(0, int((received_at - called).total_seconds())))


def dossiers_of(ticket: Ticket) -> list[str]:
    """The codes of the dossiers taken from this ticket."""
    return [link.dossier_code for link in ticket.links.order_by(QueueLink.dossier_code)]


def find_ticket_today(text: str, secret: str, *, today: date | None = None) -> Ticket:
    """Today's ticket by its printed number and secret (the kiosk's rating by ticket).

    :raises NotFound: no such pair (the same answer whether or not the number exists).
    """
    today = today or legaltime.today()
    text = (text or "").strip().upper()
    group, digits = text[:1], text[1:]
    ticket = None
    if digits.isdigit() and len(digits) <= 6:
        ticket = Ticket.get_or_none((Ticket.day == today) & (Ticket.group == group) &
                                    (Ticket.number == int(digits)))
    if ticket is None or not secrets.compare_digest(ticket.secret, (secret or "").strip().upper()):
        raise NotFound(E.TICKET_NOT_FOUND)
    return ticket


def rate_once(dossier_codes: list[str], rating: str, scale: dict[str, str], *,
              actor: str = "kiosk", now: datetime | None = None) -> list[str]:
    """The citizen's rating at the kiosk for the dossiers given (one ticket may have several):
    each is rated once; returns the codes rated.

    :raises InvalidInput: not on the scale; Conflict: all already rated, or none has a result yet.
    """
    from motcua.lifecycle import Status
    from node.reception import get_dossier, rate

    if rating not in scale:
        raise InvalidInput(E.BAD_RATING(scale=", ".join(scale.values())), field="rating")
    with db.atomic("IMMEDIATE"):
        dossiers = [get_dossier(code) for code in dossier_codes]
        ready = [d for d in dossiers if d.status in (Status.RESULT_READY, Status.RETURNED)]
        open_ = [d for d in ready if not d.rating]
        if ready and not open_:
            raise Conflict(E.ALREADY_RATED)
        if not open_:
            raise Conflict(E.NOTHING_TO_RATE if len(dossier_codes) != 1 else E.TOO_EARLY_TO_RATE)
        for d in open_:
            rate(d.code, rating, actor, scale=scale, now=now)
        return [d.code for d in open_]


# ---- statistics -------------------------------------------------------------------------------

def served_between(date_from: date | None, date_to: date | None) -> list[queuestats.Served]:
    """This point's dossiers taken from tickets of those days, read from its own tables (the link
    kept when the dossier was taken, the ticket, the dossier's rating), not from the journal: the
    center computes the same from the synced events, and a test holds the two equal."""
    query = QueueLink.select(QueueLink, Ticket).join(Ticket)
    if date_from:
        query = query.where(Ticket.day >= date_from)
    if date_to:
        query = query.where(Ticket.day <= date_to)
    links = list(query)
    ratings = dict(Dossier.select(Dossier.code, Dossier.rating)
                   .where(Dossier.code.in_([link.dossier_code for link in links])).tuples())
    point, rows = unit_code(), []
    for link in links:
        # the ticket's own call time moves when it is sent to another desk and called again;
        # the link keeps the wait of the call this dossier came from
        called = link.ticket.issued_at + timedelta(seconds=link.wait_seconds)
        rows.append(queuestats.Served(
            point=point, dossier=link.dossier_code, ticket=label(link.ticket), group=link.ticket.group,
            desk=link.desk, issued_at=link.ticket.issued_at, called_at=called,
            received_at=called + timedelta(seconds=link.service_seconds),
            rating=ratings.get(link.dossier_code)))
    return rows


def point_figures(date_from: date | None, date_to: date | None) -> dict:
    """The point's queue figures: those the center also computes (`served`), and every ticket taken
    here (`all_tickets`: per hour, group and outcome), which only the point knows."""
    tickets = Ticket.select(Ticket.group, Ticket.status, Ticket.issued_at)
    if date_from:
        tickets = tickets.where(Ticket.day >= date_from)
    if date_to:
        tickets = tickets.where(Ticket.day <= date_to)
    per_hour, per_group, per_status = Counter(), Counter(), Counter()
    for group, status, issued_at in tickets.tuples():
        per_hour[f"{issued_at.hour:02d}"] += 1
        per_group[group] += 1
        per_status[status] += 1
    served = queuestats.figures(served_between(date_from, date_to), date_from, date_to)
    return {**served, "all_tickets": {"issued": sum(per_group.values()),
                                      "per_hour": dict(sorted(per_hour.items())),
                                      "by_group": dict(sorted(per_group.items())),
                                      "by_status": dict(sorted(per_status.items()))}}
