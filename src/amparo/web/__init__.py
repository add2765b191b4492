"""The server-rendered web interface: pages in English, Spanish, French and Arabic that work with
JavaScript off, on a cheap phone and a slow link.

`install(app)` (called by `amparo.api.app.create_app`) adds, in one place:

* `/static/<hash>/...`: our one stylesheet, cached for a year under a content-hashed URL;
* the pages of every module in `PAGE_MODULES` (each exposes `router = web_router()`, so every
  form is CSRF-checked);
* `app.state.html_error_renderer`: the error page the API's handlers use for browsers;
* middleware: the request's language (`?lang=`, cookie, Accept-Language) and the security headers
  (a Content-Security-Policy that allows no script and no inline style).

Building blocks for pages: `templating.render`, `forms` (Pydantic forms redrawn with their errors),
`csrf`, `flash`, `cookies` (session cookie), `i18n` (`_`, `N_`, dates, numbers, direction).
"""

from __future__ import annotations

import importlib

from fastapi import FastAPI, Request, Response

from amparo.web.assets import STATIC_DIR, STATIC_PREFIX, VersionedStaticFiles
from amparo.web.errors import render_error_page
from amparo.web.middleware import LocaleMiddleware, SecurityHeaders

#: Modules whose `router` holds web pages. A later page module adds itself here.
PAGE_MODULES: tuple[str, ...] = (
    "amparo.web.views.public",
    "amparo.web.views.treaties",
    "amparo.web.views.programmes",
    "amparo.web.views.account",
    "amparo.web.views.verify",
    "amparo.web.views.applicant",
    "amparo.web.views.applicant_filing",
    "amparo.web.views.applicant_drafts",
    "amparo.web.views.data_export",
    "amparo.web.views.staff",
    "amparo.web.views.supervisor",
    "amparo.web.views.admin",
    "amparo.web.views.employer",
)


def _sign_in_first(request: Request, _exc: Exception) -> Response:
    from amparo.web.views.account import sign_in_redirect

    return sign_in_redirect(request)


def install(app: FastAPI) -> None:
    """Add the web interface to `app` (which must have `app.state.settings`)."""
    environment = getattr(app.state.settings, "environment", "production")
    app.mount(STATIC_PREFIX, VersionedStaticFiles(directory=STATIC_DIR), name="static")
    for module_name in PAGE_MODULES:
        app.include_router(importlib.import_module(module_name).router)
    app.state.html_error_renderer = render_error_page
    # Pages behind sign-in raise this (views._pages.signed_in); the answer is the sign-in page.
    from amparo.web.views._pages import SignInRequired

    app.add_exception_handler(SignInRequired, _sign_in_first)
    # Added last, so they run first: the language is chosen before anything renders, and the
    # headers land on every response, the API's included.
    app.add_middleware(LocaleMiddleware, secure_cookie=environment != "development")
    app.add_middleware(SecurityHeaders, https_only=environment != "development")
