"""The applicant's pages through the real app: account, filing with evidence, the case as a
timeline, the certificate, requests for information, the employer invitation and the data download."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from tests.web.conftest import parse
from tests.web.web_support import apply, ask_for_information, assign, client_for, csrf, make_app, register, sign_in


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return make_app(tmp_path_factory.mktemp("applicant"))


@pytest.fixture
def applicant(app: FastAPI) -> Iterator[object]:
    with client_for(app) as client:
        client.username = register(client)  # type: ignore[attr-defined]
        yield client


def _labels_cover_inputs(tree: object) -> None:
    """Every visible control has a <label for> naming it."""
    labelled = {label.get("for") for label in tree.iter("label")}
    for control in tree.xpath("//input[not(@type='hidden') and not(@type='submit')] | //select | //textarea"):
        assert control.get("id") in labelled, f"{control.get('name')} has no label"


def test_registration_form_labels_every_field_and_keeps_input_on_error(app: FastAPI) -> None:
    with client_for(app) as client:
        page = client.get("/register")
        tree = parse(page.text)
        assert tree.xpath("string(//h1)") == "Create an account"
        _labels_cover_inputs(tree)
        response = client.post("/register", data={"username": "ab", "password": "short", "given_names": "Ana", "family_names": "",
                                                  "jurisdiction": "ARG", "languages": "es", "csrf_token": csrf(page.text)})
        assert response.status_code == 422
        tree = parse(response.text)
        assert tree.xpath("//input[@id='family_names']/@aria-invalid") == ["true"]
        assert tree.xpath("//input[@id='given_names']/@value") == ["Ana"]
        assert tree.xpath("//input[@id='password']/@value") == []  # a password never comes back
        assert "family_names-error" in tree.xpath("//input[@id='family_names']/@aria-describedby")[0]


def test_a_taken_username_is_refused_beside_its_field(app: FastAPI) -> None:
    with client_for(app) as first:
        username = register(first)
    with client_for(app) as second:
        page = second.get("/register")
        response = second.post("/register", data={"username": username, "password": "another long password", "given_names": "Ana",
                                                   "family_names": "Pérez", "jurisdiction": "ARG", "languages": "es", "csrf_token": csrf(page.text)})
        assert response.status_code == 409
        error = parse(response.text).xpath("string(//p[@id='username-error'])")
        assert "already exists" in error


def test_signed_out_visitor_is_sent_to_sign_in_and_back(client) -> None:
    response = client.get("/my/cases", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=%2Fmy%2Fcases"


def test_filing_with_evidence_shows_the_case_as_a_timeline_with_its_pre_assessment(app: FastAPI, applicant) -> None:
    number = apply(applicant)
    page = applicant.get(f"/my/cases/{number}")
    assert page.status_code == 200
    tree = parse(page.text)
    steps = [text.strip() for text in tree.xpath("//ol[@class='timeline']/li/p[@class='timeline-what']/text()")]
    assert steps == ["Case opened", "Application filed", "Evidence added"]
    criteria = tree.xpath("//ul[@class='criteria']/li")
    assert len(criteria) >= 3
    assert any("criterion-met" in li.get("class") for li in criteria)
    assert tree.xpath("//table[@class='data']//td[contains(., 'contract.png')]")
    _labels_cover_inputs(tree)
    certificate = applicant.get(tree.xpath("//a[@download and contains(@href, 'certificate.pdf')]/@href")[0])
    assert certificate.status_code == 200
    assert certificate.headers["content-type"] == "application/pdf"
    assert certificate.content.startswith(b"%PDF-")


def test_filing_under_an_unknown_programme_comes_back_with_the_error_beside_it(applicant) -> None:
    page = applicant.get("/my/apply")
    response = applicant.post("/my/apply", data={"programme_id": "no-such-programme", "csrf_token": csrf(page.text)})
    assert response.status_code == 422
    tree = parse(response.text)
    assert tree.xpath("//select[@id='programme_id']/@aria-invalid") == ["true"]
    assert "no-such-programme" in tree.xpath("string(//p[@id='programme_id-error'])")


def test_another_applicant_cannot_open_the_case(app: FastAPI, applicant) -> None:
    number = apply(applicant, with_file=False)
    with client_for(app) as other:
        register(other)
        assert other.get(f"/my/cases/{number}").status_code == 404
        assert other.get(f"/my/cases/{number}/certificate.pdf").status_code == 404


def test_staff_request_for_information_is_answered_from_the_case_page(app: FastAPI, applicant) -> None:
    number = apply(applicant, with_file=False)
    assign(app, number)
    ask_for_information(app, number, "Send your rental contract, please.")
    page = applicant.get(f"/my/cases/{number}")
    tree = parse(page.text)
    assert "Send your rental contract, please." in tree.xpath("string(//section[@aria-labelledby='info-title'])")
    version = tree.xpath("//form[contains(@action, '/information')]//input[@name='version']/@value")[0]
    answered = applicant.post(f"/my/cases/{number}/information", follow_redirects=False,
                              data={"message": "Here it is.", "version": version, "csrf_token": csrf(page.text)})
    assert answered.status_code == 303
    steps = parse(applicant.get(f"/my/cases/{number}").text).xpath("//ol[@class='timeline']/li/p[@class='timeline-what']/text()")
    assert [s.strip() for s in steps][-2:] == ["Information was requested from you", "Information was sent"]


def test_employer_invitation_link_is_shown_once_and_the_employer_can_answer(app: FastAPI, applicant) -> None:
    number = apply(applicant, with_file=False)
    form_page = applicant.get(f"/my/cases/{number}/invite")
    created = applicant.post(f"/my/cases/{number}/invite", data={
        "employer_name": "Panadería Sol", "work_description": "Baker, mornings", "worked_from": "2024-05-01", "csrf_token": csrf(form_page.text)})
    assert created.status_code == 200
    link = parse(created.text).xpath("//p[@class='token']/a/@href")[0]
    path = "/" + link.split("/", 3)[3]
    with client_for(app) as employer:
        invitation = employer.get(path)
        assert "Baker, mornings" in invitation.text and number not in invitation.text
        done = employer.post(path, data={"answer": "confirm", "csrf_token": csrf(invitation.text)})
        assert done.status_code == 200
        again = employer.post(path, data={"answer": "decline", "csrf_token": csrf(invitation.text)})
        assert again.status_code in (200, 409) and "already answered" in again.text
    steps = parse(applicant.get(f"/my/cases/{number}").text).xpath("//ol[@class='timeline']/li/p[@class='timeline-what']/text()")
    assert steps[-1].strip() == "The employer answered the invitation"


def test_download_everything_held_in_json_and_csv_and_the_download_is_journaled(app: FastAPI, applicant) -> None:
    from amparo.audit.models import AuditEntry

    number = apply(applicant)
    exported = applicant.get("/my/data.json")
    assert exported.status_code == 200
    assert "attachment" in exported.headers["content-disposition"]
    data = json.loads(exported.text)
    assert data["account"]["username"] == applicant.username
    assert data["person"]["family_names"] == "Quispe Mamani"
    (case,) = [c for c in data["cases"] if c["number"] == number]
    assert [a["type"] for a in case["journal"]] == ["case_opened", "application_filed", "evidence_added"]
    assert case["evidence"][0]["original_filename"] == "contract.png"
    assert case["application"]["pre_assessment"]["criteria"]
    rows = list(csv.reader(io.StringIO(applicant.get("/my/data.csv").text)))
    assert rows[0] == ["field", "value"]
    assert ["person.family_names", "Quispe Mamani"] in rows
    assert any(r[0].endswith(".journal[2].type") and r[1] == "evidence_added" for r in rows)
    with app.state.sessionmaker() as db:
        exports = db.scalars(select(AuditEntry).where(AuditEntry.action == "person:export")).all()
    assert any(number in json.dumps(e.detail) for e in exports)


def test_csv_export_neutralises_spreadsheet_formulas() -> None:
    from amparo.web.views.data_export import to_csv

    text = to_csv({"person": {"given_names": "=HYPERLINK(\"x\")", "family_names": "Díaz"}})
    rows = list(csv.reader(io.StringIO(text)))
    assert ["person.given_names", "'=HYPERLINK(\"x\")"] in rows
    assert ["person.family_names", "Díaz"] in rows


def test_applicant_pages_are_refused_to_staff(app: FastAPI) -> None:
    with client_for(app) as staff:
        sign_in(staff, "caseworker@arg.example")
        assert staff.get("/my/cases").status_code == 403
        assert staff.get("/my/data.json").status_code == 403


def test_a_phone_number_written_with_spaces_becomes_the_username_in_digits(app: FastAPI) -> None:
    with client_for(app) as client:
        register(client, username="+54 11 5555-0199")
    with client_for(app) as again:
        sign_in(again, "+541155550199")
        assert again.get("/my/cases").status_code == 200


def test_a_nationality_that_is_no_country_is_refused_beside_its_field(app: FastAPI) -> None:
    with client_for(app) as client:
        page = client.get("/register")
        response = client.post("/register", data={"username": "nobody@example.org", "password": "a long enough password", "given_names": "Ana",
                                                  "family_names": "Pérez", "nationality": "XXZ", "jurisdiction": "ARG", "languages": "es",
                                                  "csrf_token": csrf(page.text)})
        assert response.status_code == 422
        assert parse(response.text).xpath("//input[@id='nationality']/@aria-invalid") == ["true"]


def test_a_case_without_an_application_still_shows_its_timeline(app: FastAPI, applicant) -> None:
    """A case of another kind (opened by staff, no regularization application) is readable too."""
    from amparo.auth import repository as users
    from amparo.cases import service as cases

    with app.state.sessionmaker() as db:
        person_id = users.get_user_by_username(db, applicant.username).person_id
        caseworker = users.actor_for(users.get_user_by_username(db, "caseworker@arg.example"))
        case = cases.create_case(db, caseworker, {"person_id": person_id, "kind": "complaint"}, purpose="test set-up")
        number = case.number
        db.commit()
    page = applicant.get(f"/my/cases/{number}")
    assert page.status_code == 200
    assert [s.strip() for s in parse(page.text).xpath("//ol[@class='timeline']/li/p[@class='timeline-what']/text()")] == ["Case opened"]


def test_registration_hashes_the_password_once_and_before_its_first_write(app: FastAPI, monkeypatch) -> None:
    """argon2id costs hundreds of milliseconds: made while the request holds SQLite's write lock, it
    would stop every other writer meanwhile; and signing the new account in must not hash it again."""
    from sqlalchemy import event

    from amparo.auth import passwords, repository, service

    writes: list[str] = []
    calls: list[tuple[str, int]] = []
    real_hash, real_verify = passwords.hash_password, passwords.verify_password

    def hashing(password: str) -> str:
        calls.append(("hash", len(writes)))
        return real_hash(password)

    def verifying(stored: str | None, password: str) -> bool:
        calls.append(("verify", len(writes)))
        return real_verify(stored, password)

    def statement(_conn, _cursor, sql: str, *_args) -> None:  # noqa: ANN001
        if sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            writes.append(sql)

    monkeypatch.setattr(repository, "hash_password", hashing)
    monkeypatch.setattr(service, "verify_password", verifying)
    with client_for(app) as client:
        page = client.get("/register")
        event.listen(app.state.engine, "before_cursor_execute", statement)
        try:
            response = client.post("/register", follow_redirects=False, data={
                "username": "once@example.org", "password": "a long enough password", "given_names": "Ana", "family_names": "Choque",
                "date_of_birth": "1990-01-01", "nationality": "BOL", "jurisdiction": "ARG", "languages": "es", "csrf_token": csrf(page.text)})
        finally:
            event.remove(app.state.engine, "before_cursor_execute", statement)
        assert response.status_code == 303, response.text
        assert client.get("/my/cases").status_code == 200  # signed in
    assert calls == [("hash", 0)], calls
    assert writes, "the registration wrote nothing"
