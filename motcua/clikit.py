"""What every `motcua` command group shares: the data-dir option and one-line failures."""
from __future__ import annotations

import functools

import click

from motcua.errors import DomainError


def data_dir_option(whose: str):
    """`--data-dir` (or MOTCUA_DATA_DIR), the folder every command works on."""
    return click.option("--data-dir", envvar="MOTCUA_DATA_DIR", required=True,
                        type=click.Path(file_okay=False),
                        help=f"The {whose}'s folder (or MOTCUA_DATA_DIR).")


def fail_on_domain_error(fn):
    """Turn a domain error, or a database that cannot be opened, into a one-line reason and exit 1."""
    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        from peewee import OperationalError
        try:
            return fn(*args, **kwargs)
        except DomainError as exc:
            raise click.ClickException(exc.message_vi) from None
        except OperationalError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise click.ClickException(f"Không mở được cơ sở dữ liệu: {first}") from None
    return wrapped


def add_account_commands(group: click.Group, *, whose: str, open_folder, users_module: str,
                         roles: tuple[str, ...], default_role: str | None, role_help: str,
                         example_user: str) -> None:
    """`<group> user add` and `<group> token create`, the same on the node and at the center.

    `open_folder(data_dir)` opens the app's database (or exits with a reason); `users_module` names
    the module with `add_user` and `create_token` bound to that app's tables.
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
