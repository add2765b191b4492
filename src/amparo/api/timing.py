"""`Server-Timing: app;dur=<ms>` on every response, when `AMPARO_SERVER_TIMING` is on.

The time from the request reaching the application to its response headers being sent: queueing
for a worker thread, the database, the engines and rendering, but not HTTP parsing, the socket or
the client. Benchmarks read it to report server time beside what their clients measured; browsers'
developer tools show it. Off by default: it tells anyone how long each request took.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class ServerTiming:
    """ASGI middleware adding the `Server-Timing` header (install it outermost)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed_ms = (time.perf_counter() - started) * 1000
                headers = list(message.get("headers", []))
                headers.append((b"server-timing", f"app;dur={elapsed_ms:.2f}".encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, timed_send)
