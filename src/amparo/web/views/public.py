"""The home page."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from amparo.web.routing import web_router
from amparo.web.templating import render

router = web_router()


@router.get("/", name="home")
def home(request: Request) -> HTMLResponse:
    """What Amparo is, the public pages, and the way in: sign in or create an account, or, for someone
    signed in, on to their own start page (the layout knows who is signed in)."""
    return render(request, "home.html")
