"""Alembic migrations, shipped inside the package so an installed Amparo can migrate its database.

`upgrade(url)` is what `amparo db upgrade` and the test fixtures call; `alembic_config()` serves
developers who want the Alembic command line (`alembic -c` is not needed: pass the config in code).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from amparo.db.engine import make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic configuration for this package's scripts, bound to `engine` when given."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(MIGRATIONS_DIR / "versions"))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def upgrade(target: str | Engine, revision: str = "head") -> None:
    """Migrate the database at `target` (a URL or an engine) up to `revision`."""
    engine = make_engine(target) if isinstance(target, str) else target
    try:
        command.upgrade(alembic_config(engine), revision)
    finally:
        if isinstance(target, str):
            engine.dispose()


def downgrade(target: str | Engine, revision: str) -> None:
    """Migrate the database at `target` down to `revision` (`base` empties it)."""
    engine = make_engine(target) if isinstance(target, str) else target
    try:
        command.downgrade(alembic_config(engine), revision)
    finally:
        if isinstance(target, str):
            engine.dispose()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The newest revision shipped with this package."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head
