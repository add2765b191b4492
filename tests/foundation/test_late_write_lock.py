"""SQLite requests that may write take the write lock at their first write, not at their first read."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from amparo.audit import service as audit
from amparo.audit.models import AuditEntry
from amparo.auth.policy import Role
from amparo.cases import service as cases
from amparo.cases.models import Case
from amparo.db.engine import late_write_lock, make_engine, read_only
from amparo.db.migrations import upgrade
from amparo.errors import Conflict
from amparo.people.models import Person
from builders import actor_for, force_assign, make_case, make_person, make_user


@pytest.fixture
def sqlite_engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'late.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def _writer(engine) -> tuple[threading.Thread, threading.Event]:
    """An ordinary (IMMEDIATE) writer, started: its thread and the event it sets once committed."""
    finished = threading.Event()

    def write() -> None:
        with Session(engine) as session, session.begin():
            make_person(session, given_names="Otro")
        finished.set()

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread, finished


def test_reads_run_beside_writers_and_the_first_write_takes_the_lock(sqlite_engine):
    with Session(sqlite_engine) as session, session.begin():
        person_id = make_person(session).id
    late = sessionmaker(late_write_lock(sqlite_engine))()
    try:
        late.get(Person, person_id)
        first, committed = _writer(sqlite_engine)
        first.join(timeout=5)
        assert committed.is_set(), "a transaction that had only read held the write lock"
        late.get(Person, person_id).given_names = "Ana"
        late.flush()  # the first write: from here the lock is held until commit
        second, committed = _writer(sqlite_engine)
        second.join(timeout=0.5)
        assert not committed.is_set(), "a transaction that had written let another writer in"
        late.commit()
        second.join(timeout=5)
        assert committed.is_set()
    finally:
        late.close()
    with Session(read_only(sqlite_engine)) as session:
        assert session.get(Person, person_id).given_names == "Ana"
        assert session.scalar(select(func.count()).select_from(Person)) == 3  # the waiting writer went on after


def test_a_decision_taken_on_a_stale_read_is_refused(sqlite_engine):
    with Session(sqlite_engine, expire_on_commit=False) as session, session.begin():
        worker = make_user(session, Role.CASEWORKER)
        case = make_case(session, make_person(session))
        force_assign(session, case, worker.id)
        actor, case_id, version = actor_for(worker), case.id, case.version
    late = sessionmaker(late_write_lock(sqlite_engine))()
    try:
        assert late.get(Case, case_id).version == version  # read, no lock held: the snapshot starts here
        with Session(sqlite_engine) as other, other.begin():  # meanwhile someone acts on the case
            cases.append_action(other, actor, case_id, version, {"type": "note", "payload": {"text": "first"}}, "casework")
        with pytest.raises(Conflict):
            cases.append_action(late, actor, case_id, version, {"type": "note", "payload": {"text": "second"}}, "casework")
        late.rollback()
    finally:
        late.close()


def test_concurrent_late_writers_keep_one_unbroken_chain(sqlite_engine):
    with Session(sqlite_engine, expire_on_commit=False) as session, session.begin():
        workers = [make_user(session, Role.CASEWORKER) for _ in range(8)]
        owned = []
        for worker in workers:
            case = make_case(session, make_person(session))
            force_assign(session, case, worker.id)
            owned.append((actor_for(worker), case.id))
    maker = sessionmaker(late_write_lock(sqlite_engine))
    errors: list[BaseException] = []
    start = threading.Barrier(len(owned))

    def append(actor, case_id) -> None:
        try:
            start.wait()
            for n in range(10):
                with maker() as session:
                    current = session.get(Case, case_id)
                    cases.append_action(session, actor, case_id, current.version, {"type": "note", "payload": {"text": str(n)}}, "casework")
                    session.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=append, args=pair) for pair in owned]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Session(read_only(sqlite_engine)) as session:
        ids = list(session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)))
        assert ids == list(range(1, len(ids) + 1)) and len(ids) >= 8 * 10
        assert audit.verify(session).ok
