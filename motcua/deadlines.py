"""Deadlines: working-day calendars, due moments, supplement pauses, early/on-time/late.

Holidays, days in lieu and swapped Saturdays change every year by government decision, so they are data
(`motcua/data/holidays.json`, versioned, pushed by the center), never a formula. Everything here is pure:
the current time is always an argument.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from importlib import resources
from types import MappingProxyType
from typing import Iterable, Mapping

from motcua import errors as E
from motcua.errors import InvalidInput

REST_KINDS = frozenset({"holiday", "in_lieu", "day_off"})
WORK_KINDS = frozenset({"working_saturday"})
KINDS = REST_KINDS | WORK_KINDS
# Longest run of rest days we accept before calling the calendar broken (Tết is 9-10 days).
_MAX_SCAN_DAYS = 366


@dataclass(frozen=True)
class WorkCalendar:
    """Which dates are working days: Mon–Fri, minus rest entries, plus swapped working Saturdays."""

    entries: Mapping[date, dict] = field(default_factory=dict)
    calendar_version: str = ""
    effective_from: date | None = None

    @classmethod
    def from_entries(cls, entries: Iterable[Mapping], *, calendar_version: str = "",
                     effective_from: date | None = None) -> "WorkCalendar":
        """Build a calendar from `{"date", "kind", "name_vi", "name_en", ...}` rows.

        :raises InvalidInput: (field "calendar") a bad date, an unknown kind, or one date listed twice.
        """
        by_date: dict[date, dict] = {}
        for raw in entries:
            try:
                day = date.fromisoformat(raw["date"])
            except (KeyError, TypeError, ValueError):
                raise InvalidInput(E.CALENDAR_BAD_DATE(raw=raw),
                                   field="calendar") from None
            kind = raw.get("kind")
            if kind not in KINDS:
                raise InvalidInput(E.CALENDAR_BAD_KIND(kind=kind, day=day),
                                   field="calendar")
            if day in by_date:
                raise InvalidInput(E.CALENDAR_TWICE(day=day),
                                   field="calendar")
            by_date[day] = dict(raw)
        return cls(entries=MappingProxyType(by_date), calendar_version=calendar_version,
                   effective_from=effective_from)

    @classmethod
    def from_dict(cls, data: Mapping) -> "WorkCalendar":
        """Build a calendar from the whole `holidays.json` document (version, effective date, entries)."""
        effective = data.get("effective_from")
        return cls.from_entries(data.get("entries", []),
                                calendar_version=str(data.get("calendar_version", "")),
                                effective_from=date.fromisoformat(effective) if effective else None)

    def is_working_day(self, day: date) -> bool:
        """True if the office works on `day`."""
        entry = self.entries.get(day)
        if entry is not None:
            return entry["kind"] in WORK_KINDS
        return day.weekday() < 5

    def years(self) -> set[int]:
        """Years the calendar has entries for: a due date past them may miss holidays."""
        return {d.year for d in self.entries}

    def last_year(self) -> int | None:
        """The last year the calendar knows: beyond it, holidays are unknown (Tết moves yearly)."""
        return max((d.year for d in self.entries), default=None)

    def estimated_years(self) -> set[int]:
        """Years holding entries not yet published by the government (`confidence: estimate`)."""
        return {d.year for d, e in self.entries.items() if e.get("confidence") == "estimate"}

    def horizon_warning(self, due: date) -> str | None:
        """A Vietnamese warning when `due` lies past the known calendar or in an estimated year:
        a due date there may fall on a holiday nobody has declared yet."""
        last = self.last_year()
        if last is None or due.year > last:
            return (f"Ngày hẹn {due:%d/%m/%Y} vượt quá lịch nghỉ lễ đã có (đến năm {last}): "
                    "có thể trùng ngày nghỉ chưa công bố. Báo trung tâm cập nhật lịch.")
        if due.year in self.estimated_years():
            return (f"Lịch nghỉ lễ năm {due.year} mới là ước tính (chưa có quyết định chính thức): "
                    f"ngày hẹn {due:%d/%m/%Y} có thể phải điều chỉnh.")
        return None

    def next_working_day(self, day: date) -> date:
        """Return the first working day strictly after `day`."""
        return self.add_working_days(day, 1)

    def add_working_days(self, day: date, count: int) -> date:
        """Return the `count`-th working day after `day` (`day` itself not counted; 0 returns `day`).

        :raises ValueError: the calendar has no working day for a whole year (a broken push).
        """
        current, found, gap = day, 0, 0
        while found < count:
            current += timedelta(days=1)
            if self.is_working_day(current):
                found, gap = found + 1, 0
            else:
                gap += 1
                if gap > _MAX_SCAN_DAYS:
                    raise ValueError(f"no working day in the year after {current - timedelta(days=gap)}")
        return current


def load_default_calendar() -> WorkCalendar:
    """Return the calendar packaged in `motcua/data/holidays.json`."""
    text = resources.files("motcua").joinpath("data/holidays.json").read_text(encoding="utf-8")
    return WorkCalendar.from_dict(json.loads(text))


def _at(day: date, clock: time, like: datetime) -> datetime:
    return datetime.combine(day, clock, tzinfo=like.tzinfo)


def effective_receipt(received_at: datetime, calendar: WorkCalendar, *,
                      office_close: time = time(17, 0), office_open: time = time(7, 30)) -> datetime:
    """Return the moment the clock starts: receipt on a rest day or after closing counts as the next
    working day's opening, and receipt before opening as that day's opening."""
    day = received_at.date()
    if not calendar.is_working_day(day) or received_at.time() > office_close:
        return _at(calendar.next_working_day(day), office_open, received_at)
    if received_at.time() < office_open:
        return _at(day, office_open, received_at)
    return received_at


def compute_due(received_at: datetime, processing_days: int, calendar: WorkCalendar, *,
                cutoff: time = time(15, 0), office_close: time = time(17, 0),
                office_open: time = time(7, 30)) -> datetime:
    """Return the due moment printed on Form 01 for a dossier received complete at `received_at`
    (a time on the legal clock: see `motcua.legaltime`).

    N working days do not count the receipt day, and a period ends at the end of its last day
    (Civil Code 2015 Art. 148; for an office, the close of its hours): due is `office_close` of the
    N-th working day after receipt. Receipt on a rest day or after `office_close` counts as received
    on the next working day. N = 0 (same day): due at `office_close` today when received on a
    working day before `cutoff`, else at `office_close` of the next working day.

    :raises InvalidInput: (field "processing_days") a negative period.
    """
    if processing_days < 0:
        raise InvalidInput(E.NEGATIVE_DAYS, field="processing_days")
    day = received_at.date()
    if processing_days == 0:
        if calendar.is_working_day(day) and received_at.time() < cutoff:
            return _at(day, office_close, received_at)
        return _at(calendar.next_working_day(day), office_close, received_at)
    start = effective_receipt(received_at, calendar, office_close=office_close,
                              office_open=office_open)
    return _at(calendar.add_working_days(start.date(), processing_days), office_close, received_at)


def roll_to_working_day(due_at: datetime, calendar: WorkCalendar, *,
                        office_close: time = time(17, 0)) -> datetime:
    """Return `due_at` unchanged on a working day, else the close of the next working day.

    A period ending on a rest day ends then. `compute_due` never lands on a rest day, but a due date
    stored under an older calendar can once the center pushes a new one: re-check stored dates here.
    """
    if calendar.is_working_day(due_at.date()):
        return due_at
    return _at(calendar.next_working_day(due_at.date()), office_close, due_at)


def extend_for_pause(due_at: datetime, paused_at: datetime, resumed_at: datetime,
                     calendar: WorkCalendar) -> datetime:
    """Return the due moment after a supplement pause: the clock stops while the citizen is awaited.

    The pause costs the working days strictly after the pause day up to and including the resume day
    (the pause day was partly worked; the resume day was not, since the file only came back then). The
    due date moves forward by that many working days and keeps its clock time. Pausing on Friday and
    resuming on Monday moves it by one day.

    :raises InvalidInput: (field "resumed_at") resumption before the pause.
    """
    if resumed_at < paused_at:
        raise InvalidInput(E.RESUMED_BEFORE_PAUSE,
                           field="resumed_at")
    lost = working_days_between(paused_at.date(), resumed_at.date(), calendar)
    if lost == 0:
        return due_at
    return _at(calendar.add_working_days(due_at.date(), lost), due_at.time(), due_at)


def classify(finished_at: datetime, due_at: datetime, supplement_count: int = 0) -> str:
    """Return "early", "on_time" or "late" for a finished dossier (or step).

    Early = finished on a day before the due day; on time = by the due moment; late = after it. Two or
    more supplement requests make it late whatever the times (the national scoring rule).
    """
    if supplement_count >= 2 or finished_at > due_at:
        return "late"
    if finished_at.date() < due_at.date():
        return "early"
    return "on_time"


def working_days_between(a: date, b: date, calendar: WorkCalendar) -> int:
    """Count working days d with a < d <= b (negative when b is before a)."""
    if b < a:
        return -working_days_between(b, a, calendar)
    return sum(1 for offset in range(1, (b - a).days + 1)
               if calendar.is_working_day(a + timedelta(days=offset)))


def is_overdue(due_at: datetime, now: datetime) -> bool:
    """True once `now` is past the due moment."""
    return now > due_at


def due_soon(due_at: datetime, now: datetime, calendar: WorkCalendar,
             within_working_days: int = 1) -> bool:
    """True if not yet overdue and due today or within the next `within_working_days` working days
    (the warning that leaves time for a Form 04 apology at least a day ahead)."""
    if is_overdue(due_at, now):
        return False
    horizon = calendar.add_working_days(now.date(), within_working_days)
    return due_at.date() <= horizon
