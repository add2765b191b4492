"""Two publications of one programme id and version at the same moment get the answers they would
get one after the other: the same document its stored version, another document a 409. Each pair is
run by `db_support.race` with the sessions the API's writing requests use, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from amparo.audit.models import AuditEntry
from amparo.auth.policy import Actor, Role
from amparo.db.engine import lock_on_first_write
from amparo.regularization import service
from amparo.regularization.models import ProgrammeVersion
from builders import actor_for, make_user
from db_support import race
from reg_support import ARG_PROGRAMME

#: The same id and version as ARG_PROGRAMME, with other content.
CHANGED = ARG_PROGRAMME.replace("appeal_period_days: 15", "appeal_period_days: 30")


def _requests(engine: Engine):
    """A session like a writing request's (on SQLite: its write lock taken at its first write)."""
    requests = lock_on_first_write(engine)
    return lambda: Session(requests, expire_on_commit=False)


@pytest.fixture
def admin(fresh_engine: Engine) -> Actor:
    with Session(fresh_engine, expire_on_commit=False) as session:
        actor = actor_for(make_user(session, Role.PROGRAMME_ADMIN, "ARG"))
        session.commit()
    return actor


def _published(engine: Engine) -> tuple[list[str], int]:
    """The stored versions' checksums of arg-test-2026 and how many publications were journaled."""
    with Session(engine) as session:
        rows = session.scalars(select(ProgrammeVersion.sha256).where(ProgrammeVersion.programme_id == "arg-test-2026")).all()
        journaled = session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "programme:publish")
        )
        session.rollback()
    return list(rows), journaled or 0


def test_the_same_programme_published_twice_at_once_is_stored_once_and_both_get_it(fresh_engine, admin) -> None:
    """A double submit: the second read no version, then lost the unique key to the first. It is
    answered as a sequential republication is, with the stored version (it was a 500)."""
    answers: list[ProgrammeVersion] = []

    def publish(session: Session) -> None:
        answers.append(service.publish_programme(session, admin, ARG_PROGRAMME, purpose="test: a double submit"))

    waited, second = race(_requests(fresh_engine), publish, publish)
    assert second == "done"
    assert waited, "the second publication did not wait for the first"
    assert answers[0].id == answers[1].id and answers[1].sha256 == answers[0].sha256
    checksums, journaled = _published(fresh_engine)
    assert checksums == [answers[0].sha256] and journaled == 1


def test_two_documents_published_at_once_under_one_version_store_the_first_and_refuse_the_second(fresh_engine, admin) -> None:
    """The second is refused with the 409 it would get one after the other, naming the version to
    use instead, and leaves nothing behind."""
    refusals: list[str] = []

    def publish(document: str):
        def run(session: Session) -> None:
            try:
                service.publish_programme(session, admin, document, purpose="test: two documents at once")
            except Exception as error:
                refusals.append(str(error))
                raise
        return run

    _waited, second = race(_requests(fresh_engine), publish(ARG_PROGRAMME), publish(CHANGED))
    assert second == "conflict"
    assert refusals == [
        "programme arg-test-2026 version 1 is already published with other content; versions never change: "
        "publish it as version 2"
    ]
    checksums, journaled = _published(fresh_engine)
    first = hashlib.sha256(ARG_PROGRAMME.encode("utf-8")).hexdigest()
    assert checksums == [first] and journaled == 1


def test_one_programme_id_published_at_once_for_two_jurisdictions_stays_in_the_first(fresh_engine, admin) -> None:
    """Version 1 for Argentina and version 2 of the same id for Brazil: different versions, so the
    unique key does not meet them, and the second used to read no version of the id, pass the check
    that it belongs to no other jurisdiction, and store the id's second version in another State.
    It now waits for the first and gets the 409 it would get one after the other."""
    with Session(fresh_engine, expire_on_commit=False) as session:
        brazil = actor_for(make_user(session, Role.PROGRAMME_ADMIN, "BRA"))
        session.commit()
    elsewhere = ARG_PROGRAMME.replace("version: 1", "version: 2").replace("jurisdiction: ARG", "jurisdiction: BRA")
    refusals: list[str] = []

    def publish(actor: Actor, document: str):
        def run(session: Session) -> None:
            try:
                service.publish_programme(session, actor, document, purpose="test: one id for two States at once")
            except Exception as error:
                refusals.append(str(error))
                raise
        return run

    waited, second = race(_requests(fresh_engine), publish(admin, ARG_PROGRAMME), publish(brazil, elsewhere))
    assert second == "conflict"
    assert waited, "the second publication did not wait for the first"
    assert refusals == ["programme arg-test-2026 belongs to jurisdiction ARG, not BRA"]
    with Session(fresh_engine) as session:
        stored = session.execute(
            select(ProgrammeVersion.version, ProgrammeVersion.jurisdiction_code).where(ProgrammeVersion.programme_id == "arg-test-2026")
        ).all()
        session.rollback()
    assert [tuple(row) for row in stored] == [(1, "ARG")]
