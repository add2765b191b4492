"""Every form is protected against cross-site request forgery; a refusal is a clear 403 page."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute

from amparo.web.csrf import CSRF_FIELD
from tests.web.conftest import csrf_from, parse


def _routes(routes, prefix: str = ""):
    """(path, methods) of every route, descending into included routers (older and newer FastAPI)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            context = getattr(route, "include_context", None)
            yield from _routes(included.routes, prefix + (getattr(context, "prefix", "") or ""))
        elif isinstance(route, APIRoute):
            yield prefix + route.path, route.methods


def test_every_unsafe_web_route_refuses_a_post_without_token(client, app) -> None:
    """Behavioural, so it holds however a page module declares its routes."""
    client.get("/sign-in")  # the CSRF cookie, so only the missing token is wrong
    unsafe = sorted(
        {
            (re.sub(r"\{[^}]+\}", "x", path), method)
            for path, methods in _routes(app.router.routes)
            if not path.startswith("/api/")
            for method in methods & {"POST", "PUT", "PATCH", "DELETE"}
        }
    )
    assert ("/sign-in", "POST") in unsafe and ("/sign-out", "POST") in unsafe
    for path, method in unsafe:
        response = client.request(method, path, data={"anything": "1"})
        assert response.status_code == 403 and "csrf_failed" in response.text, f"{method} {path} lacks the CSRF check"


def test_form_without_token_is_refused_with_a_page(client) -> None:
    client.get("/sign-in")  # gets the CSRF cookie
    response = client.post("/sign-in", data={"username": "someone@example.org", "password": "x"})
    assert response.status_code == 403
    doc = parse(response.text)
    assert doc.xpath("//h1") and "csrf_failed" in doc.text_content()
    assert "Nothing was saved" in doc.text_content()


def test_token_from_another_browser_is_refused(client, app) -> None:
    from fastapi.testclient import TestClient

    with TestClient(app, headers={"accept": "text/html"}) as other:
        foreign_token = csrf_from(other.get("/sign-in").text)
    client.get("/sign-in")
    response = client.post("/sign-in", data={"username": "a", "password": "b", CSRF_FIELD: foreign_token})
    assert response.status_code == 403


def test_missing_cookie_is_explained(client) -> None:
    token = csrf_from(client.get("/sign-in").text)
    client.cookies.clear()
    response = client.post("/sign-in", data={"username": "a", "password": "b", CSRF_FIELD: token})
    assert response.status_code == 403 and "cookie" in response.text


def test_post_from_another_site_is_refused_even_with_a_token(client) -> None:
    token = csrf_from(client.get("/sign-in").text)
    response = client.post(
        "/sign-in", data={"username": "a", "password": "b", CSRF_FIELD: token}, headers={"origin": "https://evil.example"}
    )
    assert response.status_code == 403 and "another site" in response.text


def test_valid_token_passes_the_check(client) -> None:
    token = csrf_from(client.get("/sign-in").text)
    response = client.post("/sign-in", data={"username": "", "password": "", CSRF_FIELD: token})
    # Past the CSRF check: the form itself is now judged (both fields are empty).
    assert response.status_code == 422


def test_refusal_is_in_the_persons_language(client) -> None:
    client.get("/sign-in?lang=es")
    response = client.post("/sign-in", data={"username": "a", "password": "b"})
    assert response.status_code == 403
    assert "No se pudo aceptar este formulario" in response.text
