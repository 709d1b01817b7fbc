"""Officers, leaders and admins of the center: accounts, passwords and API tokens.

Roles: an officer handles dossiers (transitions), a leader reads dossiers and figures, an admin does
both and manages points.
"""
from __future__ import annotations

import re
from datetime import datetime

from peewee import IntegrityError

from motcua.errors import Conflict, Forbidden, InvalidInput, Unauthorized
from motcua.passwords import (check_new_password, hash_password, new_api_token, token_digest,
                              verify_password)
from central.db import db
from central.models import ApiToken, User

ROLES = ("officer", "leader", "admin")
CAN_ACT = frozenset({"officer", "admin"})


def add_user(username: str, password: str, role: str, full_name: str | None = None) -> User:
    """Create an account. :raises InvalidInput: bad role/name/password; Conflict: name taken."""
    username = (username or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", username):
        raise InvalidInput("Tên đăng nhập chỉ gồm chữ, số, dấu chấm, gạch ngang, gạch dưới.",
                           field="username")
    if role not in ROLES:
        raise InvalidInput(f"Vai trò phải là một trong: {', '.join(ROLES)}.", field="role")
    try:
        check_new_password(password or "")
    except ValueError as exc:
        raise InvalidInput(str(exc), field="password") from None
    try:
        with db.atomic():
            return User.create(username=username, full_name=full_name or username, role=role,
                               password_hash=hash_password(password), created_at=datetime.now())
    except IntegrityError:
        raise Conflict(f"Tên đăng nhập “{username}” đã có.", field="username",
                       code="username_taken") from None


def authenticate(username: str, password: str) -> User:
    """The active user with these credentials. :raises Unauthorized: otherwise (one message)."""
    user = User.get_or_none(User.username == (username or "").strip())
    if user is None or not user.active or not verify_password(password or "", user.password_hash):
        raise Unauthorized("Sai tên đăng nhập hoặc mật khẩu.", code="bad_credentials")
    return user


def create_token(username: str, label: str | None = None) -> str:
    """Issue an API token (only its digest is stored). :raises InvalidInput: unknown user."""
    user = User.get_or_none(User.username == (username or "").strip())
    if user is None:
        raise InvalidInput(f"Không có người dùng “{username}”.", field="username")
    token = new_api_token()
    ApiToken.create(user=user, token_sha256=token_digest(token), label=label,
                    created_at=datetime.now())
    return token


def user_for_token(token: str) -> User:
    """:raises Unauthorized: when the token is unknown, revoked or its user disabled."""
    row = (ApiToken.select(ApiToken, User).join(User)
           .where((ApiToken.token_sha256 == token_digest(token or "")) & (~ApiToken.revoked))
           .first())
    if row is None or not row.user.active:
        raise Unauthorized("Mã truy cập (token) không hợp lệ hoặc đã bị thu hồi.", code="bad_token")
    return row.user


def require_role(user: User, allowed: frozenset[str]) -> None:
    """:raises Forbidden: when the user's role may not do this."""
    if user.role not in allowed:
        raise Forbidden("Tài khoản của bạn không có quyền thực hiện thao tác này.",
                        code="role_forbidden")


def actor_name(user: User) -> str:
    """How a center user appears in the journal: `username@central`."""
    return f"{user.username}@central"
