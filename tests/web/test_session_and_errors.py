"""Sign-in against the real auth service, cookie attributes, flash messages, static caching and the
error page."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from amparo.web.assets import static_url
from tests.web.conftest import csrf_from, parse


@pytest.fixture
def user(app) -> tuple[str, str]:
    from amparo.auth.repository import create_user

    username, password = "maria@example.org", "a long enough passphrase 42"
    with app.state.sessionmaker() as session:
        if session.execute(__import__("sqlalchemy").text("select 1 from users where username = :u"), {"u": username}).first() is None:
            create_user(session, username, password, "applicant", None)
            session.commit()
    return username, password


def test_sign_in_sets_a_safe_session_cookie_and_sign_out_revokes_it(client, user) -> None:
    username, password = user
    token = csrf_from(client.get("/sign-in").text)
    response = client.post(
        "/sign-in", data={"username": username, "password": password, "csrf_token": token, "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/my/cases"  # the unsafe next is ignored: the start page
    cookies = response.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookies if c.startswith("amparo_session="))
    assert "HttpOnly" in session_cookie and "SameSite=lax" in session_cookie and "Max-Age=" in session_cookie
    assert any(c.startswith("amparo_csrf=") and "Max-Age=0" in c for c in cookies)  # a fresh CSRF id after sign-in

    home = client.get("/")
    sign_out_token = csrf_from(home.text)
    out = client.post("/sign-out", data={"csrf_token": sign_out_token}, follow_redirects=False)
    assert out.status_code == 303
    assert any(c.startswith("amparo_session=") and "Max-Age=0" in c for c in out.headers.get_list("set-cookie"))
    page = client.get("/")
    assert "You have signed out." in page.text
    assert "You have signed out." not in client.get("/").text  # shown once


def test_wrong_password_is_one_message_beside_the_field(client, user) -> None:
    token = csrf_from(client.get("/sign-in?lang=fr").text)
    response = client.post("/sign-in", data={"username": user[0], "password": "wrong", "csrf_token": token})
    assert response.status_code == 401
    doc = parse(response.text)
    assert "mot de passe n'est pas correct" in doc.get_element_by_id("password-error").text_content()
    assert doc.get_element_by_id("username").get("value") == user[0]


def test_cookies_are_secure_outside_development(production_client) -> None:
    response = production_client.get("/sign-in?lang=es")
    cookies = response.headers.get_list("set-cookie")
    assert cookies and all("Secure" in c and "SameSite=lax" in c.replace("Lax", "lax") for c in cookies)
    assert "max-age=63072000" in response.headers["strict-transport-security"]


def test_static_assets_are_versioned_and_cached_for_a_year(client) -> None:
    url = static_url("amparo.css")
    response = client.get(url)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/css")
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    stale = client.get(url.replace(url.split("/")[2], "000000000000"))
    assert stale.status_code == 200 and "immutable" not in stale.headers["cache-control"]
    assert url in client.get("/").text


def test_error_page_in_spanish_marks_an_english_domain_message(client) -> None:
    response = client.get("/no-such-page?lang=es")
    doc = parse(response.text)
    assert doc.xpath("string(//h1)") == "Página no encontrada"
    message = doc.xpath("//p[@class='error-message']")[0]
    assert message.get("lang") == "en"  # the API's English message, marked for screen readers


def test_translated_web_error_is_not_marked_english(client) -> None:
    doc = parse(client.get("/programmes/nope?lang=es").text)
    message = doc.xpath("//p[@class='error-message']")[0]
    assert message.get("lang") is None and "No existe el programa «nope»" in message.text_content()


def test_unexpected_error_is_a_500_page_with_the_security_headers(app) -> None:
    from amparo.web.routing import web_router

    router = web_router()

    @router.get("/__boom")
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    app.include_router(router)
    with TestClient(app, headers={"accept": "text/html"}, raise_server_exceptions=False) as fresh:
        response = fresh.get("/__boom?lang=ar")
    assert response.status_code == 500
    assert "default-src 'none'" in response.headers["content-security-policy"]
    root = parse(response.text).getroottree().getroot()
    assert root.get("dir") == "rtl" and "internal_error" in response.text and "secret internal detail" not in response.text


def test_sign_in_returns_to_the_page_that_asked(client, user) -> None:
    from starlette.requests import Request

    from amparo.web.views.account import sign_in_redirect

    scope = {"type": "http", "method": "GET", "path": "/programmes/col-etpv-2021", "query_string": b"lang=es", "headers": []}
    redirect = sign_in_redirect(Request(scope))
    assert redirect.status_code == 303
    form_page = client.get(redirect.headers["location"])
    hidden = parse(form_page.text).xpath("//input[@name='next']")[0].get("value")
    assert hidden == "/programmes/col-etpv-2021?lang=es"
    response = client.post(
        "/sign-in",
        data={"username": user[0], "password": user[1], "csrf_token": csrf_from(form_page.text), "next": hidden},
        follow_redirects=False,
    )
    assert response.headers["location"] == hidden


@pytest.mark.parametrize(
    ("error", "status", "title"),
    [
        ("Forbidden", 403, "Cette action est impossible"),
        ("Conflict", 409, "Ceci a changé entre-temps"),
        ("InvalidInput", 422, "Certaines informations sont à corriger"),
        ("NotFound", 404, "Page introuvable"),
    ],
)
def test_domain_errors_render_the_error_shape_as_a_page(app, error: str, status: int, title: str) -> None:
    import amparo.errors
    from amparo.web.routing import web_router

    router = web_router()
    path = f"/__raise-{error}"

    @router.get(path)
    def raise_it() -> None:
        raise getattr(amparo.errors, error)(
            "The case changed since you opened it.", details=[{"field": "version", "value": 3, "expected": "4"}]
        )

    app.include_router(router)
    with TestClient(app, headers={"accept": "text/html"}) as fresh:
        response = fresh.get(f"{path}?lang=fr")
    assert response.status_code == status
    doc = parse(response.text)
    assert doc.xpath("string(//h1)") == title
    text = doc.text_content()
    assert "The case changed since you opened it." in text and amparo.errors.__dict__[error].code in text
    assert "« 3 »" in text and "attendu : 4" in text
