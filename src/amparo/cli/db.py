"""`amparo db`: create or migrate the database, and remove what it need not keep."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from sqlalchemy import Engine

app = typer.Typer(
    help="Database: create it, migrate it to this version of Amparo, or remove personal data it need not keep.",
    no_args_is_help=True,
)

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
    head = head_revision()
    if _missing_sqlite_file(target):  # connecting would create an empty file in its place
        typer.echo(f"{shown(target)}: no database there; newest {head} (create it with `amparo db upgrade`)")
        raise typer.Exit(1)
    engine = make_engine(target)
    try:
        revision = current_revision(engine)
    finally:
        engine.dispose()
    state = "up to date" if revision == head else "run `amparo db upgrade`"
    typer.echo(f"{shown(target)}: revision {revision or 'none (empty)'}; newest {head} ({state})")


@app.command()
def prune(
    url: str | None = URL_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print what was removed as JSON."),
    batch_size: int | None = typer.Option(
        None, "--batch-size", min=1,
        help="Rows removed per table in one transaction (default: amparo.auth.retention.BATCH); lower it if a run "
        "holds locks too long.",
    ),
) -> None:
    """Remove the sign-in attempts and registration addresses (personal data) that no rate limit counts any more:
    those from before its window, AMPARO_LOGIN_WINDOW_SECONDS. Prints the rows removed per table and the cutoff;
    journals the counts, never an address. Run it daily, e.g. from cron."""
    from amparo.auth import retention
    from amparo.cli.users import _os_user
    from amparo.config import get_settings
    from amparo.db.compat import utcnow
    from amparo.db.session import session_scope

    target = resolve_url(url)
    engine = _migrated_engine(target)
    now = utcnow()
    settings = get_settings()
    batch = batch_size or retention.BATCH
    removed = {"login_attempts": 0, "registration_addresses": 0}
    try:
        while True:  # one transaction per batch: the locks taken are held only for one batch
            with session_scope(engine) as session:
                done = retention.prune(session, settings, now, operator=f"cli:{_os_user()}", batch=batch)
            removed["login_attempts"] += done.login_attempts
            removed["registration_addresses"] += done.registration_addresses
            if not done.more_left:
                break
    finally:
        engine.dispose()
    if as_json:
        report = {**removed, "login_attempts_before": done.login_attempts_before.isoformat(),
                  "registration_addresses_before": done.registration_addresses_before.isoformat(),
                  "window_seconds": settings.login_window_seconds}
        typer.echo(json.dumps(report, indent=2))
        return
    window = settings.login_window_seconds
    typer.echo(
        f"login_attempts: removed {_rows(removed['login_attempts'])} recorded before {_instant(done.login_attempts_before)} "
        f"(the sign-in and registration limits count the last {window} s)"
    )
    typer.echo(
        f"registration_addresses: removed {_rows(removed['registration_addresses'])} last used before "
        f"{_instant(done.registration_addresses_before)} (the registration limit counts the last {window} s)"
    )


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def _instant(value: dt.datetime) -> str:
    return value.isoformat(sep=" ", timespec="seconds")


def _migrated_engine(target: str) -> Engine:
    """An engine for `target`, once the database is known to answer and to be at the newest revision;
    otherwise `ServiceUnavailable` saying which, and what to do (a scheduled run mails it as it is)."""
    from sqlalchemy.exc import DBAPIError

    from amparo.db.engine import make_engine
    from amparo.db.migrations import current_revision, head_revision
    from amparo.errors import ServiceUnavailable

    if _missing_sqlite_file(target):
        # Connecting would create an empty file in its place.
        raise ServiceUnavailable(
            f"there is no database at {shown(target)}; check --url or AMPARO_DATABASE_URL / AMPARO_DATA_DIR, "
            "or create it with `amparo db upgrade`"
        )
    engine = make_engine(target)
    try:
        revision = current_revision(engine)
    except DBAPIError as exc:
        engine.dispose()
        from amparo.cli import _database_problem

        reason = _database_problem(exc) or type(exc).__name__
        raise ServiceUnavailable(
            f"cannot reach the database at {shown(target)} ({reason}); check that it is running and that "
            "--url or AMPARO_DATABASE_URL names it"
        ) from None
    head = head_revision()
    if revision != head:
        engine.dispose()
        raise ServiceUnavailable(
            f"the database at {shown(target)} is at revision {revision or 'none (empty)'}, not {head}: "
            "run `amparo db upgrade` first"
        )
    return engine


def _missing_sqlite_file(target: str) -> bool:
    """A SQLite URL naming a file that does not exist (in-memory databases are never missing)."""
    from pathlib import Path

    from sqlalchemy.engine import make_url

    parsed = make_url(target)
    database = parsed.database or ""
    return parsed.get_backend_name() == "sqlite" and database not in ("", ":memory:") and not database.startswith("file:") \
        and not Path(database).exists()
