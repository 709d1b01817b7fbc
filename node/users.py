"""Clerks and admins of a node: accounts, passwords and API tokens (rules in `motcua.accounts`)."""
from __future__ import annotations

from motcua.accounts import Accounts
from node.models import ApiToken, Throttle, User, UserSession

ROLES = ("clerk", "admin")
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
end_stale_sessions = _accounts.end_stale_sessions


def actor_name(user: User) -> str:
    """How a user appears in the journal: `username@unit`."""
    from node.facts import unit_code
    return f"{user.username}@{unit_code()}"
