"""Bad input saves nothing; assisted filing needs consent; employers see only their invitation;
enforcement reads nothing; safeguards follow the State's obligations on the decision date."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from amparo.auth.policy import Role
from amparo.programmes import load_example
from amparo.programmes.loader import example_paths
from amparo.regularization import service
from amparo.safeguards import evaluate
from amparo.db.engine import make_engine
from amparo.db.migrations import upgrade
from builders import make_user
from db_support import create_database, drop_database, race
from reg_support import ARG_CLOSED, ARG_PROGRAMME, application_body, counts, make_client, person_body, png_bytes, sign_in, stored_files

NAMES = ("Wendy Mirian", "Quispe Mamani")


@pytest.fixture(scope="module")
def shared_world(backend, tmp_path_factory):
    """One database per backend for the module; each test registers its own applicant."""
    tmp_path = tmp_path_factory.mktemp("rules")
    url = create_database(backend, tmp_path)
    fresh_engine = make_engine(url)
    upgrade(fresh_engine)
    with Session(fresh_engine, expire_on_commit=False) as session:
        made = {role: make_user(session, role, "ARG") for role in (Role.CASEWORKER, Role.SUPERVISOR, Role.EMPLOYER, Role.ENFORCEMENT_OFFICER, Role.FILING_ASSISTANT, Role.PROGRAMME_ADMIN)}
        colombian_admin = make_user(session, Role.PROGRAMME_ADMIN, "COL").username
        for document in (ARG_PROGRAMME, ARG_CLOSED, example_paths()[0].read_text(encoding="utf-8")):
            service.publish_programme(session, None, document)
        names = {role: user.username for role, user in made.items()}
        session.commit()
    client = make_client(fresh_engine, tmp_path, max_upload_bytes=64 * 1024)
    headers = {role: sign_in(client, name) for role, name in names.items()}
    headers["col_admin"] = sign_in(client, colombian_admin)
    yield client, headers, fresh_engine, tmp_path
    fresh_engine.dispose()
    drop_database(url)


_registered = itertools.count(1)


@pytest.fixture
def world(shared_world):
    """The module's world with a newly registered applicant of its own under headers["applicant"]."""
    client, headers, engine, data_dir = shared_world
    username = f"applicant-{next(_registered)}@example.org"
    response = client.post("/api/v1/auth/register", json={"username": username, "password": "a long enough password", "person": person_body()})
    assert response.status_code == 201, response.text
    return client, {**headers, "applicant": sign_in(client, username, "a long enough password")}, engine, data_dir


def _assert_refused(client: TestClient, engine, response, status: int, code: str, words: str, before: dict) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == code
    assert words in response.json()["message"]
    assert counts(engine) == before, "a refused request left rows behind"


def test_bad_filings_are_refused_clearly_and_save_nothing(world) -> None:
    client, headers, engine, _ = world
    before = counts(engine)
    future = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    cases = [
        (application_body(evidence=[{"kind": "rental_contract", "dated": future}]), 422, "invalid_input", "cannot be dated in the future"),
        (application_body("arg-closed-2020"), 422, "window_closed", "2020-12-31"),
        (application_body("col-etpv-2021"), 422, "wrong_jurisdiction", "programme of COL"),
        (application_body("no-such-programme"), 422, "invalid_input", "no programme 'no-such-programme'"),
        (application_body(evidence=[{"kind": "horoscope", "dated": "2025-01-01"}]), 422, "invalid_input", "horoscope"),
    ]
    for body, status, code, words in cases:
        _assert_refused(client, engine, client.post("/api/v1/applications", headers=headers["applicant"], json=body), status, code, words, before)
    # Filing today is inside the window; the same evidence dated today is accepted (the boundary).
    today = application_body(evidence=[{"kind": "rental_contract", "dated": dt.date.today().isoformat()}])
    assert client.post("/api/v1/applications", headers=headers["applicant"], json=today).status_code == 201
    # A second application under the same programme while the first is pending is refused.
    again = client.post("/api/v1/applications", headers=headers["applicant"], json=application_body())
    assert again.status_code == 409 and again.json()["error"] == "already_filed"


