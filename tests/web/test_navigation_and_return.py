"""Getting in and finding one's way: links to create an account and to apply, the signed-in person's
own start page in the menu of every page, signing in with a phone number however it is written, and
never landing on an address that answers POST only (language links after a failed form, `next`
after a session that ended while a form was being filled in)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.web.conftest import parse
from tests.web.web_support import PASSWORD, PROGRAMME, apply, assign, client_for, csrf, make_app, register, sign_in


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return make_app(tmp_path_factory.mktemp("navigation"))


@pytest.fixture(scope="module")
def filed(app: FastAPI) -> tuple[str, str]:
    """An applicant's account and their filed case, assigned to the caseworker."""
    with client_for(app) as client:
        username = register(client)
        number = apply(client)
    assign(app, number)
    return username, number


@pytest.fixture
def open_programme_page(monkeypatch: pytest.MonkeyPatch) -> str:
    """The public pages show the test programme (open today) instead of the shipped examples."""
    from amparo.programmes import parse_programme
    from amparo.web.views import programmes

    monkeypatch.setattr(programmes, "_programmes", lambda: {"arg-web-2026": [parse_programme(PROGRAMME)]})
    return "/programmes/arg-web-2026"


def _signed_in(app: FastAPI, username: str) -> TestClient:
    client = client_for(app)
    sign_in(client, username)
    return client


def _menu(text: str) -> dict[str, str]:
    """The main menu's links: href -> text."""
    return {a.get("href"): a.text_content().strip() for a in parse(text).xpath("//nav[contains(@class,'main-nav')]//a")}


def _language_links(text: str) -> list[str]:
    return parse(text).xpath("//nav[contains(@class,'lang-switch')]//a/@href")


def _location(response) -> str:
    assert response.status_code == 303, response.text
    return response.headers["location"]


# 1. Creating an account and applying can be found.


def test_the_sign_in_page_offers_to_create_an_account_keeping_next(app: FastAPI) -> None:
    with client_for(app) as client:
        plain = parse(client.get("/sign-in").text)
        assert plain.xpath("//main//a[text()='Create an account']/@href") == ["/register"]
        asked = parse(client.get("/sign-in?next=/my/data").text)
        link = asked.xpath("//main//a[text()='Create an account']/@href")[0]
        assert urlsplit(link).path == "/register" and parse_qs(urlsplit(link).query) == {"next": ["/my/data"]}
        # The registration form carries it, and goes there once the account exists.
        form = client.get(link)
        assert parse(form.text).xpath("//input[@name='next']/@value") == ["/my/data"]
        response = client.post("/register", data={
            "username": "next.keeper@example.org", "password": PASSWORD, "given_names": "Rosa", "family_names": "Flores",
            "nationality": "BOL", "jurisdiction": "ARG", "languages": "es", "next": "/my/data", "csrf_token": csrf(form.text),
        }, follow_redirects=False)
        assert _location(response) == "/my/data"


def test_registration_refuses_a_next_to_another_site(app: FastAPI) -> None:
    with client_for(app) as client:
        form = client.get("/register?next=//evil.example/")
        assert 'name="next"' not in form.text
        response = client.post("/register", data={
            "username": "no.redirect@example.org", "password": PASSWORD, "given_names": "Rosa", "family_names": "Flores",
            "jurisdiction": "ARG", "languages": "es", "next": "//evil.example/", "csrf_token": csrf(form.text),
        }, follow_redirects=False)
        assert _location(response) == "/my/cases"


def test_the_home_page_offers_a_visitor_to_sign_in_or_create_an_account(app: FastAPI) -> None:
    with client_for(app) as client:
        home = parse(client.get("/").text)
    assert "/sign-in" in home.xpath("//main//a/@href")
    assert home.xpath("//main//a[text()='Create an account']/@href") == ["/register"]


def test_the_home_page_leads_whoever_holds_a_certificate_to_the_form_that_checks_it(app: FastAPI) -> None:
    # The certificate's holder shows it to an employer or a clinic: they need to find /verify from the front page.
    with client_for(app) as client:
        home = parse(client.get("/?lang=fr").text)
        (link,) = home.xpath("//main//a[@href='/verify']")
        assert link.text == "Vérifier un certificat de demande en cours"
        assert client.get(link.get("href")).status_code == 200


