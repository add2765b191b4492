"""A database that cannot do the work is a 503 that says so and saves nothing, never a 500.

Two ways it happens: on SQLite another process keeps the write lock past the request's wait (a long
transaction, a stopped worker), and on any backend the database server cannot be reached. Both are
conditions to retry, not defects, so the answer is the error shape with a code of its own, a message
that says nothing was saved, and `Retry-After`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from amparo.auth.policy import Role
from amparo.db import engine as engine_module
from amparo.db.engine import make_engine
from amparo.db.migrations import upgrade
from amparo.people.models import Person
from api_support import make_client, sign_in
from builders import make_jurisdiction, make_user

HOLD_LOCK = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
sys.stdin.read()
"""
PERSON = {"given_names": "Ana", "family_names": "Ríos", "date_of_birth": "1990-04-17", "jurisdiction_code": "ARG"}


def test_a_write_that_waited_too_long_for_sqlite_s_lock_is_a_503_and_saves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "SQLITE_BUSY_TIMEOUT_MS", 300)
    database = tmp_path / "busy.db"
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        make_jurisdiction(session, "ARG")
        worker = make_user(session, Role.CASEWORKER, "ARG")
        session.commit()
    client = make_client(engine, tmp_path)
    headers = sign_in(client, worker.username)
    # Another process (as another uvicorn worker would) holds the file's write lock and keeps it.
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, f"{database}-writers.lock"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "locked\n"
        busy = client.post("/api/v1/persons", headers=headers, json=PERSON)
    finally:
        holder.kill()
        holder.wait(10)
    assert busy.status_code == 503, busy.text
    body = busy.json()
    assert body["error"] == "database_busy"
    assert "nothing was saved" in body["message"]
    assert busy.headers["retry-after"] == "5"
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Person)) == 0
    # Once the holder is gone the same request goes through.
    assert client.post("/api/v1/persons", headers=headers, json=PERSON).status_code == 201
    engine.dispose()


def test_an_unreachable_database_server_is_a_503_not_a_500(tmp_path: Path) -> None:
    # Port 1 on the loopback: nothing listens there, so every connection is refused at once.
    engine = make_engine("postgresql+psycopg://amparo@127.0.0.1:1/amparo?connect_timeout=2")
    client = make_client(engine, tmp_path)
    response = client.post("/api/v1/auth/token", data={"username": "someone", "password": "whatever-it-is"})
    assert response.status_code == 503, response.text
    assert response.json()["error"] == "database_unavailable"
    assert response.headers["retry-after"] == "60"
    # A page says the same in the person's language, without the driver's words.
    page = client.get("/staff/queue?lang=es", headers={"accept": "text/html", "cookie": "amparo_session=x"})
    assert page.status_code == 503 and "text/html" in page.headers["content-type"]
    assert "El servicio está ocupado o no disponible" in page.text
    assert "Traceback" not in page.text and "psycopg" not in page.text and "127.0.0.1" not in page.text
    engine.dispose()
