"""Guards of the clerk UI: CSRF tokens, server-side sessions, login and role checks, and the
per-address cap of the public lookup.

The login throttle (per account) and the lookup throttle (per dossier code) are kept in the
database (`motcua.throttle`). The per-address cap here is in memory (one process serves a desk): it
is only a coarse ceiling for one machine, set high so a hall's shared kiosk survives many citizens'
typos; forgetting it on restart costs nothing the per-dossier count does not still hold.
"""
from __future__ import annotations

import functools
import hmac
import secrets
import threading
import time

from flask import abort, current_app, g, redirect, request, session, url_for

from motcua.errors import Message, TooManyAttempts

__all__ = ["TooManyAttempts", "Throttle", "begin_session", "check_csrf", "client_ip", "csrf_token",
           "login_guard", "login_required", "role_required", "session_user_loader",
           "throttle"]


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


def begin_session(key: str, sid: str) -> None:
    """A fresh cookie session (new CSRF token) holding the server-side session id under `key`;
    the chosen language survives."""
    lang = session.get("lang")
    session.clear()
    session[key] = sid
    if lang:
        session["lang"] = lang


def session_user_loader(key: str, user_for_session):
    """A before_request hook putting the logged-in user (or None) on `g.user`: the cookie's session
    id under `key` must still have its row (ended by logout, a new password or disabling) and its
    user must be active. Each UI passes its own side's `user_for_session`."""
    def load() -> None:
        g.user = user_for_session(session.get(key),
                                  max_age_hours=float(current_app.config["SESSION_MAX_HOURS"]))
        if g.user is None:
            session.pop(key, None)
    return load


def login_guard(login_endpoint: str):
    """A `login_required` decorator that sends anonymous visitors to `login_endpoint`, then back."""
    def login_required(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if g.get("user") is None:
                return redirect(url_for(login_endpoint, next=request.full_path.rstrip("?")))
            return view(*args, **kwargs)
        return wrapped
    return login_required


login_required = login_guard("auth.login")     # the clerks' desk


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

    def check(self, key: str, message: Message) -> None:
        """:raises TooManyAttempts: when `key` failed `limit` times within the window."""
        with self._lock:
            recent = self._recent(key, time.monotonic())
        if len(recent) >= self.limit:
            wait = int(self.window - (time.monotonic() - recent[0])) + 1
            raise TooManyAttempts(message(seconds=wait))

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
    """The app's in-memory throttle called `name` (`lookup_address`), made from the config
    (`<NAME>_MAX_FAILURES`, `<NAME>_LOCK_SECONDS`) on first use; a changed config makes a new one."""
    store = current_app.extensions.setdefault("motcua.throttles", {})
    cfg = current_app.config
    limit, window = int(cfg[f"{name.upper()}_MAX_FAILURES"]), float(cfg[f"{name.upper()}_LOCK_SECONDS"])
    if name not in store or (store[name].limit, store[name].window) != (limit, window):
        store[name] = Throttle(limit, window)
    return store[name]


def client_ip() -> str:
    return request.remote_addr or "?"
