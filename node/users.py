"""Clerks and admins of a node: accounts, passwords and API tokens (rules in `motcua.accounts`)."""
from __future__ import annotations

from motcua.accounts import Accounts
from node.models import ApiToken, User

ROLES = ("clerk", "admin")
_accounts = Accounts(User, ApiToken, ROLES)
add_user = _accounts.add_user
authenticate = _accounts.authenticate
create_token = _accounts.create_token
user_for_token = _accounts.user_for_token


def actor_name(user: User) -> str:
    """How a user appears in the journal: `username@unit`."""
    from node.state import unit_code
    return f"{user.username}@{unit_code()}"