def test_an_open_programme_page_offers_apply_through_sign_in_or_registration_to_the_form(app: FastAPI, open_programme_page: str) -> None:
    with client_for(app) as client:
        page = parse(client.get(open_programme_page).text)
        apply_link = page.xpath("//main//a[text()='Apply']/@href")
        assert apply_link == ["/my/apply?programme=arg-web-2026"]
        to_sign_in = _location(client.get(apply_link[0], follow_redirects=False))
        sign_in_page = client.get(to_sign_in)
        create = parse(sign_in_page.text).xpath("//main//a[text()='Create an account']/@href")[0]
        form = client.get(create)
        response = client.post("/register", data={
            "username": "applies.from.programme@example.org", "password": PASSWORD, "given_names": "Rosa", "family_names": "Flores",
            "nationality": "BOL", "jurisdiction": "ARG", "languages": "es", "next": parse(form.text).xpath("//input[@name='next']/@value")[0],
            "csrf_token": csrf(form.text),
        }, follow_redirects=False)
        assert _location(response) == "/my/apply?programme=arg-web-2026"
        form = client.get("/my/apply?programme=arg-web-2026")
        assert form.status_code == 200
        # The form arrives with that programme chosen, as does the step-by-step one; an unknown one is not.
        assert parse(form.text).xpath("//select[@name='programme_id']/option[@selected]/@value") == ["arg-web-2026"]
        steps = client.get("/my/drafts/new?programme=arg-web-2026")
        assert parse(steps.text).xpath("//select[@name='programme_id']/option[@selected]/@value") == ["arg-web-2026"]
        other = client.get("/my/apply?programme=not-a-programme")
        assert parse(other.text).xpath("//select[@name='programme_id']/option[@selected]/@value") in ([], [""])


def test_apply_is_not_offered_to_staff(app: FastAPI, open_programme_page: str) -> None:
    with _signed_in(app, "caseworker@arg.example") as client:
        assert parse(client.get(open_programme_page).text).xpath("//main//a[text()='Apply']") == []


# 2. A signed-in person finds their own pages from everywhere.


@pytest.mark.parametrize(("who", "start", "label"), [
    ("applicant", "/my/cases", "My cases"),
    ("caseworker@arg.example", "/staff/queue", "Queue"),
    ("supervisor@arg.example", "/supervisor/sign-off", "Refusals to sign"),
    ("admin@arg.example", "/admin/programmes", "Publish programmes"),
])
@pytest.mark.parametrize("public", ["/", "/programmes", "/treaties", "/sign-in"])
def test_the_menu_of_a_signed_in_person_links_to_their_start_page_on_public_pages(
    app: FastAPI, filed: tuple[str, str], who: str, start: str, label: str, public: str
) -> None:
    with _signed_in(app, filed[0] if who == "applicant" else who) as client:
        response = client.get(public)
    assert response.status_code == 200
    menu = _menu(response.text)
    assert menu.get(start) == label
    assert "/sign-in" not in menu


@pytest.mark.parametrize(("who", "start"), [
    ("applicant", "/my/cases"), ("caseworker@arg.example", "/staff/queue"), ("admin@arg.example", "/admin/programmes"),
])
def test_the_home_page_offers_a_signed_in_person_their_start_page_instead_of_sign_in(
    app: FastAPI, filed: tuple[str, str], who: str, start: str
) -> None:
    with _signed_in(app, filed[0] if who == "applicant" else who) as client:
        home = parse(client.get("/").text)
    links = home.xpath("//main//a/@href")
    assert start in links
    assert "/sign-in" not in links and "/register" not in links
    assert home.xpath(f"//main//a[@href='{start}']/text()")[0].startswith("Continue to your")


def test_an_ended_session_gets_the_visitors_home_page(app: FastAPI) -> None:
    with client_for(app) as client:
        client.cookies.set("amparo_session", "not-a-live-token")
        home = parse(client.get("/").text)
    assert "/sign-in" in home.xpath("//main//a/@href")


# 3. One way to write an account's name, for registration and sign-in alike.