@pytest.mark.parametrize(("day", "status"), [("2025-12-31", 422), ("2026-01-01", 201)])
def test_filing_before_the_first_version_takes_effect_is_window_closed(world, monkeypatch, day: str, status: int) -> None:
    """arg-test-2026 v1 takes effect when its window opens, 2026-01-01: the day before is a 422
    window_closed naming the window (it was a 404 "no version in effect"), the day itself is filed."""
    from amparo.regularization import flows

    client, headers, engine, _ = world
    before = counts(engine)
    monkeypatch.setattr(flows, "today", lambda: dt.date.fromisoformat(day))
    response = client.post("/api/v1/applications", headers=headers["applicant"], json=application_body())
    if status == 422:
        _assert_refused(client, engine, response, 422, "window_closed", "2026-01-01 to 2035-12-31", before)
        assert response.json()["details"][0]["field"] == "programme_id"
    else:
        assert response.status_code == 201, response.text


def test_bad_uploads_are_refused_clearly_and_save_nothing(world) -> None:
    client, headers, engine, data_dir = world
    case_id = client.post("/api/v1/applications", headers=headers["applicant"], json=application_body()).json()["case_id"]
    before, files = counts(engine), stored_files(data_dir)
    url = f"/api/v1/cases/{case_id}/evidence"
    form = {"kind": "utility_bill", "document_date": "2025-03-01"}
    lying = client.post(url, headers=headers["applicant"], files={"file": ("bill.png", b"%PDF-1.4 not really a png" * 10, "image/png")}, data=form)
    _assert_refused(client, engine, lying, 422, "evidence_rejected", "", before)
    huge = client.post(url, headers=headers["applicant"], files={"file": ("big.png", png_bytes((1500, 1500), "white") + b"\0" * 80_000, "image/png")}, data=form)
    _assert_refused(client, engine, huge, 413, "payload_too_large", "", before)
    future = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    dated = client.post(url, headers=headers["applicant"], files={"file": ("bill.png", png_bytes(), "image/png")}, data={**form, "document_date": future})
    _assert_refused(client, engine, dated, 422, "invalid_input", "cannot be dated in the future", before)
    assert stored_files(data_dir) == files, "a refused upload left a file in the store"
    ok = client.post(url, headers=headers["applicant"], files={"file": ("bill.png", png_bytes(), "image/png")}, data={**form, "document_date": dt.date.today().isoformat()})
    assert ok.status_code == 201, ok.text


def test_assisted_filing_needs_consent_and_stays_in_jurisdiction(world) -> None:
    client, headers, engine, _ = world
    assistant = headers[Role.FILING_ASSISTANT]
    before = counts(engine)
    no_consent = client.post("/api/v1/applications", headers=assistant, json=application_body(on_behalf_of={"person": person_body(given_names="Rosa")}))
    _assert_refused(client, engine, no_consent, 422, "invalid_input", "", before)
    consent = {"organisation": "Parroquia San José", "method": "signed_form", "statement": "Autorizo a presentar mi solicitud.", "given_on": dt.date.today().isoformat()}
    alone = client.post("/api/v1/applications", headers=assistant, json=application_body())
    _assert_refused(client, engine, alone, 403, "forbidden", "on_behalf_of", before)
    filed = client.post("/api/v1/applications", headers=assistant, json=application_body(on_behalf_of={"person": person_body(given_names="Rosa"), "consent": consent}))
    assert filed.status_code == 201, filed.text
    after = counts(engine)
    assert after["consents"] == before["consents"] + 1 and after["persons"] == before["persons"] + 1
    # The assistant files, and reads nothing afterwards.
    assert client.get(f"/api/v1/cases/{filed.json()['case_id']}", headers=assistant).status_code == 404
    # An applicant files only for themselves.
    own = client.post("/api/v1/applications", headers=headers["applicant"], json=application_body(on_behalf_of={"person": person_body(), "consent": consent}))
    assert own.status_code == 403


