"""Seed a demonstration: Colombia's 2021 temporary protection statute, one user per role, and a few
thousand synthetic applicants filed through the real filing service.

The programme is the shipped example `col-etpv-2021` (Decreto 216 de 2021; see its `legal_basis` and
`sources_note`). Its registration window closed on 2022-05-28, so the demo replays field intake of
that window: applicants are filed by bulk intake (`amparo.intake`) with the day each form was signed,
which is the one path allowed to give a past filing date. A new filing made today in the demo is
refused with `window_closed`: that is the rule working, not a fault of the demo.

Running it twice is safe: what exists is kept (the applicants are recognised by their intake keys),
and the demo users get new passwords, which are printed.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import yaml
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from amparo.auth import repository as users
from amparo.auth.passwords import hash_password
from amparo.auth.policy import Role
from amparo.config import Settings
from amparo.errors import Conflict
from amparo.intake.service import Summary, import_rows
from amparo.intake.synthetic import CONSENT, rows
from amparo.jurisdictions import service as jurisdictions
from amparo.programmes import example_paths, load_example
from amparo.regularization import flows, repository as applications
from amparo.regularization import service as regularization

DEMO_JURISDICTION = "COL"
DEMO_PROGRAMME = "col-etpv-2021"
#: The programme's nationality: the demo applicants are Venezuelan; the consular officer serves Venezuela.
DEMO_NATIONALITY = "VEN"
#: Synthetic applicants filed by default: enough for a realistic queue, quick enough for a first run.
DEFAULT_APPLICANTS = 2_000
#: Applicants (beyond the main one) who get a login, to try the applicant's view with several cases.
APPLICANT_LOGINS = 5
SEED = 2021
_MAIN_APPLICANT_KEY = "demo:applicant"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    password: str


def _username(role: Role, n: int = 0) -> str:
    suffix = f"-{n}" if n else ""
    return f"{role.value.replace('_', '-')}{suffix}@demo.amparo.example"


#: A practice copy of the programme whose window is open, so a person trying the demo can file today.
PRACTICE_PROGRAMME = "demo-practice-open-window"
PRACTICE_WINDOW = {"opens": "2025-01-01", "closes": "2030-12-31"}


def practice_copy(document: str) -> str:
    """The shipped programme with another id, a title and summary that say what it is, and a window
    open from 2025 to 2030. Fixed dates keep it one immutable version, so re-running the demo is safe."""
    data = yaml.safe_load(document)
    data["id"] = PRACTICE_PROGRAMME
    data["version"] = 1
    data.pop("effective_from", None)
    data["title"] = f"Demo practice copy (window open until {PRACTICE_WINDOW['closes']}): {data['title']}"
    data["summary"] = (
        "A copy of the programme below for trying Amparo: same rules, but its application window is "
        f"open from {PRACTICE_WINDOW['opens']} to {PRACTICE_WINDOW['closes']}. It is not a real programme. "
        + (data.get("summary") or "")
    )
    data["window"] = {**data.get("window", {}), **PRACTICE_WINDOW}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def publish(session: Session) -> None:
    """Publish the shipped programme and its practice copy in the demo jurisdiction (again: kept as
    they are). Flushes."""
    document = next(p for p in example_paths() if p.stem == DEMO_PROGRAMME).read_text(encoding="utf-8")
    regularization.publish_programme(session, None, document, purpose="demo seed")
    regularization.publish_programme(session, None, practice_copy(document), purpose="demo seed")


def seed(session: Session, settings: Settings, password: str | None = None) -> list[DemoLogin]:
    """Publish the programme and create (or refresh) one user per role. Flushes, never commits."""
    jurisdictions.ensure_jurisdiction(session, DEMO_JURISDICTION)
    publish(session)
    logins: list[DemoLogin] = []
    for role in Role:
        secret = password or secrets.token_urlsafe(9)
        username = _username(role)
        user = users.get_user_by_username(session, username)
        if user is None:
            extra: dict = {}
            jurisdiction = None if role in (Role.CONSULAR_OFFICER, Role.SYSTEM_ADMIN) else DEMO_JURISDICTION
            if role is Role.CONSULAR_OFFICER:
                extra["consular_state"] = DEMO_NATIONALITY
            if role is Role.APPLICANT:
                extra["person_id"] = _main_applicant(session, settings)
            users.create_user(session, username, secret, role, jurisdiction, **extra)
        else:
            user.password_hash = hash_password(secret)
        logins.append(DemoLogin(role.value, username, secret))
    session.flush()
    return logins


def _main_applicant(session: Session, settings: Settings) -> int:
    """The demo applicant's person, filed under the programme on a day of its window."""
    existing = applications.application_by_intake_key(session, _MAIN_APPLICANT_KEY)
    if existing is not None:
        return _person_of(session, existing.case_id)
    filed_on = dt.date(2021, 6, 14)
    body = {
        "programme_id": DEMO_PROGRAMME,
        "arrived_on": "2019-08-02",
        "declares_no_disqualifying_record": True,
        "identity_document": {"kind": "passport", "expires_on": "2019-03-01"},
        "evidence": [{"kind": "rental_contract", "dated": "2020-11-03"}, {"kind": "school_enrolment", "dated": "2020-02-10"}],
        "on_behalf_of": {
            "person": {
                "given_names": "María Fernanda", "family_names": "Rangel Pérez", "date_of_birth": "1994-03-12", "sex": "female",
                "nationalities": [DEMO_NATIONALITY], "languages": ["es"], "phone": "+57 300 555 0101", "jurisdiction_code": DEMO_JURISDICTION,
            },
            "consent": {"organisation": "Demo intake site (col-terminal-norte)", "method": "signed_form", "statement": CONSENT, "given_on": filed_on},
        },
    }
    filed = flows.file_application(session, settings, None, body, "demo seed", filed_on=filed_on, intake_key=_MAIN_APPLICANT_KEY)
    return filed.case.person_id


