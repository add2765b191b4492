"""Shared set-up for regularization tests: a programme of Argentina open today, real files, counts."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from amparo.cases.models import Action, Case
from amparo.people.models import Person
from amparo.regularization.models import Application, Certificate, EmployerInvitation, EvidenceRecord, FilingConsent

#: A programme of Argentina whose window is open on the day the tests run (modelled on Patria Grande's
#: design: the migrant files, presence shown by any one document, no fee, no employer).
ARG_PROGRAMME = """\
id: arg-test-2026
version: 1
jurisdiction: ARG
title: Regularization test programme of Argentina
legal_basis:
  - title: Test basis (modelled on Ley 25.871 and Decreto 836/2004)
window:
  opens: 2026-01-01
  closes: 2035-12-31
eligibility:
  presence:
    before: 2026-06-01
    evidence_any_of: [rental_contract, utility_bill, medical_record, school_enrolment, sworn_statement_two_witnesses]
  nationality:
    any_of: [BOL, PRY, VEN]
  no_disqualifying_record:
    description: a conviction for a serious crime
  identity_document:
    required: true
    accepted: [passport, national_id_card]
    expired_accepted: true
filing:
  by: [applicant, assisting_organisation]
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

#: The same jurisdiction, a window that closed long ago.
ARG_CLOSED = ARG_PROGRAMME.replace("arg-test-2026", "arg-closed-2020").replace("2026-01-01", "2020-01-01").replace(
    "2035-12-31", "2020-12-31"
).replace("2026-06-01", "2020-01-01")


def png_bytes(size: tuple[int, int] = (40, 30), color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def application_body(programme_id: str = "arg-test-2026", **overrides) -> dict:
    body = {
        "programme_id": programme_id,
        "arrived_on": "2024-03-10",
        "declares_no_disqualifying_record": True,
        "identity_document": {"kind": "passport", "expires_on": "2031-01-01"},
        "evidence": [{"kind": "rental_contract", "dated": "2025-02-01"}],
    }
    body.update(overrides)
    return body


def person_body(jurisdiction: str = "ARG", **overrides) -> dict:
    body = {
        "given_names": "Wendy Mirian", "family_names": "Quispe Mamani", "date_of_birth": "1992-07-04",
        "sex": "female", "nationalities": ["BOL"], "languages": ["es", "qu"], "jurisdiction_code": jurisdiction,
    }
    body.update(overrides)
    return body


COUNTED = {"cases": Case, "actions": Action, "persons": Person, "applications": Application, "evidence": EvidenceRecord,
           "certificates": Certificate, "consents": FilingConsent, "invitations": EmployerInvitation}


def counts(engine: Engine) -> dict[str, int]:
    """Rows per table, read in a transaction that ends at once (SQLite's write lock is not held)."""
    with Session(engine) as session:
        result = {name: session.scalar(select(func.count()).select_from(model)) or 0 for name, model in COUNTED.items()}
        session.rollback()
    return result


def stored_files(data_dir: Path) -> set[str]:
    root = data_dir / "evidence" / "sha256"
    return {p.name for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def make_client(engine: Engine, data_dir: Path, **settings: object):
    """The app on `engine`, with evidence under `data_dir` (as tests/api/api_support.make_client)."""
    from fastapi.testclient import TestClient

    from amparo.api.app import create_app
    from amparo.config import Settings

    url = engine.url.render_as_string(hide_password=False)
    app = create_app(
        Settings(database_url=url, data_dir=data_dir, environment="test", secret_key="t" * 40,
                 public_base_url="https://amparo.example.org", **settings),  # type: ignore[arg-type]
        engine,
    )
    return TestClient(app, raise_server_exceptions=False)


def sign_in(client, username: str, password: str | None = None) -> dict[str, str]:
    from builders import PASSWORD

    response = client.post("/api/v1/auth/token", data={"username": username, "password": password or PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