def test_employer_sees_only_the_invitation_and_can_only_answer(world) -> None:
    client, headers, _, _ = world
    filed = client.post("/api/v1/applications", headers=headers["applicant"], json=application_body()).json()
    case_id, number = filed["case_id"], filed["case_number"]
    invited = client.post(f"/api/v1/cases/{case_id}/employer-invitations", headers=headers["applicant"],
                          json={"employer_name": "Panadería El Sol", "work_description": "Baker", "worked_from": "2024-05-01"})
    assert invited.status_code == 201, invited.text
    token = invited.json()["token"]
    employer = headers[Role.EMPLOYER]
    seen = client.get(f"/api/v1/employer-invitations/{token}")
    assert seen.status_code == 200 and seen.json()["employer_name"] == "Panadería El Sol"
    assert set(seen.json()) == {"employer_name", "applicant_name", "work_description", "worked_from", "worked_to", "status", "expires_at"}
    assert number not in seen.text and "programme" not in seen.text and "assessment" not in seen.text
    # Every case route is closed to the employer account.
    for method, path in _case_routes(case_id, filed):
        response = client.request(method, path, headers=employer, **_body_for(path))
        assert response.status_code in (403, 404), (path, response.status_code)
        assert NAMES[1] not in response.text and number not in response.text
    answered = client.post(f"/api/v1/employer-invitations/{token}", json={"confirm": True})
    assert answered.status_code == 200 and answered.json()["status"] == "confirmed"
    # They cannot change their answer or withdraw anything.
    assert client.post(f"/api/v1/employer-invitations/{token}", json={"confirm": False}).status_code == 409
    assert client.get("/api/v1/employer-invitations/" + "x" * 43).status_code == 404
    journal = [a["type"] for a in client.get(f"/api/v1/cases/{case_id}/actions", headers=headers["applicant"]).json()]
    assert journal[-1] == "employer_answered"


def test_two_answers_to_one_invitation_at_once_record_one(world) -> None:
    """A double click or two tabs: the second answer waits for the first, then is refused; it must
    neither overwrite the first nor journal a second answer."""
    from amparo.db.engine import lock_on_first_write
    from amparo.regularization import invitations

    client, headers, engine, _ = world
    filed = client.post("/api/v1/applications", headers=headers["applicant"], json=application_body()).json()
    invited = client.post(f"/api/v1/cases/{filed['case_id']}/employer-invitations", headers=headers["applicant"],
                          json={"employer_name": "Panadería El Sol", "work_description": "Baker", "worked_from": "2024-05-01"})
    token = invited.json()["token"]
    requests = lock_on_first_write(engine)  # the sessions the API's writing requests use
    waited, second = race(
        lambda: Session(requests, expire_on_commit=False),
        lambda session: invitations.answer_invitation(session, token, {"confirm": True}),
        lambda session: invitations.answer_invitation(session, token, {"confirm": False}),
    )
    assert waited, f"the second answer did not wait for the first ({second})"
    assert second == "already_answered"
    assert client.get(f"/api/v1/employer-invitations/{token}").json()["status"] == "confirmed"
    journal = [a["type"] for a in client.get(f"/api/v1/cases/{filed['case_id']}/actions", headers=headers["applicant"]).json()]
    assert journal.count("employer_answered") == 1


