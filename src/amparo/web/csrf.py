"""Cross-site request forgery protection for every form.

A browser gets a random identifier in the `amparo_csrf` cookie (HttpOnly). Each form carries
`csrf_token` = HMAC(secret key, identifier + session token). A POST is accepted only when the field
(or the `X-CSRF-Token` header) matches the cookie: another site can make the browser send the
cookie but cannot read it, so it cannot compute the field. Binding the token to the session token
means a cookie planted before sign-in is useless afterwards (sign-in also drops the CSRF cookie).

Every web route gets the check through `protect` as a router dependency; `tests/web` fails if an
unsafe route outside /api/ lacks it.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request

from amparo.errors import Forbidden
from amparo.web import signing
from amparo.web.cookies import CSRF_COOKIE, session_token, set_cookie
from amparo.web.i18n import _

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
#: The identifier outlives any one form; a year keeps pages open in old tabs working.
CSRF_COOKIE_MAX_AGE = 365 * 24 * 3600


class CSRFFailed(Forbidden):
    """A form arrived without a valid CSRF token; nothing in it was acted upon."""

    code = "csrf_failed"


def _secret(request: Request) -> str:
    return request.app.state.settings.secret_key.get_secret_value()


def _identifier(request: Request) -> str:
    """The browser's CSRF identifier, minting one (set on the response by `render`) if it has none."""
    existing = request.cookies.get(CSRF_COOKIE)
    if existing:
        return existing
    minted = getattr(request.state, "csrf_new_identifier", None)
    if minted is None:
        minted = secrets.token_urlsafe(32)
        request.state.csrf_new_identifier = minted
    return minted


def _expected(request: Request, identifier: str) -> str:
    return signing.mac(_secret(request), "csrf", f"{identifier}|{session_token(request) or ''}")


def csrf_token(request: Request) -> str:
    """The token to put in this request's forms (`{{ csrf_field() }}` in templates); made once a request."""
    token = getattr(request.state, "csrf_token", None)
    if token is None:
        token = request.state.csrf_token = _expected(request, _identifier(request))
    return token


def set_csrf_cookie_if_new(request: Request, response) -> None:  # type: ignore[no-untyped-def]
    """Send the identifier minted while rendering this response, if one was."""
    minted = getattr(request.state, "csrf_new_identifier", None)
    if minted:
        set_cookie(response, request, CSRF_COOKIE, minted, max_age=CSRF_COOKIE_MAX_AGE)


def _refuse(reason: str) -> CSRFFailed:
    return CSRFFailed(
        _(
            "This form could not be accepted: {reason} Nothing was saved. Go back, reload the page "
            "and send the form again.",
            reason=reason,
        ),
        details=[{"field": CSRF_FIELD, "value": None, "expected": _("the token from a form this site sent you")}],
    )


async def protect(request: Request) -> None:
    """Router dependency: refuse an unsafe request whose CSRF token is missing or wrong (403).

    Raises:
        CSRFFailed: the cookie or the token is missing, or they do not match, or the request came
            from another site's page.
    """
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host", ""):
        raise _refuse(_("it was sent from a page on another site."))
    identifier = request.cookies.get(CSRF_COOKIE)
    if not identifier:
        raise _refuse(_("your browser did not send back the cookie this site set. Allow cookies for this site."))
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, _expected(request, identifier)):
        raise _refuse(_("the page was open too long, or you signed in or out in another tab since it was loaded."))
