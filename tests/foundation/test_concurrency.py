"""Concurrent writers on real connections: one version, one winner; the audit chain never forks."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from amparo.audit import service as audit
from amparo.auth.policy import Role
from amparo.cases import service as cases
from amparo.cases.models import Action
from amparo.db.engine import lock_on_first_write
from amparo.db.session import session_scope
from amparo.errors import Conflict
from builders import actor_for, make_case, make_user

PURPOSE = "casework"
WRITERS = 8

# Each race runs with the CLI's transactions (on SQLite: the write lock from the first statement) and
# with the requests' (on SQLite: the lock from the first write, reads beside other writers); the
# same guards must hold with both. On PostgreSQL the two are the same engine.
LOCKING = pytest.mark.parametrize("locking", ["transaction", "first_write"])


def _writer_engine(engine, locking: str):
    return lock_on_first_write(engine) if locking == "first_write" else engine


def _seed(engine):
    with session_scope(engine) as session:
        supervisor = actor_for(make_user(session, Role.SUPERVISOR))
        case = make_case(session)
        # The supervisor takes the case, so their notes are the assigned staff member's.
        cases.append_action(session, supervisor, case.id, 1, {"type": "assign", "payload": {"user_id": supervisor.user_id}}, PURPOSE)
        return supervisor, case.id


@LOCKING
def test_writers_racing_on_one_version_one_wins_the_rest_get_409(fresh_engine, locking):
    supervisor, case_id = _seed(fresh_engine)
    writers = _writer_engine(fresh_engine, locking)
    barrier = threading.Barrier(WRITERS)

    def write(index: int) -> str:
        barrier.wait()
        try:
            with session_scope(writers) as session:
                cases.append_action(session, supervisor, case_id, 2, {"type": "note", "payload": {"text": f"writer {index}"}}, PURPOSE)
            return "ok"
        except Conflict as exc:
            assert "not the expected version 2" in exc.message
            return "conflict"

    with ThreadPoolExecutor(WRITERS) as pool:
        outcomes = list(pool.map(write, range(WRITERS)))
    assert sorted(outcomes) == ["conflict"] * (WRITERS - 1) + ["ok"]
    with session_scope(fresh_engine) as session:
        journal = session.scalars(select(Action).where(Action.case_id == case_id).order_by(Action.seq)).all()
        case = cases.get_case(session, supervisor, case_id, PURPOSE)
        assert [a.seq for a in journal] == [1, 2, 3] and case.version == 3 and case.state["notes"] == 1
        assert audit.verify(session).ok


def test_a_writer_holding_a_stale_case_loses_at_the_compare_and_set(fresh_engine):
    """The second writer read version 2 before the first committed: the UPDATE ... WHERE version=2
    itself must refuse it (the early check passed on its stale copy)."""
    supervisor, case_id = _seed(fresh_engine)
    with session_scope(fresh_engine) as slow:
        stale = cases.get_case(slow, supervisor, case_id, PURPOSE)
        slow.commit()  # objects stay loaded (expire_on_commit=False): this copy is now stale-able
        with session_scope(fresh_engine) as fast:
            cases.append_action(fast, supervisor, case_id, 2, {"type": "note", "payload": {"text": "first"}}, PURPOSE)
        assert stale.version == 2
        try:
            cases.append_action(slow, supervisor, case_id, 2, {"type": "note", "payload": {"text": "second"}}, PURPOSE)
        except Conflict as exc:
            assert "is at version 3, not the expected version 2" in exc.message
        else:
            raise AssertionError("the stale writer was not refused")
        slow.rollback()
    with session_scope(fresh_engine) as session:
        texts = [a.payload.get("text") for a in session.scalars(select(Action).where(Action.case_id == case_id).order_by(Action.seq))]
    assert texts == [None, None, "first"]


@LOCKING
def test_concurrent_audit_appends_form_one_unbroken_chain(fresh_engine, locking):
    clerk, _ = _seed(fresh_engine)
    writers = _writer_engine(fresh_engine, locking)
    with session_scope(fresh_engine) as session:
        before = audit.verify(session).checked
    per_thread = 15
    barrier = threading.Barrier(WRITERS)

    def append(index: int) -> None:
        barrier.wait()
        for n in range(per_thread):
            with session_scope(writers) as session:
                audit.record(session, clerk, "person:read", "person", index, PURPOSE, {"n": n})

    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(append, range(WRITERS)))
    with session_scope(fresh_engine) as session:
        result = audit.verify(session)
    assert result.ok, result.reason
    assert result.checked == result.head_id == before + WRITERS * per_thread
