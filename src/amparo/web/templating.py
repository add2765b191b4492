"""The Jinja2 environment and `render`, the one way a web view returns a page.

Translations are passed into each render as context functions (not installed on the shared
environment), so concurrent requests in different languages never see each other's catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

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


def switch_url(request: Request, code: str) -> str:
    """This page's address in language `code` (the other query parameters kept)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    params.append(("lang", code))
    # One leading slash: a request for "//other.example/" must not yield a link to another site.
    path = "/" + request.url.path.lstrip("/")
    return f"{path}?{urlencode(params)}"


def page_context(request: Request) -> dict[str, Any]:
    """What every page's layout needs: language, switch, CSRF, flash messages, signed-in person."""
    code = i18n.current()
    return {
        "request": request,
        "lang": i18n.language(code),
        "languages": [(i18n.language(c), switch_url(request, c)) for c in i18n.LANGUAGES],
        "csrf_token": lambda: csrf.csrf_token(request),
        "flashes": flash.pop_flashes(request),
        "user": getattr(request.state, "user", None),
        # Whether to offer "Sign out": a session cookie is enough (an expired one is harmless to revoke).
        "signed_in": getattr(request.state, "user", None) is not None or session_token(request) is not None,
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
