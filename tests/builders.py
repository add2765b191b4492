"""Small typed builders for test data. They write through repositories (no scope checks, no audit),
so a test states only what matters to it and checks the service under test, not its set-up."""

from __future__ import annotations

import itertools
from datetime import date
from functools import lru_cache

from sqlalchemy.orm import Session

from amparo.auth import repository as users
from amparo.auth.models import User
from amparo.auth.passwords import hash_password
from amparo.auth.policy import Actor, Role
from amparo.cases import service as cases
from amparo.cases.models import Case
from amparo.jurisdictions.models import Jurisdiction
from amparo.jurisdictions.service import ensure_jurisdiction
from amparo.people import repository as people
from amparo.people.models import Person

_counter = itertools.count(1)
#: The password of every built user (its hash is computed once: argon2 is slow on purpose).
PASSWORD = "correct horse battery staple"


@lru_cache(maxsize=1)
def _password_hash() -> str:
    return hash_password(PASSWORD)


def make_jurisdiction(session: Session, code: str = "ARG") -> Jurisdiction:
    return ensure_jurisdiction(session, code)


def make_user(
    session: Session,
    role: Role | str = Role.CASEWORKER,
    jurisdiction: str | None = "ARG",
    *,
    username: str | None = None,
    person: Person | None = None,
    consular_state: str | None = None,
) -> User:
    role = Role(role)
    if jurisdiction is not None:
        make_jurisdiction(session, jurisdiction)
    if role is Role.CONSULAR_OFFICER and consular_state is None:
        consular_state = "VEN"
    return users.create_user(
        session,
        username or f"{role.value}-{next(_counter)}@example.org",
        None,
        role,
        jurisdiction,
        person_id=person.id if person is not None else None,
        consular_state=consular_state,
        password_hash=_password_hash(),
    )


def make_person(
    session: Session,
    jurisdiction: str = "ARG",
    *,
    given_names: str = "María José",
    family_names: str = "Pérez Soto",
    nationalities: tuple[str, ...] = ("VEN",),
    date_of_birth: date | None = date(1990, 4, 17),
    sex: str = "female",
    languages: tuple[str, ...] = ("es",),
) -> Person:
    make_jurisdiction(session, jurisdiction)
    person = Person(
        given_names=given_names,
        family_names=family_names,
        date_of_birth=date_of_birth,
        sex=sex,
        languages=list(languages),
        jurisdiction_code=jurisdiction,
    )
    return people.add(session, person, nationalities)


def make_case(
    session: Session, person: Person | None = None, *, kind: str = "regularization", jurisdiction: str | None = None
) -> Case:
    person = person or make_person(session)
    return cases.open_case(
        session, person_id=person.id, kind=kind, jurisdiction=jurisdiction or person.jurisdiction_code, actor=None
    )


def actor_for(user: User) -> Actor:
    return users.actor_for(user)


def force_assign(session: Session, case: Case, user_id: int | None) -> Case:
    """Set the assignee directly (a set-up shortcut: real assignment is the `assign` action)."""
    case.assigned_user_id = user_id
    case.state = {**case.state, "assigned_user_id": user_id}
    session.flush()
    return case


def grant_consent(session: Session, case: Case, state: str, granted: bool = True) -> Case:
    """The person consents (through the real action) to the consulate of `state` seeing the case."""
    person = session.get(Person, case.person_id)
    owner = actor_for(make_user(session, Role.APPLICANT, None, person=person))
    cases.append_action(
        session, owner, case.id, case.version, {"type": "consular_consent", "payload": {"state": state, "granted": granted}}, "consent"
    )
    return case


def make_application(session: Session, case: Case, data_dir, programme_document: str, *, secret_key: str = "t" * 40):
    """Make `case` a filed regularization application: its programme published, the application row,
    a signed certificate and one evidence file in the store under `data_dir` (a set-up shortcut:
    real filing is `amparo.regularization.flows.file_application`). Returns the evidence's sha256."""
    from amparo.config import Settings
    from amparo.evidence import EvidenceStore
    from amparo.regularization import service as regularization
    from amparo.regularization.models import Application, EvidenceRecord

    row = regularization.publish_programme(session, None, programme_document)
    programme = regularization.programme_of(row)
    today = date.today()
    session.add(Application(
        case_id=case.id, programme_id=programme.id, programme_version=programme.version, filed_on=today,
        applicant={"programme_id": programme.id}, declared_evidence=[], assessment={"overall": "incomplete", "criteria": []},
    ))
    person = session.get(Person, case.person_id)
    settings = Settings(environment="test", secret_key=secret_key, data_dir=data_dir)
    regularization.issue_certificate(session, settings, case, person, programme, today)
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (9, 9), "blue").save(buffer, format="PNG")
    blob = EvidenceStore(data_dir / "evidence").put(buffer.getvalue(), "image/png")
    session.add(EvidenceRecord(case_id=case.id, sha256=blob.sha256, kind="utility_bill", document_date=today, received_on=today,
                               media_type=blob.media_type, size=blob.size))
    session.flush()
    return blob.sha256
