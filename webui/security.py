"""Guards of the clerk UI: CSRF tokens, login and role checks, and a throttle for guessing.

The throttle is in memory (one process serves a desk): it forgets on restart, which only gives a
guesser a fresh few tries — acceptable for a kiosk, and it needs no table or migration.
"""
from __future__ import annotations

import functools
import hmac
import secrets
import threading
import time

from flask import abort, current_app, g, redirect, request, session, url_for

from motcua.errors import DomainError
from node.models import User


class TooManyAttempts(DomainError):
    status = 429
    code = "too_many_attempts"


def csrf_token() -> str:
    """The session's CSRF token (made on first use), for hidden form fields."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(24)
    return token


def check_csrf() -> None:
    """Refuse any UI POST whose token does not match the session's (before_request hook)."""
    if request.method != "POST" or request.path.startswith("/api/"):
        return
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    expected = session.get("csrf") or ""
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(400, description="csrf")


def load_user() -> None:
    """Put the logged-in user (or None) on `g.user`; a disabled account is logged out."""
    g.user = None
    uid = session.get("uid")
    if uid is not None:
        user = User.get_or_none(User.id == uid)
        if user is not None and user.active:
            g.user = user
        else:
            session.pop("uid", None)


def login_required(view):
    """Send anonymous visitors to the login page, then back."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.get("user") is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)
    return wrapped


def role_required(*roles: str):
    """Allow only users with one of `roles` (after login_required)."""
    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if g.user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


class Throttle:
    """Counts failures per key in a sliding window; past `limit` the key is locked out for `window`."""

    def __init__(self, limit: int, window: float):
        self.limit, self.window = limit, window
        self._fails: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> list[float]:
        kept = [t for t in self._fails.get(key, []) if now - t < self.window]
        if kept:
            self._fails[key] = kept
        else:
            self._fails.pop(key, None)
        return kept

    def check(self, key: str, message_vi: str) -> None:
        """:raises TooManyAttempts: when `key` failed `limit` times within the window."""
        with self._lock:
            recent = self._recent(key, time.monotonic())
        if len(recent) >= self.limit:
            wait = int(self.window - (time.monotonic() - recent[0])) + 1
            raise TooManyAttempts(message_vi.format(seconds=wait))

    def fail(self, key: str) -> None:
        with self._lock:
            self._fails.setdefault(key, []).append(time.monotonic())
            if len(self._fails) > 10000:          # a flood of keys: forget the oldest half
                for k in list(self._fails)[:5000]:
                    self._fails.pop(k, None)

    def reset(self, key: str) -> None:
        with self._lock:
            self._fails.pop(key, None)


def throttle(name: str) -> Throttle:
    """The app's throttle called `name` (login, lookup), made from the config on first use."""
    store = current_app.extensions.setdefault("motcua.throttles", {})
    if name not in store:
        cfg = current_app.config
        store[name] = Throttle(int(cfg[f"{name.upper()}_MAX_FAILURES"]),
                               float(cfg[f"{name.upper()}_LOCK_SECONDS"]))
    return store[name]


def client_ip() -> str:
    return request.remote_addr or "?"
