"""Database fixtures: every test that touches storage runs on SQLite and on PostgreSQL.

* `backend` is "sqlite" or "postgresql" (test ids end in `[sqlite]` / `[postgresql]`); PostgreSQL
  tests carry the `postgres` mark and skip with the reason when no server answers at
  `AMPARO_TEST_POSTGRES_URL` (default `postgresql+psycopg://postgres@127.0.0.1:5432/postgres`).
* `database_url` / `engine`: one database per backend for the whole run, migrated to head with the
  real Alembic migrations.
* `session`: a session whose work is rolled back after the test. It joins an outer transaction and
  turns the code's own commits into savepoints (SQLAlchemy 2's "join into an external transaction").
* `fresh_database_url` / `fresh_engine`: an empty (or migrated) database of its own, for tests that
  must commit for real: concurrency, migrations, the CLI in a subprocess.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from amparo.db.engine import make_engine
from amparo.db.migrations import upgrade

POSTGRES_ADMIN_URL = os.environ.get(
    "AMPARO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]

_postgres_problem: str | None = None
_postgres_checked = False


def _postgres_unavailable() -> str | None:
    """Why PostgreSQL cannot be used (checked once per run), or None when it can."""
    global _postgres_checked, _postgres_problem
    if not _postgres_checked:
        _postgres_checked = True
        try:
            engine = create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            engine.dispose()
        except Exception as exc:  # any failure to connect is a reason to skip, stated as found
            url = make_url(POSTGRES_ADMIN_URL).render_as_string(hide_password=True)
            _postgres_problem = (
                f"PostgreSQL is not reachable at {url} ({type(exc).__name__}: {str(exc).splitlines()[0][:160]}); "
                "start it or set AMPARO_TEST_POSTGRES_URL"
            )
    return _postgres_problem


def create_database(backend: str, directory: Path) -> str:
    """A new, empty database for `backend`; returns its URL."""
    if backend == "sqlite":
        return f"sqlite:///{directory / f'amparo-{uuid.uuid4().hex[:8]}.db'}"
    problem = _postgres_unavailable()
    if problem:
        pytest.skip(problem)
    name = f"amparo_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm", "-writers.lock"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
        return
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql":
        problem = _postgres_unavailable()
        if problem:
            pytest.skip(problem)
    return request.param


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = create_database(backend, tmp_path_factory.mktemp("db"))
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """The run's database for this backend, migrated to head by the real migrations."""
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose every change is rolled back when the test ends (commits become savepoints)."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        if outer.is_active:
            outer.rollback()
        connection.close()


@pytest.fixture
def fresh_database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of this test's own (not migrated), dropped afterwards."""
    url = create_database(backend, tmp_path)
    yield url
    drop_database(url)


@pytest.fixture
def fresh_engine(fresh_database_url: str) -> Iterator[Engine]:
    """A migrated database of this test's own, for tests that commit for real."""
    engine = make_engine(fresh_database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def race(
    open_session: Callable[[], Session], first: Callable[[Session], object], second: Callable[[Session], object],
    *, wait_s: float = 1.5,
) -> tuple[bool, str]:
    """Two requests at the same moment: `first` runs in a transaction, and while that is still open
    `second` runs in a thread with a session of its own; then the first commits.

    Returns whether the second was still waiting after `wait_s`, and how it ended: "done" (it
    committed), the code of the `Conflict` it raised, or "did not finish" (within 30 s). Any other
    error of the second is raised here.
    """
    from amparo.errors import Conflict

    ended: dict[str, object] = {}

    def run_second() -> None:
        with open_session() as session:
            try:
                second(session)
                session.commit()
                ended["outcome"] = "done"
            except Conflict as error:
                session.rollback()
                ended["outcome"] = error.code
            except BaseException as error:  # noqa: BLE001 - raised again in the test's thread
                ended["error"] = error

    with open_session() as held:
        first(held)
        racer = threading.Thread(target=run_second, daemon=True)
        racer.start()
        racer.join(wait_s)
        waited = racer.is_alive()
        held.commit()
    racer.join(30)
    if "error" in ended:
        raise ended["error"]  # type: ignore[misc]
    return waited, str(ended.get("outcome", "did not finish"))