@pytest.mark.parametrize("typed", ["+57 300 555-0101", "+57 (300) 555 0101", "+57.300.555.0101", "+573005550101", " +57 300 5550101 "])
def test_a_person_registered_with_a_phone_number_signs_in_however_they_write_it(app: FastAPI, typed: str) -> None:
    with client_for(app) as client:
        try:
            register(client, username="+57 300 555-0101")
        except AssertionError:
            pass  # registered by an earlier parameter
    with client_for(app) as client:
        page = client.get("/sign-in")
        response = client.post("/sign-in", data={"username": typed, "password": PASSWORD, "csrf_token": csrf(page.text)}, follow_redirects=False)
        assert _location(response) == "/my/cases"


def test_registration_and_sign_in_trim_and_case_fold_an_email_address(app: FastAPI) -> None:
    with client_for(app) as client:
        register(client, username="  Ana.Quispe@Example.ORG ")
    with client_for(app) as client:
        page = client.get("/sign-in")
        response = client.post("/sign-in", data={"username": " ana.quispe@example.org", "password": PASSWORD, "csrf_token": csrf(page.text)},
                               follow_redirects=False)
        assert _location(response) == "/my/cases"


@pytest.mark.parametrize("typed", ["2024-001", " 2024-001 "])
def test_a_staff_handle_of_digits_and_dashes_signs_in_as_it_was_created(app: FastAPI, typed: str) -> None:
    # `amparo users create --username 2024-001` stores the handle as typed; read as a phone number it
    # would be "2024001", an account that does not exist.
    from amparo.auth import repository as users
    from amparo.auth.policy import Role

    with app.state.sessionmaker() as db:
        if users.get_user_by_username(db, "2024-001") is None:
            users.create_user(db, "2024-001", PASSWORD, Role.CASEWORKER, "ARG")
            db.commit()
    with client_for(app) as client:
        page = client.get("/sign-in")
        response = client.post("/sign-in", data={"username": typed, "password": PASSWORD, "csrf_token": csrf(page.text)}, follow_redirects=False)
        assert _location(response) == "/staff/queue"


def test_one_normalisation_serves_registration_and_sign_in() -> None:
    from amparo.web.views.account import SignInForm, normalise_contact
    from amparo.web.views.applicant import RegisterForm

    assert normalise_contact("+57 300 555-0101") == "+573005550101"
    assert SignInForm(username="+57 300 555-0101", password="x").username == "+573005550101"
    registered = RegisterForm(username="+57 300 555-0101", password=PASSWORD, given_names="A", family_names="B", jurisdiction="ARG", languages="es")
    assert registered.username == "+573005550101"
    assert SignInForm(username="caseworker@ARG.example ", password="x").username == "caseworker@arg.example"


# 4. Never an address that answers POST only.


def _failed_posts(app: FastAPI, filed: tuple[str, str]) -> Iterator[tuple[str, object]]:
    """(what, response) for forms sent with errors, each by the person it is for."""
    applicant_name, number = filed
    with _signed_in(app, applicant_name) as client:
        token = csrf(client.get(f"/my/cases/{number}").text)
        for form in ("appeal", "information", "evidence"):
            yield f"applicant {form}", client.post(f"/my/cases/{number}/{form}", data={"csrf_token": token}, follow_redirects=False)
        yield "draft start", client.post("/my/drafts", data={"csrf_token": token, "programme_id": "no-such-programme"}, follow_redirects=False)
    with _signed_in(app, "caseworker@arg.example") as client:
        token = csrf(client.get(f"/staff/cases/{number}").text)
        for form in ("decision", "request-information"):
            yield f"caseworker {form}", client.post(f"/staff/cases/{number}/{form}", data={"csrf_token": token}, follow_redirects=False)
    with _signed_in(app, "supervisor@arg.example") as client:
        token = csrf(client.get(f"/supervisor/cases/{number}").text)
        for form in ("sign-off", "assign"):
            yield f"supervisor {form}", client.post(f"/supervisor/cases/{number}/{form}", data={"csrf_token": token}, follow_redirects=False)


