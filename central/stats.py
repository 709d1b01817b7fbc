"""The figures a center reports: counts by point, procedure, status and channel; early / on-time /
late rates; open dossiers within or past due; handling time, shares and satisfaction.

Every figure is counted by the database (`GROUP BY`), never by walking rows in Python, so a
dashboard over a million dossiers answers in a few hundred milliseconds; the few grouped rows are
then laid out here. The verdict of `motcua.deadlines.classify` is written once as a SQL `CASE`
(`_verdict`) that says the same on SQLite and PostgreSQL (`tests/test_central_stats_sql.py` checks
it against `classify` row by row on both). Timeliness is measured on dossiers with a result (result
ready or returned), against the due date before any apology (Form 04 gives the citizen a new date,
not the office a new deadline: docs/deadlines.md, "Apology"); refused and stopped ones have none.
"""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta

from peewee import SQL, Case, NodeList, fn

from central import summary
from central.db import is_postgres
from central.models import Dossier, DossierTally
from motcua import errors as E, fees, legaltime
from motcua.errors import InvalidInput
from motcua.lifecycle import PAUSES, TERMINAL, Status

WITH_RESULT = frozenset({int(Status.RESULT_READY), int(Status.RETURNED)})
CLOSED = frozenset(int(s) for s in TERMINAL) | WITH_RESULT
SATISFIED = frozenset({"very_satisfied", "satisfied"})


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _timeliness(counter: Counter) -> dict:
    done = counter["early"] + counter["on_time"] + counter["late"]
    return {"early": counter["early"], "on_time": counter["on_time"], "late": counter["late"],
            "finished": done, "early_rate": _rate(counter["early"], done),
            "on_time_rate": _rate(counter["early"] + counter["on_time"], done),
            "late_rate": _rate(counter["late"], done)}


# --- the few expressions that differ between the two databases -------------------------------

# Columns hold instants in UTC (`motcua.dbfields.InstantField`): a day or a month is the legal one,
# read in the legal zone — `AT TIME ZONE` on PostgreSQL, `legal_day()` (registered by `central.db`
# from `motcua.dbfields.legal_day`) on SQLite, which knows no zones.

def _legal(column):
    """PostgreSQL: the instant as a legal wall time (timestamptz → timestamp in the legal zone)."""
    return NodeList((column, SQL("AT TIME ZONE %s", [legaltime.zone().key])), parens=True)


def _day(column):
    """The legal calendar day of an instant, comparable between rows."""
    return _legal(column).cast("date") if is_postgres() else fn.legal_day(column)


def _month(column):
    """The legal month of an instant: its first moment on PostgreSQL (cheaper than text), "YYYY-MM"
    text on SQLite; `_month_key` makes both "YYYY-MM"."""
    return (fn.date_trunc("month", _legal(column)) if is_postgres()
            else fn.substr(fn.legal_day(column), 1, 7))


def _month_key(value) -> str:
    return f"{value:%Y-%m}" if isinstance(value, (date, datetime)) else str(value)


def _seconds(start, end):
    """end − start in seconds, never negative (a clock set back must not lower an average)."""
    diff = (fn.date_part("epoch", end - start) if is_postgres()
            else (fn.julianday(end) - fn.julianday(start)) * 86400.0)
    return Case(None, [(diff > 0, diff)], 0.0)


# SQLite holds instants as UTC ISO text, the fraction always in six digits
# ("2026-03-06 09:00:00.000001+00:00"), so comparing the text compares the instants to the
# microsecond (julianday() would round them).

def _judged_due():
    return fn.COALESCE(Dossier.original_due_at, Dossier.due_at)


def _verdict():
    """`deadlines.classify` in SQL: late after the due moment or with two supplement requests;
    early on a day before the due day; else on time. NULL when there is no due date."""
    due = _judged_due()
    return Case(None, [(due.is_null(), SQL("NULL")),
                       ((Dossier.supplement_count >= 2) | (Dossier.finished_at > due), "late"),
                       (_day(Dossier.finished_at) < _day(due), "early")], "on_time")


def _open_state(now: datetime):
    """Of a dossier not closed: "paused" (supplement awaited), "past" due or "within"."""
    return Case(None, [(Dossier.status == int(Status.SUPPLEMENT_REQUESTED), "paused"),
                       (Dossier.due_at.is_null(False) & (Dossier.due_at < now), "past")], "within")


def _period(query, column, date_from: date | None, date_to: date | None):
    if date_from:
        query = query.where(column >= datetime.combine(date_from, time.min))
    if date_to:
        query = query.where(column < datetime.combine(date_to + timedelta(days=1), time.min))
    return query


