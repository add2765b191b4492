"""The whole regularization lifecycle through the API, on SQLite and PostgreSQL.

file → pre-assess → certificate verifies (offline and through /verify) → request information →
refusal without reasons blocked, citing the articles → refusal with reasons, signed off by another
supervisor → appeal (certificate valid again, "under appeal") → grant by an officer who took no part
in the first decision.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from amparo import certificates
from amparo.auth.policy import Role
from amparo.regularization import service
from amparo.safeguards import default_engine
from builders import make_user
from reg_support import ARG_PROGRAMME, application_body, make_client, person_body, png_bytes, sign_in


@dataclass
class Staff:
    caseworker: dict[str, str]
    caseworker_id: int
    supervisor: dict[str, str]
    second_supervisor: dict[str, str]
    admin: dict[str, str]


@pytest.fixture
def app(fresh_engine, tmp_path) -> tuple[TestClient, Staff]:
    with Session(fresh_engine, expire_on_commit=False) as session:
        users = {role: make_user(session, role, "ARG") for role in (Role.CASEWORKER, Role.SUPERVISOR, Role.PROGRAMME_ADMIN)}
        second = make_user(session, Role.SUPERVISOR, "ARG")
        names = {role: u.username for role, u in users.items()}
        caseworker_id = users[Role.CASEWORKER].id
        second_name = second.username
        session.commit()
    client = make_client(fresh_engine, tmp_path)
    staff = Staff(
        caseworker=sign_in(client, names[Role.CASEWORKER]), caseworker_id=caseworker_id,
        supervisor=sign_in(client, names[Role.SUPERVISOR]), second_supervisor=sign_in(client, second_name),
        admin=sign_in(client, names[Role.PROGRAMME_ADMIN]),
    )
    response = client.post("/api/v1/programmes", headers=staff.admin, json={"document": ARG_PROGRAMME})
    assert response.status_code == 201, response.text
    return client, staff


def register(client: TestClient, username: str = "wendy@example.org") -> dict[str, str]:
    response = client.post("/api/v1/auth/register", json={"username": username, "password": "a long enough password", "person": person_body()})
    assert response.status_code == 201, response.text
    return sign_in(client, username, "a long enough password")


def test_whole_lifecycle(app) -> None:
    client, staff = app
    applicant = register(client)

    listed = client.get("/api/v1/programmes").json()
    assert [p["programme_id"] for p in listed] == ["arg-test-2026"]

    # File: 201 with the case, the pre-assessment and the certificate, at once.
    filed = client.post("/api/v1/applications", headers=applicant, json=application_body())
    assert filed.status_code == 201, filed.text
    body = filed.json()
    case_id, token = body["case_id"], body["certificate"]["token"]
    assert body["case_number"].startswith("ARG-")
    criteria = {c["criterion"]: c["outcome"] for c in body["assessment"]["criteria"]}
    assert criteria["presence"] == "met" and criteria["nationality"] == "met" and criteria["window"] == "met"
    assert body["certificate"]["verify_url"] == f"https://amparo.example.org/verify/{token}"
    # The decision deadline runs from filing: 90 days under this programme.
    deadline = (dt.date.fromisoformat(body["filed_on"]) + dt.timedelta(days=90)).isoformat()
    assert client.get(f"/api/v1/cases/{case_id}", headers=applicant).json()["deadline"] == deadline

    # The certificate verifies offline with the published public key ...
    keys = client.get("/api/v1/certificate-keys").json()
    verified = certificates.verify(token, {k["key_id"]: k["public_key"] for k in keys})
    assert verified.claims.case_number == body["case_number"] and verified.claims.given_names == "Wendy Mirian"
    # ... and online, where the case's status decides.
    online = client.get(f"/verify/{token}")
    assert online.status_code == 200 and online.json()["state"] == "valid"
    assert online.headers["cache-control"] == "no-store" and online.headers["referrer-policy"] == "no-referrer"
    page = client.get(f"/verify/{token}", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Valid: application pending." in page.text and "Wendy Mirian" in page.text
    french = client.get(f"/verify/{token}?lang=fr", headers={"Accept": "text/html"})
    assert "Valide : demande en cours d’examen." in french.text and french.headers["cache-control"] == "no-store"
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert client.get(f"/verify/{tampered}").status_code == 422

    # Evidence: uploaded, sniffed, stored under its checksum, read back intact.
    image = png_bytes()
    uploaded = client.post(
        f"/api/v1/cases/{case_id}/evidence", headers=applicant,
        files={"file": ("bill.png", image, "image/png")}, data={"kind": "utility_bill", "document_date": "2025-03-01"},
    )
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["sha256"] == hashlib.sha256(image).hexdigest()
    download = client.get(f"/api/v1/cases/{case_id}/evidence/{uploaded.json()['sha256']}", headers=applicant)
    assert download.status_code == 200 and download.content == image

    # Queue and assignment.
    queue = client.get("/api/v1/queue", headers=staff.supervisor, params={"programme": "arg-test-2026"}).json()
    assert case_id in [item["case_id"] for item in queue["items"]]
    for before_day, listed in ((deadline, False), ((dt.date.fromisoformat(deadline) + dt.timedelta(days=1)).isoformat(), True)):
        due_soon = client.get("/api/v1/queue", headers=staff.supervisor, params={"deadline_before": before_day}).json()
        assert (case_id in [item["case_id"] for item in due_soon["items"]]) is listed
    other = client.get("/api/v1/queue", headers=staff.supervisor, params={"programme": "another"}).json()
    assert other["items"] == []
    version = client.get(f"/api/v1/cases/{case_id}", headers=staff.supervisor).json()["version"]
    assigned = client.post(f"/api/v1/cases/{case_id}/actions", headers=staff.supervisor,
                           json={"expected_version": version, "action": {"type": "assign", "payload": {"user_id": staff.caseworker_id}}})
    assert assigned.status_code == 201, assigned.text

    # Request for information, answered.
    due = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    asked = client.post(f"/api/v1/cases/{case_id}/request-information", headers=staff.caseworker, json={"message": "Send your passport's photo page.", "due_date": due})
    assert asked.status_code == 201, asked.text
    case = client.get(f"/api/v1/cases/{case_id}", headers=applicant).json()
    assert case["status"] == "awaiting_information" and case["deadline"] == due
    answered = client.post(f"/api/v1/cases/{case_id}/actions", headers=applicant,
                           json={"expected_version": case["version"], "action": {"type": "provide_information", "payload": {"message": "Uploaded."}}})
    assert answered.status_code == 201, answered.text

    # A refusal without reasons is blocked, citing the articles that bind Argentina today; nothing recorded.
    before = client.get(f"/api/v1/cases/{case_id}", headers=staff.caseworker).json()["version"]
    blocked = client.post(f"/api/v1/cases/{case_id}/decision", headers=staff.caseworker, json={"outcome": "refuse", "language": "es"})
    assert blocked.status_code == 409, blocked.text
    assert blocked.json()["error"] == "safeguards_not_met"
    details = {d["safeguard"]: d for d in blocked.json()["details"]}
    assert details["written-reasons"]["status"] == "binding"
    assert "ICRMW art. 22(3)" in details["written-reasons"]["sources"] and "ICCPR art. 13" in details["written-reasons"]["sources"]
    assert "reasons" in details["written-reasons"]["missing"]
    assert "supervisor-sign-off" not in details  # the sign-off follows the proposal; it cannot block it
    assert client.get(f"/api/v1/cases/{case_id}", headers=staff.caseworker).json()["version"] == before

    # With reasons, language and how to appeal: proposed, pending sign-off; the certificate stays valid.
    refusal = {"outcome": "refuse", "reasons": "No document shows presence before 1 June 2026.", "language": "es",
               "appeal_information": {"how": "Write to the Dirección Nacional de Migraciones, Av. Antártida Argentina 1355."}}
    proposed = client.post(f"/api/v1/cases/{case_id}/decision", headers=staff.caseworker, json=refusal)
    assert proposed.status_code == 201, proposed.text
    assert proposed.json()["recorded"] == "decision_proposed" and proposed.json()["status"] == "refusal_proposed"
    assert client.get(f"/verify/{token}").json()["state"] == "valid"

    # Four eyes: the caseworker cannot sign; a supervisor does, and the refusal takes effect.
    assert client.post(f"/api/v1/cases/{case_id}/signoff", headers=staff.caseworker).status_code == 403
    signed = client.post(f"/api/v1/cases/{case_id}/signoff", headers=staff.supervisor)
    assert signed.status_code == 201, signed.text
    assert signed.json()["status"] == "refused"
    recorded = signed.json()["evaluation"]
    assert recorded["ok"] and recorded["evaluated_on"] == dt.date.today().isoformat() and recorded["rules_version"]
    assert {r["safeguard"] for r in recorded["results"]} >= {"written-reasons", "supervisor-sign-off", "individual-decision"}
    # The recorded evaluation replays to the same outcome.
    assert default_engine().replay(recorded).to_dict()["results"] == recorded["results"]
    assert client.get(f"/verify/{token}").json()["state"] == "not_valid"

    # Appeal within the period: the certificate is valid again, "under appeal".
    appealed = client.post(f"/api/v1/cases/{case_id}/appeal", headers=applicant, json={"grounds": "My rental contract of 2025 shows presence."})
    assert appealed.status_code == 201, appealed.text
    assert appealed.json()["status"] == "under_appeal"
    verdict = client.get(f"/verify/{token}").json()
    assert verdict["state"] == "valid" and verdict["case_status"] == "under_appeal"
    assert client.post(f"/api/v1/cases/{case_id}/appeal", headers=applicant, json={"grounds": "again"}).status_code == 409

    # The appeal is decided by someone who took no part in the first decision.
    grant = {"outcome": "grant"}
    assert client.post(f"/api/v1/cases/{case_id}/decision", headers=staff.caseworker, json=grant).status_code == 403
    assert client.post(f"/api/v1/cases/{case_id}/decision", headers=staff.supervisor, json=grant).status_code == 403
    granted = client.post(f"/api/v1/cases/{case_id}/decision", headers=staff.second_supervisor, json=grant)
    assert granted.status_code == 201, granted.text
    assert granted.json()["status"] == "granted" and granted.json()["recorded"] == "decision_made"
    journal = [a["type"] for a in client.get(f"/api/v1/cases/{case_id}/actions", headers=applicant).json()]
    assert journal == ["case_opened", "application_filed", "evidence_added", "assign", "request_information", "provide_information",
                       "decision_proposed", "decision_signed_off", "appeal_filed", "decision_made"]
    pdf = client.get(f"/api/v1/cases/{case_id}/certificate.pdf", headers=applicant)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_supervisor_cannot_sign_off_their_own_proposal(app) -> None:
    client, staff = app
    applicant = register(client, "+54 11 5555 0101".replace(" ", ""))
    case_id = client.post("/api/v1/applications", headers=applicant, json=application_body()).json()["case_id"]
    version = client.get(f"/api/v1/cases/{case_id}", headers=staff.supervisor).json()["version"]
    me = client.get("/api/v1/me", headers=staff.supervisor).json()["id"]
    client.post(f"/api/v1/cases/{case_id}/actions", headers=staff.supervisor,
                json={"expected_version": version, "action": {"type": "assign", "payload": {"user_id": me}}})
    refusal = {"outcome": "refuse", "reasons": "Not shown.", "language": "es", "appeal_information": {"how": "In writing to the DNM."}}
    assert client.post(f"/api/v1/cases/{case_id}/decision", headers=staff.supervisor, json=refusal).status_code == 201
    own = client.post(f"/api/v1/cases/{case_id}/signoff", headers=staff.supervisor)
    assert own.status_code == 403 and "another supervisor" in own.json()["message"]
    assert client.post(f"/api/v1/cases/{case_id}/signoff", headers=staff.second_supervisor).status_code == 201


def test_keys_are_stored_encrypted_and_reused(app, fresh_engine) -> None:
    client, _ = app
    applicant = register(client, "ana@example.org")
    client.post("/api/v1/applications", headers=applicant, json=application_body())
    with Session(fresh_engine) as session:
        pems = [row.private_key_pem for row in service.repository.all_signing_keys(session)]
        session.rollback()
    assert len(pems) == 1
    assert "ENCRYPTED PRIVATE KEY" in pems[0] and "BEGIN PRIVATE KEY" not in pems[0]


def _refused_case(client: TestClient, staff: Staff, username: str) -> tuple[int, dict[str, str]]:
    applicant = register(client, username)
    case_id = client.post("/api/v1/applications", headers=applicant, json=application_body()).json()["case_id"]
    version = client.get(f"/api/v1/cases/{case_id}", headers=staff.supervisor).json()["version"]
    client.post(f"/api/v1/cases/{case_id}/actions", headers=staff.supervisor,
                json={"expected_version": version, "action": {"type": "assign", "payload": {"user_id": staff.caseworker_id}}})
    refusal = {"outcome": "refuse", "reasons": "Not shown.", "language": "es", "appeal_information": {"how": "In writing to the DNM."}}
    assert client.post(f"/api/v1/cases/{case_id}/decision", headers=staff.caseworker, json=refusal).status_code == 201
    assert client.post(f"/api/v1/cases/{case_id}/signoff", headers=staff.supervisor).status_code == 201
    return case_id, applicant


@pytest.mark.parametrize(("days_after", "status"), [(15, 201), (16, 409)])
def test_appeal_period_ends_on_its_last_day(app, monkeypatch, days_after: int, status: int) -> None:
    """The programme gives 15 days from the refusal: the 15th day is in time, the 16th is not."""
    from amparo.regularization import decisions

    client, staff = app
    case_id, applicant = _refused_case(client, staff, f"late-{days_after}@example.org")
    refused_on = dt.date.today()
    monkeypatch.setattr(decisions, "today", lambda: refused_on + dt.timedelta(days=days_after))
    response = client.post(f"/api/v1/cases/{case_id}/appeal", headers=applicant, json={"grounds": "I have new evidence."})
    assert response.status_code == status, response.text
    if status == 409:
        assert response.json()["error"] == "appeal_period_over"
        assert (refused_on + dt.timedelta(days=15)).isoformat() in response.json()["message"]


def test_self_registration_is_rate_limited_per_address(fresh_engine, tmp_path) -> None:
    client = make_client(fresh_engine, tmp_path, registrations_per_address=2)
    with Session(fresh_engine) as session:
        from amparo.jurisdictions.service import ensure_jurisdiction

        ensure_jurisdiction(session, "ARG")
        session.commit()
    statuses = [
        client.post("/api/v1/auth/register", json={"username": f"r{i}@example.org", "password": "a long enough password", "person": person_body()}).status_code
        for i in range(3)
    ]
    assert statuses == [201, 201, 429]
    # A refused registration creates nothing: the third person cannot sign in.
    assert client.post("/api/v1/auth/token", data={"username": "r2@example.org", "password": "a long enough password"}).status_code == 401


def _assigned_case(client: TestClient, staff: Staff, username: str) -> tuple[int, dict[str, str], str]:
    applicant = register(client, username)
    filed = client.post("/api/v1/applications", headers=applicant, json=application_body()).json()
    case_id = filed["case_id"]
    version = client.get(f"/api/v1/cases/{case_id}", headers=staff.supervisor).json()["version"]
    assigned = client.post(f"/api/v1/cases/{case_id}/actions", headers=staff.supervisor,
                           json={"expected_version": version, "action": {"type": "assign", "payload": {"user_id": staff.caseworker_id}}})
    assert assigned.status_code == 201, assigned.text
    return case_id, applicant, filed["filed_on"]


def test_answering_a_request_for_information_gives_back_the_decision_deadline(app) -> None:
    """arg-test-2026 sets 90 days from filing. The request's due date is the deadline while it is open;
    the answer restores filing + 90 days (it used to clear the deadline, dropping the case from the
    queue's "due before" view). The queue lists it due before day 91, not before day 90."""
    client, staff = app
    case_id, applicant, filed_on = _assigned_case(client, staff, "deadline@example.org")
    decide_by = dt.date.fromisoformat(filed_on) + dt.timedelta(days=90)
    due = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    assert client.post(f"/api/v1/cases/{case_id}/request-information", headers=staff.caseworker,
                       json={"message": "Send your passport's photo page.", "due_date": due}).status_code == 201
    case = client.get(f"/api/v1/cases/{case_id}", headers=applicant).json()
    assert case["deadline"] == due
    answered = client.post(f"/api/v1/cases/{case_id}/actions", headers=applicant,
                           json={"expected_version": case["version"], "action": {"type": "provide_information", "payload": {"message": "Sent."}}})
    assert answered.status_code == 201, answered.text
    case = client.get(f"/api/v1/cases/{case_id}", headers=applicant).json()
    assert case["status"] == "in_progress" and case["deadline"] == decide_by.isoformat()
    for before_day, listed in ((decide_by, False), (decide_by + dt.timedelta(days=1), True)):
        due_soon = client.get("/api/v1/queue", headers=staff.supervisor, params={"deadline_before": before_day.isoformat()}).json()
        assert (case_id in [item["case_id"] for item in due_soon["items"]]) is listed


def test_a_decided_case_refuses_further_casework_but_not_notes_consent_or_the_appeal(app) -> None:
    client, staff = app
    case_id, applicant, _ = _assigned_case(client, staff, "decided@example.org")
    granted = client.post(f"/api/v1/cases/{case_id}/decision", headers=staff.caseworker, json={"outcome": "grant"})
    assert granted.status_code == 201, granted.text

    def act(headers: dict[str, str], type_: str, payload: dict) -> Any:
        version = client.get(f"/api/v1/cases/{case_id}", headers=staff.supervisor).json()["version"]
        return client.post(f"/api/v1/cases/{case_id}/actions", headers=headers, json={"expected_version": version, "action": {"type": type_, "payload": payload}})

    before = client.get(f"/api/v1/cases/{case_id}", headers=staff.supervisor).json()["version"]
    refused = [
        act(staff.supervisor, "assign", {"user_id": staff.caseworker_id}),
        client.post(f"/api/v1/cases/{case_id}/request-information", headers=staff.caseworker,
                    json={"message": "One more document.", "due_date": (dt.date.today() + dt.timedelta(days=10)).isoformat()}),
        act(applicant, "withdraw", {"reason": "No longer needed."}),
        client.post(f"/api/v1/cases/{case_id}/evidence", headers=applicant, files={"file": ("late.png", png_bytes(color="blue"), "image/png")},
                    data={"kind": "utility_bill", "document_date": "2025-03-01"}),
    ]
    for response in refused:
        assert response.status_code == 409, response.text
        assert response.json()["error"] == "invalid_transition" and "the case was granted" in response.json()["message"]
    assert client.get(f"/api/v1/cases/{case_id}", headers=staff.supervisor).json()["version"] == before
    assert act(staff.caseworker, "note", {"text": "Permit card sent."}).status_code == 201
    assert act(applicant, "consular_consent", {"state": "BOL", "granted": True}).status_code == 201

    # A refused case is reopened only by its appeal; then it may be assigned again.
    case_id, applicant = _refused_case(client, staff, "refused-then-appealed@example.org")
    version = client.get(f"/api/v1/cases/{case_id}", headers=staff.supervisor).json()["version"]
    assign = {"type": "assign", "payload": {"user_id": staff.caseworker_id}}
    assert client.post(f"/api/v1/cases/{case_id}/actions", headers=staff.supervisor, json={"expected_version": version, "action": assign}).status_code == 409
    assert client.post(f"/api/v1/cases/{case_id}/appeal", headers=applicant, json={"grounds": "New evidence."}).status_code == 201
    version = client.get(f"/api/v1/cases/{case_id}", headers=staff.supervisor).json()["version"]
    assert client.post(f"/api/v1/cases/{case_id}/actions", headers=staff.supervisor, json={"expected_version": version, "action": assign}).status_code == 201
