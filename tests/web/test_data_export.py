"""The right of access (ICCPR art. 17; PRODUCT.md §2): "download everything held on me" holds the
employer invitations the person sent, the certificates issued to them and the record of who read or
changed their data (role, office, purpose, time; never a staff member's name), and each of their
documents downloads from `/my/data` for them alone. Another person's data never appears, an
enforcement officer reaches none of it, and the CSV stays safe to open in a spreadsheet. On SQLite
and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, select

from tests.db_support import create_database, drop_database
from tests.web.conftest import parse
from tests.web.web_support import PASSWORD, apply, assign, client_for, csrf, make_app, png_bytes, register, sign_in

ENFORCEMENT = "enforcement@arg.example"
CASEWORKER = "caseworker@arg.example"


@pytest.fixture(scope="module")
def app(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    folder = tmp_path_factory.mktemp(f"export-{backend}")
    url = create_database(backend, folder)
    application = make_app(folder, url)
    from amparo.auth import repository as users
    from amparo.auth.policy import Role

    with application.state.sessionmaker() as db:
        users.create_user(db, ENFORCEMENT, PASSWORD, Role.ENFORCEMENT_OFFICER, "ARG")
        db.commit()
    yield application
    application.state.engine.dispose()
    drop_database(url)


def _applicant(app: FastAPI) -> TestClient:
    client = client_for(app)
    client.__enter__()
    client.username = register(client)  # type: ignore[attr-defined]
    return client


@pytest.fixture
def applicant(app: FastAPI) -> Iterator[TestClient]:
    client = _applicant(app)
    yield client
    client.__exit__(None, None, None)


@pytest.fixture
def other(app: FastAPI) -> Iterator[TestClient]:
    client = _applicant(app)
    yield client
    client.__exit__(None, None, None)


def _invite(app: FastAPI, client: TestClient, number: str, employer: str, work: str, *, answer: str | None = "confirm", note: str = "") -> None:
    """The applicant invites an employer through the page; the employer answers through theirs."""
    form = client.get(f"/my/cases/{number}/invite")
    created = client.post(f"/my/cases/{number}/invite", data={
        "employer_name": employer, "work_description": work, "worked_from": "2024-05-01", "csrf_token": csrf(form.text)})
    assert created.status_code == 200, created.text
    link = parse(created.text).xpath("//p[@class='token']/a/@href")[0]
    if answer is None:
        return
    path = "/" + link.split("/", 3)[3]
    with client_for(app) as employer_client:
        page = employer_client.get(path)
        done = employer_client.post(path, data={"answer": answer, "note": note, "csrf_token": csrf(page.text)})
        assert done.status_code == 200, done.text


def _staff_opens(app: FastAPI, number: str) -> None:
    assign(app, number)
    with client_for(app) as staff:
        sign_in(staff, CASEWORKER)
        assert staff.get(f"/staff/cases/{number}").status_code == 200


def _certificate_ids(app: FastAPI, number: str) -> list[str]:
    from amparo.cases.models import Case
    from amparo.regularization.models import Certificate

    with app.state.sessionmaker() as db:
        return list(db.scalars(select(Certificate.id).join(Case, Case.id == Certificate.case_id).where(Case.number == number)))


def _csv(client: TestClient) -> list[list[str]]:
    response = client.get("/my/data.csv")
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.text)))


def test_the_download_holds_the_invitations_the_certificates_and_who_read_the_file(app: FastAPI, applicant) -> None:
    number = apply(applicant)
    _invite(app, applicant, number, "Panadería Sol", "Baker, mornings", note="She worked here three years.")
    _staff_opens(app, number)

    response = applicant.get("/my/data.json")
    assert response.status_code == 200
    data = json.loads(response.text)
    assert data["format_version"] == 2

    (invitation,) = data["employer_invitations"]
    assert invitation["case"] == number
    assert (invitation["employer_name"], invitation["work_description"], invitation["worked_from"]) == ("Panadería Sol", "Baker, mornings", "2024-05-01")
    assert invitation["employer_answer"] == "confirmed" and invitation["answered_at"] and invitation["sent_at"]
    assert invitation["employer_note"] == "She worked here three years."
    assert not {"token", "token_hash"} & set(invitation)

    (certificate,) = data["certificates"]
    assert [certificate["id"]] == _certificate_ids(app, number)
    assert certificate["case"] == number and certificate["status_when_issued"] == "pending" and certificate["issued_at"]
    assert certificate["valid_today"] == "valid" and certificate["ended_on"] is None
    assert certificate["verification_address"].startswith(app.state.settings.public_base_url.rstrip("/") + "/verify/")
    assert "PRIVATE KEY" not in response.text

    record = data["access_record"]
    assert [e["entry"] for e in record] == sorted(e["entry"] for e in record)
    staff_reads = [e for e in record if e["by"] == "staff"]
    assert {"case:read", "journal:read", "evidence:read"} <= {e["action"] for e in staff_reads if e["case"] == number}
    assert any(e["action"] == "person:read" and e["about"] == "person" for e in staff_reads)
    for entry in staff_reads:
        assert entry["role"] in ("caseworker", "supervisor") and entry["office_jurisdiction"] == "ARG"
        assert entry["at"] and entry["purpose"]
    assert any(e["by"] == "invited_employer" and e["about"] == "employer_invitation" and e["case"] == number for e in record)
    assert any(e["by"] == "you" and e["action"] == "application:file" for e in record)
    # Staff are shown by role and office, never by name.
    assert CASEWORKER not in response.text and "supervisor@arg.example" not in response.text

    rows = _csv(applicant)
    assert all(len(row) == 2 for row in rows)
    assert ["employer_invitations[0].employer_name", "Panadería Sol"] in rows
    assert ["employer_invitations[0].employer_answer", "confirmed"] in rows
    assert ["certificates[0].id", certificate["id"]] in rows
    roles = {value for field, value in rows if field.startswith("access_record[") and field.endswith("].role")}
    assert "caseworker" in roles
    purposes = {value for field, value in rows if field.startswith("access_record[") and field.endswith("].purpose")}
    assert "caseworker examines the case" in purposes


def test_another_persons_data_never_appears(app: FastAPI, applicant, other) -> None:
    mine = apply(applicant)
    _invite(app, applicant, mine, "Panadería Sol", "Baker, mornings")
    theirs = apply(other)
    _invite(app, other, theirs, "Taller Norte", "Mechanic, evenings", answer="decline", note="Never worked here")
    _staff_opens(app, theirs)

    text = applicant.get("/my/data.json").text
    data = json.loads(text)
    assert [i["employer_name"] for i in data["employer_invitations"]] == ["Panadería Sol"]
    assert [c["id"] for c in data["certificates"]] == _certificate_ids(app, mine)
    assert {e["case"] for e in data["access_record"]} <= {mine, None}
    assert any(e["case"] == mine for e in data["access_record"])
    assert not [e for e in data["access_record"] if e["by"] == "staff"]  # only the other person's case was read
    for foreign in (theirs, "Taller Norte", "Mechanic, evenings", "Never worked here", *_certificate_ids(app, theirs), other.username):
        assert foreign not in text
    csv_text = applicant.get("/my/data.csv").text
    assert "Taller Norte" not in csv_text and theirs not in csv_text


def test_an_enforcement_officer_reads_nothing_and_the_record_shows_it(app: FastAPI, applicant) -> None:
    number = apply(applicant)
    _staff_opens(app, number)
    sha256 = json.loads(applicant.get("/my/data.json").text)["cases"][0]["evidence"][0]["sha256"]
    with client_for(app) as officer:
        sign_in(officer, ENFORCEMENT)
        for page in ("/my/data", "/my/data.json", "/my/data.csv", f"/my/cases/{number}/evidence/{sha256}"):
            assert officer.get(page).status_code == 403, page
        for address in (f"/api/v1/cases/{number}", f"/api/v1/cases/{number}/evidence/{sha256}"):
            assert officer.get(address).status_code in (403, 404), address
    from amparo.auth import repository as users
    from amparo.errors import Forbidden
    from amparo.regularization import export

    with app.state.sessionmaker() as db:
        actor = users.actor_for(users.get_user_by_username(db, ENFORCEMENT))
        with pytest.raises(Forbidden):
            export.collect(db, app.state.settings, actor, users.get_user_by_username(db, ENFORCEMENT))
        db.rollback()
    record = json.loads(applicant.get("/my/data.json").text)["access_record"]
    roles = {e["role"] for e in record}
    assert "caseworker" in roles and "enforcement_officer" not in roles


def test_each_document_on_my_data_downloads_for_its_owner_alone(app: FastAPI, applicant, other) -> None:
    number = apply(applicant)
    page = applicant.get("/my/data")
    assert page.status_code == 200
    assert "Each document can be downloaded from its case" not in page.text
    tree = parse(page.text)
    (href,) = tree.xpath("//section[@aria-labelledby='documents-title']//a[@download]/@href")
    assert href.startswith(f"/my/cases/{number}/evidence/")
    document = applicant.get(href)
    assert document.status_code == 200
    assert document.content == png_bytes() and document.headers["content-type"] == "image/png"
    assert "attachment" in document.headers["content-disposition"] and "contract.png" in document.headers["content-disposition"]
    assert document.headers["x-content-type-options"] == "nosniff"
    (listed,) = json.loads(applicant.get("/my/data.json").text)["cases"][0]["evidence"]
    assert listed["download"] == app.state.settings.public_base_url.rstrip("/") + href

    assert other.get(href).status_code == 404
    assert other.get(f"/my/cases/{number}").status_code == 404
    assert not parse(other.get("/my/data").text).xpath("//a[contains(@href, '/evidence/')]")
    assert applicant.get(f"/my/cases/{number}/evidence/{'0' * 64}").status_code == 404


def test_the_csv_neutralises_formulas_in_what_the_person_and_the_employer_typed(app: FastAPI, applicant) -> None:
    from amparo.web.views.data_export import to_csv

    number = apply(applicant, with_file=False)
    _invite(app, applicant, number, "=HYPERLINK(\"http://x.example\")", "+54 11 5555-0199", note="@SUM(A1)")
    rows = _csv(applicant)
    assert all(len(row) == 2 for row in rows)
    assert ["employer_invitations[0].employer_name", "'=HYPERLINK(\"http://x.example\")"] in rows
    assert ["employer_invitations[0].work_description", "'+54 11 5555-0199"] in rows
    assert ["employer_invitations[0].employer_note", "'@SUM(A1)"] in rows
    assert not [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    # The field column too: its paths carry the keys of stored documents.
    assert list(csv.reader(io.StringIO(to_csv({"-1+1": "x"}))))[1] == ["'-1+1", "x"]


class _Statements:
    def __init__(self, app: FastAPI) -> None:
        self.engine = app.state.engine
        self.seen: list[str] = []

    def _before(self, conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        self.seen.append(" ".join(statement.split()))

    def __enter__(self) -> _Statements:
        event.listen(self.engine, "before_cursor_execute", self._before)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)


def test_the_new_parts_cost_one_query_each_however_long_the_record(app: FastAPI, applicant) -> None:
    number = apply(applicant)
    _invite(app, applicant, number, "Panadería Sol", "Baker, mornings")
    _staff_opens(app, number)

    def reads() -> dict[str, int]:
        with _Statements(app) as statements:
            assert applicant.get("/my/data.json").status_code == 200
        return {table: sum(f"FROM {table} " in s for s in statements.seen if s.upper().startswith("SELECT"))
                for table in ("audit_entries", "employer_invitations", "certificates")}

    first = reads()
    for _ in range(3):
        assert applicant.get(f"/my/cases/{number}").status_code == 200  # more entries about the case
    assert first == reads()
    assert first["employer_invitations"] == 1 and first["certificates"] == 1
    # person, account, cases, invitations (no drafts): one each.
    assert first["audit_entries"] == 4
