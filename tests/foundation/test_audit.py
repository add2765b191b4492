"""The audit chain: every tampering (alter, delete, reorder) is found, at the first broken link."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import text

from amparo.audit import service as audit
from amparo.audit.chain import entry_hash
from amparo.auth.policy import Role
from amparo.errors import InvalidInput
from amparo.db.session import session_scope
from builders import actor_for, make_user


def _write(session, count: int = 5) -> list[int]:
    actor = actor_for(make_user(session, Role.CASEWORKER))
    return [
        audit.record(session, actor, "person:read", "person", 100 + n, "casework", {"n": n, "note": "ñandú"}).id
        for n in range(count)
    ]


def _sql(session, statement: str, **params) -> None:
    session.execute(text(statement), params)


def test_an_intact_chain_verifies_and_reports_its_head(session):
    ids = _write(session)
    result = audit.verify(session)
    assert result.ok and result.checked == ids[-1] and result.head_id == ids[-1]
    assert result.first_broken_id is None and len(result.head_hash) == 64


def test_entries_commit_to_their_predecessor(session):
    ids = _write(session, 2)
    rows = session.execute(text("SELECT id, prev_hash, hash FROM audit_entries ORDER BY id")).all()
    assert rows[-1].prev_hash == rows[-2].hash and rows[-1].id == ids[-1]


def test_an_altered_entry_is_found(session):
    ids = _write(session)
    _sql(session, "UPDATE audit_entries SET purpose = 'curiosity' WHERE id = :id", id=ids[2])
    result = audit.verify(session)
    assert (result.ok, result.first_broken_id) == (False, ids[2]) and "altered" in result.reason


def test_an_altered_entry_with_a_recomputed_hash_breaks_the_next_link(session):
    ids = _write(session)
    row = session.execute(text("SELECT * FROM audit_entries WHERE id = :id"), {"id": ids[2]}).one()
    fields = {k: getattr(row, k) for k in ("id", "user_id", "username", "role", "action", "object_type", "object_id", "detail", "prev_hash")}
    # Read through the model types (aware time, parsed JSON) as verify() does.
    from amparo.audit.repository import iter_entries

    typed = next(r for r in iter_entries(session) if r.id == ids[2])
    forged = entry_hash(**{**fields, "at": typed.at, "detail": typed.detail, "purpose": "curiosity"})
    _sql(session, "UPDATE audit_entries SET purpose = 'curiosity', hash = :h WHERE id = :id", h=forged, id=ids[2])
    result = audit.verify(session)
    assert (result.ok, result.first_broken_id) == (False, ids[3]) and "does not follow" in result.reason


def test_a_deleted_entry_is_found(session):
    ids = _write(session)
    _sql(session, "DELETE FROM audit_entries WHERE id = :id", id=ids[2])
    result = audit.verify(session)
    assert (result.ok, result.first_broken_id) == (False, ids[3])
    assert f"entry {ids[2]} missing" in result.reason


def test_deleted_trailing_entries_are_found_through_the_head(session):
    ids = _write(session)
    _sql(session, "DELETE FROM audit_entries WHERE id >= :id", id=ids[3])
    result = audit.verify(session)
    assert (result.ok, result.first_broken_id) == (False, ids[3]) and "removed" in result.reason


def test_reordered_entries_are_found(session):
    ids = _write(session)
    _sql(session, "UPDATE audit_entries SET id = -1 WHERE id = :id", id=ids[1])
    _sql(session, "UPDATE audit_entries SET id = :a WHERE id = :b", a=ids[1], b=ids[2])
    _sql(session, "UPDATE audit_entries SET id = :b WHERE id = -1", b=ids[2])
    result = audit.verify(session)
    assert (result.ok, result.first_broken_id) == (False, ids[1]) and "reordered" in result.reason


def _amparo(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AMPARO_ENVIRONMENT": "development"}
    return subprocess.run(
        [sys.executable, "-m", "amparo", *args], input=stdin, capture_output=True, text=True, env=env, timeout=120
    )


@pytest.mark.parametrize("tamper", ["alter", "delete", "reorder"])
def test_cli_verify_reports_the_first_broken_link_and_exits_1(fresh_engine, fresh_database_url, tamper):
    with session_scope(fresh_engine) as session:
        ids = _write(session)
    url = fresh_database_url
    with fresh_engine.begin() as connection:
        if tamper == "alter":
            connection.execute(text("UPDATE audit_entries SET username = 'someone-else' WHERE id = :id"), {"id": ids[2]})
        elif tamper == "delete":
            connection.execute(text("DELETE FROM audit_entries WHERE id = :id"), {"id": ids[2]})
        else:
            connection.execute(text("UPDATE audit_entries SET id = -1 WHERE id = :id"), {"id": ids[2]})
            connection.execute(text("UPDATE audit_entries SET id = :a WHERE id = :b"), {"a": ids[2], "b": ids[3]})
            connection.execute(text("UPDATE audit_entries SET id = :b WHERE id = -1"), {"b": ids[3]})
    broken = _amparo("audit", "verify", "--url", url)
    expected_id = ids[3] if tamper == "delete" else ids[2]
    assert broken.returncode == 1, broken.stderr
    assert f"first broken link at entry {expected_id}:" in broken.stderr


def test_a_consistently_rewritten_chain_is_caught_by_a_published_anchor(session):
    ids = _write(session)
    anchor = (ids[2], _hash_of(session, ids[2]))
    assert audit.verify(session, anchor).ok
    # Rewrite everything from entry ids[2] on, recomputing every hash and the head: no link breaks.
    from amparo.audit.repository import iter_entries

    rows = [r for r in iter_entries(session) if r.id >= ids[2]]
    prev = _hash_of(session, ids[1])
    for row in rows:
        fields = {k: getattr(row, k) for k in ("id", "at", "user_id", "username", "role", "action", "object_type", "object_id", "detail")}
        new_hash = entry_hash(**{**fields, "purpose": "rewritten", "prev_hash": prev})
        _sql(session, "UPDATE audit_entries SET purpose = 'rewritten', prev_hash = :p, hash = :h WHERE id = :id", p=prev, h=new_hash, id=row.id)
        prev = new_hash
    _sql(session, "UPDATE audit_head SET last_hash = :h", h=prev)
    assert audit.verify(session).ok  # without an anchor a full rewrite is undetectable
    result = audit.verify(session, anchor)
    assert (result.ok, result.first_broken_id) == (False, ids[2]) and "rewritten" in result.reason


def _hash_of(session, entry_id: int) -> str:
    return session.execute(text("SELECT hash FROM audit_entries WHERE id = :id"), {"id": entry_id}).scalar_one()


def test_many_entries_appended_at_once_chain_like_single_ones(session):
    first = _write(session, 1)[0]
    actor = actor_for(make_user(session, Role.CASEWORKER))
    count = audit.record_many(session, actor, "intake", [("case:create", "case", 7, {"row": 1}), ("case:create", "case", 8, None)])
    single = audit.record(session, actor, "case:read", "case", 8, "casework")
    rows = session.execute(text("SELECT id, action, object_id, purpose FROM audit_entries WHERE id > :id ORDER BY id"), {"id": first}).all()
    assert count == 2 and [(r.action, r.object_id, r.purpose) for r in rows] == [
        ("case:create", "7", "intake"), ("case:create", "8", "intake"), ("case:read", "8", "casework")]
    assert rows[-1].id == single.id and audit.verify(session).ok
    assert audit.record_many(session, actor, "intake", []) == 0
    with pytest.raises(InvalidInput):
        audit.record_many(session, actor, " ", [("case:create", "case", 9, None)])
