"""What the node's and the center's JSON APIs share: bearer tokens, bounded JSON and argument
parsing, same-site redirects, `no-store` caching, and the one error handler that answers every
failure as `{"error": {"code", "message", "message_en"}}` (Vietnamese, and its English).

Everything here is a trust boundary: bytes from anyone on the network become Python values only
after their size, depth, numbers and Unicode are checked, so bad input is a 4xx, never a 500.
"""
from __future__ import annotations

import functools
import json
import logging
import re
from datetime import date
from typing import Callable
from urllib.parse import urlsplit

from flask import g, jsonify, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException

from motcua import errors as E
from motcua.errors import DomainError, InvalidInput, TooLarge, Unauthorized

logger = logging.getLogger(__name__)


def bearer_token_required(user_for_token: Callable[[str], object]):
    """A decorator factory: the view needs `Authorization: Bearer <token>`; the user goes on `g.user`."""
    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            if not header.startswith("Bearer "):
                raise Unauthorized(E.MISSING_TOKEN)
            g.user = user_for_token(header[7:].strip())
            return view(*args, **kwargs)
        return wrapped
    return decorator


MAX_JSON_BYTES = 2 * 1024 * 1024    # a dossier is a few kB; a list of 10,000 blob hashes is 0.7 MB
MAX_JSON_DEPTH = 32                 # our bodies nest 3–4 deep; Python's parser recurses per level
MAX_INT_ARG = 1_000_000             # any page, count or size in a query string stays below this

_JSON_TOKEN = re.compile(r'\\.|["\[\]{}]', re.S)     # an escape pair, a quote or a bracket
_SURROGATE = re.compile("[\ud800-\udfff]")


def check_unicode(text: str, field: str | None = None) -> str:
    """`text` unchanged. :raises InvalidInput: a lone surrogate (not a character: it cannot be
    stored or printed), as a `bad_unicode` 400."""
    if _SURROGATE.search(text):
        raise InvalidInput(E.BAD_UNICODE, field=field)
    return text


def _check_strings(value) -> None:
    """Every key and string in a parsed body is real Unicode (depth already bounded)."""
    if isinstance(value, str):
        check_unicode(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_unicode(key)
            _check_strings(item)
    elif isinstance(value, list):
        for item in value:
            _check_strings(item)


def json_depth(text: str, stop_above: int | None = None) -> int:
    """How deep arrays and objects nest in a JSON text (brackets inside strings do not count).

    One linear pass over quotes, brackets and escape pairs (no backtracking regex: a crafted body
    must not make this slow); stops early once deeper than `stop_above`.
    """
    depth = deepest = 0
    in_string = False
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token == '"':
            in_string = not in_string
        elif in_string or token[0] == "\\":
            continue
        elif token in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if stop_above is not None and deepest > stop_above:
                    break
        else:
            depth -= 1
    return deepest


def parse_json(data: bytes | str, *, max_bytes: int = MAX_JSON_BYTES,
               max_depth: int = MAX_JSON_DEPTH):
    """A JSON text → Python values, bounded.

    :raises TooLarge: more than `max_bytes` (413); InvalidInput: nested deeper than `max_depth`
        (`json_too_deep`) or a lone surrogate in a string (`bad_unicode`), both 400;
        ValueError: not JSON at all (so `get_json(silent=True)` still answers None).
    """
    if len(data) > max_bytes:
        raise TooLarge(E.JSON_TOO_LARGE(mb=max_bytes // (1024 * 1024)))
    text = data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else data
    if json_depth(text, stop_above=max_depth) > max_depth:
        raise InvalidInput(E.JSON_TOO_DEEP(depth=max_depth))
    value = json.loads(text)
    _check_strings(value)
    return value


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with every request body parsed by `parse_json` (whoever calls `get_json`)."""

    def loads(self, s, **kwargs):
        limit = int(self._app.config.get("MAX_JSON_BYTES", MAX_JSON_BYTES))
        return parse_json(s, max_bytes=limit)


def _limit_json_requests() -> None:
    """A JSON body larger than MAX_JSON_BYTES is refused (413) before it is read."""
    if request.is_json:
        from flask import current_app
        request.max_content_length = int(current_app.config.get("MAX_JSON_BYTES", MAX_JSON_BYTES))


def _no_store(response):
    """Nothing a person reads here (ID numbers, names, scans) may sit in a browser's or a proxy's
    cache; only the stylesheet, script and images are left cacheable."""
    if not (request.endpoint or "").endswith("static"):
        response.headers["Cache-Control"] = "no-store"
    return response


def init_boundaries(app) -> None:
    """Bounded JSON on every request, JSON bodies capped early, and `no-store` on every answer."""
    app.json = BoundedJSONProvider(app)
    app.config.setdefault("MAX_JSON_BYTES", MAX_JSON_BYTES)
    app.before_request(_limit_json_requests)
    app.after_request(_no_store)


_UNSAFE_URL_CHARS = re.compile(r"[\x00-\x20\x7f]")


def same_site_path(target: str | None, fallback: str) -> str:
    """`target` when it is a path on this site, else `fallback`: so the login page and the language
    switch are never a redirector. Browsers drop tabs and newlines and read `\\` as `/`, so the
    target is judged as a browser would read it, and only that cleaned form is returned."""
    if not target:
        return fallback
    cleaned = _UNSAFE_URL_CHARS.sub("", target).replace("\\", "/")
    if not cleaned.startswith("/") or cleaned.startswith("//"):
        return fallback
    parts = urlsplit(cleaned)
    if parts.scheme or parts.netloc:
        return fallback
    return cleaned


def json_body() -> dict:
    """The request's JSON object. :raises InvalidInput: when the body is not a JSON object."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidInput(E.BAD_JSON)
    return data


def parse_int(raw: str | None, name: str, default: int, *, low: int = 1,
              high: int = MAX_INT_ARG) -> int:
    """A whole number typed in ASCII digits between `low` and `high` (`default` when absent).

    :raises InvalidInput: anything else (a number too large to page to, "1e9", Arabic digits…).
    """
    if raw is None or raw == "":
        return default
    raw = raw.strip()
    if not re.fullmatch(r"-?[0-9]{1,12}", raw) or not low <= int(raw) <= high:
        raise InvalidInput(E.BAD_INT_ARG(name=name, low=low, high=high), field=name)
    return int(raw)


def int_arg(name: str, default: int, *, low: int = 1, high: int = MAX_INT_ARG) -> int:
    """The query-string argument `name` as a range-checked whole number. :raises InvalidInput:"""
    return parse_int(request.args.get(name), name, default, low=low, high=high)


def date_arg(name: str) -> date | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(E.BAD_DATE_ARG(name=name), field=name) from None


def register_error_handlers(app) -> None:
    """JSON for the API; for a browser page, the UI's renderer (`app.extensions["motcua.render_error"]`),
    called with the status and the catalogue message (`Said`), which it renders in the reader's
    language."""

    def renderer():
        render = app.extensions.get("motcua.render_error")
        wants_html = not request.path.startswith(("/api/", "/sync/")) and \
            "html" in request.headers.get("Accept", "")
        return render if render and wants_html else None

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        render = renderer()
        if render:
            return render(exc.status, exc.said or exc.message_vi)
        return jsonify(exc.to_dict()), exc.status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        said = E.http_message(exc.code)()
        if exc.code >= 500:
            logger.error("server error on %s %s: %s", request.method, request.path, exc)
        render = renderer()
        if render:
            return render(exc.code, said)
        return jsonify({"error": {"code": f"http_{exc.code}", "message": said.text("vi"),
                                  "message_en": said.text("en")}}), exc.code
