"""ASGI middleware of the web layer: security headers on every response, and the request's language.

Both are plain ASGI (not `BaseHTTPMiddleware`) so they add no buffering and keep streamed responses
streamed.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.datastructures import MutableHeaders
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from amparo.web import i18n

#: No script may run, no style may come from anywhere but our own stylesheet, nothing may frame us,
#: forms post only to us. Pages are server-rendered and work without JavaScript, so nothing is lost.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)

#: The interactive API documentation loads Swagger UI from a CDN with inline script; it alone is
#: exempt from the page policy (it is for developers and holds no personal data).
CSP_EXEMPT_PREFIXES = ("/api/v1/docs",)


class SecurityHeaders:
    """Adds the security headers to every HTTP response that does not already set them.

    Args:
        app: The wrapped application.
        https_only: Send Strict-Transport-Security (everywhere but development).
    """

    def __init__(self, app: ASGIApp, https_only: bool = False):
        self.app = app
        self.https_only = https_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        exempt = path.startswith(CSP_EXEMPT_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if not exempt:
                    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                # A case number in a URL must not leak to another site through the Referer header. Not
                # "no-referrer": with it, browsers send `Origin: null` on our own form posts.
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
                headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
                headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
                if self.https_only:
                    headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _cookie(scope: Scope, name: str) -> str | None:
    # Starlette's lenient parser, as `Request.cookies` uses: one malformed cookie set by another
    # application on the same host must not hide ours.
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            found = cookie_parser(value.decode("latin-1")).get(name)
            if found:
                return found
    return None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


class LocaleMiddleware:
    """Chooses the request's language (`?lang=`, cookie, Accept-Language), makes it current for the
    request, and remembers an explicit `?lang=` choice in a cookie so the next page keeps it."""

    def __init__(self, app: ASGIApp, secure_cookie: bool = False):
        self.app = app
        self.secure_cookie = secure_cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path", "").startswith(("/static/", "/api/")):
            await self.app(scope, receive, send)
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang", [None])[0]
        cookie = _cookie(scope, i18n.LANG_COOKIE)
        code = i18n.choose(query, cookie, _header(scope, b"accept-language"))
        scope.setdefault("state", {})["language"] = code
        remember = i18n.normalise(query) is not None and code != cookie

        async def send_with_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Language", code)
                headers.add_vary_header("Accept-Language")
                headers.add_vary_header("Cookie")
                if remember:
                    secure = "; Secure" if self.secure_cookie else ""
                    headers.append(
                        "Set-Cookie",
                        f"{i18n.LANG_COOKIE}={code}; Max-Age={i18n.LANG_COOKIE_MAX_AGE}; Path=/; SameSite=Lax{secure}",
                    )
            await send(message)

        token = i18n.activate(code)
        recording = i18n.start_request()
        try:
            await self.app(scope, receive, send_with_language)
        finally:
            i18n._produced.reset(recording)
            i18n._current.reset(token)
