"""What every `motcua` command group shares: the data-dir option, one-line failures, and the
whole apps handed down by the `motcua` command."""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import click

from motcua.errors import DomainError


def data_dir_option(whose: str):
    """`--data-dir` (or MOTCUA_DATA_DIR), the folder every command works on."""
    return click.option("--data-dir", envvar="MOTCUA_DATA_DIR", required=True,
                        type=click.Path(file_okay=False),
                        help=f"The {whose}'s folder (or MOTCUA_DATA_DIR).")


@dataclass(frozen=True)
class WholeApps:
    """The factories of the whole apps (domain + API + pages), put on the click context by the
    `motcua` command from its composition root (`motcua.apps`): a package's `serve` command serves
    the whole app without importing the UI itself (Flask's `ScriptInfo.create_app`, for two apps)."""
    node: Callable[[dict], object]
    central: Callable[[dict], object]


def whole_app(side: str, config: dict):
    """The whole `side` ("node" or "central") app for `config`, from the `motcua` command's context.

    :raises click.UsageError: the command was not run under `motcua` (no factories handed down).
    """
    factories = click.get_current_context().find_object(WholeApps)
    if factories is None:
        raise click.UsageError("chạy lệnh này qua `motcua` (run it through the motcua command).")
    return getattr(factories, side)(config)


def report_checks(checks: list, as_json: bool) -> None:
    """Print a doctor's checks (`motcua.health`) as lines or JSON, and exit with the worst's status."""
    import json
    import sys

    from motcua.health import exit_status, report_lines, worst
    if as_json:
        click.echo(json.dumps({"worst": worst(checks), "checks": [c.to_dict() for c in checks]},
                              ensure_ascii=False, indent=2))
    else:
        for line in report_lines(checks):
            click.echo(line)
    sys.exit(exit_status(checks))


def fail_on_domain_error(fn):
    """Turn a domain error, or a database that cannot be opened, into a one-line reason and exit 1."""
    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except DomainError as exc:
            raise click.ClickException(exc.message_vi) from None
        except Exception as exc:
            # peewee only now: `node serve` must choose what peewee imports (node.cli).
            from peewee import OperationalError
            if not isinstance(exc, OperationalError):
                raise
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise click.ClickException(f"Không mở được cơ sở dữ liệu: {first}") from None
    return wrapped


def add_account_commands(group: click.Group, *, whose: str, open_folder, users_module: str,
                         roles: tuple[str, ...], default_role: str | None, role_help: str,
                         example_user: str) -> None:
    """`<group> user add|list|disable|reset-password` and `<group> token create|revoke`, the same
    on the node and at the center.

    `open_folder(data_dir)` opens the app's database (or exits with a reason); `users_module` names
    the module with `add_user`, `list_users`, `disable_user`, `set_password`, `create_token`,
    `revoke_token` and `revoke_tokens` bound to that app's tables.
    """
    import importlib
    import sys

    data_dir = data_dir_option(whose)
    prog = f"motcua {group.name}"

    @group.group("user")
    def user_group():
        """Accounts of people."""

    @user_group.command("add", help=f"""Add an account; the password is read from stdin.

    Example: echo 'mật-khẩu-dài' | {prog} user add --data-dir D --username {example_user} --role {roles[0]}
    """)
    @data_dir
    @click.option("--username", required=True, help="Login name.")
    @click.option("--role", type=click.Choice(roles), default=default_role,
                  required=default_role is None, show_default=default_role is not None,
                  help=role_help)
    @click.option("--full-name", default=None, help="Name shown in the journal and on forms.")
    @fail_on_domain_error
    def user_add_cmd(data_dir, username, role, full_name):
        open_folder(data_dir)
        password = sys.stdin.readline().rstrip("\n")
        user = importlib.import_module(users_module).add_user(username, password, role, full_name)
        click.echo(f"Đã tạo người dùng {user.username} ({user.role}).")

    @user_group.command("list", help=f"""List accounts: username, role, active or disabled.

    Example: {prog} user list --data-dir D
    """)
    @data_dir
    @fail_on_domain_error
    def user_list_cmd(data_dir):
        open_folder(data_dir)
        for user in importlib.import_module(users_module).list_users():
            state = "hoạt động (active)" if user.active else "đã khoá (disabled)"
            click.echo(f"{user.username}\t{user.role}\t{state}\t{user.full_name or ''}")

    @user_group.command("disable", help=f"""Disable an account: it can no longer log in, its
    browser sessions end at once and its API tokens are revoked.

    Example: {prog} user disable --data-dir D --username {example_user}
    """)
    @data_dir
    @click.option("--username", required=True, help="Whose account.")
    @fail_on_domain_error
    def user_disable_cmd(data_dir, username):
        open_folder(data_dir)
        user = importlib.import_module(users_module).disable_user(username)
        click.echo(f"Đã khoá tài khoản {user.username}; phiên đăng nhập và token đã bị thu hồi.")

    @user_group.command("reset-password", help=f"""Set a new password, read from stdin; every
    browser session of the account ends.

    Example: echo 'mật-khẩu-mới-dài' | {prog} user reset-password --data-dir D --username {example_user}
    """)
    @data_dir
    @click.option("--username", required=True, help="Whose account.")
    @fail_on_domain_error
    def user_reset_password_cmd(data_dir, username):
        open_folder(data_dir)
        password = sys.stdin.readline().rstrip("\n")
        user = importlib.import_module(users_module).set_password(username, password)
        click.echo(f"Đã đặt mật khẩu mới cho {user.username}; các phiên đăng nhập cũ đã kết thúc.")

    @group.group("token")
    def token_group():
        """API tokens for scripts."""

    @token_group.command("create", help=f"""Print a new API token (shown once).

    Example: {prog} token create --data-dir D --username {example_user}
    """)
    @data_dir
    @click.option("--username", required=True, help="Whose token.")
    @click.option("--label", default=None, help="What the token is for.")
    @fail_on_domain_error
    def token_create_cmd(data_dir, username, label):
        open_folder(data_dir)
        click.echo(importlib.import_module(users_module).create_token(username, label))

    @token_group.command("revoke", help=f"""Revoke one API token (--token) or every token of a
    user (--username); scripts using them get 401 at once.

    Example: {prog} token revoke --data-dir D --username {example_user}
    """)
    @data_dir
    @click.option("--token", default=None, help="The token to revoke (as printed by token create).")
    @click.option("--username", default=None, help="Revoke every token of this user.")
    @fail_on_domain_error
    def token_revoke_cmd(data_dir, token, username):
        if bool(token) == bool(username):
            raise click.UsageError("Cho đúng một trong --token hoặc --username.")
        open_folder(data_dir)
        users = importlib.import_module(users_module)
        if token:
            users.revoke_token(token)
            click.echo("Đã thu hồi token.")
        else:
            click.echo(f"Đã thu hồi {users.revoke_tokens(username)} token của {username}.")
