"""What a technician types, checked before anything is touched: unit codes, dates, URLs, ports.

Each check answers in one Vietnamese line (`InvalidInput`, or `click.BadParameter` through the
parameter types below), so a command never half-runs on a typo and never prints library text.
"""
from __future__ import annotations

import errno
import re
import socket
from datetime import date, datetime
from urllib.parse import urlsplit

import click

from motcua.errors import InvalidInput

# The old statistical codes (07024 Quan Lạn) are five digits; the electronic agency codes used in
# dossier codes look like 000.00.04.H40 (domain.md, "Who is where" and "Dossier code").
_UNIT_CODE = re.compile(r"\d{5}|\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}")
_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")


def check_unit_code(text: str | None) -> str:
    """The unit code, trimmed. :raises InvalidInput: not 5 digits (07024) nor an agency code."""
    code = (text or "").strip()
    if not _UNIT_CODE.fullmatch(code):
        raise InvalidInput(f"Mã đơn vị “{code}” không hợp lệ: cần 5 chữ số (ví dụ 07024) hoặc mã "
                           "điện tử dạng 000.00.04.H40.", field="unit_code", code="bad_unit_code")
    return code


def parse_day(text: str | None) -> date:
    """A day typed as dd/mm/yyyy (31/08/2026) or ISO (2026-08-31).
    :raises InvalidInput: anything else, or a day that does not exist (31/02/2026)."""
    value = (text or "").strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise InvalidInput(f"Ngày “{value}” không hợp lệ: viết dd/mm/yyyy (31/08/2026) hoặc "
                       "yyyy-mm-dd (2026-08-31).", field="date", code="bad_date")


def check_url(text: str | None) -> str:
    """An http(s) URL with a host, without a trailing slash.
    :raises InvalidInput: no scheme (the usual slip: `10.0.0.5:8700`), another scheme, no host."""
    value = (text or "").strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"Địa chỉ “{value}” không hợp lệ: cần dạng http://10.0.0.5:8700 "
                           "(có http:// hoặc https:// ở đầu).", field="url", code="bad_url")
    try:
        parts.port
    except ValueError:
        raise InvalidInput(f"Cổng trong địa chỉ “{value}” không hợp lệ.", field="url",
                           code="bad_url") from None
    return value.rstrip("/")


def check_port_free(host: str, port: int) -> None:
    """:raises InvalidInput: the port is out of range, taken by another program, or not ours to use."""
    if not 1 <= port <= 65535:
        raise InvalidInput(f"Cổng {port} không hợp lệ (1–65535).", field="port", code="bad_port")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise InvalidInput(f"Không tìm thấy địa chỉ “{host}” trên máy này.", field="host",
                           code="bad_host") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise InvalidInput(f"Cổng {port} trên {host} đang bị chương trình khác dùng: dừng "
                                   "chương trình đó hoặc chọn --port khác.", field="port",
                                   code="port_busy") from None
            if exc.errno == errno.EACCES:
                raise InvalidInput(f"Không được phép mở cổng {port} (cổng dưới 1024 cần quyền "
                                   "quản trị): chọn --port khác.", field="port",
                                   code="port_denied") from None
            raise InvalidInput(f"Không mở được cổng {port} trên {host}: {exc.strerror}.",
                               field="port", code="port_unusable") from None


class _Checked(click.ParamType):
    """A click parameter type over one of the checks above (a Vietnamese line on bad input)."""

    def __init__(self, name: str, check):
        self.name = name
        self._check = check

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value
        try:
            return self._check(value)
        except InvalidInput as exc:
            self.fail(exc.message_vi, param, ctx)


DAY = _Checked("date", parse_day)
UNIT_CODE = _Checked("unit_code", check_unit_code)
URL = _Checked("url", check_url)
