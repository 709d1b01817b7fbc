"""Peewee field types both databases (node and center) use: JSON text, and instants kept in UTC.

What is an instant and what is a date (issue #12). Every date-time column is an **instant**: a
moment that happened or will happen once, the same moment in Hanoi and in Paris — a dossier's
`received_at`, `due_at` (17:00 of its last working day, a moment), `original_due_at`, `paused_at`,
`finished_at`, `returned_at`, every `created_at`, `updated_at`, `acked_at`, `expires_at`,
`locked_until`… They are `InstantField`s. A **legal date** — a day of the calendar with no time of
day, read on Vietnam's calendar (a holiday's `day`, a catalogue's or a council fee's
`effective_from`, a queue ticket's `day`) — stays a `DateField`: it names a day, not a moment, and
converting it to UTC would move it to the day before.
"""
from __future__ import annotations

import json
from datetime import date, datetime, time, timezone

from peewee import SQL, Field, TextField

from motcua import legaltime


class JSONField(TextField):
    """A dict or list stored as compact JSON text (Vietnamese kept readable, not \\u-escaped)."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True,
                                                     separators=(",", ":"))

    def python_value(self, value):
        return None if value is None else json.loads(value)


def _is_postgres(database) -> bool:
    database = getattr(database, "obj", None) or database        # a DatabaseProxy, or the database
    return type(database).__name__ == "PostgresqlDatabase"


def to_utc(value) -> datetime | None:
    """The instant `value` names, aware in UTC: a naive value is a legal wall time (read in the legal
    zone), an aware one any zone's, a date its legal midnight, a string ISO 8601 of either."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if not isinstance(value, datetime):
        if not isinstance(value, date):
            raise TypeError(f"not an instant: {value!r}")
        value = datetime.combine(value, time())
    aware = value if value.tzinfo else value.replace(tzinfo=legaltime.zone())
    return aware.astimezone(timezone.utc)


def utc_text(value) -> str | None:
    """How SQLite keeps an instant: ISO 8601 in UTC with `+00:00`, always to the microsecond, so the
    text sorts and compares in time order (`2026-03-06 09:00:00.000000+00:00`)."""
    instant = to_utc(value)
    return None if instant is None else instant.isoformat(" ", timespec="microseconds")


def legal_day(text: str | None) -> str | None:
    """The legal day ("YYYY-MM-DD") of an instant as SQLite keeps it: the SQL function `legal_day()`
    the center registers, since SQLite's own date() knows UTC and fixed offsets, not zones."""
    if text is None:
        return None
    try:
        return legaltime.from_aware(to_utc(text)).date().isoformat()
    except (TypeError, ValueError):
        return None


class InstantField(Field):
    """An instant, stored in UTC, handed to the domain as the naive legal wall time it uses.

    The storage holds the instant itself (`timestamptz` on PostgreSQL; ISO 8601 text ending in
    `+00:00` in a DATETIME column on SQLite), so neither a change of LEGAL_TIME_ZONE nor the PC's zone
    shifts it; the conversion to and from the legal zone (`motcua.legaltime`) happens here, at the
    storage boundary, and nowhere else. Values given to it (also in `where` clauses) may be naive
    legal wall times, as the domain keeps them, or aware values of any zone.
    """
    field_type = "TIMESTAMPTZ"

    def ddl_datatype(self, ctx):
        database = self.model._meta.database if self.model else None
        return SQL("TIMESTAMPTZ" if _is_postgres(database) else "DATETIME")

    def db_value(self, value):
        if value is None:
            return None
        if _is_postgres(self.model._meta.database):
            return to_utc(value)
        return utc_text(value)

    def python_value(self, value):
        if value is None:
            return None
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return value                 # what peewee's DateTimeField does with a stray text
        if isinstance(value, datetime):
            return legaltime.from_aware(value)   # a naive value (not yet migrated) is legal already
        return value
