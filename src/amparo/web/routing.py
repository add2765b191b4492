"""The router every web page is declared on: HTML responses, CSRF checked on every unsafe method.

A later page module does::

    from amparo.web.routing import web_router
    router = web_router()

    @router.get("/cases/{case_id}")
    def case_page(request: Request, case_id: str) -> HTMLResponse: ...

and adds its module to `amparo.web.PAGE_MODULES`.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from amparo.web.csrf import protect


def web_router() -> APIRouter:
    """A router for HTML pages: CSRF-protected, HTML by default, kept out of the API's OpenAPI."""
    return APIRouter(dependencies=[Depends(protect)], default_response_class=HTMLResponse, include_in_schema=False)
