"""Fixtures (a database of the test's own with Colombia's programme), intake CSVs, and counts of what an
import left in the database."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from sqlalchemy import Engine, func, select

from amparo.cases.models import Case
from amparo.db.engine import read_only
from amparo.db.session import session_scope
from amparo.intake.format import COLUMN_NAMES
from amparo.people.models import Person
from amparo.regularization.models import Application, Certificate, FilingConsent
from amparo.config import Settings
from amparo.programmes import example_paths
from amparo.regularization import service

SECRET = "intake-tests-secret-key-that-is-long-enough-0123456789"
PROGRAMME = "col-etpv-2021"

GOOD = {
    "site": "cucuta-terminal", "row_id": "F-1", "programme_id": "col-etpv-2021", "filed_on": "2021-06-14",
    "given_names": "María José", "family_names": "Pérez Rangel", "date_of_birth": "1990-04-17", "sex": "female",
    "nationalities": "VEN", "languages": "es", "phone": "+57 300 555 0101", "email": "", "address": "",
    "arrived_on": "2019-08-02", "declares_no_disqualifying_record": "yes", "id_document_kind": "passport",
    "id_document_expires_on": "2019-03-01", "evidence": "rental_contract:2020-11-03;utility_bill:2021-01-15",
    "consent_method": "signed_form", "consent_given_on": "2021-06-14",
    "consent_statement": "I agree that the Cúcuta terminal site files my application for me.",
}


def row(**changes: str) -> dict[str, str]:
    return GOOD | changes


def write(path: Path, rows: list[dict[str, str]], columns: tuple[str, ...] = COLUMN_NAMES) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def report_lines(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def counts(engine: Engine) -> dict[str, int]:
    with session_scope(read_only(engine)) as session:
        return {
            name: session.scalar(select(func.count()).select_from(model)) or 0
            for name, model in (("applications", Application), ("cases", Case), ("persons", Person),
                                ("certificates", Certificate), ("consents", FilingConsent))
        }


def intake_keys(engine: Engine) -> list[str]:
    with session_scope(read_only(engine)) as session:
        return list(session.scalars(select(Application.intake_key).order_by(Application.intake_key)))



@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(environment="development", secret_key=SECRET, data_dir=tmp_path / "var")


@pytest.fixture
def published(fresh_engine: Engine) -> Iterator[Engine]:
    """A database of the test's own (imports commit per batch) with the shipped Colombian programme."""
    document = next(p for p in example_paths() if p.stem == PROGRAMME).read_text(encoding="utf-8")
    with session_scope(fresh_engine) as session:
        service.publish_programme(session, None, document)
    yield fresh_engine