def _check_range(date_from, date_to) -> None:
    if date_from and date_to and date_to < date_from:
        raise InvalidInput(E.STATS_RANGE, field="to")


def _tally(inner, sets: dict[str, tuple[str, ...]], *, sums: tuple[str, ...] = ()
           ) -> dict[str, list[tuple]]:
    """Count the rows of `inner` (a query whose columns are aliased) grouped several ways at once:
    for each named set of column names, its rows as (*keys, count, *the sum of each `sums` column).

    PostgreSQL reads the rows once (`GROUPING SETS`); SQLite, which has none, once per set. Grouping
    by the aliases of a subquery keeps one expression per column (a `CASE` with parameters would
    otherwise differ between SELECT and GROUP BY)."""
    from central.db import db
    sql, params = inner.sql()
    columns = list(dict.fromkeys(c for keys in sets.values() for c in keys))
    measures = ", ".join(["COUNT(*)"] + [f"SUM(t.{c})" for c in sums])
    out: dict[str, list[tuple]] = {name: [] for name in sets}
    if is_postgres():
        # The planner guesses far more groups than there are (a row's verdict and month are
        # expressions it has no statistics of) and would sort a million rows to disk; the groups
        # are a few hundred, so hashing them in memory is safe.
        select = ", ".join(f"t.{c}" for c in columns)
        groups = ", ".join("(" + ", ".join(f"t.{c}" for c in keys) + ")" for keys in sets.values())
        masks = {sum(1 << (len(columns) - 1 - i) for i, c in enumerate(columns) if c not in keys): name
                 for name, keys in sets.items()}
        with db.atomic():                   # SET LOCAL lasts until the end of this transaction
            db.execute_sql("SET LOCAL work_mem = '256MB'")
            rows = db.execute_sql(f"SELECT {select}, GROUPING({select}), {measures} "
                                  f"FROM ({sql}) AS t GROUP BY GROUPING SETS ({groups})",
                                  params).fetchall()
        for row in rows:
            name = masks[row[len(columns)]]
            values = dict(zip(columns, row))
            out[name].append(tuple(values[c] for c in sets[name]) + tuple(row[len(columns) + 1:]))
        return out
    for name, keys in sets.items():
        select = ", ".join([f"t.{c}" for c in keys] + [measures])
        group = (" GROUP BY " + ", ".join(f"t.{c}" for c in keys)) if keys else ""
        out[name] = [tuple(r) for r in
                     db.execute_sql(f"SELECT {select} FROM ({sql}) AS t{group}", params).fetchall()]
    return out


def _by(rows: list[tuple]) -> dict:
    """{key: count} of one-key tally rows, sorted by key (None last, as text)."""
    return dict(sorted(((k, n) for k, n, *_ in rows), key=lambda kv: str(kv[0])))


def _verdicts(rows: list[tuple]) -> dict:
    """{key: Counter of verdicts} of (key, verdict, count, …) tally rows."""
    out: dict = {}
    for key, verdict, count, *_ in rows:
        if verdict:
            out.setdefault(key, Counter())[verdict] += count
    return out


def _month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def split_period(date_from: date | None, date_to: date | None
                 ) -> tuple[tuple[str | None, str | None] | None, list[tuple]]:
    """The whole months of a period ("YYYY-MM" first and last, None for open-ended; None when it
    holds no whole month), read from the summary, and its partial edge months as (from, to) day
    ranges, counted live from the dossier rows."""
    edges: list[tuple] = []
    low, high = date_from, date_to
    if date_from is not None and date_from.day != 1:
        end = _month_end(date_from)
        if date_to is not None and date_to <= end:
            return None, [(date_from, date_to)]
        edges.append((date_from, end))
        low = end + timedelta(days=1)
    if date_to is not None and date_to != _month_end(date_to):
        start = date_to.replace(day=1)
        if low is not None and start <= low:
            return None, edges + [(low, date_to)]
        edges.append((start, date_to))
        high = start - timedelta(days=1)
    if low is not None and high is not None and high < low:
        return None, edges
    return (f"{low:%Y-%m}" if low else None, f"{high:%Y-%m}" if high else None), edges


_NONE_AS = {"verdict": "", "rating": "", "channel": summary.NO_CHANNEL}


