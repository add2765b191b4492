"""`amparo db`: create or migrate the database."""

from __future__ import annotations

import typer

app = typer.Typer(help="Database: create it or migrate it to this version of Amparo.", no_args_is_help=True)

URL_OPTION = typer.Option(None, "--url", help="Database URL; defaults to AMPARO_DATABASE_URL or the SQLite file in AMPARO_DATA_DIR.")


def resolve_url(url: str | None) -> str:
    if url:
        return url
    from amparo.config import get_settings

    return get_settings().effective_database_url


def shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command()
def upgrade(url: str | None = URL_OPTION, revision: str = typer.Option("head", help="Target revision.")) -> None:
    """Create the database if needed and apply every migration up to REVISION (default: the newest)."""
    from amparo.db.engine import make_engine
    from amparo.db.migrations import current_revision, upgrade as run_upgrade

    target = resolve_url(url)
    engine = make_engine(target)
    try:
        before = current_revision(engine)
        run_upgrade(engine, revision)
        after = current_revision(engine)
    finally:
        engine.dispose()
    if before == after:
        typer.echo(f"{shown(target)} is already at revision {after}")
    else:
        typer.echo(f"{shown(target)} migrated from {before or 'empty'} to revision {after}")


@app.command()
def current(url: str | None = URL_OPTION) -> None:
    """Print the revision the database is at and the newest this Amparo ships."""
    from amparo.db.engine import make_engine
    from amparo.db.migrations import current_revision, head_revision

    target = resolve_url(url)
    engine = make_engine(target)
    try:
        revision = current_revision(engine)
    finally:
        engine.dispose()
    head = head_revision()
    state = "up to date" if revision == head else "run `amparo db upgrade`"
    typer.echo(f"{shown(target)}: revision {revision or 'none (empty)'}; newest {head} ({state})")
