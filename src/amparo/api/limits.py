"""Refuse oversize request bodies before they are read into memory."""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodySizeLimit:
    """ASGI middleware: 413 in the one error shape when a body exceeds `max_bytes`.

    Checks the declared Content-Length first, then counts streamed bytes, so a client that lies about
    (or omits) its length is stopped as soon as it crosses the limit. `overrides` lets upload routes
    carry a larger limit than the JSON API.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, overrides: dict[str, int] | None = None):
        self.app = app
        self.max_bytes = max_bytes
        self.overrides = overrides or {}

    def _limit_for(self, path: str) -> int:
        for prefix, limit in self.overrides.items():
            if path.startswith(prefix):
                return limit
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit_for(scope.get("path", ""))
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > limit:
                    await _too_large(send, declared, limit)
                    return
        received = 0
        responded = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge(received, limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal responded
            if message["type"] == "http.response.start":
                responded = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge as exc:
            if not responded:
                await _too_large(send, exc.size, limit)


class _TooLarge(HTTPException):
    """An HTTPException so FastAPI passes it through its body parsing and renders it as a 413."""

    def __init__(self, size: int, limit: int):
        super().__init__(413, _message(size, limit))
        self.size = size


def _message(size: int, limit: int) -> str:
    return (
        f"The request body is at least {size} bytes; the limit here is {limit} bytes. "
        "Send a smaller body (split uploads, or compress images)."
    )


async def _too_large(send: Send, size: int, limit: int) -> None:
    body = json.dumps(
        {
            "error": "payload_too_large",
            "message": _message(size, limit),
            "details": [{"field": "body", "value": size, "expected": f"at most {limit} bytes"}],
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
