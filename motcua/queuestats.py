"""The queue's figures, computed the same way at the point and at the center (pure).

What both sides know of a ticket is what a dossier taken from it carries in its `dossier.received`
(`queue`: ticket, group, desk, taken and called times; the receipt time beside it) and the
dossier's rating. The point reads these from its own tables, the center from the synced events;
both hand `Served` rows to `figures`, so for the same day the two answers are equal. A ticket that
led to no dossier (skipped, only advice) never leaves the point: the point shows those apart.

Times are legal (Vietnam) wall-clock times as the point stamped them; an hour is the hour the
ticket was taken.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from statistics import median_low
from typing import Iterable

SATISFIED = frozenset({"very_satisfied", "satisfied"})


@dataclass(frozen=True)
class Served:
    """One dossier taken from a called ticket (no name: a ticket holds none)."""
    point: str
    dossier: str
    ticket: str                  # `A007`, unique per point, group and day
    group: str
    desk: int | None
    issued_at: datetime
    called_at: datetime
    received_at: datetime
    rating: str | None = None


def seconds(values: list[int]) -> dict:
    """Count, mean (rounded), median (the lower middle: a whole second) and longest, in seconds."""
    if not values:
        return {"count": 0, "mean": None, "median": None, "max": None}
    return {"count": len(values), "mean": round(sum(values) / len(values)),
            "median": median_low(values), "max": max(values)}


def _visits(rows: list[Served]) -> dict:
    """One visit per ticket and call (a ticket sent to another desk is called again): wait = taken →
    called, service = called → its last dossier received."""
    visits: dict = {}
    for r in rows:
        key = (r.issued_at.date(), r.ticket, r.called_at, r.desk)
        end = visits.get(key, (r, r.received_at))[1]
        visits[key] = (r, max(end, r.received_at))
    return visits


def _point(point: str, rows: list[Served]) -> dict:
    visits = _visits(rows)
    by_group, by_desk = defaultdict(lambda: ([], [])), defaultdict(lambda: ([], []))
    for r, end in visits.values():
        wait = max(0, int((r.called_at - r.issued_at).total_seconds()))
        service = max(0, int((end - r.called_at).total_seconds()))
        for bucket in (by_group[r.group], by_desk[r.desk]):
            bucket[0].append(wait)
            bucket[1].append(service)
    tickets = {(r.issued_at.date(), r.ticket): r.issued_at for r in rows}
    per_hour = Counter(f"{at.hour:02d}" for at in tickets.values())
    ratings = Counter(r.rating for r in {r.dossier: r for r in rows}.values() if r.rating)
    rated = sum(ratings.values())
    return {
        "point": point,
        "tickets": len(tickets),
        "dossiers": len({r.dossier for r in rows}),
        "by_group": [{"group": g, "wait": seconds(w), "service": seconds(s)}
                     for g, (w, s) in sorted(by_group.items())],
        "by_desk": [{"desk": d, "wait": seconds(w), "service": seconds(s)}
                    for d, (w, s) in sorted(by_desk.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))],
        "per_hour": dict(sorted(per_hour.items())),
        "satisfaction": {"rated": rated, "ratings": dict(sorted(ratings.items())),
                         "satisfied_share": round(sum(ratings[k] for k in SATISFIED) / rated, 4)
                         if rated else None},
    }


def figures(rows: Iterable[Served], date_from: date | None, date_to: date | None) -> dict:
    """The figures of the tickets taken from `date_from` to `date_to` (inclusive; open-ended if
    None), per point: wait and service per group and per desk, tickets per hour, satisfaction."""
    per_point: dict[str, list[Served]] = defaultdict(list)
    for r in rows:
        day = r.issued_at.date()
        if (date_from is None or day >= date_from) and (date_to is None or day <= date_to):
            per_point[r.point].append(r)
    return {"from": date_from.isoformat() if date_from else None,
            "to": date_to.isoformat() if date_to else None,
            "points": [_point(p, per_point[p]) for p in sorted(per_point)]}
