"""The Jinja2 environment and `render`, the one way a web view returns a page.

Translations are passed into each render as context functions (not installed on the shared
environment), so concurrent requests in different languages never see each other's catalogue.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Match

from amparo.web import csrf, flash, i18n
from amparo.web.assets import static_url
from amparo.web.cookies import session_token

TEMPLATES_DIR = Path(__file__).parent / "templates"
_loader = ChoiceLoader([FileSystemLoader(str(TEMPLATES_DIR))])

env = Environment(
    loader=_loader,
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
    # The templates ship with the package and change only with a new release, which restarts the
    # server: no need to stat every template file on every page (restart `amparo serve` after editing one).
    auto_reload=False,
)
# `{% trans %}` collapses whitespace, so a reflowed template does not change its msgids.
env.policies["ext.i18n.trimmed"] = True
# New-style gettext: `{% trans %}` passes its variables to our `gettext`, which escapes them.
env.newstyle_gettext = True  # type: ignore[attr-defined]
env.globals["static_url"] = static_url
env.globals["format_date"] = i18n.format_date
env.globals["format_number"] = i18n.format_number
env.globals["territory_name"] = i18n.territory_name
env.globals["CSRF_FIELD"] = csrf.CSRF_FIELD


def add_template_dir(path: Path) -> None:
    """Let a domain package keep its own templates (searched after the web package's)."""
    _loader.loaders.append(FileSystemLoader(str(path)))


def _gettext(message: str, **variables: Any) -> Markup:
    # As Jinja's new-style gettext: the translation is trusted markup, the variables are escaped.
    return Markup(i18n.translations(i18n.current()).gettext(message)) % variables


def _ngettext(singular: str, plural: str, num: int, **variables: Any) -> Markup:
    variables.setdefault("num", num)
    return Markup(i18n.translations(i18n.current()).ngettext(singular, plural, num)) % variables


# They read the language from a context variable, so they are safe as shared globals and work in
# imported macros too.
env.globals.update(gettext=_gettext, _=_gettext, ngettext=_ngettext)


def request_language(request: Request) -> str:
    """The language the locale middleware chose, or the same choice made here (error pages rendered
    outside the middleware)."""
    chosen = request.scope.get("state", {}).get("language")
    if chosen:
        return chosen
    return i18n.choose(
        request.query_params.get("lang"), request.cookies.get(i18n.LANG_COOKIE), request.headers.get("accept-language")
    )


#: Where each role lands after signing in when no page asked for the sign-in (`next`), and what the
#: layout offers a signed-in person on every page.
START_PAGES: dict[str, str] = {
    "applicant": "/my/cases",
    "caseworker": "/staff/queue",
    "supervisor": "/supervisor/sign-off",
    "programme_admin": "/admin/programmes",
}

#: Characters a path keeps as they are in a link; anything else (a backslash, a space, a control
#: character) is percent-encoded, so a browser cannot read the link as another site's address.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def start_page(role: str) -> str:
    """The role's own starting page; the home page for a role without pages of its own."""
    return START_PAGES.get(str(role), "/")


def answers_get(request: Request, path: str) -> bool:
    """Whether a GET of `path` on this request's application reaches a route (a link to it can work)."""
    app = request.scope.get("app")
    if app is None:
        return False
    scope = {"type": "http", "method": "GET", "path": path, "root_path": "", "headers": [], "query_string": b""}
    return any(route.matches(scope)[0] is Match.FULL for route in app.router.routes)


def nearest_page(request: Request, path: str) -> str:
    """`path` if a GET answers it, else its nearest parent that one does ("/" at worst): the page a
    POST-only address such as /my/cases/N/appeal belongs to (/my/cases/N)."""
    candidate = "/" + path.lstrip("/")
    while candidate != "/":
        if answers_get(request, candidate):
            return candidate
        candidate = candidate[:-1] if candidate.endswith("/") else (candidate.rsplit("/", 1)[0] or "/")
    return "/"


def _referring_page(request: Request) -> tuple[str, list[tuple[str, str]]] | None:
    """The page of this site the browser says it came from (browsers send it for same-site requests:
    `Referrer-Policy: same-origin`), when a GET answers it; None otherwise."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.scheme not in ("http", "https") or not referer.netloc or referer.netloc != request.url.netloc:
        return None
    path = "/" + unquote(referer.path).lstrip("/")
    if not answers_get(request, path):
        return None
    return path, parse_qsl(referer.query, keep_blank_values=True)


def form_page(request: Request) -> tuple[str, list[tuple[str, str]]]:
    """The address (path, query) of the page the person is looking at, one that answers a GET.

    For a GET, the request's own address. A page answering a form (a POST that came back with
    errors) is shown at the form's address, which may answer POST only: then the page the form
    lives on, as the browser reports it, or else the nearest address above the form's that a GET
    answers (the route table decides, so the result is always a page of this site).
    """
    path = request.scope["path"]  # decoded: `request.url.path` escapes some characters, not all
    if request.method in ("GET", "HEAD"):
        return path, request.query_params.multi_items()
    return _referring_page(request) or (nearest_page(request, path), [])


def page_address(request: Request) -> str:
    """`form_page` as a path with its query, e.g. for a sign-in's `next`."""
    if request.method in ("GET", "HEAD"):
        return request.url.path + (f"?{request.url.query}" if request.url.query else "")
    path, params = form_page(request)
    return path + (f"?{urlencode(params)}" if params else "")


