"""Refuse oversize request bodies before they are read into memory.

An API client gets the one JSON error shape. A person's browser (a request outside /api/ that accepts
text/html) gets a page in their language instead: the form it came from, shown again with the refusal
beside its file field, where the route names that form's page (`RouteLimit.form_page`); otherwise the
HTML error page. Either way nothing of the body was read, so nothing the person typed can be shown
again: the message says so, and what to do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from re import Pattern
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import compile_path, get_route_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from amparo.api.errors import _wants_html, render_error

#: Where the form page shown again finds the refusal (`refused_body`).
STATE_KEY = "body_too_large"

#: The words a person reads when their body is refused: (body limit, file limit or None) -> message,
#: in the request's language.
Explain = Callable[[int, int | None], str]


@dataclass(frozen=True)
class RouteLimit:
    """The body limit of the routes whose path matches `path`.

    Attributes:
        path: A route path in Starlette's syntax: `{name}` is one segment, `{name:path}` the rest.
        max_bytes: The largest body accepted.
        file_bytes: The largest file the route's form takes, the size named to a person refused (the
            body has room besides for the form's other fields). None: the body's limit is named.
        form_page: A GET route with the same path parameters that shows the route's form. A browser
            refused here gets that page with the refusal beside the file field, not the error page.
    """

    path: str
    max_bytes: int
    file_bytes: int | None = None
    form_page: str | None = None
    pattern: Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pattern", compile_path(self.path)[0])

    def page_for(self, route_path: str) -> str | None:
        """The form page's path for a request to `route_path` (one this limit matched), or None."""
        match = self.pattern.match(route_path)
        if self.form_page is None or match is None:
            return None
        return compile_path(self.form_page)[1].format(**match.groupdict())


@dataclass(frozen=True)
class BodyTooLarge:
    """A body refused for its size, as the form page shown again sees it.

    Attributes:
        received: Bytes declared, or counted before the refusal (at least this many).
        limit: The body's limit.
        file_limit: The largest file the form takes, or None.
        message: What the person reads, in their language.
    """

    received: int
    limit: int
    file_limit: int | None
    message: str


def refused_body(request: Request) -> BodyTooLarge | None:
    """The refusal, when this page is shown because the form sent to it was too large to read."""
    return request.scope.get("state", {}).get(STATE_KEY)


class BodySizeLimit:
    """ASGI middleware: 413 when a body exceeds its route's limit (`routes`), or `max_bytes`.

    Checks the declared Content-Length first, then counts streamed bytes, so a client that lies about
    (or omits) its length is stopped as soon as it crosses the limit. `routes` lets upload routes
    carry a larger limit than the JSON API; the first that matches applies. `explain` words the
    refusal for a person (English bytes, as the API says it, when not given).
    """

    def __init__(
        self, app: ASGIApp, max_bytes: int, routes: Sequence[RouteLimit] = (), explain: Explain | None = None
    ):
        self.app = app
        self.max_bytes = max_bytes
        self.routes = tuple(routes)
        self.explain = explain

    def route_for(self, route_path: str) -> RouteLimit | None:
        """The limit of the first of `routes` that matches `route_path`, or None (then `max_bytes`)."""
        return next((route for route in self.routes if route.pattern.match(route_path)), None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # As the request came: the router adds its match to `scope`, and a form page shown again
        # must be routed afresh.
        original = {**scope, "state": dict(scope.get("state", {}))}
        route = self.route_for(get_route_path(scope))
        limit = route.max_bytes if route is not None else self.max_bytes
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > limit:
                    await self._refuse(original, send, route, declared, limit)
                    return
        received = 0
        overflowed = False
        responded = False

        async def limited_receive() -> Message:
            nonlocal received, overflowed
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    overflowed = True
                    raise _TooLarge(received, limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal responded
            if overflowed and not responded:
                return  # the app's own answer to the overflow: the refusal below replaces it
            if message["type"] == "http.response.start":
                responded = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            pass
        if overflowed and not responded:
            await self._refuse(original, send, route, received, limit)

    async def _refuse(self, scope: Scope, send: Send, route: RouteLimit | None, size: int, limit: int) -> None:
        request = Request(scope)
        if not _wants_html(request):
            details = [{"field": "body", "value": size, "expected": f"at most {limit} bytes"}]
            await render_error(request, 413, "payload_too_large", _message(size, limit), details)(scope, _no_body(), send)
            return
        file_limit = route.file_bytes if route is not None else None
        message = self.explain(limit, file_limit) if self.explain is not None else _message(size, limit)
        page = route.page_for(get_route_path(scope)) if route is not None and scope["method"] == "POST" else None
        if page is None:
            await render_error(request, 413, "payload_too_large", message, [])(scope, _no_body(), send)
            return
        await self._show_form_again(scope, send, page, BodyTooLarge(size, limit, file_limit, message))

    async def _show_form_again(self, scope: Scope, send: Send, page: str, refusal: BodyTooLarge) -> None:
        """Route a GET of the form's page, which finds `refusal` (`refused_body`) and shows it beside
        the file field; its answer goes out as a 413, the POST's status."""
        path = scope.get("root_path", "") + page
        unsent = (b"content-length", b"content-type", b"transfer-encoding")
        page_scope = {
            **scope,
            "method": "GET",
            "path": path,
            "raw_path": quote(path).encode("ascii"),
            "headers": [(name, value) for name, value in scope.get("headers", []) if name not in unsent],
            "state": {**scope["state"], STATE_KEY: refusal},
        }

        async def send_refused(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                message = {**message, "status": 413}
            await send(message)

        await self.app(page_scope, _no_body(), send_refused)


def _no_body() -> Receive:
    """A receive channel for a request that is not read: an empty body, then the client gone."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": b"", "more_body": False}

    return receive


class _TooLarge(HTTPException):
    """An HTTPException so FastAPI passes it through its body parsing; `BodySizeLimit` answers it."""

    def __init__(self, size: int, limit: int):
        super().__init__(413, _message(size, limit))
        self.size = size


def _message(size: int, limit: int) -> str:
    return (
        f"The request body is at least {size} bytes; the limit here is {limit} bytes. "
        "Send a smaller body (split uploads, or compress images)."
    )
