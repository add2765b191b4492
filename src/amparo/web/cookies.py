"""The cookies the web layer sets, with one set of attributes for all of them.

Every cookie is `SameSite=Lax` and `Secure` outside development; the session cookie is also
`HttpOnly`, so no script (and there are none) could read the token.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

#: Holds the session token returned by `amparo.auth.service.login(..., kind="web")`.
SESSION_COOKIE = "amparo_session"
#: Holds the random identifier that CSRF tokens are derived from (see `amparo.web.csrf`).
CSRF_COOKIE = "amparo_csrf"


def secure_cookies(request: Request) -> bool:
    """Cookies are sent only over HTTPS everywhere but on a developer's machine."""
    settings = getattr(request.app.state, "settings", None)
    return getattr(settings, "environment", "production") != "development"


def set_cookie(
    response: Response, request: Request, name: str, value: str, max_age: int | None, http_only: bool = True
) -> None:
    """Set `name` with the project's attributes (Path=/, SameSite=Lax, Secure outside development)."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=http_only,
        samesite="lax",
        secure=secure_cookies(request),
    )


def delete_cookie(response: Response, request: Request, name: str) -> None:
    """Expire `name` with the same attributes it was set with (browsers match on them)."""
    response.delete_cookie(name, path="/", httponly=True, samesite="lax", secure=secure_cookies(request))


def session_token(request: Request) -> str | None:
    """The session token the browser sent, if any (checking it is the auth package's job)."""
    return request.cookies.get(SESSION_COOKIE) or None


def set_session_cookie(response: Response, request: Request, token: str, max_age: int | None = None) -> None:
    """Store a new session token after sign-in.

    The CSRF cookie is dropped at the same time, so tokens issued to the anonymous visitor (or to
    anyone who planted a cookie before sign-in) stop working; the next form gets a fresh one.

    Args:
        response: The response (usually the redirect after sign-in).
        request: The sign-in request.
        token: The opaque session token from the auth service.
        max_age: Seconds the browser should keep it; None keeps it until the browser closes.
    """
    set_cookie(response, request, SESSION_COOKIE, token, max_age=max_age)
    delete_cookie(response, request, CSRF_COOKIE)


def clear_session_cookie(response: Response, request: Request) -> None:
    """Forget the session token (sign-out), and the CSRF cookie tied to it."""
    delete_cookie(response, request, SESSION_COOKIE)
    delete_cookie(response, request, CSRF_COOKIE)