def test_after_a_failed_form_every_language_link_answers_a_get(app: FastAPI, filed: tuple[str, str]) -> None:
    checked = []
    for what, response in _failed_posts(app, filed):
        assert response.status_code < 500, (what, response.status_code)
        if response.is_redirect:
            continue  # no page of its own, so no language links (a form that answers with a flash message)
        links = _language_links(response.text)
        assert len(links) == 4, what
        for link in links:
            assert link.startswith("/") and not link.startswith(("//", "/\\")), (what, link)
            assert urlsplit(link).path != urlsplit(str(response.request.url)).path, (what, link)  # the form's POST-only address
        checked.append((what, links[1]))
    assert {"applicant appeal", "applicant information", "applicant evidence", "draft start", "caseworker decision",
            "caseworker request-information"} <= {what for what, _link in checked}
    # Each link is a page the signed-in person can open.
    applicant_name, number = filed
    with _signed_in(app, applicant_name) as client:
        for what, link in checked:
            if what.startswith("applicant") or what == "draft start":
                assert client.get(link).status_code == 200, (what, link)
    with _signed_in(app, "supervisor@arg.example") as client:
        for what, link in checked:
            if what.startswith(("caseworker", "supervisor")):
                assert client.get(link).status_code == 200, (what, link)


def test_after_a_failed_form_the_language_links_go_to_the_page_the_browser_came_from(app: FastAPI, filed: tuple[str, str]) -> None:
    with _signed_in(app, filed[0]) as client:
        page = client.get("/my/drafts/new?lang=es")
        response = client.post("/my/drafts", data={"csrf_token": csrf(page.text), "programme_id": "no-such-programme"},
                               headers={"referer": "http://testserver/my/drafts/new?lang=es"})
        assert response.status_code == 422
        assert _language_links(response.text)[2] == "/my/drafts/new?lang=fr"
        # Another site's address as the referrer is ignored: the page above the form's address, on this site.
        hostile = client.post(f"/my/cases/{filed[1]}/appeal", data={"csrf_token": csrf(page.text)},
                              headers={"referer": "https://evil.example/my/drafts/new"})
        assert _language_links(hostile.text)[0] == f"/my/cases/{filed[1]}?lang=en"


def test_a_form_sent_after_the_session_ended_returns_to_its_page_after_sign_in(app: FastAPI, filed: tuple[str, str]) -> None:
    applicant_name, number = filed
    with client_for(app) as client:
        token = csrf(client.get("/sign-in").text)  # the CSRF cookie is still there; the session is not
        sent = client.post(f"/my/cases/{number}/appeal", data={"csrf_token": token, "grounds": "The evidence was not read."}, follow_redirects=False)
        sign_in_page = _location(sent)
        assert parse_qs(urlsplit(sign_in_page).query) == {"next": [f"/my/cases/{number}"]}
        form = client.get(sign_in_page)
        response = client.post("/sign-in", data={"username": applicant_name, "password": PASSWORD, "csrf_token": csrf(form.text),
                                                 "next": parse(form.text).xpath("//input[@name='next']/@value")[0]}, follow_redirects=False)
        landed = _location(response)
        assert landed == f"/my/cases/{number}"
        assert client.get(landed).status_code == 200


@pytest.mark.parametrize("post_only", ["/my/cases/{number}/appeal", "/staff/cases/{number}/decision", "/my/drafts"])
def test_a_next_that_answers_post_only_never_leads_to_405(app: FastAPI, filed: tuple[str, str], post_only: str) -> None:
    applicant_name, number = filed
    target = post_only.format(number=number)
    with client_for(app) as client:
        form = client.get(f"/sign-in?next={target}")
        kept = parse(form.text).xpath("//input[@name='next']/@value")
        response = client.post("/sign-in", data={"username": applicant_name, "password": PASSWORD, "csrf_token": csrf(form.text),
                                                 "next": target}, follow_redirects=False)
        landed = _location(response)
        assert kept in ([], [landed])
        assert client.get(landed).status_code != 405


@pytest.mark.parametrize("unsafe", ["//evil.example", "//evil.example/my/cases/x/appeal", "/\\evil.example", "https://evil.example/my/cases"])
def test_a_next_to_another_site_is_still_refused(app: FastAPI, unsafe: str) -> None:
    with client_for(app) as client:
        form = client.get("/sign-in", params={"next": unsafe})
        assert 'name="next"' not in form.text
        response = client.post("/sign-in", data={"username": "caseworker@arg.example", "password": PASSWORD, "csrf_token": csrf(form.text),
                                                 "next": unsafe}, follow_redirects=False)
        assert _location(response) == "/staff/queue"


def test_a_language_link_never_leads_to_another_site(app: FastAPI) -> None:
    with client_for(app) as client:
        response = client.get("/%5Cevil.example/x")
    for link in _language_links(response.text):
        assert re.match(r"^/[^/\\]", link), link
