"""People's accounts, the same rules on the node and at the center: usernames, scrypt passwords,
API tokens stored as digests. Each app binds an `Accounts` to its own tables and roles."""
from __future__ import annotations

import re
from datetime import datetime

from peewee import IntegrityError

from motcua.errors import Conflict, InvalidInput, Unauthorized
from motcua.passwords import (check_new_password, hash_password, new_api_token, token_digest,
                              verify_password)

USERNAME = re.compile(r"[A-Za-z0-9._-]{1,64}")


class Accounts:
    """Account operations over one app's `User` and `ApiToken` models."""

    def __init__(self, user_model, token_model, roles: tuple[str, ...]):
        self.User, self.ApiToken, self.roles = user_model, token_model, roles

    def add_user(self, username: str, password: str, role: str, full_name: str | None = None):
        """Create an account. :raises InvalidInput: bad role/name/password; Conflict: name taken."""
        username = (username or "").strip()
        if not USERNAME.fullmatch(username):
            raise InvalidInput("Tên đăng nhập chỉ gồm chữ, số, dấu chấm, gạch ngang, gạch dưới.",
                               field="username")
        if role not in self.roles:
            raise InvalidInput(f"Vai trò phải là một trong: {', '.join(self.roles)}.", field="role")
        try:
            check_new_password(password or "")
        except ValueError as exc:
            raise InvalidInput(str(exc), field="password") from None
        try:
            with self.User._meta.database.atomic():
                return self.User.create(username=username, full_name=full_name or username,
                                        role=role, password_hash=hash_password(password),
                                        created_at=datetime.now())
        except IntegrityError:
            raise Conflict(f"Tên đăng nhập “{username}” đã có.", field="username",
                           code="username_taken") from None

    def authenticate(self, username: str, password: str):
        """The active user with these credentials. :raises Unauthorized: otherwise (one message
        whether the name or the password was wrong)."""
        user = self.User.get_or_none(self.User.username == (username or "").strip())
        if user is None or not user.active or not verify_password(password or "",
                                                                  user.password_hash):
            raise Unauthorized("Sai tên đăng nhập hoặc mật khẩu.", code="bad_credentials")
        return user

    def create_token(self, username: str, label: str | None = None) -> str:
        """Issue an API token; only its digest is stored. :raises InvalidInput: unknown user."""
        user = self.User.get_or_none(self.User.username == (username or "").strip())
        if user is None:
            raise InvalidInput(f"Không có người dùng “{username}”.", field="username")
        token = new_api_token()
        self.ApiToken.create(user=user, token_sha256=token_digest(token), label=label,
                             created_at=datetime.now())
        return token

    def user_for_token(self, token: str):
        """:raises Unauthorized: when the token is unknown, revoked or its user disabled."""
        User, ApiToken = self.User, self.ApiToken
        row = (ApiToken.select(ApiToken, User).join(User)
               .where((ApiToken.token_sha256 == token_digest(token or "")) & (~ApiToken.revoked))
               .first())
        if row is None or not row.user.active:
            raise Unauthorized("Mã truy cập (token) không hợp lệ hoặc đã bị thu hồi.",
                               code="bad_token")
        return row.user
