"""The figures a center reports: counts by point, procedure, status and channel; early / on-time /
late rates; open dossiers within or past due. Over the dossiers received in a date range.

Timeliness follows `motcua.deadlines.classify` (two or more supplement requests count as late) and is
measured on dossiers with a result (result ready or returned); refused and stopped ones have none.
"""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta

from peewee import fn

from central.db import is_in
from central.models import Dossier, Event
from motcua import deadlines, errors as E, fees
from motcua.errors import InvalidInput
from motcua.lifecycle import PAUSES, TERMINAL, Status
from sync import merge
from sync.events import Event as WireEvent

WITH_RESULT = frozenset({int(Status.RESULT_READY), int(Status.RETURNED)})
CLOSED = frozenset(int(s) for s in TERMINAL) | WITH_RESULT


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _timeliness(counter: Counter) -> dict:
    done = counter["early"] + counter["on_time"] + counter["late"]
    return {"early": counter["early"], "on_time": counter["on_time"], "late": counter["late"],
            "finished": done, "early_rate": _rate(counter["early"], done),
            "on_time_rate": _rate(counter["early"] + counter["on_time"], done),
            "late_rate": _rate(counter["late"], done)}


def compute_stats(date_from: date | None, date_to: date | None, *, now: datetime) -> dict:
    """Figures for dossiers received from `date_from` to `date_to` inclusive (open-ended if None).

    `on_time_rate` counts early and on-time together (the national "on time or early" figure).
    :raises InvalidInput: a range that ends before it starts.
    """
    if date_from and date_to and date_to < date_from:
        raise InvalidInput(E.STATS_RANGE, field="to")
    # An apology (Form 04) gives the citizen a new date, not the office a new deadline: a dossier
    # is judged against its original due date (docs/deadlines.md, "Apology").
    query = Dossier.select(Dossier.uid, Dossier.origin, Dossier.procedure_code, Dossier.status,
                           Dossier.channel,
                           fn.COALESCE(Dossier.original_due_at, Dossier.due_at),
                           Dossier.finished_at, Dossier.supplement_count)
    if date_from:
        query = query.where(Dossier.received_at >= datetime.combine(date_from, time.min))
    if date_to:
        query = query.where(Dossier.received_at < datetime.combine(date_to + timedelta(days=1),
                                                                   time.min))
    by_point, by_procedure, by_status, by_channel = Counter(), Counter(), Counter(), Counter()
    timely, timely_point, timely_procedure = Counter(), {}, {}
    open_within = open_past = paused = 0
    total = 0
    statuses: dict[str, int] = {}
    for uid, origin, procedure, status, channel, due_at, finished_at, supplements in query.tuples():
        statuses[uid] = status
        total += 1
        by_point[origin] += 1
        by_procedure[procedure] += 1
        by_status[status] += 1
        by_channel[channel] += 1
        if status in WITH_RESULT and finished_at and due_at:
            verdict = deadlines.classify(finished_at, due_at, supplements or 0)
            timely[verdict] += 1
            timely_point.setdefault(origin, Counter())[verdict] += 1
            timely_procedure.setdefault(procedure, Counter())[verdict] += 1
        elif status not in CLOSED:
            if status in PAUSES or status == Status.SUBMITTED_ONLINE:
                paused += 1               # no clock running (stopped, or not yet received)
            elif due_at and deadlines.is_overdue(due_at, now):
                open_past += 1
            else:
                open_within += 1
    return {
        "from": date_from.isoformat() if date_from else None,
        "to": date_to.isoformat() if date_to else None,
        "total": total,
        "by_point": [{"point": k, "count": v, **_timeliness(timely_point.get(k, Counter()))}
                     for k, v in sorted(by_point.items())],
        "by_procedure": [{"procedure_code": k, "count": v,
                          **_timeliness(timely_procedure.get(k, Counter()))}
                         for k, v in sorted(by_procedure.items())],
        "by_status": {str(k): v for k, v in sorted(by_status.items())},
        "by_channel": {str(k): v for k, v in sorted(by_channel.items(), key=lambda kv: str(kv[0]))},
        "timeliness": _timeliness(timely),
        "open": {"within_due": open_within, "past_due": open_past, "paused": paused},
        # fees of the dossiers received in the range: collected (by when, how), receipts, unpaid
        "fees": fees.fee_totals({**fee, "status": statuses[uid]}
                                for uid, fee in fee_records(list(statuses)).items()),
    }


FEE_EVENT_KINDS = ("dossier.received", "dossier.corrected")
_CHUNK = 500


def fee_records(uids: list[str]) -> dict[str, dict]:
    """Each dossier's fee as its journal folds it (`sync.merge`: the same last-writer rule as every
    field), from the events that can carry one: the receipt and later corrections (collected at a
    supplement or at the return). The dossier row keeps no fee columns at the center."""
    out = {}
    for i in range(0, len(uids), _CHUNK):
        journals: dict[str, list] = {}
        rows = (Event.select(Event.event_id, Event.kind, Event.dossier_uid, Event.origin, Event.actor,
                             Event.hlc, Event.payload)
                .where(is_in(Event.dossier_uid, uids[i:i + _CHUNK])
                       & Event.kind.in_(FEE_EVENT_KINDS)).tuples())
        for eid, kind, uid, origin, actor, stamp, payload in rows:
            if isinstance(payload, str):
                payload = Event.payload.python_value(payload)
            journals.setdefault(uid, []).append(WireEvent(eid, kind, uid, origin, actor, stamp,
                                                          payload))
        for uid, events in journals.items():
            state = merge.fold(events)
            out[uid] = {k[4:]: v for k, v in state.fields.items() if k.startswith("fee.")}
    return out


