"""Migrations: empty to head and back on both databases; models and migrations never drift apart."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from amparo.db.base import import_all_models
from amparo.db.engine import make_engine
from amparo.db.migrations import current_revision, downgrade, head_revision, upgrade
from amparo.people.names import search_keys


def test_empty_database_migrates_to_head_and_back(fresh_database_url):
    engine = make_engine(fresh_database_url)
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        tables = set(inspect(engine).get_table_names())
        assert set(import_all_models().tables) <= tables
        with engine.connect() as connection:
            head = connection.execute(text("SELECT last_id, last_hash FROM audit_head")).one()
        assert (head.last_id, head.last_hash) == (0, "0" * 64)
        downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_models_and_migrations_do_not_drift(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True})
        differences = compare_metadata(context, import_all_models())
    assert differences == [], f"models differ from migrations; add a migration: {differences}"


def test_sqlite_connections_are_durable_and_enforce_foreign_keys(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'pragmas.db'}")
    try:
        with engine.connect() as connection:
            pragmas = {name: connection.exec_driver_sql(f"PRAGMA {name}").scalar() for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")}
    finally:
        engine.dispose()
    # synchronous=2 is FULL: an acknowledged commit survives power loss, not only a process kill.
    assert pragmas == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "busy_timeout": 30000}


def test_a_read_only_sqlite_transaction_does_not_block_writers(tmp_path):
    from sqlalchemy import text as sql

    from amparo.db.engine import read_only

    engine = make_engine(f"sqlite:///{tmp_path / 'readers.db'}")
    upgrade(engine)
    try:
        with read_only(engine).connect() as reader:
            reader.begin()
            assert reader.execute(sql("SELECT last_id FROM audit_head")).scalar() == 0
            # The reader's transaction is still open; a writer must get the lock at once.
            writer_engine = make_engine(f"sqlite:///{tmp_path / 'readers.db'}")
            with writer_engine.connect() as writer:
                writer.exec_driver_sql("PRAGMA busy_timeout=100")
                writer.commit()
                with writer.begin():
                    writer.execute(sql("UPDATE audit_head SET last_hash = last_hash"))
            writer_engine.dispose()
    finally:
        engine.dispose()


def test_migration_0004_keeps_only_the_name_keys_that_begin_no_other(fresh_database_url):
    engine = make_engine(fresh_database_url)
    try:
        upgrade(engine, "0003_application_drafts")
        # Keys as revisions before 0004 stored them: every tail, family-first and given-first.
        stored = ["perez soto ana", "soto ana", "ana", "ana perez soto", "perez soto", "soto"]
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO jurisdictions (code, name, created_at) VALUES ('ARG', 'Argentina', CURRENT_TIMESTAMP)"))
            connection.execute(text(
                "INSERT INTO persons (id, given_names, family_names, sex, languages, jurisdiction_code, created_at)"
                " VALUES (1, 'Ana', 'Pérez Soto', 'female', '[]', 'ARG', CURRENT_TIMESTAMP)"
            ))
            for key in stored:
                connection.execute(text("INSERT INTO person_name_keys (person_id, key) VALUES (1, :key)"), {"key": key})
        upgrade(engine)
        with engine.connect() as connection:
            kept = set(connection.scalars(text("SELECT key FROM person_name_keys WHERE person_id = 1")))
        assert kept == {"perez soto ana", "soto ana", "ana perez soto"}
        assert kept == set(search_keys("Ana", "Pérez Soto"))  # what a person added today gets
    finally:
        engine.dispose()


def test_sqlite_writers_in_other_processes_wait_on_the_writers_lock_file(tmp_path):
    import subprocess
    import sys

    engine = make_engine(f"sqlite:///{tmp_path / 'queued.db'}")
    lock_file = tmp_path / "queued.db-writers.lock"
    probe = (
        "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
        "try:\n    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB); print('free')\n"
        "except BlockingIOError:\n    print('held')\n"
    )

    def other_process_sees() -> str:
        return subprocess.run([sys.executable, "-c", probe, str(lock_file)], capture_output=True, text=True, check=True).stdout.strip()

    try:
        with engine.begin() as connection:  # a writer of this process holds the lock until commit
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
            assert other_process_sees() == "held"
        assert other_process_sees() == "free"
    finally:
        engine.dispose()


def test_migration_0007_gives_every_published_programme_id_its_row(fresh_database_url):
    engine = make_engine(fresh_database_url)
    try:
        upgrade(engine, "0006_registration_addresses")
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO jurisdictions (code, name, created_at) VALUES ('ARG', 'Argentina', CURRENT_TIMESTAMP)"))
            for version in (1, 2):
                connection.execute(text(
                    "INSERT INTO programme_versions (programme_id, version, jurisdiction_code, title, effective_from,"
                    " window_opens, document, sha256, published_at)"
                    " VALUES ('arg-test-2026', :version, 'ARG', 'Test', '2026-01-01', '2026-01-01', 'id: arg-test-2026',"
                    " :sha256, CURRENT_TIMESTAMP)"
                ), {"version": version, "sha256": str(version) * 64})
        upgrade(engine)
        with engine.connect() as connection:
            ids = list(connection.scalars(text("SELECT programme_id FROM programme_ids")))
        assert ids == ["arg-test-2026"]
    finally:
        engine.dispose()
