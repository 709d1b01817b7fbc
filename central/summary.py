"""The dashboard's summary: dossiers counted per month (fees per day) in the `dossier_tally` table.

A leaders' view over a year or all time must not count a million dossier rows on each request. So
each dossier *contributes* to a few grouped rows ("grains"), and the one apply path
(`central.apply`) moves its contribution from the old row to the new one in the same transaction
that rewrites the dossier: the summary is never behind the dossiers. `rebuild` makes it again from
the dossier rows and their fee events (migration 11, `motcua central summary rebuild`); `drift`
compares it with such a recount (`motcua central verify`).

The grains (every key column not named is "" or 0), each as narrow as the figures it serves, so
that all time over a million dossiers is a few tens of thousands of rows:

- `point`: month received × point × verdict — counts, scans;
- `state`: month received × status × channel — counts;
- `procedure`: month received × procedure × verdict — counts;
- `finished`: month the result was ready × point × verdict — counts, handling seconds;
- `rating`: month the result was ready × rating — counts;
- `fee`: day received × fee class ("collected|stage|method", "unpaid", "waived", "unset") —
  counts, receipts, amounts (whole days: a fee is folded from the journal, so no period edge can
  be counted live from the dossier rows).

The verdict is `deadlines.classify` as `central.stats._verdict` says it in SQL (the same rule,
written here for one row), for dossiers with a result; "" for the others.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime

from peewee import EXCLUDED

from central.models import Dossier, DossierTally, Event
from motcua import fees
from motcua.lifecycle import Status
from sync import merge
from sync.events import Event as WireEvent

KEY = ("grain", "period", "origin", "procedure_code", "status", "channel", "verdict", "rating",
       "fee")
MEASURES = ("n", "scanned", "receipts", "vnd", "seconds")
WITH_RESULT = frozenset({int(Status.RESULT_READY), int(Status.RETURNED)})
NO_CHANNEL = -1
# The dossier columns a contribution reads.
COLUMNS = ("uid", "origin", "procedure_code", "status", "channel", "received_at", "due_at",
           "original_due_at", "finished_at", "supplement_count", "rating", "scan_count")
FEE_EVENT_KINDS = ("dossier.received", "dossier.corrected")
_CHUNK = 500


def _dt(value) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, datetime.min.time())
    return datetime.fromisoformat(str(value))


def verdict_of(row: Mapping) -> str | None:
    """Early, on time or late, of a finished dossier; None without a due date (`_verdict`)."""
    due = _dt(row.get("original_due_at")) or _dt(row.get("due_at"))
    finished = _dt(row.get("finished_at"))
    if due is None or finished is None:
        return None
    if (row.get("supplement_count") or 0) >= 2 or finished > due:
        return "late"
    return "early" if finished.date() < due.date() else "on_time"


def fee_class(fee: Mapping | None, status) -> tuple[str, int, int] | None:
    """(class, amount, receipts) of one dossier's fee record, as `fees.fee_totals` counts it;
    None where it counts nowhere (no fee, nothing owed)."""
    if not fee:
        return None
    vnd = fee.get("vnd")
    if vnd is None:
        return ("unset", 0, 0)
    if not isinstance(vnd, int) or isinstance(vnd, bool) or vnd <= 0:
        return None
    if fee.get("paid"):
        stage, method = fee.get("stage") or "reception", fee.get("method") or "cash"
        return (f"collected|{stage}|{method}", vnd, 1 if fee.get("receipt_no") else 0)
    if status in fees.ENDED_WITHOUT_RESULT:
        return ("waived", vnd, 0)
    return ("unpaid", vnd, 0)


def contributions(row: Mapping | None, fee: Mapping | None = None) -> dict[tuple, list]:
    """What one dossier row (and its fee record) adds to the summary: {key: [n, scanned, receipts,
    vnd, seconds]}. None (no dossier yet) adds nothing."""
    if row is None:
        return {}
    received = _dt(row["received_at"])
    finished = _dt(row.get("finished_at"))
    status = int(row["status"])
    with_result = status in WITH_RESULT and finished is not None
    verdict = (verdict_of(row) or "") if with_result else ""
    channel = row.get("channel")
    channel = channel if isinstance(channel, int) and not isinstance(channel, bool) else NO_CHANNEL
    month = f"{received:%Y-%m}"
    out = {
        ("point", month, row["origin"], "", 0, 0, verdict, "", ""):
            [1, 1 if (row.get("scan_count") or 0) > 0 else 0, 0, 0, 0.0],
        ("state", month, "", "", status, channel, "", "", ""): [1, 0, 0, 0, 0.0],
        ("procedure", month, "", row["procedure_code"] or "", 0, 0, verdict, "", ""):
            [1, 0, 0, 0, 0.0],
    }
    if with_result:
        seconds = max((finished - received).total_seconds(), 0.0)
        done = f"{finished:%Y-%m}"
        out[("finished", done, row["origin"], "", 0, 0, verdict, "", "")] = [1, 0, 0, 0, seconds]
        out[("rating", done, "", "", 0, 0, "", row.get("rating") or "", "")] = [1, 0, 0, 0, 0.0]
    klass = fee_class(fee, status)
    if klass:
        name, vnd, receipts = klass
        out[("fee", f"{received:%Y-%m-%d}", "", "", 0, 0, "", "", name)] = [1, 0, receipts, vnd, 0.0]
    return out


def _add(total: dict, part: Mapping, sign: int = 1) -> None:
    for key, values in part.items():
        have = total.setdefault(key, [0, 0, 0, 0, 0.0])
        for i, v in enumerate(values):
            have[i] += sign * v


def fee_of(events: Iterable[WireEvent]) -> dict:
    """A dossier's fee as its journal folds it (`sync.merge`, the same last-writer rule as every
    field), from the events that can carry one: the receipt and later corrections."""
    mine = [e for e in events if e.kind in FEE_EVENT_KINDS]
    if not mine:
        return {}
    state = merge.fold(mine)
    return {k[4:]: v for k, v in state.fields.items() if k.startswith("fee.")}


def fee_records(uids: list[str], database=None) -> dict[str, dict]:
    """{uid: fee record} of these dossiers, read from their fee events."""
    out = {}
    for i in range(0, len(uids), _CHUNK):
        journals: dict[str, list] = {}
        query = (Event.select(Event.event_id, Event.kind, Event.dossier_uid, Event.origin,
                              Event.actor, Event.hlc, Event.payload)
                 .where(Event.dossier_uid.in_(uids[i:i + _CHUNK])
                        & Event.kind.in_(FEE_EVENT_KINDS)).tuples())
        if database is not None:
            query = query.bind(database)
        for eid, kind, uid, origin, actor, stamp, payload in query:
            if isinstance(payload, str):
                payload = Event.payload.python_value(payload)
            journals.setdefault(uid, []).append(WireEvent(eid, kind, uid, origin, actor, stamp,
                                                          payload))
        out.update((uid, fee_of(events)) for uid, events in journals.items())
    return out


def rows_of(uids: list[str]) -> dict[str, dict]:
    """The stored dossier rows of these uids, as contributions read them (before a rewrite)."""
    out = {}
    for i in range(0, len(uids), _CHUNK):
        query = Dossier.select(*[getattr(Dossier, c) for c in COLUMNS]).where(
            Dossier.uid.in_(uids[i:i + _CHUNK])).dicts()
        out.update((r["uid"], r) for r in query)
    return out


def delta(before: Iterable[tuple[Mapping | None, Mapping | None]],
          after: Iterable[tuple[Mapping | None, Mapping | None]]) -> dict[tuple, list]:
    """The change to the summary when dossiers go from `before` to `after` ((row, fee) pairs);
    keys whose change is nothing are left out."""
    total: dict = {}
    for row, fee in before:
        _add(total, contributions(row, fee), -1)
    for row, fee in after:
        _add(total, contributions(row, fee))
    return {k: v for k, v in total.items() if any(v)}


def write_delta(change: Mapping[tuple, list]) -> None:
    """Add a delta to the stored rows (an upsert that adds; in key order, so two processes lock
    rows in the same order). Call inside the apply's transaction."""
    if not change:
        return
    rows = [dict(zip(KEY + MEASURES, key + tuple(change[key]))) for key in sorted(change)]
    T = DossierTally
    for i in range(0, len(rows), _CHUNK):
        (T.insert_many(rows[i:i + _CHUNK])
         .on_conflict(conflict_target=[getattr(T, k) for k in KEY],
                      update={getattr(T, m): getattr(T, m) + getattr(EXCLUDED, m) for m in MEASURES})
         .execute())


