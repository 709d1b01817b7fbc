"""Legal time: the clock a receipt, a due date and a statistic are read on, whatever the PC's zone.

A commune PC left at UTC after a fresh install must still print "16 giờ 00" for a dossier received at
16:00 in Vietnam, apply the 15:00 rule at 15:00 Vietnam time and count working days on Vietnam's
calendar. So every legal time in motcua is the wall time of one zone (a setting, default
`Asia/Ho_Chi_Minh`), never the PC's: `now()` and `today()` replace `datetime.now()` and
`date.today()`, and instants (epoch milliseconds, aware values) are turned into legal wall time here.
The domain works in naive legal wall times; the databases store instants in UTC
(`motcua.dbfields.InstantField` converts at the storage boundary with the functions here: `timestamptz`
on PostgreSQL, ISO 8601 `+00:00` text on SQLite), so changing the legal zone or the PC's zone never
moves a stored instant. Legal dates (a holiday, an effective date) are stored as dates.
See docs/deadlines.md ("What is stored").
"""
from __future__ import annotations

import time
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Asia/Ho_Chi_Minh"
_zone = ZoneInfo(DEFAULT_ZONE)


def set_zone(name: str | None) -> None:
    """Use zone `name` (an IANA name) for legal time from now on; None or "" keeps the default.

    :raises ValueError: an unknown zone name (a typo in the settings must not silently mean UTC).
    """
    global _zone
    try:
        _zone = ZoneInfo(name or DEFAULT_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"Múi giờ pháp lý không hợp lệ: {name!r} (ví dụ: {DEFAULT_ZONE}).") from None


def zone() -> ZoneInfo:
    return _zone


def from_ms(epoch_ms: int | float) -> datetime:
    """The legal wall time (naive) of an instant given in milliseconds since the epoch."""
    return datetime.fromtimestamp(epoch_ms / 1000, tz=_zone).replace(tzinfo=None)


def now() -> datetime:
    """The legal wall time now (naive), to the microsecond, whatever the PC's zone."""
    return from_ms(time.time() * 1000)


def today() -> date:
    """Today's date on the legal clock."""
    return now().date()


def from_aware(value: datetime) -> datetime:
    """A naive legal wall time; an aware value is converted, a naive one is taken as legal already."""
    return value.astimezone(_zone).replace(tzinfo=None) if value.tzinfo else value


def to_ms(value: datetime) -> int:
    """Milliseconds since the epoch of a legal wall time (naive, or aware in any zone)."""
    aware = value if value.tzinfo else value.replace(tzinfo=_zone)
    return int(aware.astimezone(timezone.utc).timestamp() * 1000)
