"""The one `motcua` command: each package contributes its group (`node`, `central`, `parcel`),
and the command hands every group the whole apps composed in `motcua.apps`."""
from __future__ import annotations

import logging

import click

from central.cli import central_group
from motcua.apps import create_central_app, create_node_app
from motcua.clikit import WholeApps
from motcua.demo import demo_cmd
from motcua.parcel_cli import parcel_group
from node.cli import node_group


class _OneLineGroup(click.Group):
    """The top group: an unexpected error becomes one Vietnamese line and exit 1, never a
    traceback (the traceback goes to the log, shown with `motcua -v …`)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit,
                KeyboardInterrupt):
            raise
        except Exception as exc:        # noqa: BLE001 - the last line before a person's terminal
            logging.getLogger("motcua").debug("unexpected error", exc_info=True)
            raise click.ClickException(describe_failure(exc)) from None


def describe_failure(exc: BaseException) -> str:
    """One Vietnamese line for an error no command foresaw."""
    from motcua.errors import DomainError
    if isinstance(exc, DomainError):
        return exc.message_vi
    if isinstance(exc, PermissionError):
        return f"Không có quyền truy cập {exc.filename or 'tệp'}: chạy bằng đúng người dùng của dịch vụ."
    if isinstance(exc, FileNotFoundError):
        return f"Không tìm thấy {exc.filename or 'tệp'}."
    if isinstance(exc, OSError) and exc.errno == 28:
        return "Ổ đĩa đã đầy: giải phóng chỗ trống rồi chạy lại."
    if isinstance(exc, OSError):
        return f"Lỗi hệ thống tệp: {exc.strerror or type(exc).__name__}."
    first = (str(exc).strip().splitlines() or [""])[0][:200]
    return (f"Lỗi không mong đợi ({type(exc).__name__}{': ' + first if first else ''}). "
            "Chạy lại với `motcua -v …` để xem chi tiết và báo kỹ thuật viên.")


@click.group(cls=_OneLineGroup)
@click.option("-v", "--verbose", is_flag=True, help="Log more.")
@click.pass_context
def main(ctx, verbose):
    """motcua: offline-first one-stop reception for commune desks.

    Example: motcua demo
    """
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ctx.obj = WholeApps(node=create_node_app, central=create_central_app)


for _command in (node_group, central_group, parcel_group, demo_cmd):
    main.add_command(_command)
