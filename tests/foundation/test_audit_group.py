"""Read requests journal through the group commit: durable before the answer, one chain, no write lock held."""

from __future__ import annotations

import threading
import weakref
import time

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from amparo.audit import group
from amparo.audit import service as audit
from amparo.audit.models import AuditEntry
from amparo.auth.policy import Role
from amparo.db.engine import make_engine, read_only
from amparo.db.migrations import upgrade
from amparo.errors import ServiceUnavailable
from amparo.people import service as people_service
from builders import actor_for, make_person, make_user


def _entries(engine) -> list[AuditEntry]:
    with Session(read_only(engine)) as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


@pytest.fixture
def seeded(fresh_engine):
    """A caseworker and a person of their jurisdiction, committed."""
    with Session(fresh_engine) as session, session.begin():
        user = make_user(session, Role.CASEWORKER)
        person = make_person(session)
        ids = (user.id, person.id)
    with Session(fresh_engine) as session:
        from amparo.auth.models import User

        actor = actor_for(session.get(User, ids[0]))
    return fresh_engine, actor, ids[1]


def test_a_read_is_journaled_when_its_session_commits_and_not_before(seeded):
    engine, actor, person_id = seeded
    before = len(_entries(engine))
    session = group.read_sessionmaker(engine)()
    try:
        people_service.get_person(session, actor, person_id, "casework")
        assert len(_entries(engine)) == before  # kept in the session, not yet written
        session.commit()
    finally:
        session.close()
    entries = _entries(engine)
    assert len(entries) == before + 1
    assert (entries[-1].action, entries[-1].object_id, entries[-1].username) == ("person:read", str(person_id), actor.username)
    with Session(read_only(engine)) as session:
        assert audit.verify(session).ok


def test_a_rolled_back_read_journals_nothing(seeded):
    engine, actor, person_id = seeded
    before = len(_entries(engine))
    with group.read_sessionmaker(engine)() as session:
        people_service.get_person(session, actor, person_id, "casework")
        session.rollback()
        session.commit()
    assert len(_entries(engine)) == before


def test_concurrent_reads_share_transactions_and_keep_one_unbroken_chain(seeded):
    engine, actor, person_id = seeded
    committer = group.committer_for(engine)
    batches_before, entries_before = committer.batches, committer.entries
    start = threading.Barrier(20)
    errors: list[BaseException] = []

    def read() -> None:
        try:
            start.wait()
            for _ in range(10):
                with group.read_sessionmaker(engine)() as session:
                    people_service.get_person(session, actor, person_id, "casework")
                    session.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert committer.entries - entries_before == 200
    # Twenty threads committing at once: fewer transactions than entries.
    assert committer.batches - batches_before < 200
    entries = _entries(engine)
    assert [e.id for e in entries] == list(range(1, len(entries) + 1))
    with Session(read_only(engine)) as session:
        assert audit.verify(session).ok


def test_when_the_journal_cannot_be_written_the_read_fails_and_nothing_is_recorded(seeded):
    engine, actor, person_id = seeded
    before = len(_entries(engine))
    with Session(engine) as session, session.begin():
        session.execute(text("DELETE FROM audit_head"))  # the chain's tip is gone: appends must fail
    with group.read_sessionmaker(engine)() as session:
        people_service.get_person(session, actor, person_id, "casework")
        with pytest.raises(ServiceUnavailable) as raised:
            session.commit()
    assert raised.value.status_code == 503 and "nothing was shown" in raised.value.message
    assert len(_entries(engine)) == before


def test_a_read_session_refuses_to_change_records(seeded):
    engine, actor, person_id = seeded
    with Session(engine) as session, session.begin():
        people_service.get_person(session, actor, person_id, "casework")  # one entry, for the delete to aim at
    before = len(_entries(engine))
    with group.read_sessionmaker(engine)() as session:
        person = people_service.get_person(session, actor, person_id, "casework")
        person.given_names = "Changed"
        with pytest.raises(RuntimeError, match="make the route a POST"):
            session.flush()
        session.rollback()
        with pytest.raises(RuntimeError, match="make the route a POST"):
            session.execute(text("SELECT 1"))  # plain reads pass
            session.execute(AuditEntry.__table__.delete())
    assert len(_entries(engine)) == before >= 1
    with Session(read_only(engine)) as session:
        assert session.get(type(person), person_id).given_names != "Changed"


def test_on_sqlite_a_read_in_progress_does_not_hold_the_write_lock(tmp_path):
    # SQLite only: PostgreSQL reads never take a write lock in the first place.
    engine = make_engine(f"sqlite:///{tmp_path / 'lock.db'}")
    upgrade(engine)
    with Session(engine) as session, session.begin():
        user = make_user(session, Role.CASEWORKER)
        person_id = make_person(session).id
        actor = actor_for(user)
    reading = group.read_sessionmaker(engine)()
    try:
        people_service.get_person(reading, actor, person_id, "casework")
        finished = threading.Event()

        def write() -> None:
            with Session(engine) as session, session.begin():
                make_person(session, given_names="Otro")
            finished.set()

        writer = threading.Thread(target=write)
        writer.start()
        writer.join(timeout=10)
        assert finished.is_set(), "a writer waited for a read that was still open"
        reading.commit()
    finally:
        reading.close()
    with Session(read_only(engine)) as session:
        assert audit.verify(session).ok and session.scalar(select(func.count()).select_from(AuditEntry)) >= 1
    engine.dispose()


def test_the_group_commit_keeps_its_own_connection_so_readers_cannot_starve_it(fresh_database_url):
    # Requests waiting on the group commit each hold a pooled connection; if the leader had to check
    # one out per batch, a burst of readers as large as the pool would leave it waiting (and fail them
    # all). It keeps one from its first batch on.
    engine = make_engine(fresh_database_url, pool_size=3, max_overflow=0)
    try:
        upgrade(engine)
        with Session(engine) as session, session.begin():
            user = make_user(session, Role.CASEWORKER)
            person_id = make_person(session).id
            actor = actor_for(user)
        maker = group.read_sessionmaker(engine)
        assert engine.pool.checkedout() == 0
        for _ in range(3):
            with maker() as reader:
                people_service.get_person(reader, actor, person_id, "casework")
                reader.commit()
            assert engine.pool.checkedout() == 1  # the committer's, the same one each batch
        readers = [maker(), maker()]  # with the committer's, the whole pool
        for reader in readers:
            people_service.get_person(reader, actor, person_id, "casework")
        threads = [threading.Thread(target=reader.commit) for reader in readers]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=20)
        assert time.monotonic() - started < 5
        for reader in readers:
            reader.close()
        with Session(read_only(engine)) as session:
            assert audit.verify(session).ok and session.scalar(select(func.count()).select_from(AuditEntry)) == 5
    finally:
        engine.dispose()


def test_a_discarded_engine_takes_its_committer_with_it(tmp_path):
    import gc

    engine = make_engine(f"sqlite:///{tmp_path / 'gone.db'}")
    group.committer_for(engine)
    alive = weakref.ref(engine)
    engine.dispose()
    del engine
    gc.collect()
    assert alive() is None, "the committer registry kept the engine alive"
