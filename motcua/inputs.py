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

from motcua import errors as E
from motcua.errors import InvalidInput

# The old statistical codes (07024 Quan Lạn) are five digits; the electronic agency codes used in
# dossier codes look like 000.00.04.H40 (domain.md, "Who is where" and "Dossier code").
_UNIT_CODE = re.compile(r"\d{5}|\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}")
_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")


def check_unit_code(text: str | None) -> str:
    """The unit code, trimmed. :raises InvalidInput: not 5 digits (07024) nor an agency code."""
    code = (text or "").strip()
    if not _UNIT_CODE.fullmatch(code):
        raise InvalidInput(E.UNIT_CODE_FORMAT(code=code), field="unit_code")
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
    raise InvalidInput(E.DAY_FORMAT(value=value), field="date")


def check_url(text: str | None) -> str:
    """An http(s) URL with a host, without a trailing slash.
    :raises InvalidInput: no scheme (the usual slip: `10.0.0.5:8700`), another scheme, no host."""
    value = (text or "").strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(E.URL_FORMAT(value=value), field="url")
    try:
        parts.port
    except ValueError:
        raise InvalidInput(E.URL_PORT(value=value), field="url") from None
    return value.rstrip("/")


def check_port_free(host: str, port: int) -> None:
    """:raises InvalidInput: the port is out of range, taken by another program, or not ours to use."""
    if not 1 <= port <= 65535:
        raise InvalidInput(E.PORT_RANGE(port=port), field="port")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise InvalidInput(E.HOST_UNKNOWN(host=host), field="host") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise InvalidInput(E.PORT_BUSY(port=port, host=host), field="port") from None
            if exc.errno == errno.EACCES:
                raise InvalidInput(E.PORT_DENIED(port=port), field="port") from None
            raise InvalidInput(E.PORT_UNUSABLE(port=port, host=host, detail=exc.strerror),
                               field="port") from None


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
