"""The API's contract: one error shape, sign-in and its limits, tokens, and optimistic concurrency."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from amparo.audit.models import AuditEntry
from amparo.auth.models import AuthToken, LoginAttempt
from amparo.auth.policy import Role
from api_support import make_client, sign_in
from builders import force_assign, make_case, make_person, make_user


@pytest.fixture
def api(fresh_engine: Engine, tmp_path: Path) -> Iterator[tuple[TestClient, Engine]]:
    yield make_client(fresh_engine, tmp_path), fresh_engine


def _seed(engine: Engine) -> dict:
    with Session(engine, expire_on_commit=False) as session:
        worker = make_user(session, Role.CASEWORKER, "ARG")
        case = make_case(session, make_person(session, "ARG", family_names="Quispe Mamani"))
        force_assign(session, case, worker.id)
        session.commit()
        return {"worker": worker.username, "worker_id": worker.id, "case_id": case.id, "version": case.version}


def _assert_shape(body: dict) -> None:
    assert set(body) == {"error", "message", "details"}
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["details"], list)


def test_unknown_route_and_method_use_the_error_shape(api) -> None:
    client, _ = api
    missing = client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404
    _assert_shape(missing.json())
    assert "/api/v1/no-such-thing" in missing.json()["message"]
    wrong = client.delete("/api/v1/health")
    assert wrong.status_code == 405
    _assert_shape(wrong.json())
    assert wrong.json()["error"] == "method_not_allowed"


def test_invalid_payload_names_field_value_and_expectation(api) -> None:
    client, engine = api
    seeded = _seed(engine)
    headers = sign_in(client, seeded["worker"])
    response = client.post(
        "/api/v1/persons",
        headers=headers,
        json={"given_names": "Ana", "family_names": "Ríos", "date_of_birth": "17/04/1990", "jurisdiction_code": "ARG"},
    )
    assert response.status_code == 422
    body = response.json()
    _assert_shape(body)
    detail = next(d for d in body["details"] if d["field"] == "date_of_birth")
    assert detail["value"] == "17/04/1990"
    assert "date" in detail["expected"].lower()
    missing = client.post("/api/v1/persons", headers=headers, json={"given_names": "Ana"}).json()
    family = next(d for d in missing["details"] if d["field"] == "family_names")
    assert family["value"] is None and "required" in family["expected"]


def test_oversize_bodies_are_refused_declared_or_streamed(api) -> None:
    client, engine = api
    seeded = _seed(engine)
    headers = sign_in(client, seeded["worker"])
    limit = client.app.state.settings.max_body_bytes
    declared = client.post("/api/v1/persons", headers=headers, content=b"x" * (limit + 1))
    assert declared.status_code == 413
    _assert_shape(declared.json())
    assert str(limit) in declared.json()["message"]

    def chunks():  # no Content-Length: the limit must hold while streaming
        for _ in range(limit // 65536 + 2):
            yield b"y" * 65536

    streamed = client.post("/api/v1/persons", headers={**headers, "content-type": "application/json"}, content=chunks())
    assert streamed.status_code == 413
    _assert_shape(streamed.json())


def test_missing_bad_expired_and_revoked_tokens_are_refused(api) -> None:
    client, engine = api
    seeded = _seed(engine)
    none = client.get("/api/v1/me")
    assert none.status_code == 401 and none.headers["www-authenticate"] == "Bearer"
    _assert_shape(none.json())
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"}).status_code == 401

    headers = sign_in(client, seeded["worker"])
    assert client.get("/api/v1/me", headers=headers).json()["username"] == seeded["worker"]
    with Session(engine) as session:
        session.execute(update(AuthToken).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
        session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401

    fresh = sign_in(client, seeded["worker"])
    assert client.post("/api/v1/auth/logout", headers=fresh).status_code == 204
    assert client.get("/api/v1/me", headers=fresh).status_code == 401


def test_failed_logins_are_journaled_then_rate_limited(api) -> None:
    client, engine = api
    seeded = _seed(engine)
    limit = client.app.state.settings.login_max_failures
    for _ in range(limit):
        wrong = client.post("/api/v1/auth/token", data={"username": seeded["worker"], "password": "wrong password"})
        assert wrong.status_code == 401
        _assert_shape(wrong.json())
    throttled = client.post("/api/v1/auth/token", data={"username": seeded["worker"], "password": "wrong password"})
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0
    # Even the right password waits out the window: the limit is per username, not per guess.
    right = client.post("/api/v1/auth/token", data={"username": seeded["worker"], "password": "correct horse battery staple"})
    assert right.status_code == 429
    with Session(engine) as session:
        failures = session.scalars(select(AuditEntry.action).where(AuditEntry.username == seeded["worker"])).all()
        attempts = session.scalars(select(LoginAttempt.succeeded).where(LoginAttempt.username == seeded["worker"])).all()
    assert failures.count("login:failed") == limit
    assert "login:throttled" in failures
    assert attempts.count(False) >= limit + 1


def test_wrong_passwords_sent_all_at_once_get_no_more_guesses_than_the_limit(api) -> None:
    """An attacker sending many guesses at the same moment: each attempt is recorded before the
    password is checked and counts those recorded before it, so at most the limit are checked."""
    import threading

    from amparo.auth import service
    from amparo.errors import TooManyRequests, Unauthenticated

    client, engine = api
    seeded = _seed(engine)
    settings = client.app.state.settings
    limit = settings.login_max_failures
    senders = limit + 5
    start = threading.Barrier(senders)
    outcomes: list[str] = []

    def guess(index: int) -> None:
        start.wait()
        with client.app.state.sessionmaker() as db:  # a sign-in request's own session
            outcome = service.login(db, settings, seeded["worker"], f"wrong guess {index}", "198.51.100.7", fresh_session=True)
            db.commit()
        assert isinstance(outcome, service.LoginRefused)
        outcomes.append("checked" if isinstance(outcome.error, Unauthenticated) else
                        "throttled" if isinstance(outcome.error, TooManyRequests) else repr(outcome.error))

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert set(outcomes) <= {"checked", "throttled"} and len(outcomes) == senders, outcomes
    assert outcomes.count("checked") <= limit, outcomes


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(api) -> None:
    client, engine = api
    seeded = _seed(engine)
    unknown = client.post("/api/v1/auth/token", data={"username": "nobody@example.org", "password": "whatever123"})
    wrong = client.post("/api/v1/auth/token", data={"username": seeded["worker"], "password": "whatever123"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()


def test_two_writers_on_one_version_one_wins_one_gets_409(api) -> None:
    client, engine = api
    seeded = _seed(engine)
    headers = sign_in(client, seeded["worker"])
    barrier = threading.Barrier(2)
    answers: list[int] = []

    def write(text: str) -> None:
        barrier.wait()
        response = client.post(
            f"/api/v1/cases/{seeded['case_id']}/actions",
            headers=headers,
            json={"expected_version": seeded["version"], "action": {"type": "note", "payload": {"text": text}}},
        )
        answers.append(response.status_code)

    threads = [threading.Thread(target=write, args=(f"writer {i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [201, 409]
    journal = client.get(f"/api/v1/cases/{seeded['case_id']}/actions", headers=headers).json()
    assert [a["seq"] for a in journal] == list(range(1, len(journal) + 1))
    assert sum(1 for a in journal if a["type"] == "note") == 1
    case = client.get(f"/api/v1/cases/{seeded['case_id']}", headers=headers).json()
    assert case["version"] == len(journal)


def test_reads_of_personal_data_are_journaled_with_purpose(api) -> None:
    client, engine = api
    seeded = _seed(engine)
    headers = {**sign_in(client, seeded["worker"]), "X-Amparo-Purpose": "checking evidence"}
    assert client.get(f"/api/v1/cases/{seeded['case_id']}", headers=headers).status_code == 200
    with Session(engine) as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "case:read").order_by(AuditEntry.id.desc())
        ).first()
    assert entry is not None
    assert (entry.user_id, entry.role, entry.object_id, entry.purpose) == (
        seeded["worker_id"], "caseworker", str(seeded["case_id"]), "checking evidence"
    )


def test_search_finds_by_name_and_by_case_number(api) -> None:
    client, engine = api
    seeded = _seed(engine)
    headers = sign_in(client, seeded["worker"])
    by_name = client.get("/api/v1/cases", params={"q": "quispe"}, headers=headers).json()["items"]
    assert [c["id"] for c in by_name] == [seeded["case_id"]]
    number = by_name[0]["number"]
    by_number = client.get("/api/v1/cases", params={"q": number}, headers=headers).json()["items"]
    assert [c["id"] for c in by_number] == [seeded["case_id"]]
    assert client.get("/api/v1/cases", params={"q": "zzzz"}, headers=headers).json()["items"] == []


def test_a_list_shows_where_each_case_stands_and_opening_one_shows_its_state(api) -> None:
    """Data minimisation: a search result is journaled as a list of ids, so it carries each case's
    summary; the whole state is one GET away, journaled as a read of that case."""
    client, engine = api
    seeded = _seed(engine)
    headers = sign_in(client, seeded["worker"])
    for params in ({"q": "quispe"}, {}):
        items = client.get("/api/v1/cases", params=params, headers=headers).json()["items"]
        listed = next(c for c in items if c["id"] == seeded["case_id"])
        assert "state" not in listed
        assert listed["status"] and listed["version"] >= 1 and listed["number"].startswith(listed["jurisdiction_code"])
    opened = client.get(f"/api/v1/cases/{seeded['case_id']}", headers=headers).json()
    assert opened["state"]["version"] == listed["version"] and opened["status"] == listed["status"]


def test_openapi_document_declares_the_error_shape_and_permissions() -> None:
    from amparo.api.app import create_app
    from amparo.config import Settings

    document = create_app(Settings(database_url="sqlite://")).openapi()
    assert document["paths"]["/api/v1/auth/token"]["post"]
    assert "error" in document["info"]["description"]
    permissions = [op.get("x-amparo-permission") for ops in document["paths"].values() for op in ops.values()]
    assert sum(1 for p in permissions if p) >= 8


def test_server_timing_is_sent_only_when_switched_on(fresh_engine: Engine, tmp_path: Path) -> None:
    quiet = make_client(fresh_engine, tmp_path)
    assert "server-timing" not in quiet.get("/api/v1/health").headers
    timed = make_client(fresh_engine, tmp_path, server_timing=True)
    for path in ("/api/v1/health", "/api/v1/no-such-route", "/"):
        header = timed.get(path).headers["server-timing"]
        name, _, duration = header.partition(";dur=")
        assert name == "app" and float(duration) >= 0, header
