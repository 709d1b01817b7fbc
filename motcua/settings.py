"""A setting declared once, with its default and help text (node and center each list theirs)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    help: str


def defaults_of(settings: list[Setting]) -> dict:
    return {s.name: s.default for s in settings}