def _period(query, column, date_from: date | None, date_to: date | None):
    if date_from:
        query = query.where(column >= datetime.combine(date_from, time.min))
    if date_to:
        query = query.where(column < datetime.combine(date_to + timedelta(days=1), time.min))
    return query


SATISFIED = frozenset({"very_satisfied", "satisfied"})


def compute_dashboard(date_from: date | None, date_to: date | None, *, point: str | None = None,
                      now: datetime) -> dict:
    """The leaders' figures, in three parts, for one point or all:

    - `intake`: dossiers *received* in the period — counts by point, procedure, status and channel,
      the share filed online and the share digitised (with at least one scan);
    - `finished`: dossiers whose result was ready in the period (*by date finished*) — early / on
      time / late (`motcua.deadlines.classify`), per point and per month, average handling time
      (received → result, calendar days), citizens' satisfaction among those who rated;
    - `open`: dossiers open now, within or past due, or paused for a supplement.

    :raises InvalidInput: a range that ends before it starts.
    """
    from central.models import Attachment
    if date_from and date_to and date_to < date_from:
        raise InvalidInput(E.STATS_RANGE, field="to")
    base = Dossier.select()
    if point:
        base = base.where(Dossier.origin == point)
    scanned = Attachment.select(Attachment.dossier_uid)
    intake = _period(base.select(Dossier.origin, Dossier.procedure_code, Dossier.status,
                                 Dossier.channel, Dossier.uid.in_(scanned).alias("scanned")),
                     Dossier.received_at, date_from, date_to)
    by_point, by_procedure, by_status, by_channel = Counter(), Counter(), Counter(), Counter()
    total = digitised = 0
    for origin, procedure, status, channel, has_scan in intake.tuples():
        total += 1
        by_point[origin] += 1
        by_procedure[procedure] += 1
        by_status[status] += 1
        by_channel[channel] += 1
        digitised += bool(has_scan)
    done = _period(base.select(Dossier.origin, Dossier.received_at, Dossier.due_at,
                               Dossier.finished_at, Dossier.supplement_count, Dossier.rating)
                   .where(Dossier.status.in_(sorted(WITH_RESULT)) & Dossier.finished_at.is_null(False)),
                   Dossier.finished_at, date_from, date_to)
    timely, per_point, per_month, ratings = Counter(), {}, {}, Counter()
    handled_seconds = handled = 0
    for origin, received_at, due_at, finished_at, supplements, rating in done.tuples():
        handled += 1
        handled_seconds += max(0.0, (finished_at - received_at).total_seconds())
        if rating:
            ratings[rating] += 1
        if due_at is None:
            continue
        verdict = deadlines.classify(finished_at, due_at, supplements or 0)
        timely[verdict] += 1
        per_point.setdefault(origin, Counter())[verdict] += 1
        per_month.setdefault(f"{finished_at:%Y-%m}", Counter())[verdict] += 1
    open_within = open_past = paused = 0
    for status, due_at in base.select(Dossier.status, Dossier.due_at).where(
            Dossier.status.not_in(sorted(CLOSED))).tuples():
        if status == Status.SUPPLEMENT_REQUESTED:
            paused += 1
        elif due_at and deadlines.is_overdue(due_at, now):
            open_past += 1
        else:
            open_within += 1
    rated = sum(ratings.values())
    return {
        "from": date_from.isoformat() if date_from else None,
        "to": date_to.isoformat() if date_to else None, "point": point or None,
        "intake": {
            "total": total,
            "by_point": dict(sorted(by_point.items())),
            "by_procedure": dict(sorted(by_procedure.items())),
            "by_status": {str(k): v for k, v in sorted(by_status.items())},
            "by_channel": {str(k): v for k, v in sorted(by_channel.items(), key=lambda kv: str(kv[0]))},
            "online_share": _rate(by_channel.get(2, 0), total),
            "digitised": digitised, "digitised_share": _rate(digitised, total)},
        "finished": {
            **_timeliness(timely), "with_result": handled,
            "average_days": round(handled_seconds / handled / 86400, 2) if handled else None,
            "by_point": {k: _timeliness(v) for k, v in sorted(per_point.items())},
            "by_month": {k: _timeliness(v) for k, v in sorted(per_month.items())},
            "ratings": dict(sorted(ratings.items())), "rated": rated,
            "satisfied_share": _rate(sum(ratings[r] for r in SATISFIED), rated)},
        "open": {"within_due": open_within, "past_due": open_past, "paused": paused},
    }


def dashboard_rows(figures: dict) -> list[list]:
    """The dashboard as CSV rows (section, key, count, early, on time, late, on-time rate)."""
    rows = [["section", "key", "count", "early", "on_time", "late", "on_time_rate"]]
    intake = figures["intake"]
    rows.append(["intake", "total", intake["total"], "", "", "", ""])
    for section in ("by_point", "by_procedure", "by_status", "by_channel"):
        rows += [[f"intake.{section}", k, v, "", "", "", ""] for k, v in intake[section].items()]
    rows.append(["intake", "online_share", intake["online_share"], "", "", "", ""])
    rows.append(["intake", "digitised_share", intake["digitised_share"], "", "", "", ""])
    fin = figures["finished"]
    rows.append(["finished", "all", fin["finished"], fin["early"], fin["on_time"], fin["late"],
                 fin["on_time_rate"]])
    for section in ("by_point", "by_month"):
        rows += [[f"finished.{section}", k, t["finished"], t["early"], t["on_time"], t["late"],
                  t["on_time_rate"]] for k, t in fin[section].items()]
    rows.append(["finished", "average_days", fin["average_days"], "", "", "", ""])
    rows.append(["finished", "satisfied_share", fin["satisfied_share"], "", "", "", ""])
    rows += [["open", k, v, "", "", "", ""] for k, v in figures["open"].items()]
    return rows
