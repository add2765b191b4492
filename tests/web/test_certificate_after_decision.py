"""The applicant's case page offers the certificate of pending application exactly while `/verify`
says it is valid (pending, a refusal awaiting sign-off, under appeal); after a decision it says the
certificate ended with that decision instead of offering it as proof."""

from __future__ import annotations

import datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from amparo.web.i18n import format_date
from tests.web.conftest import parse
from tests.web.web_support import apply, assign, client_for, csrf, make_app, refusal_form, register, sign_in

REASONS = "No document shows that you were in Argentina before 1 June 2026."
HOW = "Escriba a la Dirección Nacional de Migraciones, Av. Antártida Argentina 1355, Buenos Aires."


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return make_app(tmp_path_factory.mktemp("certificate-after-decision"))


def _filed(app: FastAPI) -> tuple[TestClient, str, str]:
    """A signed-in applicant, their case number (assigned to the caseworker) and its certificate token."""
    from amparo.cases.models import Case
    from amparo.regularization import repository

    applicant = client_for(app)
    register(applicant)
    number = apply(applicant, with_file=False)
    assign(app, number)
    with app.state.sessionmaker() as db:
        case = db.scalars(select(Case).where(Case.number == number)).one()
        certificate = repository.latest_certificate(db, case.id)
        assert certificate is not None
        return applicant, number, certificate.token


def _certificate_section(applicant: TestClient, number: str):
    page = applicant.get(f"/my/cases/{number}")
    assert page.status_code == 200
    (section,) = parse(page.text).xpath("//section[@aria-labelledby='certificate-title']")
    return section


def _offered(section) -> bool:
    return bool(section.xpath(".//a[contains(@href, '/certificate.pdf')]"))


def _verdict(client: TestClient, token: str) -> str:
    response = client.get(f"/verify/{token}", headers={"accept": "application/json"})
    assert response.status_code == 200
    return response.json()["state"]


def _decide(app: FastAPI, number: str, **fields: str) -> None:
    with client_for(app) as caseworker:
        sign_in(caseworker, "caseworker@arg.example")
        page = caseworker.get(f"/staff/cases/{number}")
        response = caseworker.post(f"/staff/cases/{number}/decision", data=refusal_form(page.text, **fields), follow_redirects=False)
        assert response.status_code == 303, response.text[:500]


def test_after_a_grant_the_certificate_is_said_to_have_ended_not_offered(app: FastAPI) -> None:
    applicant, number, token = _filed(app)
    with applicant:
        section = _certificate_section(applicant, number)
        assert _offered(section) and _verdict(applicant, token) == "valid"
        _decide(app, number, outcome="grant", reasons="You showed presence before 1 June 2026.")
        section = _certificate_section(applicant, number)
        text = " ".join(section.text_content().split())
        assert not _offered(section) and _verdict(applicant, token) == "not_valid"
        assert f"The certificate of pending application ended with the decision of {format_date(datetime.date.today())}." in text, text
        assert "waiting for a decision" not in text
        assert "If you appeal" not in text


def test_a_refusal_ends_it_until_an_appeal_makes_it_valid_again(app: FastAPI) -> None:
    applicant, number, token = _filed(app)
    with applicant:
        _decide(app, number, reasons=REASONS, appeal_how=HOW)
        # Proposed, not yet signed: the application is still pending, and so is the certificate.
        assert _offered(_certificate_section(applicant, number)) and _verdict(applicant, token) == "valid"
        with client_for(app) as supervisor:
            sign_in(supervisor, "supervisor@arg.example")
            review = supervisor.get(f"/supervisor/cases/{number}")
            version = parse(review.text).xpath("//form[contains(@action, 'sign-off')]//input[@name='version']/@value")[0]
            signed = supervisor.post(f"/supervisor/cases/{number}/sign-off", data={"version": version, "csrf_token": csrf(review.text)}, follow_redirects=False)
            assert signed.status_code == 303
        section = _certificate_section(applicant, number)
        text = " ".join(section.text_content().split())
        assert not _offered(section) and _verdict(applicant, token) == "not_valid"
        assert "ended with the decision of" in text and "If you appeal, it becomes valid again while your appeal is pending." in text
        page = applicant.get(f"/my/cases/{number}")
        appealed = applicant.post(f"/my/cases/{number}/appeal", data={"grounds": "Tengo un contrato de alquiler de 2025.", "csrf_token": csrf(page.text)},
                                  follow_redirects=False)
        assert appealed.status_code == 303
        section = _certificate_section(applicant, number)
        assert _offered(section) and _verdict(applicant, token) == "valid"
        assert "ended" not in section.text_content()


def test_the_ended_certificate_is_said_in_spanish(app: FastAPI) -> None:
    applicant, number, _token = _filed(app)
    with applicant:
        _decide(app, number, outcome="grant", reasons="You showed presence before 1 June 2026.")
        page = applicant.get(f"/my/cases/{number}?lang=es")
        (section,) = parse(page.text).xpath("//section[@aria-labelledby='certificate-title']")
        text = section.text_content()
        assert "The certificate" not in text and "terminó con la decisión del" in text


def test_the_ended_certificate_is_not_handed_out_as_proof_by_its_address_either(app: FastAPI) -> None:
    # The link is gone after the decision; its address, bookmarked or typed, must not give the person
    # the PDF that says "pending" either: they are sent to the case with a note. (The API still gives
    # it for the record; its verification says it ended.)
    applicant, number, _token = _filed(app)
    with applicant:
        assert applicant.get(f"/my/cases/{number}/certificate.pdf").headers["content-type"] == "application/pdf"
        _decide(app, number, outcome="grant", reasons="You showed presence before 1 June 2026.")
        response = applicant.get(f"/my/cases/{number}/certificate.pdf?lang=es", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == f"/my/cases/{number}"
        page = applicant.get(f"/my/cases/{number}?lang=es")
        assert "El certificado de solicitud en trámite terminó con la decisión." in page.text
