"""The login form and the language switch, served alike by the clerks' and the officers' UIs.

Each side passes its own accounts (`log_in`, `start_session` of `node.users` or `central.users`), its
cookie's session key, its template and where a safe `next` leads; this floor never imports either.
"""
from __future__ import annotations

from typing import Callable

from flask import current_app, redirect, render_template, request, session

from motcua.errors import Unauthorized
from webui import i18n
from webui.security import begin_session


def login_page(session_key: str, log_in: Callable, start_session: Callable, template: str,
               safe_next: Callable[[str | None], str]):
    """The login view's body: the form; on POST check the password, pausing after repeated
    failures (LOGIN_MAX_FAILURES, LOGIN_LOCK_SECONDS), then a fresh cookie holding the new server
    session under `session_key` and a redirect to `?next` as `safe_next` allows. 401 on refusal."""
    error, username = None, ""
    if request.method == "POST":
        username = request.form.get("username", "").strip()[:100]
        cfg = current_app.config
        try:
            user = log_in(username, request.form.get("password", ""),
                          max_failures=int(cfg["LOGIN_MAX_FAILURES"]),
                          lock_seconds=float(cfg["LOGIN_LOCK_SECONDS"]))
        except Unauthorized as exc:
            error = exc.message_vi
        else:
            begin_session(session_key, start_session(user))    # fresh cookie and CSRF token
            return redirect(safe_next(request.args.get("next")))
    return render_template(template, error=error, username=username), (401 if error else 200)


def switch_language(safe_next: Callable[[str | None], str]):
    """Keep the chosen language (Vietnamese or English) in the cookie, then go back where the
    reader was (`back`, as `safe_next` allows)."""
    lang = request.form.get("lang")
    if lang in i18n.LANGUAGES:
        session["lang"] = lang
    return redirect(safe_next(request.form.get("back")))
