"""Today's work lists at the desk, each with its count: waiting for papers (a supplement asked),
due within two working days, late, result ready to hand back, and received today.

Reads only. The lists use the indexes the way `node.clerk.today_lists` does (`status + 0` walks the
due_at index in order instead of sorting every open dossier).
"""
from __future__ import annotations

from datetime import datetime, time

from motcua import legaltime
from motcua.lifecycle import Status
from node.clerk import LIST_LIMIT, RUNNING, Bucket, _bucket
from node.holidays import work_calendar
from node.models import Dossier, Event

DUE_SOON_WORKING_DAYS = 2
ORDER = ("waiting_papers", "due_soon", "late", "to_return", "received_today")


def work_lists(now: datetime | None = None, *, limit: int = LIST_LIMIT) -> dict[str, Bucket]:
    """The desk's lists in the order of `ORDER`; `due_soon` runs to the end of the second working
    day after today, `late` is every running dossier past its due moment."""
    now = now or legaltime.now()
    midnight = datetime.combine(now.date(), time.min)
    horizon = datetime.combine(work_calendar().add_working_days(now.date(), DUE_SOON_WORKING_DAYS),
                               time.max)
    running = (Dossier.status + 0).in_(RUNNING)
    return {
        "waiting_papers": _bucket(Dossier.select().where(
            Dossier.status == int(Status.SUPPLEMENT_REQUESTED)), [Dossier.paused_at], limit),
        "due_soon": _bucket(Dossier.select().where(running & (Dossier.due_at >= now)
                                                   & (Dossier.due_at <= horizon)),
                            [Dossier.due_at], limit),
        "late": _bucket(Dossier.select().where(running & (Dossier.due_at < now)),
                        [Dossier.due_at], limit),
        "to_return": _bucket(Dossier.select().where(Dossier.status == int(Status.RESULT_READY)),
                             [Dossier.id], limit),
        "received_today": _bucket(Dossier.select().where(Dossier.received_at >= midnight),
                                  [Dossier.received_at.desc()], limit),
    }


def stamp(now: datetime | None = None) -> str:
    """What changes whenever the lists may have: the journal's last row (every act here and every
    event from the center is journaled) and the day. The Today page polls it (a few bytes) and
    fetches the lists again only when it moves."""
    now = now or legaltime.now()
    last = Event.select(Event.seq).order_by(Event.seq.desc()).limit(1).scalar() or 0
    return f"{now:%Y%m%d}-{last}"
