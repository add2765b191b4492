"""Seed a demonstration jurisdiction: one user per role, and a person and case for the applicant.

Running it twice is safe: what exists is kept and the demo users get new passwords, which are printed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from amparo.auth import repository as users
from amparo.auth.passwords import hash_password
from amparo.auth.policy import Role
from amparo.cases import service as cases
from amparo.jurisdictions import service as jurisdictions
from amparo.people.schemas import PersonCreate
from amparo.people import service as people

DEMO_JURISDICTION = "ARG"
#: The demo applicant is a Bolivian national; the demo consular officer serves Bolivia's consulate.
DEMO_NATIONALITY = "BOL"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    password: str


def _username(role: Role) -> str:
    return f"{role.value.replace('_', '-')}@demo.amparo.example"


def seed(session: Session, password: str | None = None) -> list[DemoLogin]:
    """Create (or refresh) the demo users. Flushes, never commits."""
    jurisdictions.ensure_jurisdiction(session, DEMO_JURISDICTION)
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
                extra["person_id"] = _demo_applicant(session)
            users.create_user(session, username, secret, role, jurisdiction, **extra)
        else:
            user.password_hash = hash_password(secret)
        logins.append(DemoLogin(role.value, username, secret))
    session.flush()
    return logins


def _demo_applicant(session: Session) -> int:
    staff = users.actor_for(
        users.get_user_by_username(session, _username(Role.SUPERVISOR))
        or users.create_user(session, _username(Role.SUPERVISOR), secrets.token_urlsafe(12), Role.SUPERVISOR, DEMO_JURISDICTION)
    )
    person = people.create_person(
        session,
        staff,
        PersonCreate(
            given_names="María Fernanda",
            family_names="Quispe Mamani",
            date_of_birth="1994-03-12",
            sex="female",
            nationalities=[DEMO_NATIONALITY],
            languages=["es", "qu"],
            phone="+54 11 5555 0101",
            jurisdiction_code=DEMO_JURISDICTION,
        ),
        "demo seed",
    )
    cases.create_case(session, staff, {"person_id": person.id, "kind": "regularization"}, "demo seed")
    return person.id
