"""Alembic environment: runs the package's migrations on the engine handed over in the config."""

from __future__ import annotations

from alembic import context

from amparo.db.base import import_all_models
from amparo.db.engine import make_engine

target_metadata = import_all_models()
config = context.config


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    owned = engine is None
    if owned:
        from amparo.config import get_settings

        engine = make_engine(config.get_main_option("sqlalchemy.url") or get_settings().effective_database_url)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                # SQLite alters tables by copying them; batch mode does that for us.
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
    finally:
        if owned:
            engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run `amparo db upgrade`")
run_migrations_online()
