"""Migrations: empty to head and back on both databases; models and migrations never drift apart."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from amparo.db.base import import_all_models
from amparo.db.engine import make_engine
from amparo.db.migrations import current_revision, downgrade, head_revision, upgrade


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