def _from_summary(grain: str, keys: tuple[str, ...], low: str | None, high: str | None,
                  measures: tuple[str, ...]) -> list[tuple]:
    """Summary rows of one grain in [low, high] (periods as text), summed by `keys` ("month" is
    the period), as (*keys, *measures) with "" and -1 read back as None (as SQL counts say)."""
    T = DossierTally
    columns = [T.period if k == "month" else getattr(T, k) for k in keys]
    query = T.select(*columns, *[fn.SUM(getattr(T, m)) for m in measures]).where(T.grain == grain)
    if low:
        query = query.where(T.period >= low)
    if high:
        query = query.where(T.period <= high)
    if columns:
        query = query.group_by(*columns)
    out = []
    for row in query.tuples():
        if not any(row[len(keys):]):
            continue
        out.append(tuple(None if k in _NONE_AS and v == _NONE_AS[k] else v
                         for k, v in zip(keys, row))
                   + tuple(float(v) if m == "seconds" else int(v)      # PostgreSQL sums: numeric
                           for m, v in zip(measures, row[len(keys):])))
    return out


def _combine(parts: list[dict[str, list[tuple]]], sets: dict[str, tuple]) -> dict[str, list[tuple]]:
    """Tallies of several ranges added up, per set, by key."""
    out = {}
    for name, keys in sets.items():
        total: dict[tuple, list] = {}
        for part in parts:
            for row in part.get(name, []):
                key = tuple(_month_key(v) if k == "month" and v is not None else v
                            for k, v in zip(keys, row))
                have = total.setdefault(key, [0] * (len(row) - len(keys)))
                for i, v in enumerate(row[len(keys):]):
                    have[i] += v or 0
        out[name] = [k + tuple(v) for k, v in total.items()]
    return out


INTAKE_SETS = {"point": ("origin", "verdict"), "procedure": ("procedure_code", "verdict"),
               "status": ("status",), "channel": ("channel",)}
FINISHED_SETS = {"point": ("origin", "verdict"), "month": ("month", "verdict"),
                 "rating": ("rating",)}


def _intake_tallies(date_from, date_to, point: str | None) -> dict[str, list[tuple]]:
    """Dossiers received in the period, (*keys, count, scanned) per set of INTAKE_SETS: whole
    months from the summary, edge months (or everything, for one point) counted live."""
    months, edges = (None, [(date_from, date_to)]) if point else split_period(date_from, date_to)
    parts = [_live_intake(low, high, point) for low, high in edges]
    if months:
        m = ("n", "scanned")
        parts.append({"point": _from_summary("point", ("origin", "verdict"), *months, m),
                      "procedure": _from_summary("procedure", ("procedure_code", "verdict"),
                                                 *months, m),
                      "status": _from_summary("state", ("status",), *months, m),
                      "channel": _from_summary("state", ("channel",), *months, m)})
    return _combine(parts, INTAKE_SETS)


def _live_intake(date_from, date_to, point: str | None) -> dict[str, list[tuple]]:
    with_result = Dossier.status.in_(sorted(WITH_RESULT)) & Dossier.finished_at.is_null(False)
    base = Dossier.select()
    if point:
        base = base.where(Dossier.origin == point)
    inner = _period(base.select(
        Dossier.origin.alias("origin"), Dossier.procedure_code.alias("procedure_code"),
        Dossier.status.alias("status"), Dossier.channel.alias("channel"),
        Case(None, [(with_result, _verdict())], SQL("NULL")).alias("verdict"),
        Case(None, [(Dossier.scan_count > 0, 1)], 0).alias("scanned")),
        Dossier.received_at, date_from, date_to)
    return _tally(inner, INTAKE_SETS, sums=("scanned",))


def _finished_tallies(date_from, date_to, point: str | None) -> dict[str, list[tuple]]:
    """Dossiers whose result was ready in the period, (*keys, count, seconds) per set of
    FINISHED_SETS: whole months from the summary, edge months (or one point) counted live."""
    months, edges = (None, [(date_from, date_to)]) if point else split_period(date_from, date_to)
    parts = [_live_finished(low, high, point) for low, high in edges]
    if months:
        m = ("n", "seconds")
        parts.append({"point": _from_summary("finished", ("origin", "verdict"), *months, m),
                      "month": _from_summary("finished", ("month", "verdict"), *months, m),
                      "rating": _from_summary("rating", ("rating",), *months, m)})
    return _combine(parts, FINISHED_SETS)


def _live_finished(date_from, date_to, point: str | None) -> dict[str, list[tuple]]:
    base = Dossier.select().where(Dossier.status.in_(sorted(WITH_RESULT))
                                  & Dossier.finished_at.is_null(False))
    if point:
        base = base.where(Dossier.origin == point)
    inner = _period(base.select(Dossier.origin.alias("origin"),
                                _month(Dossier.finished_at).alias("month"),
                                _verdict().alias("verdict"), Dossier.rating.alias("rating"),
                                _seconds(Dossier.received_at, Dossier.finished_at).alias("seconds")),
                    Dossier.finished_at, date_from, date_to)
    return _tally(inner, FINISHED_SETS, sums=("seconds",))