def _person_of(session: Session, case_id: int) -> int:
    from amparo.cases import repository as cases

    case = cases.get(session, case_id)
    assert case is not None
    return case.person_id


def seed_applicants(
    engine: Engine, settings: Settings, count: int = DEFAULT_APPLICANTS, *, progress: Callable[[Summary], None] | None = None, batch_size: int = 250
) -> Summary:
    """File `count` synthetic applicants through bulk intake (commits per batch; a re-run adds nothing)."""
    programme = load_example(DEMO_PROGRAMME)
    generated = ((i + 2, cells) for i, cells in enumerate(rows(programme, count, seed=SEED)))
    return import_rows(engine, settings, generated, DEMO_PROGRAMME, label="demo applicants", batch_size=batch_size,
                       organisation="Demo assisting organisation", progress=progress)


def applicant_logins(session: Session, password: str | None = None, count: int = APPLICANT_LOGINS) -> list[DemoLogin]:
    """Give `count` synthetic applicants a login (one argon2 hash shared by all: the demo prints one
    password for them, and hashing once keeps the seed fast). Flushes."""
    from sqlalchemy import select

    from amparo.cases.models import Case
    from amparo.regularization.models import Application

    secret = password or secrets.token_urlsafe(9)
    digest = hash_password(secret)
    query = (
        select(Case.person_id).join(Application, Application.case_id == Case.id)
        .where(Application.intake_key.like("csv:%")).order_by(Case.id).limit(count)
    )
    logins = []
    for n, person_id in enumerate(session.scalars(query), start=1):
        username = _username(Role.APPLICANT, n)
        user = users.get_user_by_username(session, username)
        if user is None:
            try:
                users.create_user(session, username, None, Role.APPLICANT, DEMO_JURISDICTION, person_id=person_id, password_hash=digest)
            except Conflict:
                continue
        else:
            user.password_hash = digest
        logins.append(DemoLogin(Role.APPLICANT.value, username, secret))
    session.flush()
    return logins
