"""Today's work lists at the desk, each with its count: waiting for papers (a supplement asked),
due within two working days, late, result ready to hand back, and received today.

Reads only. The queries are `node.clerk.desk_queries`, the same as today's lists there (`status + 0`
walks the due_at index in order instead of sorting every open dossier).
"""
from __future__ import annotations

from datetime import datetime

from motcua import legaltime
from node.clerk import LIST_LIMIT, Bucket, _bucket, desk_queries
from node.models import Event

DUE_SOON_WORKING_DAYS = 2
ORDER = ("waiting_papers", "due_soon", "late", "to_return", "received_today")


def work_lists(now: datetime | None = None, *, limit: int = LIST_LIMIT) -> dict[str, Bucket]:
    """The desk's lists in the order of `ORDER`; `due_soon` runs to the end of the second working
    day after today, `late` is every running dossier past its due moment."""
    queries = desk_queries(now or legaltime.now(), DUE_SOON_WORKING_DAYS)
    return {name: _bucket(*queries[name], limit) for name in ORDER}


def stamp(now: datetime | None = None) -> str:
    """What changes whenever the lists may have: the journal's last row (every act here and every
    event from the center is journaled) and the day. The Today page polls it (a few bytes) and
    fetches the lists again only when it moves."""
    now = now or legaltime.now()
    last = Event.select(Event.seq).order_by(Event.seq.desc()).limit(1).scalar() or 0
    return f"{now:%Y%m%d}-{last}"