def recount(database=None, *, chunk: int = 20_000) -> dict[tuple, list]:
    """The summary as the dossier rows and their fee events say it, counted afresh (keyset pages
    of `chunk` rows, so a million dossiers never sit in memory at once)."""
    total: dict = {}
    last = 0
    while True:
        query = (Dossier.select(Dossier.id, *[getattr(Dossier, c) for c in COLUMNS])
                 .where(Dossier.id > last).order_by(Dossier.id).limit(chunk).dicts())
        if database is not None:
            query = query.bind(database)
        rows = list(query)
        if not rows:
            return {k: v for k, v in total.items() if any(v)}
        last = rows[-1]["id"]
        feeds = fee_records([r["uid"] for r in rows], database)
        for r in rows:
            _add(total, contributions(r, feeds.get(r["uid"])))


def stored(database=None) -> dict[tuple, list]:
    """The summary as the table holds it (rows that add nothing left out)."""
    query = DossierTally.select(*[getattr(DossierTally, c) for c in KEY + MEASURES]).tuples()
    if database is not None:
        query = query.bind(database)
    out = {}
    for row in query:
        values = [*row[len(KEY):]]
        if any(values[:4]) or abs(values[4]) > 1e-3:
            out[tuple(row[:len(KEY)])] = values
    return out


def rebuild(database=None) -> int:
    """Make the summary again from the dossier rows; returns how many rows it holds. Call inside a
    transaction (the migration's, or the command's)."""
    counted = recount(database)
    query = DossierTally.delete()
    (query.bind(database) if database is not None else query).execute()
    rows = [dict(zip(KEY + MEASURES, key + tuple(counted[key]))) for key in sorted(counted)]
    for i in range(0, len(rows), 1000):
        query = DossierTally.insert_many(rows[i:i + 1000])
        (query.bind(database) if database is not None else query).execute()
    return len(rows)


def drift(database=None) -> list[str]:
    """How the stored summary differs from a recount: one line per differing row, none if equal."""
    have, want = stored(database), recount(database)
    out = []
    for key in sorted(set(have) | set(want), key=str):
        a, b = have.get(key, [0, 0, 0, 0, 0.0]), want.get(key, [0, 0, 0, 0, 0.0])
        if a[:4] != b[:4] or not math.isclose(a[4], b[4], rel_tol=1e-9, abs_tol=1e-3):
            out.append(f"summary {'/'.join(str(k) for k in key)}: stored "
                       f"{dict(zip(MEASURES, a))}, recount says {dict(zip(MEASURES, b))}")
    return out
