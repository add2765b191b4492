"""Set-up for the signed-in pages: an app with a programme of Argentina open today, staff accounts,
and helpers that act through the pages as a person would (forms with their CSRF token)."""

from __future__ import annotations

import io
import itertools
import re
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from amparo.config import Settings
from tests.web.conftest import TEST_SECRET, build_app

PASSWORD = "a long enough password 123"
_serial = itertools.count(1)

#: A programme of Argentina open whenever the tests run: presence before 2026-06-01 shown by one
#: document, nationals of Bolivia, Paraguay and Venezuela, no fee, the migrant files alone.
PROGRAMME = """\
id: arg-web-2026
version: 1
jurisdiction: ARG
title: Web test programme of Argentina
legal_basis:
  - title: Ley 25.871 de Migraciones (test basis)
window:
  opens: 2026-01-01
  closes: 2039-12-31
eligibility:
  presence:
    before: 2026-06-01
    evidence_any_of: [rental_contract, utility_bill, school_enrolment]
  nationality:
    any_of: [BOL, PRY, VEN]
  identity_document:
    required: true
    accepted: [passport, national_id_card]
    expired_accepted: true
filing:
  by: [applicant]
fee:
  amount: 0
  currency: ARS
permit:
  name: Residencia temporaria
  length:
    months: 24
decision_deadline_days: 90
appeal_period_days: 15
"""


def make_app(folder: Path, database_url: str | None = None, programme: str = PROGRAMME) -> FastAPI:
    """A fresh app and database with the programme published and staff accounts for ARG (on a SQLite
    file in `folder`, or on `database_url`)."""
    settings = Settings(environment="development", secret_key=TEST_SECRET, data_dir=folder, registrations_per_address=1000)
    app = build_app(settings, database_url or folder / "web.db")
    from amparo.auth import repository as users
    from amparo.auth.policy import Role
    from amparo.regularization import service

    with app.state.sessionmaker() as db:
        service.publish_programme(db, None, programme)
        for username, role in (("caseworker@arg.example", Role.CASEWORKER), ("supervisor@arg.example", Role.SUPERVISOR),
                               ("supervisor2@arg.example", Role.SUPERVISOR), ("admin@arg.example", Role.PROGRAMME_ADMIN)):
            users.create_user(db, username, PASSWORD, role, "ARG")
        db.commit()
    return app


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(buffer, format="PNG")
    return buffer.getvalue()


def csrf(text: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', text)
    assert match, "the page has no CSRF field"
    return match.group(1)


def client_for(app: FastAPI) -> TestClient:
    return TestClient(app, headers={"accept": "text/html"}, raise_server_exceptions=False)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> None:
    page = client.get("/sign-in")
    response = client.post("/sign-in", data={"username": username, "password": password, "csrf_token": csrf(page.text)}, follow_redirects=False)
    assert response.status_code == 303, response.text


def register(client: TestClient, **overrides: str) -> str:
    """Create an applicant account through the page; returns the username."""
    username = overrides.pop("username", f"applicant{next(_serial)}@example.org")
    page = client.get("/register")
    form = {"username": username, "password": PASSWORD, "given_names": "Wendy Mirian", "family_names": "Quispe Mamani",
            "date_of_birth": "1992-07-04", "nationality": "BOL", "jurisdiction": "ARG", "languages": "es, qu", "csrf_token": csrf(page.text), **overrides}
    response = client.post("/register", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    return username


def apply(client: TestClient, with_file: bool = True) -> str:
    """File through the application page; returns the case number."""
    page = client.get("/my/apply")
    form = {"programme_id": "arg-web-2026", "arrived_on": "2024-03-10", "identity_kind": "passport", "identity_expires_on": "2031-01-01",
            "declares_no_record": "true", "evidence_kind": "rental_contract", "evidence_dated": "2025-02-01", "csrf_token": csrf(page.text)}
    files = {"evidence_file": ("contract.png", png_bytes(), "image/png")} if with_file else None
    response = client.post("/my/apply", data=form, files=files, follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"].rsplit("/", 1)[1]


def assign(app: FastAPI, number: str, username: str = "caseworker@arg.example") -> None:
    """A supervisor assigns the case (set-up through the service, as the supervisor page does)."""
    from amparo.auth import repository as users
    from amparo.cases import service as cases

    with app.state.sessionmaker() as db:
        supervisor = users.actor_for(users.get_user_by_username(db, "supervisor@arg.example"))
        case = cases.get_case(db, supervisor, number, purpose="test set-up")
        user = users.get_user_by_username(db, username)
        cases.append_action(db, supervisor, case.id, case.version, {"type": "assign", "payload": {"user_id": user.id}}, purpose="test set-up")
        db.commit()


def ask_for_information(app: FastAPI, number: str, message: str = "Send your rental contract, please.") -> None:
    """The assigned caseworker asks the applicant for information from the case page's form."""
    from tests.web.conftest import parse

    with client_for(app) as staff:
        sign_in(staff, "caseworker@arg.example")
        page = staff.get(f"/staff/cases/{number}")
        version = parse(page.text).xpath("//form[contains(@action, 'request-information')]//input[@name='version']/@value")[0]
        sent = staff.post(f"/staff/cases/{number}/request-information", follow_redirects=False, data={
            "message": message, "due_date": "2039-01-31", "version": version, "csrf_token": csrf(page.text)})
        assert sent.status_code == 303


def refusal_form(page_text: str, **overrides: str) -> dict[str, Any]:
    version = re.search(r'name="version" value="(\d+)"', page_text)
    assert version
    form = {"outcome": "refuse", "reasons": "", "language": "es", "appeal_how": "", "appeal_deadline": "",
            "version": version.group(1), "csrf_token": csrf(page_text)}
    form.update(overrides)
    return form
