"""The HTML error page: the same facts as the API's error shape (code, message, details), in the
page style and the person's language.

`install` sets `app.state.html_error_renderer` to `render_error_page`; the API's error handlers call
it for requests outside /api/ that accept text/html.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from amparo.web import i18n
from amparo.web.i18n import N_
from amparo.web.middleware import CONTENT_SECURITY_POLICY

#: Title and what a person can do, per status. Messages are the error's own; these frame them.
PAGES: dict[int, tuple[str, str]] = {
    400: (N_("The request could not be understood"), N_("Check what you sent and try again.")),
    401: (N_("Please sign in"), N_("This page is only for people who have signed in.")),
    403: (N_("This cannot be done"), N_("You do not have permission for this, or the form had expired.")),
    404: (N_("Page not found"), N_("Check the address, or start again from the home page.")),
    405: (N_("This cannot be done here"), N_("Go back and use the links and buttons on the page.")),
    409: (N_("This changed in the meantime"), N_("Someone else changed this while you were working. Reload the page and check before trying again.")),
    413: (N_("What you sent is too large"), N_("Send a smaller file, or split it into several parts.")),
    422: (N_("Some information needs correcting"), N_("Check the values below, correct them and try again.")),
    429: (N_("Too many attempts"), N_("Please wait a few minutes before trying again.")),
    500: (N_("Something went wrong on our side"), N_("Nothing was saved. Please try again in a moment.")),
    503: (N_("The service is busy or unavailable"), N_("Nothing was saved. Please try again in a few moments.")),
}
GENERIC = (N_("Something went wrong"), N_("Please go back and try again."))


def render_error_page(
    request: Request,
    status: int,
    code: str,
    message: str,
    details: list[dict[str, Any]],
    headers: dict[str, str] | None,
) -> Response:
    """Render one error as an HTML page with status `status` (the renderer the API calls)."""
    from amparo.web.templating import render, request_language

    token = i18n.activate(request_language(request))
    try:
        title, advice = PAGES.get(status, GENERIC if status >= 500 else PAGES[400])
        already = i18n.was_translated(message)
        translated = message if already or not message else i18n.gettext(message)
        context = {
            "status": status,
            "code": code,
            "title": i18n.gettext(title),
            "advice": i18n.gettext(advice),
            "message": translated,
            # An English message the catalogue does not know is marked as English, so a screen
            # reader reads it with the right voice instead of mangling it as Arabic or Spanish.
            "message_lang": "en" if not already and translated == message and i18n.current() != "en" else None,
            "details": details,
        }
        response = render(request, "error.html", context, status_code=status, headers=headers)
    finally:
        i18n._current.reset(token)
    # A 500 is rendered by Starlette's outermost middleware, outside our header middleware.
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response