def test_one_file_sent_twice_at_once_is_attached_once_and_the_second_is_told_so(world) -> None:
    """A double submit of an upload: the second waits for the first, then is refused as a duplicate
    (409 "duplicate_evidence"), not answered with a 500 by the unique key."""
    import io

    from amparo.auth import repository as users
    from amparo.db.engine import lock_on_first_write
    from amparo.regularization import flows

    client, headers, engine, _ = world
    filed = client.post("/api/v1/applications", headers=headers["applicant"], json=application_body()).json()
    username = client.get("/api/v1/me", headers=headers["applicant"]).json()["username"]
    settings = client.app.state.settings
    with Session(engine) as session:
        actor = users.actor_for(users.get_user_by_username(session, username))
    photo = png_bytes(color="green")
    requests = lock_on_first_write(engine)

    def upload(session: Session) -> None:
        flows.add_evidence(session, settings, actor, filed["case_id"], io.BytesIO(photo), "image/png", kind="utility_bill",
                           document_date=dt.date(2025, 3, 1), purpose="test: a double submit", filename="bill.png")

    _waited, second = race(lambda: Session(requests, expire_on_commit=False), upload, upload)
    assert second == "duplicate_evidence"
    listed = client.get(f"/api/v1/cases/{filed['case_id']}/evidence", headers=headers["applicant"]).json()
    assert [item["kind"] for item in listed] == ["utility_bill"]


def test_the_pending_check_reads_the_persons_cases_not_every_application_of_the_programme(world) -> None:
    """Every filing runs it, on SQLite with the write lock held: started from the programme's
    applications it cost 10 ms at 30,000 filings and grows with the programme (millions)."""
    from amparo.regularization.flows import pending_application_query

    client, headers, engine, _ = world
    filed = client.post("/api/v1/applications", headers=headers["applicant"], json=application_body()).json()
    with Session(engine) as session:
        query = pending_application_query(filed["person_id"], filed["programme_id"])
        assert session.scalars(query).all() == [filed["case_number"]]
        assert session.scalars(pending_application_query(filed["person_id"], "arg-closed-2020")).all() == []
        if engine.dialect.name == "sqlite":
            compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
            plan = " | ".join(row[-1] for row in session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))
            assert plan.startswith("SEARCH cases USING INDEX ix_cases_person_id"), plan
            assert "SCAN" not in plan and "programme_id=" not in plan, plan


def test_enforcement_officer_reads_nothing(world) -> None:
    client, headers, _, _ = world
    filed = client.post("/api/v1/applications", headers=headers["applicant"], json=application_body()).json()
    officer = headers[Role.ENFORCEMENT_OFFICER]
    for method, path in _case_routes(filed["case_id"], filed) + [("GET", "/api/v1/queue"), ("GET", "/api/v1/cases"), ("GET", "/api/v1/persons")]:
        response = client.request(method, path, headers=officer, **_body_for(path))
        assert response.status_code in (403, 404), (path, response.status_code, response.text)
        assert NAMES[1] not in response.text and filed["case_number"] not in response.text


def _case_routes(case_id: int, filed: dict) -> list[tuple[str, str]]:
    base = f"/api/v1/cases/{case_id}"
    return [("GET", base), ("GET", f"{base}/actions"), ("GET", f"{base}/evidence"), ("GET", f"{base}/evidence/{'0' * 64}"),
            ("GET", f"{base}/certificate.pdf"), ("POST", f"{base}/decision"), ("POST", f"{base}/signoff"), ("POST", f"{base}/appeal"),
            ("POST", f"{base}/request-information"), ("POST", f"{base}/employer-invitations"), ("POST", f"{base}/evidence")]


def _body_for(path: str) -> dict:
    bodies = {
        "decision": {"json": {"outcome": "grant"}}, "appeal": {"json": {"grounds": "x"}},
        "request-information": {"json": {"message": "x", "due_date": "2099-01-01"}},
        "employer-invitations": {"json": {"employer_name": "X Ltd", "work_description": "Work", "worked_from": "2024-01-01"}},
        "evidence": {"files": {"file": ("a.png", png_bytes(), "image/png")}, "data": {"kind": "utility_bill", "document_date": "2025-01-01"}},
    }
    return bodies.get(path.rsplit("/", 1)[-1], {})


