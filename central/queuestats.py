"""The queue's figures at the center, from the synced events: each `dossier.received` that carries
a `queue` part (which ticket, group and desk, when taken and called, with the receipt time beside
it) and the dossier's rating, computed by the same pure `motcua.queuestats.figures` as the point,
so the center's figures for a day equal the point's. Tickets that led to no dossier stay at the
point (they hold nothing the center needs)."""
from __future__ import annotations

from datetime import date, datetime, time

from central.models import Dossier, Event
from motcua import errors as E, queuestats
from motcua.errors import InvalidInput


def served_between(date_from: date | None, date_to: date | None,
                   point: str | None = None) -> list[queuestats.Served]:
    """The dossiers taken from tickets of those days (the day a ticket was taken, which is never
    after its dossier's receipt: the receipt bounds the search below, the ticket's day is checked
    after)."""
    query = (Event.select(Event.origin, Event.payload, Dossier.code, Dossier.rating)
             .join(Dossier, on=(Dossier.uid == Event.dossier_uid))
             .where(Event.kind == "dossier.received"))
    if date_from:
        query = query.where(Dossier.received_at >= datetime.combine(date_from, time.min))
    if point:
        query = query.where(Event.origin == point)
    rows = []
    for origin, payload, code, rating in query.tuples():
        if isinstance(payload, str):             # tuples() converts on some peewee versions only
            payload = Event.payload.python_value(payload)
        ticket = payload.get("queue")
        if not ticket:
            continue
        issued = datetime.fromisoformat(ticket["issued_at"])
        if (date_from and issued.date() < date_from) or (date_to and issued.date() > date_to):
            continue
        rows.append(queuestats.Served(
            point=origin, dossier=code, ticket=ticket["ticket"], group=ticket["group"],
            desk=ticket.get("desk"), issued_at=issued,
            called_at=datetime.fromisoformat(ticket["called_at"]),
            received_at=datetime.fromisoformat(payload["received_at"]), rating=rating))
    return rows


def compute(date_from: date | None, date_to: date | None, point: str | None = None) -> dict:
    """Wait and service per group and desk, tickets per hour, satisfaction, per point.

    :raises InvalidInput: a range that ends before it starts.
    """
    if date_from and date_to and date_to < date_from:
        raise InvalidInput(E.STATS_RANGE, field="to")
    return queuestats.figures(served_between(date_from, date_to, point), date_from, date_to)
