"""`amparo serve` and `amparo demo`."""

from __future__ import annotations

import typer

HOST_OPTION = typer.Option("127.0.0.1", help="Address to listen on.")
PORT_OPTION = typer.Option(8000, help="Port to listen on.")


def _check_migrated(url: str) -> None:
    from amparo.db.engine import make_engine
    from amparo.db.migrations import current_revision, head_revision
    from amparo.errors import AmparoError

    engine = make_engine(url)
    try:
        revision = current_revision(engine)
    finally:
        engine.dispose()
    if revision != head_revision():
        raise AmparoError(
            f"the database is at revision {revision or 'none (empty)'}, not {head_revision()}; "
            "run `amparo db upgrade` first",
            code="database_not_migrated",
        )


def run_server(host: str, port: int, workers: int) -> None:
    import uvicorn

    uvicorn.run(
        "amparo.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
    )


def serve(host: str = HOST_OPTION, port: int = PORT_OPTION, workers: int = typer.Option(1, min=1, help="Worker processes.")) -> None:
    """Serve the web pages and the API (the database must be migrated: `amparo db upgrade`)."""
    from amparo.config import get_settings

    _check_migrated(get_settings().effective_database_url)
    run_server(host, port, workers)


def demo(
    host: str = HOST_OPTION,
    port: int = PORT_OPTION,
    no_serve: bool = typer.Option(False, "--no-serve", help="Seed and print the logins, then exit."),
    password: str | None = typer.Option(None, help="Give every demo user this password instead of random ones."),
) -> None:
    """Create the database (SQLite by default), a demo jurisdiction and one user per role; print their
    logins; serve on localhost."""
    from rich.console import Console
    from rich.table import Table

    from amparo.config import get_settings
    from amparo.db.migrations import upgrade
    from amparo.db.session import session_scope
    from amparo.db.engine import make_engine
    from amparo.demo import DEMO_JURISDICTION, seed

    settings = get_settings()
    if settings.environment == "production":
        raise typer.BadParameter("the demo seeds known accounts; it refuses to run with AMPARO_ENVIRONMENT=production")
    url = settings.effective_database_url
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        logins = seed(session, password)
    engine.dispose()

    console = Console()
    table = Table(title=f"Demo users in jurisdiction {DEMO_JURISDICTION}")
    for column in ("role", "username", "password"):
        table.add_column(column)
    for login in logins:
        table.add_row(login.role, login.username, login.password)
    console.print(table)
    console.print(f"Database: {url}")
    if no_serve:
        return
    console.print(f"Serving on http://{host}:{port}/  (API: http://{host}:{port}/api/v1/docs) — Ctrl+C stops.")
    run_server(host, port, 1)
