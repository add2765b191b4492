"""After signing in, each role lands on its own start page; a same-site `next` wins, and any other
`next` (another site, a path browsers would read as another site, the sign-in page) is ignored."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from tests.web.web_support import PASSWORD, client_for, csrf, make_app, register


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    application = make_app(tmp_path_factory.mktemp("landing"))
    from amparo.auth import repository as users
    from amparo.auth.policy import Role

    with application.state.sessionmaker() as db:
        users.create_user(db, "consul@arg.example", PASSWORD, Role.COMPLAINTS_OFFICER, "ARG")
        db.commit()
    return application


def _sign_in(app: FastAPI, username: str, next_path: str | None = None, via_query: bool = False):
    client = client_for(app)
    page = client.get("/sign-in" + (f"?next={next_path}" if via_query and next_path else ""))
    form = {"username": username, "password": PASSWORD, "csrf_token": csrf(page.text)}
    if next_path is not None:
        form["next"] = next_path
    return client, client.post("/sign-in", data=form, follow_redirects=False)


@pytest.mark.parametrize(("username", "start", "heading"), [
    ("caseworker@arg.example", "/staff/queue", "Queue"),
    ("supervisor@arg.example", "/supervisor/sign-off", "Refusals to sign"),
    ("admin@arg.example", "/admin/programmes", "Programmes"),
    ("consul@arg.example", "/", None),
])
def test_each_staff_role_lands_on_its_start_page(app: FastAPI, username: str, start: str, heading: str | None) -> None:
    client, response = _sign_in(app, username)
    with client:
        assert response.status_code == 303
        assert response.headers["location"] == start
        landed = client.get(start)
        assert landed.status_code == 200
        if heading:
            assert heading in landed.text


def test_an_applicant_lands_on_my_cases(app: FastAPI) -> None:
    with client_for(app) as client:
        username = register(client)
    client, response = _sign_in(app, username)
    with client:
        assert response.headers["location"] == "/my/cases"
        assert client.get("/my/cases").status_code == 200


def test_a_same_site_next_wins_over_the_start_page(app: FastAPI) -> None:
    client, response = _sign_in(app, "caseworker@arg.example", "/staff/queue?status=open&programme=arg-web-2026")
    client.close()
    assert response.headers["location"] == "/staff/queue?status=open&programme=arg-web-2026"
    # The sign-in page a protected page sent the person to carries `next` through the form.
    with client_for(app) as visitor:
        sent = visitor.get("/my/data", follow_redirects=False)
        assert sent.headers["location"] == "/sign-in?next=%2Fmy%2Fdata"
        assert 'name="next" value="/my/data"' in visitor.get(sent.headers["location"]).text


@pytest.mark.parametrize("unsafe", [
    "//evil.example/", "/\\evil.example", "https://evil.example/", "/\t/evil.example", "evil.example", "/sign-in?next=/x", "/sign-out", "/",
])
def test_an_unsafe_or_useless_next_is_ignored(app: FastAPI, unsafe: str) -> None:
    client, response = _sign_in(app, "supervisor@arg.example", unsafe)
    client.close()
    assert response.status_code == 303
    assert response.headers["location"] == "/supervisor/sign-off"


def test_an_unsafe_next_in_the_address_is_not_put_into_the_form(app: FastAPI) -> None:
    with client_for(app) as client:
        page = client.get("/sign-in?next=//evil.example/")
        assert 'name="next"' not in page.text
