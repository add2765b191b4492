"""Messages shown once, on the page after a redirect ("Your application was saved").

They travel in a signed cookie rather than server memory, so any process can show them; a tampered
or expired cookie is ignored. The text is translated when it is set, in the person's language.
"""

from __future__ import annotations

from typing import Literal

from starlette.requests import Request
from starlette.responses import Response

from amparo.web import signing
from amparo.web.cookies import delete_cookie, set_cookie

FLASH_COOKIE = "amparo_flash"
#: A message not shown within ten minutes is stale (the person has gone elsewhere).
FLASH_MAX_AGE = 600
Category = Literal["success", "info", "warning", "error"]


def _secret(request: Request) -> str:
    return request.app.state.settings.secret_key.get_secret_value()


def _read(request: Request) -> list[dict[str, str]]:
    value = signing.loads(_secret(request), "flash", request.cookies.get(FLASH_COOKIE), FLASH_MAX_AGE)
    if not isinstance(value, list):
        return []
    return [m for m in value if isinstance(m, dict) and isinstance(m.get("text"), str)][:10]


def flash(response: Response, request: Request, text: str, category: Category = "info") -> None:
    """Queue `text` (already translated) for the next page this browser renders.

    Messages queued but not yet shown are kept, so two redirects in a row lose nothing.
    """
    pending = _read(request) + [{"text": text, "category": category}]
    set_cookie(response, request, FLASH_COOKIE, signing.dumps(_secret(request), "flash", pending), FLASH_MAX_AGE)


def pop_flashes(request: Request) -> list[dict[str, str]]:
    """The queued messages; `render` then expires the cookie so each is shown once."""
    if FLASH_COOKIE not in request.cookies:
        return []
    request.state.flash_consumed = True
    return _read(request)


def clear_if_consumed(request: Request, response: Response) -> None:
    """Expire the flash cookie once its messages are on a page."""
    if getattr(request.state, "flash_consumed", False):
        delete_cookie(response, request, FLASH_COOKIE)
