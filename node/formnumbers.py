"""The number printed after "Số:" on Forms 01–05: one sequence per form kind and legal year.

A form gets its number the first time it is printed for what it records (the dossier, or the event
behind it: a second supplement request is a second Form 02) and keeps it on every reprint. The
counter and the record of the number given are written in one IMMEDIATE transaction, so a crash
leaves either both or neither: a number is never given twice and never taken back.
"""
from __future__ import annotations

from datetime import datetime

from motcua import legaltime
from node.facts import get_state, next_counter, set_state
from node.models import db

# The short sign of each kind after the number, as offices write it (e.g. "0012/2026/TNHS").
KIND_SIGNS = {"01": "TNHS", "02": "HDBS", "03": "TCHS", "04": "XL", "05": "KSGQ"}


def number_for(kind: str, about: str, *, now: datetime | None = None) -> str:
    """The number of form `kind` for `about` (a dossier uid, or the uid and the id of the event the
    form records): the one given before, or the next of this kind in the legal year."""
    if kind not in KIND_SIGNS:
        raise ValueError(f"unknown form kind {kind!r}")
    key = f"form:{kind}:{about}"
    found = get_state(key)
    if found:
        return found
    now = now or legaltime.now()
    with db.atomic("IMMEDIATE"):
        found = get_state(key)           # another request may have given it meanwhile
        if found:
            return found
        number = f"{next_counter(f'form:{kind}:{now:%Y}'):04d}/{now:%Y}/{KIND_SIGNS[kind]}"
        set_state(key, number)
        return number
