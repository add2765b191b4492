"""Self-registrations sent at the same moment from one address count one another against the
address's limit (`registrations_per_address`), as they do one after the other; a registration refused
for its details does not count. On SQLite and PostgreSQL, with the sessions the API's writing
requests use."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from amparo.audit.models import AuditEntry
from amparo.auth.policy import Role
from amparo.config import Settings
from amparo.db.engine import lock_on_first_write
from amparo.errors import Conflict, TooManyRequests
from amparo.regularization import service
from amparo.regularization.schemas import RegisterIn
from builders import make_user
from db_support import race
from reg_support import person_body


def _requests(engine: Engine):
    """A session like a writing request's (on SQLite: its write lock taken at its first write)."""
    requests = lock_on_first_write(engine)
    return lambda: Session(requests, expire_on_commit=False)


def _settings(tmp_path, per_address: int) -> Settings:
    return Settings(environment="test", secret_key="t" * 40, data_dir=tmp_path, registrations_per_address=per_address)


def _registration(username: str) -> RegisterIn:
    return RegisterIn.model_validate({"username": username, "password": "a long enough password", "person": person_body()})


def _accounts(engine: Engine) -> int:
    with Session(engine) as session:
        count = session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "user:register"))
        session.rollback()
    return count or 0


def test_registrations_sent_at_once_from_one_address_get_no_more_accounts_than_the_limit(fresh_engine, tmp_path) -> None:
    """The second waits until the first is committed and then counts it: the address's count was
    read before either was recorded, and every registration sent at the same moment passed it."""
    with Session(fresh_engine) as session:
        make_user(session, Role.CASEWORKER, "ARG")  # the jurisdiction, and nothing from the address
        session.commit()
    settings = _settings(tmp_path, per_address=1)
    refused: list[TooManyRequests] = []

    def register(username: str):
        def run(session: Session) -> None:
            try:
                service.register_applicant(session, settings, _registration(username), "203.0.113.9")
            except TooManyRequests as error:
                refused.append(error)
                session.rollback()
        return run

    waited, second = race(_requests(fresh_engine), register("first@example.org"), register("second@example.org"))
    assert second == "done"
    assert len(refused) == 1, "the second registration from the address was not refused"
    assert waited, "the second registration did not wait for the first"
    assert _accounts(fresh_engine) == 1


def test_a_refused_registration_does_not_use_up_the_address_allowance(fresh_engine, tmp_path) -> None:
    """A registration refused for its details (here a username already taken) is rolled back with
    everything it recorded, so the person at that address can correct it and try again."""
    with Session(fresh_engine) as session:
        make_user(session, Role.CASEWORKER, "ARG", username="taken@example.org")
        session.commit()
    settings = _settings(tmp_path, per_address=1)
    with _requests(fresh_engine)() as session:
        with pytest.raises(Conflict):
            service.register_applicant(session, settings, _registration("taken@example.org"), "203.0.113.9")
        session.rollback()
        service.register_applicant(session, settings, _registration("free@example.org"), "203.0.113.9")
        session.commit()
        with pytest.raises(TooManyRequests):
            service.register_applicant(session, settings, _registration("third@example.org"), "203.0.113.9")
        session.rollback()
    assert _accounts(fresh_engine) == 1