def fee_figures(date_from: date | None, date_to: date | None) -> dict:
    """`fees.fee_totals` of the dossiers received in the period, read from the summary's fee grain
    (whole days: no fee history is replayed on a request)."""
    rows = _from_summary("fee", ("fee",), date_from and date_from.isoformat(),
                         date_to and date_to.isoformat(), ("n", "receipts", "vnd"))
    out = fees.fee_totals([])
    for klass, n, receipts, vnd in rows:
        n, receipts, vnd = int(n), int(receipts), int(vnd)
        if klass == "unset":
            out["unset"] += n
        elif klass.startswith("collected|"):
            _, stage, method = klass.split("|", 2)
            out["collected_vnd"] += vnd
            out["collected"] += n
            out["receipts"] += receipts
            if stage in out["by_stage"]:
                out["by_stage"][stage] += vnd
            if method in out["by_method"]:
                out["by_method"][method] += vnd
        elif klass in ("waived", "unpaid"):
            out[f"{klass}_vnd"] += vnd
            out[klass] += n
    return out


OPEN_STATUSES = sorted(int(s) for s in Status if int(s) not in CLOSED)


def compute_stats(date_from: date | None, date_to: date | None, *, now: datetime) -> dict:
    """Figures for dossiers received from `date_from` to `date_to` inclusive (open-ended if None).

    `on_time_rate` counts early and on-time together (the national "on time or early" figure).
    :raises InvalidInput: a range that ends before it starts.
    """
    _check_range(date_from, date_to)
    t = _intake_tallies(date_from, date_to, None)
    by_point, by_procedure = Counter(), Counter()
    for origin, _, count, _ in t["point"]:
        by_point[origin] += count
    for procedure, _, count, _ in t["procedure"]:
        by_procedure[procedure] += count
    timely_point, timely_procedure = _verdicts(t["point"]), _verdicts(t["procedure"])
    timely = sum(timely_point.values(), Counter())
    no_clock = sorted(int(s) for s in PAUSES | {Status.SUBMITTED_ONLINE})
    # Open dossiers are few (the last weeks'): counted live, through the status index.
    opened = dict(_period(Dossier.select(
        Case(None, [(Dossier.status.in_(no_clock), "paused"),
                    (Dossier.due_at.is_null(False) & (Dossier.due_at < now), "past")], "within"),
        fn.COUNT(SQL("*"))).where(Dossier.status.in_(OPEN_STATUSES)),
        Dossier.received_at, date_from, date_to).group_by(SQL("1")).tuples())
    return {
        "from": date_from.isoformat() if date_from else None,
        "to": date_to.isoformat() if date_to else None,
        "total": sum(by_point.values()),
        "by_point": [{"point": k, "count": v, **_timeliness(timely_point.get(k, Counter()))}
                     for k, v in sorted(by_point.items())],
        "by_procedure": [{"procedure_code": k, "count": v,
                          **_timeliness(timely_procedure.get(k, Counter()))}
                         for k, v in sorted(by_procedure.items())],
        "by_status": {str(k): v for k, v in sorted(_by(t["status"]).items())},
        "by_channel": {str(k): v for k, v in _by(t["channel"]).items()},
        "timeliness": _timeliness(timely),
        "open": {"within_due": opened.get("within", 0), "past_due": opened.get("past", 0),
                 "paused": opened.get("paused", 0)},
        # fees of the dossiers received in the range: collected (by when, how), receipts, unpaid
        "fees": fee_figures(date_from, date_to),
    }


def intake_figures(date_from, date_to, point: str | None) -> dict:
    """Dossiers received in the period: counts by point, procedure, status and channel; the
    share filed online; the share digitised (with at least one scan)."""
    t = _intake_tallies(date_from, date_to, point)
    by_point, by_channel = Counter(), _by(t["channel"])
    for origin, _, count, _ in t["point"]:
        by_point[origin] += count
    by_procedure = Counter()
    for procedure, _, count, _ in t["procedure"]:
        by_procedure[procedure] += count
    total = sum(by_point.values())
    digitised = int(sum(r[3] or 0 for r in t["point"]))
    return {"total": total, "by_point": dict(sorted(by_point.items())),
            "by_procedure": dict(sorted(by_procedure.items(), key=lambda kv: str(kv[0]))),
            "by_status": {str(k): v for k, v in sorted(_by(t["status"]).items())},
            "by_channel": {str(k): v for k, v in by_channel.items()},
            "online_share": _rate(by_channel.get(2, 0), total),
            "digitised": digitised, "digitised_share": _rate(digitised, total)}


