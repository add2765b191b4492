"""A form sent twice (a second click, the back button, a slow connection) says plainly what happened
the first time: a draft filed twice leads to the case it became; a refusal signed twice says when it
was signed. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from tests.db_support import create_database, drop_database
from tests.web.conftest import parse
from tests.web.web_support import apply, ask_for_information, assign, client_for, csrf, make_app, refusal_form, register, sign_in


@pytest.fixture(scope="module")
def app(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    folder = tmp_path_factory.mktemp(f"double-{backend}")
    url = create_database(backend, folder)
    application = make_app(folder, url)
    yield application
    application.state.engine.dispose()
    drop_database(url)


def _draft(client) -> str:
    page = client.get("/my/drafts/new")
    started = client.post("/my/drafts", data={"programme_id": "arg-web-2026", "csrf_token": csrf(page.text)}, follow_redirects=False)
    assert started.status_code == 303, started.text
    return started.headers["location"].rsplit("/", 1)[0]


def _flashes(text: str) -> list[str]:
    return [" ".join(p.text_content().split()) for p in parse(text).xpath("//div[@class='flashes']/p")]


def test_filing_a_draft_twice_leads_to_the_case_it_became(app: FastAPI) -> None:
    with client_for(app) as applicant:
        register(applicant)
        draft = _draft(applicant)
        review = applicant.get(f"{draft}/review")
        form = {"action": "file", "csrf_token": csrf(review.text)}
        first = applicant.post(f"{draft}/review", data=form, follow_redirects=False)
        assert first.status_code == 303
        number = first.headers["location"].rsplit("/", 1)[1]
        applicant.get(first.headers["location"])  # the first answer's page, which shows its message
        second = applicant.post(f"{draft}/review", data=form, follow_redirects=False)
        assert second.status_code == 303 and second.headers["location"] == f"/my/cases/{number}"
        page = applicant.get(second.headers["location"])
        assert page.status_code == 200
        assert f"This application was already filed as case {number}: here it is." in _flashes(page.text)
        # Still one case: the second submission filed nothing.
        assert parse(applicant.get("/my/cases").text).xpath("string(//main)").count("ARG-") == 1


def test_a_draft_filed_by_someone_else_stays_not_found(app: FastAPI) -> None:
    with client_for(app) as owner:
        register(owner)
        draft = _draft(owner)
        review = owner.get(f"{draft}/review")
        assert owner.post(f"{draft}/review", data={"action": "file", "csrf_token": csrf(review.text)}, follow_redirects=False).status_code == 303
    with client_for(app) as other:
        register(other)
        page = other.get("/my/drafts/new")
        refused = other.post(f"{draft}/review", data={"action": "file", "csrf_token": csrf(page.text)}, follow_redirects=False)
        assert refused.status_code == 404


def test_a_discarded_draft_sent_again_stays_not_found(app: FastAPI) -> None:
    with client_for(app) as applicant:
        register(applicant)
        draft = _draft(applicant)
        review = applicant.get(f"{draft}/review")
        assert applicant.post(f"{draft}/discard", data={"csrf_token": csrf(review.text)}, follow_redirects=False).status_code == 303
        refused = applicant.post(f"{draft}/review", data={"action": "file", "csrf_token": csrf(review.text)}, follow_redirects=False)
        assert refused.status_code == 404


def test_signing_a_refusal_twice_says_when_it_was_signed(app: FastAPI) -> None:
    with client_for(app) as client:
        register(client)
        number = apply(client, with_file=False)
    assign(app, number)
    with client_for(app) as caseworker:
        sign_in(caseworker, "caseworker@arg.example")
        page = caseworker.get(f"/staff/cases/{number}")
        proposed = caseworker.post(f"/staff/cases/{number}/decision", follow_redirects=False,
                                   data=refusal_form(page.text, reasons="No document shows presence before the date.", appeal_how="Write to the office."))
        assert proposed.status_code == 303
    with client_for(app) as supervisor:
        sign_in(supervisor, "supervisor@arg.example")
        review = supervisor.get(f"/supervisor/cases/{number}")
        version = parse(review.text).xpath("//form[contains(@action, 'sign-off')]//input[@name='version']/@value")[0]
        form = {"version": version, "csrf_token": csrf(review.text)}
        assert supervisor.post(f"/supervisor/cases/{number}/sign-off", data=form, follow_redirects=False).status_code == 303
        again = supervisor.post(f"/supervisor/cases/{number}/sign-off", data=form, follow_redirects=False)
        assert again.status_code == 409
        from amparo.regularization.flows import today

        notice = " ".join(parse(again.text).xpath("string(//p[@id='sign-off-refused'])").split())
        signed = today()
        assert notice == f"This refusal was already signed on {signed:%B} {signed.day}, {signed.year}."
        spanish = supervisor.post(f"/supervisor/cases/{number}/sign-off?lang=es", data=form, follow_redirects=False)
        assert "Esta denegación ya se firmó el" in parse(spanish.text).xpath("string(//p[@id='sign-off-refused'])")


def test_answering_a_request_twice_says_the_answer_was_already_sent(app: FastAPI) -> None:
    with client_for(app) as applicant:
        register(applicant)
        number = apply(applicant, with_file=False)
        assign(app, number)
        ask_for_information(app, number)
        page = applicant.get(f"/my/cases/{number}")
        version = parse(page.text).xpath("//form[contains(@action, '/information')]//input[@name='version']/@value")[0]
        answer = {"message": "Here it is.", "version": version, "csrf_token": csrf(page.text)}
        assert applicant.post(f"/my/cases/{number}/information", data=answer, follow_redirects=False).status_code == 303
        assert _flashes(applicant.get(f"/my/cases/{number}").text) == ["Your answer was sent."]
        again = applicant.post(f"/my/cases/{number}/information?lang=es", data=answer, follow_redirects=False)
        assert again.status_code == 303 and again.headers["location"] == f"/my/cases/{number}"
        flashes = _flashes(applicant.get(f"/my/cases/{number}?lang=es").text)
        assert len(flashes) == 1 and flashes[0].startswith("Su respuesta ya se envió el "), flashes
        # Another text sent when nothing is asked any more says so, not that it was sent (the page stays in
        # the language chosen above).
        other = applicant.post(f"/my/cases/{number}/information", data={**answer, "message": "And another."}, follow_redirects=False)
        assert other.status_code == 303
        assert _flashes(applicant.get(f"/my/cases/{number}").text) == [
            "Ya no se le pide nada en este caso; su caso muestra lo que pasó."]