def _in_language(page: tuple[str, list[tuple[str, str]]], code: str) -> str:
    path, params = page
    query = [(k, v) for k, v in params if k != "lang"]
    query.append(("lang", code))
    # One leading slash, and no backslash or control character left as is: a request for
    # "//other.example/" or "/%5Cother.example" must not yield a link to another site.
    return "/" + quote(path.lstrip("/"), safe=_PATH_SAFE) + "?" + urlencode(query)


def switch_url(request: Request, code: str) -> str:
    """This page's address in language `code` (the other query parameters kept); always one that a
    GET answers, even on the page answering a form's POST (see `form_page`)."""
    return _in_language(form_page(request), code)


def on_event_loop() -> bool:
    """Whether this thread is running an asyncio loop (where no database query may run)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def layout_user(request: Request) -> Any:
    """The signed-in person (`web.session.SignedInUser`) for the menu, or None.

    A signed-in page has already resolved them. On a public page (home, programmes, treaties,
    sign-in) a session cookie is checked here, so the menu offers the person's own start page
    everywhere. Not on the event loop (error pages rendered by the API's async handlers), where no
    query may run: those pages offer "Sign out" only. A database that cannot answer costs the link,
    never the page.
    """
    user = getattr(request.state, "user", None)
    app = request.scope.get("app")
    if user is not None or session_token(request) is None or app is None or on_event_loop():
        return user
    sessions = getattr(app.state, "read_sessionmaker", None)
    if sessions is None:
        return None
    from amparo.web.session import current_user  # imports the auth package, which imports the database layer

    try:
        with sessions() as db:
            current_user(request, db)
    except SQLAlchemyError:
        return None
    return getattr(request.state, "user", None)


def page_context(request: Request) -> dict[str, Any]:
    """What every page's layout needs: language, switch, CSRF, flash messages, signed-in person."""
    code = i18n.current()
    user = layout_user(request)
    page = form_page(request)
    return {
        "request": request,
        "lang": i18n.language(code),
        "languages": [(i18n.language(c), _in_language(page, c)) for c in i18n.LANGUAGES],
        "csrf_token": lambda: csrf.csrf_token(request),
        "flashes": flash.pop_flashes(request),
        "user": user,
        # The role's own start page for the menu and the home page; None for a role without one.
        "start_page": START_PAGES.get(str(user.role)) if user is not None else None,
        # Whether to offer "Sign out": a session cookie is enough (an expired one is harmless to revoke).
        "signed_in": user is not None or session_token(request) is not None,
        "current_path": request.url.path,
    }


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    cache_control: str = "no-store",
) -> HTMLResponse:
    """Render `template` as a full page in the request's language.

    Args:
        request: The request being answered.
        template: Template name, e.g. "treaties/lookup.html".
        context: The page's own values (they may override nothing from `page_context`).
        status_code: HTTP status (422 when a form comes back with errors).
        headers: Extra response headers.
        cache_control: Pages default to `no-store`: many people use shared phones and computers, and
            a page about a person must not stay in a cache. Public pages may pass something longer.
    """
    token = i18n.activate(request_language(request))
    try:
        values = page_context(request)
        values.update(context or {})
        html = env.get_template(template).render(values)
    finally:
        i18n._current.reset(token)
    response = HTMLResponse(html, status_code=status_code, headers=dict(headers or {}))
    response.headers.setdefault("Cache-Control", cache_control)
    csrf.set_csrf_cookie_if_new(request, response)
    flash.clear_if_consumed(request, response)
    return response
