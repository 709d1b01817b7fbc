"""Officers, leaders and admins of the center: accounts, passwords and API tokens.

Roles: an officer handles dossiers (transitions), a leader reads dossiers and figures, an admin does
both and manages points.
"""
from __future__ import annotations

from motcua.accounts import Accounts
from motcua.errors import Forbidden
from central.models import ApiToken, User

ROLES = ("officer", "leader", "admin")
CAN_ACT = frozenset({"officer", "admin"})
_accounts = Accounts(User, ApiToken, ROLES)
add_user = _accounts.add_user
authenticate = _accounts.authenticate
create_token = _accounts.create_token
user_for_token = _accounts.user_for_token


def require_role(user: User, allowed: frozenset[str]) -> None:
    """:raises Forbidden: when the user's role may not do this."""
    if user.role not in allowed:
        raise Forbidden("Tài khoản của bạn không có quyền thực hiện thao tác này.",
                        code="role_forbidden")


def actor_name(user: User) -> str:
    """How a center user appears in the journal: `username@central`."""
    return f"{user.username}@central"
