"""One catalogue of domain errors, shared by node and center.

Each error has an HTTP status, a stable machine code and a Vietnamese message fit to show a clerk.
The apps' single error handler renders it as `{"error": {"code", "message", "field"?}}` for the API and
as an inline message in the web UI. Domain code raises these; views never build error bodies by hand.
"""
from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message_vi: str, *, code: str | None = None, field: str | None = None,
                 status: int | None = None, fields: dict[str, str] | None = None):
        super().__init__(message_vi)
        self.message_vi = message_vi
        self.field = field
        self.fields = fields or ({field: message_vi} if field else {})
        if code:
            self.code = code
        if status:
            self.status = status

    def to_dict(self) -> dict:
        body = {"code": self.code, "message": self.message_vi}
        if self.field:
            body["field"] = self.field
        if self.fields:
            body["fields"] = self.fields
        return {"error": body}


class InvalidInput(DomainError):
    """Bad input from a person or a script: nothing was changed."""
    status = 422
    code = "invalid_input"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    """The request is well formed but the current state refuses it (e.g. an illegal transition)."""
    status = 409
    code = "conflict"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class TooLarge(DomainError):
    status = 413
    code = "too_large"


class TooManyAttempts(DomainError):
    """Too many wrong passwords or lookup secrets: wait, then try again."""
    status = 429
    code = "too_many_attempts"
