"""User queries, and creating users (used by the CLI, the demo and the test builders)."""

from __future__ import annotations

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from amparo.auth.models import User
from amparo.auth.passwords import hash_password
from amparo.auth.policy import Actor, Role
from amparo.errors import Conflict, InvalidInput
from amparo.jurisdictions.codes import check_alpha3
from amparo.jurisdictions.service import require_jurisdiction

MIN_PASSWORD_LENGTH = 10
#: Roles whose every grant is scoped by jurisdiction: they are useless, and confusing, without one.
_JURISDICTION_ROLES = frozenset({Role.CASEWORKER, Role.SUPERVISOR, Role.PROGRAMME_ADMIN, Role.FILING_ASSISTANT})


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def get_user_by_username(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == normalise_username(username))).one_or_none()


def list_users(session: Session, *, role: str | None = None, jurisdiction: str | None = None) -> list[User]:
    query = select(User).order_by(User.id)
    if role is not None:
        query = query.where(User.role == role)
    if jurisdiction is not None:
        query = query.where(User.jurisdiction_code == jurisdiction)
    return list(session.scalars(query))


def normalise_username(username: str) -> str:
    """Usernames compare without surrounding spaces and case (emails and handles are case-blind)."""
    return username.strip().casefold()


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        expected = ", ".join(r.value for r in Role)
        raise InvalidInput(
            f"role {value!r} does not exist; expected one of: {expected}",
            details=[{"field": "role", "value": value, "expected": f"one of: {expected}"}],
        ) from None


def hash_new_password(password: str | None) -> str:
    """The argon2id hash of a new account's password, once it is long enough. It costs hundreds of
    milliseconds on purpose: a request makes it before its first write, so that on SQLite it does
    not hold the database's write lock meanwhile (`create_user(password_hash=...)`).

    Raises:
        InvalidInput: a password shorter than `MIN_PASSWORD_LENGTH`.
    """
    if password is None or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"the password has {0 if password is None else len(password)} characters; at least "
            f"{MIN_PASSWORD_LENGTH} are required",
            details=[{"field": "password", "value": "(hidden)", "expected": f">= {MIN_PASSWORD_LENGTH} characters"}],
        )
    return hash_password(password)


def create_user(
    session: Session,
    username: str,
    password: str | None,
    role: Role | str,
    jurisdiction: str | None,
    *,
    person_id: int | None = None,
    consular_state: str | None = None,
    password_hash: str | None = None,
) -> User:
    """Create an active user. Flushes, never commits.

    Args:
        username: Email, phone number or handle; stored trimmed and case-folded.
        password: Clear-text password (hashed with argon2id here); ignored when `password_hash` is given.
        role: A `Role` or its value.
        jurisdiction: Alpha-3 code of an existing jurisdiction, or None for roles without one.
        person_id: For applicants, their own person record.
        consular_state: For consular officers, the State whose consulate they serve.
        password_hash: A precomputed hash (bulk seeding and tests, where argon2 per user is too slow).

    Raises:
        InvalidInput: unknown role, jurisdiction or consular State, a short password, or a missing link.
        Conflict: the username is taken.
    """
    role = parse_role(role) if not isinstance(role, Role) else role
    name = normalise_username(username)
    if not name or len(name) > 254 or any(c.isspace() for c in name):
        raise InvalidInput(
            f"username {username!r} is not usable; expected an email, phone number or handle of 1-254 "
            "characters without spaces",
            details=[{"field": "username", "value": username, "expected": "1-254 characters, no spaces"}],
        )
    if jurisdiction is not None:
        require_jurisdiction(session, jurisdiction, field="jurisdiction")
    elif role in _JURISDICTION_ROLES:
        raise InvalidInput(
            f"role {role.value!r} needs a jurisdiction (its scopes are per jurisdiction); pass --jurisdiction",
            details=[{"field": "jurisdiction", "value": None, "expected": "an alpha-3 jurisdiction code"}],
        )
    if role is Role.CONSULAR_OFFICER:
        if consular_state is None:
            raise InvalidInput(
                "a consular_officer needs the State whose consulate they serve (consular_state, alpha-3)",
                details=[{"field": "consular_state", "value": None, "expected": "alpha-3 code, e.g. 'VEN'"}],
            )
        check_alpha3(consular_state, field="consular_state")
    elif consular_state is not None:
        raise InvalidInput(
            f"consular_state is only for consular officers, not for role {role.value!r}",
            details=[{"field": "consular_state", "value": consular_state, "expected": "no value"}],
        )
    if person_id is not None and role is not Role.APPLICANT:
        raise InvalidInput(
            f"person_id links an applicant to their own record; role {role.value!r} has none",
            details=[{"field": "person_id", "value": person_id, "expected": "no value"}],
        )
    if password_hash is None:
        password_hash = hash_new_password(password)
    if get_user_by_username(session, name) is not None:
        raise Conflict(
            f"username {name!r} is already taken; choose another",
            details=[{"field": "username", "value": name, "expected": "a username not yet in use"}],
        )
    user = User(
        username=name,
        password_hash=password_hash,
        role=role.value,
        jurisdiction_code=jurisdiction,
        person_id=person_id,
        consular_state=consular_state,
        active=True,
    )
    session.add(user)
    session.flush()
    return user


def actor_for(user: User | Row) -> Actor:
    """The policy's view of `user` (a model or a row with its columns), with their role as of now."""
    return Actor(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        jurisdiction=user.jurisdiction_code,
        person_id=user.person_id,
        consular_state=user.consular_state,
    )
