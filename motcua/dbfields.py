"""Peewee field types both databases (node and center) use."""
from __future__ import annotations

import json

from peewee import TextField


class JSONField(TextField):
    """A dict or list stored as compact JSON text (Vietnamese kept readable, not \\u-escaped)."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True,
                                                     separators=(",", ":"))

    def python_value(self, value):
        return None if value is None else json.loads(value)