def test_programme_publication_rules(world) -> None:
    client, headers, _, _ = world
    # Another jurisdiction's administrator may not publish for Argentina.
    other = ARG_PROGRAMME.replace("arg-test-2026", "arg-other")
    assert client.post("/api/v1/programmes", headers=headers["col_admin"], json={"document": other}).status_code == 403
    # A version never changes; a malformed document names its line.
    changed = ARG_PROGRAMME.replace("appeal_period_days: 15", "appeal_period_days: 30")
    assert client.post("/api/v1/programmes", headers=headers[Role.PROGRAMME_ADMIN], json={"document": changed}).status_code == 409
    broken = client.post("/api/v1/programmes", headers=headers[Role.PROGRAMME_ADMIN], json={"document": ARG_PROGRAMME.replace("version: 1", "version: one")})
    assert broken.status_code == 422 and "line" in broken.json()["message"]
    # An employer gate breaks the no-employer-gate safeguard adopted in the design: refused with its sources.
    gated = ARG_PROGRAMME.replace("arg-test-2026", "arg-gated").replace("fee:", "safeguards_adopted: [no-employer-gate]\nemployer:\n  sponsorship_required: true\nfee:")
    refused = client.post("/api/v1/programmes", headers=headers[Role.PROGRAMME_ADMIN], json={"document": gated})
    assert refused.status_code == 409 and refused.json()["error"] == "safeguards_not_met"
    assert refused.json()["details"][0]["safeguard"] == "no-employer-gate"
    detail = client.get("/api/v1/programmes/arg-test-2026").json()
    assert detail["document"] == ARG_PROGRAMME and detail["rules"]["appeal_period_days"] == 15 and detail["versions"] == [1]


@pytest.mark.parametrize(
    ("day", "status", "bound_by"),
    [
        # Argentina: ICCPR in force for it from 8 November 1986; ICRMW from 1 June 2007 (real treaty data).
        ("1986-11-07", "recommended", []),
        ("1986-11-08", "binding", ["ICCPR"]),
        ("2007-05-31", "binding", ["ICCPR"]),
        ("2007-06-01", "binding", ["ICCPR", "ICRMW"]),
    ],
)
def test_written_reasons_bind_argentina_from_its_treaty_dates(day: str, status: str, bound_by: list[str]) -> None:
    result = evaluate("decision:refuse", "ARG", dt.date.fromisoformat(day), {"outcome": "refuse"}).result("written-reasons")
    assert result.status == status
    assert [b.instrument for b in result.bound_by] == bound_by
    assert result.blocking == (status != "recommended")


def test_shipped_example_publishes_unchanged() -> None:
    # The shipped Colombian example passes the design check it is published through.
    assert load_example("col-etpv-2021").jurisdiction == "COL"


def test_two_filings_by_one_person_at_once_make_one_case(world) -> None:
    """The second waits for the first to commit, then is refused as a duplicate (on PostgreSQL the two
    transactions would otherwise both find nothing pending; on SQLite the requests' sessions read
    before they take the write lock, so the same guard must hold there)."""
    from amparo.auth import repository as users
    from amparo.cases.models import Case
    from amparo.db.engine import lock_on_first_write
    from amparo.regularization import flows
    from sqlalchemy import func, select

    client, headers, engine, _ = world
    username = client.get("/api/v1/me", headers=headers["applicant"]).json()["username"]
    settings = client.app.state.settings
    with Session(engine) as session:
        actor = users.actor_for(users.get_user_by_username(session, username))
    requests = lock_on_first_write(engine)  # the sessions the API's writing requests use
    waited, second = race(
        lambda: Session(requests, expire_on_commit=False),
        lambda session: flows.file_application(session, settings, actor, application_body(), "test: the first of two filings at once"),
        lambda session: flows.file_application(session, settings, actor, application_body(), "test: the second of two filings at once"),
    )
    assert waited, f"the second filing did not wait for the first ({second})"
    assert second == "already_filed"
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Case).where(Case.person_id == actor.person_id)) == 1
