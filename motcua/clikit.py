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
