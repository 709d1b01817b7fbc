"""Deadlines: each expectation was counted by hand on a 2026 wall calendar (weekday in the comment)."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, strategies as st

from motcua.deadlines import (
    WorkCalendar,
    classify,
    compute_due,
    due_soon,
    extend_for_pause,
    is_overdue,
    load_default_calendar,
    roll_to_working_day,
    working_days_between,
)
from motcua.errors import InvalidInput

CAL = load_default_calendar()


def dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- the calendar -------------------------------------------------------------------------------

@pytest.mark.parametrize("day, working", [
    ("2026-03-06", True),    # Fri, ordinary
    ("2026-03-07", False),   # Sat
    ("2026-03-08", False),   # Sun
    ("2026-01-01", False),   # Thu, New Year's Day
    ("2026-01-02", False),   # Fri, swapped day off (12729/VPCP-KGVX)
    ("2026-01-10", True),    # Sat, worked in exchange for 2 Jan
    ("2026-02-16", False),   # Mon, Tết 2026
    ("2026-02-20", False),   # Fri, Tết 2026
    ("2026-02-23", True),    # Mon, back after Tết
    ("2026-04-27", False),   # Mon, in lieu of Hùng Kings' day (Sun 26 Apr)
    ("2026-04-28", True),    # Tue
    ("2026-09-02", False),   # Wed, National Day
    ("2027-05-03", False),   # Mon, in lieu of 1 May 2027 (Sat)
])
def test_is_working_day(day, working):
    assert CAL.is_working_day(date.fromisoformat(day)) is working


def test_packaged_calendar_is_versioned_and_sourced():
    assert CAL.calendar_version and CAL.effective_from == date(2026, 1, 1)
    assert CAL.years() == {2026, 2027, 2028}
    for day, entry in CAL.entries.items():
        assert entry["name_vi"] and entry["name_en"] and entry["source"], day
        assert entry["confidence"] in {"high", "medium", "low", "estimate"}, day


def test_packaged_calendar_has_eleven_holidays_a_year():
    # Labour Code 2019 Art. 112: 1 Jan, 5 days of Tết, Hùng Kings, 30 Apr, 1 May, 2 Sep + 1 day.
    counts = Counter(d.year for d, e in CAL.entries.items() if e["kind"] == "holiday")
    assert counts == {2026: 11, 2027: 11, 2028: 11}


def test_weekend_holidays_have_a_day_in_lieu():
    for day, entry in CAL.entries.items():
        if entry["kind"] == "holiday" and day.weekday() >= 5:
            week_after = [day + timedelta(days=i) for i in range(1, 8)]
            assert any(CAL.entries.get(d, {}).get("kind") == "in_lieu" for d in week_after), day


@pytest.mark.parametrize("entries", [
    [{"date": "2026-13-01", "kind": "holiday"}],                      # no 13th month
    [{"kind": "holiday"}],                                            # no date
    [{"date": "2026-05-01", "kind": "party"}],                        # unknown kind
    [{"date": "2026-05-01", "kind": "holiday"},
     {"date": "2026-05-01", "kind": "in_lieu"}],                      # same date twice
])
def test_from_entries_refuses_bad_rows(entries):
    with pytest.raises(InvalidInput) as exc:
        WorkCalendar.from_entries(entries)
    assert exc.value.field == "calendar"
    assert "Lịch làm việc" in exc.value.message_vi


def test_calendar_with_no_working_days_fails_loudly():
    all_off = [{"date": (date(2026, 1, 1) + timedelta(days=i)).isoformat(), "kind": "day_off"}
               for i in range(400)]
    with pytest.raises(ValueError):
        WorkCalendar.from_entries(all_off).next_working_day(date(2026, 1, 1))


# --- compute_due --------------------------------------------------------------------------------

@pytest.mark.parametrize("received, days, due", [
    # Mon 2 Mar, 3 days: Tue 3, Wed 4, Thu 5 -> Thu at closing (receipt day not counted;
    # a period ends at the end of its last day).
    ("2026-03-02 09:00", 3, "2026-03-05 17:00"),
    # Thu 5 Mar, 3 days across a weekend: Fri 6, Mon 9, Tue 10.
    ("2026-03-05 10:15", 3, "2026-03-10 17:00"),
    # Friday afternoon, still open: 1 day -> Mon 9 Mar at closing.
    ("2026-03-06 16:30", 1, "2026-03-09 17:00"),
    # Fri 17:30, after closing: counts as received Mon 9; 1 day -> Tue 10 (not 07:30).
    ("2026-03-06 17:30", 1, "2026-03-10 17:00"),
    # Exactly at closing is still that day.
    ("2026-03-06 17:00", 1, "2026-03-09 17:00"),
    # Sun 8 Mar: counts as received Mon 9; 2 days: Tue 10, Wed 11.
    ("2026-03-08 10:00", 2, "2026-03-11 17:00"),
    # Before opening (Mon 06:45) counts as that day: 1 day -> Tue 3 Mar.
    ("2026-03-02 06:45", 1, "2026-03-03 17:00"),
    # Wed 29 Apr, 2 days: Thu 30 Apr and Fri 1 May are holidays, weekend -> Mon 4 May, Tue 5 May.
    ("2026-04-29 14:00", 2, "2026-05-05 17:00"),
    # Fri 24 Apr, 1 day: Sat, Sun 26 (Hùng Kings), Mon 27 in lieu -> Tue 28 Apr.
    ("2026-04-24 08:00", 1, "2026-04-28 17:00"),
    # Thu 23 Apr, 3 days: Fri 24, (Mon 27 in lieu) Tue 28, Wed 29.
    ("2026-04-23 09:00", 3, "2026-04-29 17:00"),
    # Thu 12 Feb, 5 days across Tết (16-20 Feb off): Fri 13, Mon 23, Tue 24, Wed 25, Thu 26.
    ("2026-02-12 10:00", 5, "2026-02-26 17:00"),
    # Received during Tết (Wed 18 Feb, online): counts as received Mon 23; 1 day -> Tue 24 Feb.
    ("2026-02-18 09:00", 1, "2026-02-24 17:00"),
    # Thu 8 Jan, 2 days: Fri 9, then the swapped working Saturday 10 Jan.
    ("2026-01-08 09:00", 2, "2026-01-10 17:00"),
    # Received on that working Saturday: it is a working day, not counted -> Mon 12 Jan.
    ("2026-01-10 08:00", 1, "2026-01-12 17:00"),
    # Wed 31 Dec 2025 15:30, 1 day: Thu 1 Jan holiday, Fri 2 swapped off, weekend -> Mon 5 Jan.
    ("2025-12-31 15:30", 1, "2026-01-05 17:00"),
    # Thu 27 Aug, 3 days: Fri 28, Mon 31, (1-2 Sep off) Thu 3 Sep.
    ("2026-08-27 11:00", 3, "2026-09-03 17:00"),
])
def test_compute_due(received, days, due):
    assert compute_due(dt(received), days, CAL) == dt(due)


@pytest.mark.parametrize("received, due", [
    ("2026-03-03 10:00", "2026-03-03 17:00"),   # Tue before 15:00 -> same day at closing
    ("2026-03-03 14:59", "2026-03-03 17:00"),   # one minute before the cutoff
    ("2026-03-03 15:00", "2026-03-04 17:00"),   # at 15:00 it is no longer "before" -> Wed
    ("2026-03-03 15:30", "2026-03-04 17:00"),   # after 15:00 -> next working day (Wed)
    ("2026-03-06 15:10", "2026-03-09 17:00"),   # Fri after 15:00 -> Mon
    ("2026-03-06 18:00", "2026-03-09 17:00"),   # Fri after closing -> Mon
    ("2026-03-08 09:00", "2026-03-09 17:00"),   # Sun -> Mon
    ("2026-04-30 09:00", "2026-05-04 17:00"),   # Thu 30 Apr holiday -> (Fri 1 May off) Mon 4 May
])
def test_compute_due_same_day(received, due):
    assert compute_due(dt(received), 0, CAL) == dt(due)


def test_compute_due_keeps_timezone_and_custom_hours():
    ict = timezone(timedelta(hours=7))
    received = datetime(2026, 3, 6, 16, 45, tzinfo=ict)     # Fri, after a 16:30 close
    due = compute_due(received, 1, CAL, office_close=time(16, 30), office_open=time(8, 0))
    assert due == datetime(2026, 3, 10, 16, 30, tzinfo=ict)  # counts from Mon -> Tue at closing


def test_compute_due_refuses_negative_days():
    with pytest.raises(InvalidInput) as exc:
        compute_due(dt("2026-03-02 09:00"), -1, CAL)
    assert exc.value.field == "processing_days"


@pytest.mark.parametrize("due, rolled", [
    ("2026-03-05 09:00", "2026-03-05 09:00"),   # Thu, a working day: unchanged
    # A due date stored before 1 Sep became a holiday: Tue 1 and Wed 2 Sep off -> Thu 3 at closing.
    ("2026-09-01 10:00", "2026-09-03 17:00"),
    ("2026-03-07 10:00", "2026-03-09 17:00"),   # Sat -> Mon at closing
])
def test_roll_to_working_day(due, rolled):
    assert roll_to_working_day(dt(due), CAL) == dt(rolled)


# --- supplement pause ---------------------------------------------------------------------------

@pytest.mark.parametrize("due, paused, resumed, new_due", [
    # Paused Fri 6 Mar, back Mon 9: days after Fri up to Mon = Mon only -> 1 day: Wed 11 -> Thu 12.
    ("2026-03-11 09:00", "2026-03-06 10:00", "2026-03-09 09:00", "2026-03-12 09:00"),
    # Paused and resumed the same day: nothing lost.
    ("2026-03-11 09:00", "2026-03-03 09:00", "2026-03-03 16:00", "2026-03-11 09:00"),
    # Paused Mon 9, back Wed 11: Tue 10 + Wed 11 = 2 days; due Fri 13 -> Mon 16, Tue 17.
    ("2026-03-13 14:00", "2026-03-09 08:00", "2026-03-11 10:00", "2026-03-17 14:00"),
    # Paused Fri 13 Feb over Tết, back Tue 24 Feb: only Mon 23 + Tue 24 are working -> 2 days.
    ("2026-03-16 10:00", "2026-02-13 10:00", "2026-02-24 08:00", "2026-03-18 10:00"),
    # Paused Sat 7, back Sun 8: no working day in between.
    ("2026-03-11 09:00", "2026-03-07 09:00", "2026-03-08 09:00", "2026-03-11 09:00"),
])
def test_extend_for_pause(due, paused, resumed, new_due):
    assert extend_for_pause(dt(due), dt(paused), dt(resumed), CAL) == dt(new_due)


def test_extend_for_pause_refuses_resume_before_pause():
    with pytest.raises(InvalidInput) as exc:
        extend_for_pause(dt("2026-03-11 09:00"), dt("2026-03-09 09:00"), dt("2026-03-06 09:00"), CAL)
    assert exc.value.field == "resumed_at"


# --- classify, overdue, due soon ----------------------------------------------------------------

DUE = "2026-03-05 09:00"   # Thu


@pytest.mark.parametrize("finished, supplements, result", [
    ("2026-03-04 16:00", 0, "early"),     # Wed, a day before the due day
    ("2026-03-05 08:00", 0, "on_time"),   # due day, before the due time
    ("2026-03-05 09:00", 0, "on_time"),   # exactly at the due time
    ("2026-03-05 09:01", 0, "late"),      # one minute after
    ("2026-03-09 10:00", 0, "late"),      # Mon after
    ("2026-03-04 16:00", 1, "early"),     # one supplement request does not count against it
    ("2026-03-04 16:00", 2, "late"),      # two or more: late whatever the times
])
def test_classify(finished, supplements, result):
    assert classify(dt(finished), dt(DUE), supplements) == result


@pytest.mark.parametrize("a, b, count", [
    ("2026-03-06", "2026-03-09", 1),    # Fri -> Mon: Mon only
    ("2026-03-02", "2026-03-09", 5),    # Mon -> Mon: Tue..Fri + Mon
    ("2026-03-02", "2026-03-02", 0),
    ("2026-03-09", "2026-03-02", -5),   # reversed
    ("2026-02-13", "2026-02-23", 1),    # over Tết: only Mon 23
    ("2026-01-09", "2026-01-12", 2),    # Sat 10 Jan worked + Mon 12
])
def test_working_days_between(a, b, count):
    assert working_days_between(date.fromisoformat(a), date.fromisoformat(b), CAL) == count


def test_is_overdue():
    assert not is_overdue(dt(DUE), dt("2026-03-05 09:00"))
    assert is_overdue(dt(DUE), dt("2026-03-05 09:01"))


@pytest.mark.parametrize("due, now, within, soon", [
    ("2026-03-09 10:00", "2026-03-06 09:00", 1, True),    # due Mon, now Fri: next working day
    ("2026-03-09 10:00", "2026-03-05 09:00", 1, False),   # now Thu: Mon is 2 working days away
    ("2026-03-09 10:00", "2026-03-05 09:00", 2, True),
    ("2026-03-09 10:00", "2026-03-09 08:00", 1, True),    # due today
    ("2026-03-09 10:00", "2026-03-09 11:00", 1, False),   # already overdue, not "soon"
    ("2026-04-28 10:00", "2026-04-24 09:00", 1, True),    # Fri -> Tue, Mon 27 Apr is in lieu
])
def test_due_soon(due, now, within, soon):
    assert due_soon(dt(due), dt(now), CAL, within) is soon


# --- properties over any receipt in 2026-2027 ---------------------------------------------------

receipts = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 11, 30))


@given(receipts, st.integers(min_value=0, max_value=30))
def test_due_is_a_later_working_moment(received, days):
    due = compute_due(received, days, CAL)
    assert due > received
    assert CAL.is_working_day(due.date())
    assert time(7, 30) <= due.time() <= time(17, 0)


@given(receipts, st.integers(min_value=1, max_value=30))
def test_due_is_exactly_n_working_days_after_the_counted_receipt_day(received, days):
    due = compute_due(received, days, CAL)
    counted_today = CAL.is_working_day(received.date()) and received.time() <= time(17, 0)
    start = received.date() if counted_today else CAL.next_working_day(received.date())
    assert working_days_between(start, due.date(), CAL) == days


@given(receipts, st.integers(min_value=0, max_value=15), st.integers(min_value=0, max_value=20))
def test_a_pause_moves_the_due_date_by_the_working_days_lost(paused, pause_days, days):
    due = compute_due(paused, days + 1, CAL)
    resumed = paused + timedelta(days=pause_days)
    moved = extend_for_pause(due, paused, resumed, CAL)
    assert moved >= due and moved.time() == due.time()
    lost = working_days_between(paused.date(), resumed.date(), CAL)
    assert working_days_between(due.date(), moved.date(), CAL) == lost


def test_the_calendar_knows_tet_2028_as_an_estimate_and_warns_beyond_its_horizon():
    cal = load_default_calendar()
    assert not cal.is_working_day(date(2028, 1, 26))            # Tết 2028 (domain.md)
    assert not cal.is_working_day(date(2028, 4, 4))             # Hùng Kings 2028
    due = compute_due(datetime(2028, 1, 21, 9, 0), 2, cal)      # Fri before Tết: Mon 24, then Tết
    assert due == datetime(2028, 2, 1, 17, 0)
    assert "ước tính" in cal.horizon_warning(due.date())
    assert cal.horizon_warning(date(2027, 3, 1)) is None
    assert "vượt quá" in cal.horizon_warning(date(2029, 1, 10))
