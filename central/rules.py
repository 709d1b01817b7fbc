"""The rules the center issues to every point: the procedure catalogue (fees, processing days,
required documents) and the holiday calendar, each a version with the date it takes effect.

A version is a center event with no dossier (`catalogue.updated`, `holidays.updated`), journalled
once and owed to every point (`central.apply`), where `node.inbox` installs it beside the older ones:
a dossier keeps the catalogue version it was received under. So the journal is the list of
versions; nothing else is stored. Before anything is issued it is checked here as strictly as a
point will read it, since a point that cannot install a version cannot apply its parcel.
"""
from __future__ import annotations

import json
from datetime import date, datetime
from importlib import resources

from central.apply import record_center_event
from central.db import write_transaction
from central.models import Event
from motcua import errors as E, legaltime
from motcua.errors import Conflict, InvalidInput
from motcua.identity import to_nfc

KINDS = {"catalogue": "catalogue.updated", "holidays": "holidays.updated"}
VERSION_KEY = {"catalogue": "catalogue_version", "holidays": "calendar_version"}
DAY_KINDS = ("holiday", "in_lieu", "working_saturday", "day_off")
MAX_PROCEDURES = 2000
MAX_DAYS = 400


def shipped(which: str) -> dict:
    """The rules shipped with motcua (what every point starts with)."""
    name = "catalogue.json" if which == "catalogue" else "holidays.json"
    return json.loads(resources.files("motcua.data").joinpath(name).read_text(encoding="utf-8"))


def versions(which: str) -> list[dict]:
    """The versions issued by this center, newest first: version, effective date, who, when."""
    rows = (Event.select(Event.payload, Event.actor, Event.received_at)
            .where((Event.kind == KINDS[which]) & Event.dossier_uid.is_null())
            .order_by(Event.hlc.desc()))
    return [{"version": str(r.payload.get(VERSION_KEY[which])),
             "effective_from": r.payload.get("effective_from"), "actor": r.actor,
             "issued_at": r.received_at, "data": r.payload} for r in rows]


def latest(which: str) -> dict:
    """The newest version issued (what an edit starts from), else the shipped one."""
    issued = versions(which)
    return issued[0]["data"] if issued else shipped(which)


def _bad(path: str) -> InvalidInput:
    return InvalidInput(E.RULES_BAD(detail=path), field=path)


def _text(value, path: str, *, limit: int = 1000, required: bool = True) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _bad(path)
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise _bad(path)
    return to_nfc(value.strip())


def _whole(value, path: str, *, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
        raise _bad(path)
    return value


def _day(value, path: str) -> str:
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise _bad(path) from None


def _head(data, which: str) -> tuple[str, str]:
    if not isinstance(data, dict):
        raise _bad(which)
    version = _text(data.get(VERSION_KEY[which]), VERSION_KEY[which], limit=40)
    return version, _day(data.get("effective_from"), "effective_from")


def check_catalogue(data) -> dict:
    """A catalogue as a point installs it. :raises InvalidInput: naming the first wrong field."""
    version, effective = _head(data, "catalogue")
    procedures = data.get("procedures")
    if not isinstance(procedures, list) or not 0 < len(procedures) <= MAX_PROCEDURES:
        raise _bad("procedures")
    out, seen = [], set()
    for i, p in enumerate(procedures):
        at = f"procedures[{i}]"
        if not isinstance(p, dict):
            raise _bad(at)
        code = _text(p.get("code"), f"{at}.code", limit=40)
        if code in seen:
            raise _bad(f"{at}.code")
        seen.add(code)
        docs = p.get("required_documents") or []
        if not isinstance(docs, list) or len(docs) > 50:
            raise _bad(f"{at}.required_documents")
        item = {**p, "code": code, "name_vi": _text(p.get("name_vi"), f"{at}.name_vi"),
                "name_en": _text(p.get("name_en"), f"{at}.name_en", required=False),
                "processing_days": _whole(p.get("processing_days"), f"{at}.processing_days",
                                          high=365),
                "fee_vnd": (None if p.get("fee_vnd") is None
                            else _whole(p.get("fee_vnd"), f"{at}.fee_vnd", high=10**12)),
                "required_documents": []}
        for j, d in enumerate(docs):
            if not isinstance(d, dict):
                raise _bad(f"{at}.required_documents[{j}]")
            item["required_documents"].append({
                **d, "name_vi": _text(d.get("name_vi"), f"{at}.required_documents[{j}].name_vi"),
                "copies": _whole(d.get("copies", 1), f"{at}.required_documents[{j}].copies", high=20),
                "original_required": bool(d.get("original_required", False))})
        out.append(item)
    return {**data, "catalogue_version": version, "effective_from": effective, "procedures": out}


def check_holidays(data) -> dict:
    """A calendar as a point installs it. :raises InvalidInput: naming the first wrong field."""
    version, effective = _head(data, "holidays")
    entries = data.get("entries")
    if not isinstance(entries, list) or len(entries) > MAX_DAYS:
        raise _bad("entries")
    out, seen = [], set()
    for i, e in enumerate(entries):
        at = f"entries[{i}]"
        if not isinstance(e, dict) or e.get("kind") not in DAY_KINDS:
            raise _bad(f"{at}.kind")
        day = _day(e.get("date"), f"{at}.date")
        if day in seen:
            raise _bad(f"{at}.date")
        seen.add(day)
        out.append({**e, "date": day, "name_vi": _text(e.get("name_vi"), f"{at}.name_vi", limit=300)})
    return {**data, "calendar_version": version, "effective_from": effective,
            "entries": sorted(out, key=lambda e: e["date"])}


CHECKS = {"catalogue": check_catalogue, "holidays": check_holidays}


def issue(which: str, data, actor: str, *, now: datetime | None = None) -> dict:
    """Issue a new version to every point (a center event each point installs at its next sync).

    :raises InvalidInput: the data is not what a point can install; Conflict: that version name
        was issued already (a version never changes once out).
    """
    checked = CHECKS[which](data)
    version = checked[VERSION_KEY[which]]
    with write_transaction():
        if version in {v["version"] for v in versions(which)} or (
                version == str(shipped(which)[VERSION_KEY[which]])):
            raise Conflict(E.RULES_VERSION_TAKEN(version=version))
        record_center_event(KINDS[which], None, actor, checked, now=now or legaltime.now())
    return checked


def parse_holiday_lines(text: str) -> list[dict]:
    """The calendar form's lines, "yyyy-mm-dd | kind | name", into entries (blank lines skipped).
    :raises InvalidInput: a line that is not three parts."""
    out = []
    for n, line in enumerate((text or "").splitlines(), 1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) < 3:
            raise _bad(f"line {n}")
        out.append({"date": parts[0], "kind": parts[1], "name_vi": "|".join(parts[2:])})
    return out
