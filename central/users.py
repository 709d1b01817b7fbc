"""Officers, leaders and admins of the center: accounts, passwords and API tokens.

Roles: an officer handles dossiers (transitions), a leader reads dossiers and figures, an admin does
both and manages points.
"""
from __future__ import annotations

from central.models import ApiToken, Throttle, User, UserSession
from motcua import errors as E
from motcua.accounts import Accounts
from motcua.errors import Forbidden

ROLES = ("officer", "leader", "admin")
CAN_ACT = frozenset({"officer", "admin"})
_accounts = Accounts(User, ApiToken, ROLES, session_model=UserSession,
                     throttle_model=Throttle)
add_user = _accounts.add_user
authenticate = _accounts.authenticate
create_token = _accounts.create_token
user_for_token = _accounts.user_for_token
log_in = _accounts.log_in
record_login_failure = _accounts.record_login_failure
list_users = _accounts.list_users
set_password = _accounts.set_password
disable_user = _accounts.disable_user
revoke_token = _accounts.revoke_token
revoke_tokens = _accounts.revoke_tokens
start_session = _accounts.start_session
user_for_session = _accounts.user_for_session
end_session = _accounts.end_session


def require_role(user: User, allowed: frozenset[str]) -> None:
    """:raises Forbidden: when the user's role may not do this."""
    if user.role not in allowed:
        raise Forbidden(E.ROLE_FORBIDDEN)


def actor_name(user: User) -> str:
    """How a center user appears in the journal: `username@central`."""
    return f"{user.username}@central"
