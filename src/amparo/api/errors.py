"""One error shape for every error the application returns.

`{"error": "<code>", "message": "...", "details": [...]}` for the API; HTML pages render the same facts
through the web package's error page. Nothing reaches the client as a traceback or a bare 500.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from amparo.errors import AmparoError

log = logging.getLogger("amparo.api")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_requests",
}


def error_body(code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": code, "message": message, "details": details or []}


def _wants_html(request: Request) -> bool:
    if request.url.path.startswith("/api/"):
        return False
    return "text/html" in request.headers.get("accept", "")


def render_error(
    request: Request,
    status: int,
    code: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    if _wants_html(request):
        renderer = getattr(request.app.state, "html_error_renderer", None)
        if renderer is not None:
            return renderer(request, status, code, message, details or [], headers)
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


def _expected_from(error: dict[str, Any]) -> str:
    ctx = error.get("ctx") or {}
    if "expected" in ctx:
        return str(ctx["expected"])
    if error.get("type") == "missing":
        return "a value (this field is required)"
    return str(error.get("msg", "a valid value")).removeprefix("Value error, ")


def validation_details(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic/FastAPI errors as `{"field", "value", "expected"}`, the field as a dotted path."""
    details = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "form")]
        # A missing field's "input" is the enclosing object; echo nothing rather than the whole body.
        value = None if error.get("type") == "missing" else error.get("input")
        if isinstance(value, (bytes, bytearray)):
            value = value[:200].decode("utf-8", "replace")
        if isinstance(value, dict | list) and len(str(value)) > 500:
            value = str(value)[:500] + "…"
        details.append({"field": ".".join(loc) or "body", "value": value, "expected": _expected_from(error)})
    return details


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AmparoError)
    async def _amparo_error(request: Request, exc: AmparoError) -> Response:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        if exc.status_code == 429 and getattr(exc, "retry_after", None):
            headers = {"Retry-After": str(exc.retry_after)}
        return render_error(request, exc.status_code, exc.code, exc.message, exc.details, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        details = validation_details(list(exc.errors()))
        fields = ", ".join(d["field"] for d in details[:5])
        return render_error(request, 422, "invalid_input", f"The request has invalid values: {fields}.", details)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        if exc.status_code == 404:
            message = f"There is nothing at {request.url.path}. Check the address; the API lives under /api/v1."
        elif exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}."
        else:
            message = str(exc.detail)
        return render_error(request, exc.status_code, code, message, [], getattr(exc, "headers", None))

    @app.exception_handler(OperationalError)
    async def _database_unavailable(request: Request, exc: OperationalError) -> Response:
        # The database could not do the work: SQLite's write lock still held by another writer when the
        # request's wait ran out, or the server unreachable or shutting down. Nothing was committed (the
        # session's transaction is rolled back on the way out), and trying again later is the remedy: a
        # 503 saying so, not the 500 of a defect.
        if "database is locked" in str(exc.orig):
            log.warning("database busy on %s %s: %s", request.method, request.url.path, exc.orig)
            return render_error(
                request, 503, "database_busy",
                "The database is busy with other changes and this request waited too long; nothing was saved. "
                "Try again in a few seconds.", [], {"Retry-After": "5"},
            )
        log.error("database unavailable on %s %s", request.method, request.url.path, exc_info=exc)
        return render_error(
            request, 503, "database_unavailable",
            "The database could not be reached; nothing was saved. Try again in a minute; if it keeps "
            "happening, tell the administrator the time it happened.", [], {"Retry-After": "60"},
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return render_error(
            request,
            500,
            "internal_error",
            "Something went wrong on our side; nothing was saved. Please try again; if it happens again, "
            "tell the administrator the time it happened.",
        )
