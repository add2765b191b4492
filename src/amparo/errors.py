"""Domain errors shared by every package.

Each error carries the HTTP status it maps to, a short machine code and a message a person can act on
(what was wrong, the value received, what was expected, how to fix it). The API, the HTML pages and
the CLI each render them in one place.
"""

from __future__ import annotations

from typing import Any


class AmparoError(Exception):
    """Base class of every expected error; never rendered as a 500."""

    status_code: int = 400
    code: str = "bad_request"
    #: Exit status when the error ends a CLI command (2: usage or input error).
    exit_code: int = 2

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or []
        if code is not None:
            self.code = code

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, "details": self.details}


class InvalidInput(AmparoError):
    status_code = 422
    code = "invalid_input"


class NotFound(AmparoError):
    status_code = 404
    code = "not_found"


class Unauthenticated(AmparoError):
    status_code = 401
    code = "unauthenticated"


class Forbidden(AmparoError):
    """Only for records the caller may know exist; otherwise raise NotFound."""

    status_code = 403
    code = "forbidden"


class Conflict(AmparoError):
    status_code = 409
    code = "conflict"


class TooManyRequests(AmparoError):
    status_code = 429
    code = "too_many_requests"


class PayloadTooLarge(AmparoError):
    status_code = 413
    code = "payload_too_large"


class DataError(AmparoError):
    """Shipped or imported data is inconsistent (e.g. a page's header count disagrees with its rows)."""

    status_code = 422
    code = "data_error"
    exit_code = 1


class ServiceUnavailable(AmparoError):
    """A part the request needs (e.g. the audit journal) could not be written; nothing was done or shown."""

    status_code = 503
    code = "service_unavailable"
    exit_code = 1
