"""What the node's and the center's JSON APIs share: bearer tokens, argument parsing, and the one
error handler that answers every failure as `{"error": {"code", "message"}}` in Vietnamese.
"""
from __future__ import annotations

import functools
import logging
from datetime import date
from typing import Callable

from flask import g, jsonify, request
from werkzeug.exceptions import HTTPException

from motcua.errors import DomainError, InvalidInput, Unauthorized

logger = logging.getLogger(__name__)

HTTP_MESSAGES_VI = {
    400: "Yêu cầu không hợp lệ.", 401: "Cần đăng nhập.", 403: "Không có quyền.",
    404: "Không tìm thấy.", 405: "Phương thức không được hỗ trợ.",
    413: "Tệp hoặc dữ liệu gửi lên quá lớn.", 415: "Kiểu dữ liệu không được hỗ trợ.",
    429: "Quá nhiều yêu cầu, hãy thử lại sau.",
    500: "Lỗi máy chủ; dữ liệu chưa bị thay đổi. Hãy thử lại hoặc báo kỹ thuật viên.",
}


def http_message_vi(status: int) -> str:
    return HTTP_MESSAGES_VI.get(status, "Yêu cầu không hợp lệ.")


def bearer_token_required(user_for_token: Callable[[str], object]):
    """A decorator factory: the view needs `Authorization: Bearer <token>`; the user goes on `g.user`."""
    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            if not header.startswith("Bearer "):
                raise Unauthorized("Thiếu mã truy cập: gửi kèm tiêu đề Authorization: Bearer <token>.",
                                   code="missing_token")
            g.user = user_for_token(header[7:].strip())
            return view(*args, **kwargs)
        return wrapped
    return decorator


def json_body() -> dict:
    """The request's JSON object. :raises InvalidInput: when the body is not a JSON object."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidInput("Nội dung phải là một đối tượng JSON hợp lệ.", code="bad_json")
    return data


def int_arg(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(f"Tham số “{name}” phải là số nguyên.", field=name) from None


def date_arg(name: str) -> date | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"Tham số “{name}” phải là ngày dạng YYYY-MM-DD.", field=name) from None


def register_error_handlers(app) -> None:
    """JSON for the API; for a browser page, the UI's renderer (`app.extensions["motcua.render_error"]`)."""

    def renderer():
        render = app.extensions.get("motcua.render_error")
        wants_html = not request.path.startswith(("/api/", "/sync/")) and \
            "html" in request.headers.get("Accept", "")
        return render if render and wants_html else None

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        render = renderer()
        if render:
            return render(exc.status, exc.message_vi)
        return jsonify(exc.to_dict()), exc.status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        message = http_message_vi(exc.code)
        if exc.code >= 500:
            logger.error("server error on %s %s: %s", request.method, request.path, exc)
        render = renderer()
        if render:
            return render(exc.code, message)
        return jsonify({"error": {"code": f"http_{exc.code}", "message": message}}), exc.code
