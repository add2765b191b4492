"""The home page."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from amparo.web.routing import web_router
from amparo.web.templating import render

router = web_router()


@router.get("/", name="home")
def home(request: Request) -> HTMLResponse:
    """What Amparo is, the public pages, and the way to sign in."""
    return render(request, "home.html")
