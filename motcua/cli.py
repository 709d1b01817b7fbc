"""The one `motcua` command: each package contributes its group (`node`, `central`, `parcel`)."""
from __future__ import annotations

import importlib
import logging

import click


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
def main(verbose):
    """motcua: offline-first one-stop reception for commune desks.

    Example: motcua demo
    """
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


for _module, _name in (("node.cli", "node_group"), ("central.cli", "central_group"),
                       ("sync.cli", "parcel_group"), ("motcua.demo", "demo_cmd")):
    try:
        main.add_command(getattr(importlib.import_module(_module), _name))
    except ModuleNotFoundError as exc:      # a part not built yet; any other error must show
        if exc.name != _module:
            raise
