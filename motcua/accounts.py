"""People's accounts, the same rules on the node and at the center: usernames, scrypt passwords,
API tokens stored as digests, server-side browser sessions, a login throttle per account, and
disabling. Each app binds an `Accounts` to its own tables and roles.

A browser session is a row: the cookie only carries a random id whose digest is looked up on each
request, so logging out, a new password or a disabled account ends it for good (a signed cookie
alone would stay valid until it expires).
"""
from __future__ import annotations

import functools
import re
import secrets
from datetime import datetime, timedelta

from peewee import IntegrityError

from motcua import errors as E, legaltime
from motcua.errors import Conflict, InvalidInput, Unauthorized
from motcua.passwords import check_new_password, hash_password, new_api_token, token_digest, verify_password
from motcua.throttle import Throttle

USERNAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
LOCKED_MESSAGE = E.LOGIN_LOCKED


@functools.lru_cache(maxsize=1)
def _stand_in_hash() -> str:
    """A hash checked for unknown usernames, so they cost the same scrypt work as known ones."""
    return hash_password(secrets.token_urlsafe(16))


class Accounts:
    """Account operations over one app's `User`, `ApiToken`, `UserSession` and `Throttle` models."""

    def __init__(self, user_model, token_model, roles: tuple[str, ...], *, session_model=None,
                 throttle_model=None):
        self.User, self.ApiToken, self.roles = user_model, token_model, roles
        self.Session = session_model
        self.logins = Throttle(throttle_model, "login") if throttle_model is not None else None

    def _user(self, username: str):
        """:raises InvalidInput: no such user."""
        user = self.User.get_or_none(self.User.username == (username or "").strip())
        if user is None:
            raise InvalidInput(E.NO_SUCH_USER(username=username), field="username")
        return user

    def add_user(self, username: str, password: str, role: str, full_name: str | None = None):
        """Create an account. :raises InvalidInput: bad role/name/password; Conflict: name taken."""
        username = (username or "").strip()
        if not USERNAME.fullmatch(username):
            raise InvalidInput(E.BAD_USERNAME,
                               field="username")
        if role not in self.roles:
            raise InvalidInput(E.BAD_ROLE(roles=", ".join(self.roles)), field="role")
        try:
            check_new_password(password or "")
        except ValueError as exc:
            raise InvalidInput(exc.args[0], field="password") from None
        try:
            with self.User._meta.database.atomic():
                return self.User.create(username=username, full_name=full_name or username,
                                        role=role, password_hash=hash_password(password),
                                        created_at=legaltime.now())
        except IntegrityError:
            raise Conflict(E.USERNAME_TAKEN(username=username), field="username") from None

    def authenticate(self, username: str, password: str):
        """The active user with these credentials. :raises Unauthorized: otherwise (one message
        whether the name or the password was wrong)."""
        user = self.User.get_or_none(self.User.username == (username or "").strip()[:255])
        # The same scrypt work whether or not the name exists: no timing oracle for usernames.
        matches = verify_password(password or "", user.password_hash if user is not None
                                  else _stand_in_hash())
        if user is None or not user.active or not matches:
            raise Unauthorized(E.BAD_CREDENTIALS)
        return user

    def log_in(self, username: str, password: str, *, max_failures: int, lock_seconds: float):
        """`authenticate`, with a pause after `max_failures` wrong tries on one account (from any
        address; counted in the database). :raises TooManyAttempts: while paused; Unauthorized."""
        key = (username or "").strip().lower()[:100]
        self.logins.check(key, LOCKED_MESSAGE)
        try:
            user = self.authenticate(username, password)
        except Unauthorized:
            self.record_login_failure(key, max_failures=max_failures, lock_seconds=lock_seconds)
            raise
        self.logins.reset(key)
        return user

    def record_login_failure(self, username: str, *, max_failures: int,
                             lock_seconds: float) -> None:
        """Count one wrong password for `username` (known or not)."""
        self.logins.fail((username or "").strip().lower()[:100], limit=max_failures,
                         window_seconds=lock_seconds)

    def list_users(self) -> list:
        """Every account, by username."""
        return list(self.User.select().order_by(self.User.username))

    def set_password(self, username: str, password: str):
        """A new password; every browser session of the account ends.
        :raises InvalidInput: unknown user or weak password."""
        user = self._user(username)
        try:
            check_new_password(password or "")
        except ValueError as exc:
            raise InvalidInput(exc.args[0], field="password") from None
        with self.User._meta.database.atomic():
            user.password_hash = hash_password(password)
            user.save()
            self.end_sessions(user)
        return user

    def disable_user(self, username: str, *, by=None):
        """The account can no longer log in; its sessions end and its API tokens are revoked.
        Disabling twice is harmless. :raises InvalidInput: unknown user; Conflict: `by` (the
        admin acting in the UI) disabling their own account, which would lock them out."""
        user = self._user(username)
        if by is not None and by.id == user.id:
            raise Conflict(E.DISABLE_SELF)
        with self.User._meta.database.atomic():
            user.active = False
            user.save()
            self.end_sessions(user)
            self.ApiToken.update(revoked=True).where(self.ApiToken.user == user).execute()
        return user

    def create_token(self, username: str, label: str | None = None) -> str:
        """Issue an API token; only its digest is stored. :raises InvalidInput: unknown user."""
        user = self._user(username)
        token = new_api_token()
        self.ApiToken.create(user=user, token_sha256=token_digest(token), label=label,
                             created_at=legaltime.now())
        return token

    def user_for_token(self, token: str):
        """:raises Unauthorized: when the token is unknown, revoked or its user disabled."""
        User, ApiToken = self.User, self.ApiToken
        row = (ApiToken.select(ApiToken, User).join(User)
               .where((ApiToken.token_sha256 == token_digest(token or "")) & (~ApiToken.revoked))
               .first())
        if row is None or not row.user.active:
            raise Unauthorized(E.BAD_TOKEN)
        return row.user

    def revoke_token(self, token: str) -> None:
        """:raises InvalidInput: when no live token matches (unknown or already revoked)."""
        ApiToken = self.ApiToken
        count = (ApiToken.update(revoked=True)
                 .where((ApiToken.token_sha256 == token_digest((token or "").strip()))
                        & (~ApiToken.revoked)).execute())
        if not count:
            raise InvalidInput(E.UNKNOWN_TOKEN, field="token")

    def revoke_tokens(self, username: str) -> int:
        """Revoke every live token of a user; how many. :raises InvalidInput: unknown user."""
        user = self._user(username)
        ApiToken = self.ApiToken
        return (ApiToken.update(revoked=True)
                .where((ApiToken.user == user) & (~ApiToken.revoked)).execute())

    def start_session(self, user) -> str:
        """A new browser session for `user`; the id to put in the (signed) cookie."""
        sid = secrets.token_urlsafe(32)
        self.Session.create(user=user, sid_sha256=token_digest(sid), created_at=legaltime.now())
        return sid

    def user_for_session(self, sid: str | None, *, max_age_hours: float):
        """The active user of a live session, or None (unknown, ended, too old, user disabled)."""
        if not sid or not isinstance(sid, str):
            return None
        Session, User = self.Session, self.User
        row = (Session.select(Session, User).join(User)
               .where(Session.sid_sha256 == token_digest(sid)).first())
        if row is None or not row.user.active:
            return None
        if row.created_at < legaltime.now() - timedelta(hours=max_age_hours):
            row.delete_instance()
            return None
        return row.user

    def end_session(self, sid: str | None) -> None:
        """Forget one session (logout); unknown ids are ignored."""
        if sid and isinstance(sid, str):
            self.Session.delete().where(self.Session.sid_sha256 == token_digest(sid)).execute()

    def end_stale_sessions(self, *, max_age_hours: float, now: datetime | None = None) -> int:
        """Forget sessions older than `max_age_hours` (no one logged out of them); how many."""
        since = (now or legaltime.now()) - timedelta(hours=max_age_hours)
        return self.Session.delete().where(self.Session.created_at < since).execute()

    def end_sessions(self, user) -> None:
        """End every session of `user` (new password, disabled)."""
        self.Session.delete().where(self.Session.user == user).execute()
