"""The node's holiday calendar: an editable table, seeded from the packaged 2026–2027 calendar and
replaced by what the center pushes. Deadlines are computed against it (`motcua.deadlines`)."""
from __future__ import annotations

import json
from datetime import date
from importlib import resources

from motcua import errors as E
from motcua.deadlines import WorkCalendar
from motcua.errors import InvalidInput
from node.models import Holiday, db

KINDS = ("holiday", "in_lieu", "working_saturday", "day_off")


def load_default_holidays() -> dict:
    """The packaged calendar file: {calendar_version, effective_from, entries: [...]}."""
    text = resources.files("motcua.data").joinpath("holidays.json").read_text(encoding="utf-8")
    return json.loads(text)


def _entries_of(calendar_data: dict) -> list[dict]:
    for key in ("entries", "days", "holidays"):
        if key in calendar_data:
            return calendar_data[key]
    raise ValueError("calendar data has no entries")


def install_holidays(calendar_data: dict) -> int:
    """Replace the days of the years this calendar covers with its entries; returns the count."""
    version = str(calendar_data.get("calendar_version", "unversioned"))
    entries = _entries_of(calendar_data)
    with db.atomic():
        for entry in entries:
            set_holiday(date.fromisoformat(entry["date"]), entry["kind"], entry.get("name_vi", ""),
                        entry.get("name_en"), version)
    return len(entries)


def set_holiday(day: date, kind: str, name_vi: str, name_en: str | None = None,
                version: str = "local") -> Holiday:
    """Add or change one day of the calendar. :raises InvalidInput: unknown kind."""
    if kind not in KINDS:
        raise InvalidInput(E.BAD_DAY_KIND(kinds=", ".join(KINDS)), field="kind")
    Holiday.insert(day=day, kind=kind, name_vi=name_vi, name_en=name_en,
                   calendar_version=version).on_conflict_replace().execute()
    return Holiday.get_by_id(day)


def remove_holiday(day: date) -> bool:
    return Holiday.delete().where(Holiday.day == day).execute() > 0


def list_holidays(year: int | None = None) -> list[Holiday]:
    query = Holiday.select().order_by(Holiday.day)
    if year:
        query = query.where((Holiday.day >= date(year, 1, 1)) & (Holiday.day <= date(year, 12, 31)))
    return list(query)


def work_calendar() -> WorkCalendar:
    """The calendar in force, built from the table (a few dozen rows: cheap per call)."""
    return WorkCalendar.from_entries([
        {"date": h.day.isoformat() if isinstance(h.day, date) else str(h.day), "kind": h.kind,
         "name_vi": h.name_vi, "name_en": h.name_en} for h in Holiday.select()])