def finished_figures(date_from, date_to, point: str | None) -> dict:
    """Dossiers whose result was ready in the period (by date finished): early / on time / late
    overall, per point and per month; average handling time (received → result, calendar days);
    satisfaction among those who rated."""
    t = _finished_tallies(date_from, date_to, point)
    per_point = _verdicts(t["point"])
    per_month = _verdicts(t["month"])
    handled = int(sum(r[2] for r in t["point"]))
    handled_seconds = sum(float(r[3] or 0) for r in t["point"])
    ratings = {k: v for k, v in _by(t["rating"]).items() if k}
    rated = sum(ratings.values())
    timely = sum(per_point.values(), Counter())
    return {**_timeliness(timely), "with_result": handled,
            "average_days": round(handled_seconds / handled / 86400, 2) if handled else None,
            "by_point": {k: _timeliness(v) for k, v in sorted(per_point.items())},
            "by_month": {k: _timeliness(v) for k, v in sorted(per_month.items())},
            "ratings": dict(sorted(ratings.items())), "rated": rated,
            "satisfied_share": _rate(sum(ratings.get(r, 0) for r in SATISFIED), rated)}


def open_figures(point: str | None, now: datetime) -> dict:
    """Dossiers open now: within or past due, or paused for a supplement (the open ones are few:
    counted live, through the status index)."""
    query = Dossier.select(_open_state(now), fn.COUNT(SQL("*"))).where(
        Dossier.status.in_(OPEN_STATUSES))
    if point:
        query = query.where(Dossier.origin == point)
    counts = dict(query.group_by(SQL("1")).tuples())
    return {"within_due": counts.get("within", 0), "past_due": counts.get("past", 0),
            "paused": counts.get("paused", 0)}


def compute_dashboard(date_from: date | None, date_to: date | None, *, point: str | None = None,
                      now: datetime) -> dict:
    """The leaders' figures, in three parts, for one point or all: `intake` (by date received),
    `finished` (by date finished) and `open` (now); see the three functions above.

    :raises InvalidInput: a range that ends before it starts.
    """
    _check_range(date_from, date_to)
    return {"from": date_from.isoformat() if date_from else None,
            "to": date_to.isoformat() if date_to else None, "point": point or None,
            "intake": intake_figures(date_from, date_to, point),
            "finished": finished_figures(date_from, date_to, point),
            "open": open_figures(point, now)}


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


BOOK_MAX_DAYS = 366
BOOK_MAX_ROWS = 100_000
BOOK_COLUMNS = ("no", "code", "official_code", "point", "procedure_code", "applicant", "address",
                "phone", "channel", "received_at", "due_at", "finished_at", "returned_at",
                "status", "assignee")


def tracking_book(date_from: date, date_to: date, *, point: str | None = None,
                  limit: int = BOOK_MAX_ROWS) -> list[dict]:
    """The center's tracking book: dossiers received in [date_from, date_to] at every point (or
    one), in order of receipt, one row each as the export prints it.

    :raises InvalidInput: a reversed range, or one longer than a year (the export stays bounded).
    """
    _check_range(date_from, date_to)
    if (date_to - date_from).days >= BOOK_MAX_DAYS:
        raise InvalidInput(E.BOOK_RANGE_TOO_LONG(days=BOOK_MAX_DAYS), field="to")
    query = _period(Dossier.select(
        Dossier.code, Dossier.official_code, Dossier.origin, Dossier.procedure_code,
        Dossier.applicant, Dossier.channel, Dossier.received_at, Dossier.due_at,
        Dossier.finished_at, Dossier.returned_at, Dossier.status, Dossier.assignee),
        Dossier.received_at, date_from, date_to)
    if point:
        query = query.where(Dossier.origin == point)
    rows = []
    for n, (code, official, origin, procedure, applicant, channel, received, due, finished,
            returned, status, assignee) in enumerate(
            query.order_by(Dossier.received_at, Dossier.id).limit(limit).tuples(), 1):
        applicant = applicant if isinstance(applicant, dict) else {}
        rows.append({"no": n, "code": code, "official_code": official, "point": origin,
                     "procedure_code": procedure, "applicant": applicant.get("full_name"),
                     "address": applicant.get("address"), "phone": applicant.get("phone"),
                     "channel": channel, "received_at": received, "due_at": due,
                     "finished_at": finished, "returned_at": returned, "status": status,
                     "assignee": assignee})
    return rows
