"""Slowing down guessing: failures counted per key in the database, then a pause.

Used for logins (`login:<username>`, per account whatever address the guesses come from) and the
citizens' lookup (`lookup:<dossier code>`). Rows live in each app's `throttle` table, so a restart,
a second center process or a flood of other keys forgets nothing: each key has its own row, and
only rows whose window has passed are deleted. Both the count and the lock are written by single
UPSERT/UPDATE statements, so two failures at once are both counted (SQLite and PostgreSQL).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from peewee import Case

from motcua import legaltime
from motcua.errors import Message, TooManyAttempts


class Throttle:
    """Failures under `<kind>:<key>`; `limit` of them within `window_seconds` lock the key as long."""

    def __init__(self, model, kind: str):
        self.model, self.kind = model, kind

    def _key(self, key: str) -> str:
        return f"{self.kind}:{key}"[:255]

    def check(self, key: str, message: Message, *, now: datetime | None = None) -> None:
        """:raises TooManyAttempts: while `key` is locked (`{seconds}` in the message is filled in)."""
        now = now or legaltime.now()
        row = self.model.get_or_none(self.model.key == self._key(key))
        if row is not None and row.locked_until is not None and row.locked_until > now:
            wait = int((row.locked_until - now).total_seconds()) + 1
            raise TooManyAttempts(message(seconds=wait))

    def fail(self, key: str, *, limit: int, window_seconds: float,
             now: datetime | None = None) -> None:
        """Count one failure; the `limit`-th within the window locks `key` for `window_seconds`."""
        M, now = self.model, now or legaltime.now()
        since = now - timedelta(seconds=window_seconds)
        full_key = self._key(key)
        with M._meta.database.atomic():
            (M.insert(key=full_key, failures=1, updated_at=now, locked_until=None)
             .on_conflict(conflict_target=[M.key],
                          update={M.failures: Case(None, [(M.updated_at < since, 1)], M.failures + 1),
                                  M.updated_at: now})
             .execute())
            (M.update(locked_until=now + timedelta(seconds=window_seconds))
             .where((M.key == full_key) & (M.failures >= limit)).execute())
            (M.delete().where(M.key.startswith(f"{self.kind}:") & (M.updated_at < since)
                              & (M.locked_until.is_null() | (M.locked_until < now))).execute())

    def reset(self, key: str) -> None:
        """Forget `key`'s failures (after a success)."""
        self.model.delete().where(self.model.key == self._key(key)).execute()
