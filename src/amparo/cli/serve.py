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


def run_server(host: str, port: int, workers: int, access_log: bool = False) -> None:
    import uvicorn

    uvicorn.run(
        "amparo.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
        access_log=access_log,
    )


WORKERS_OPTION = typer.Option(
    1, min=1, help="Worker processes; one per core is usual. On SQLite the writers of every worker queue on the "
    "database's lock file, and reads run in parallel.",
)


ACCESS_LOG_OPTION = typer.Option(
    False, "--access-log/--no-access-log",
    help="Log every request line. Off by default: request lines carry search terms (names) and case "
    "numbers, which would then sit in plain logs outside the audit journal, which already records every access.",
)


def serve(host: str = HOST_OPTION, port: int = PORT_OPTION, workers: int = WORKERS_OPTION,
          access_log: bool = ACCESS_LOG_OPTION) -> None:
    """Serve the web pages and the API (the database must be migrated: `amparo db upgrade`)."""
    from amparo.config import get_settings

    _check_migrated(get_settings().effective_database_url)
    run_server(host, port, workers, access_log)


def demo(
    host: str = HOST_OPTION,
    port: int = PORT_OPTION,
    no_serve: bool = typer.Option(False, "--no-serve", help="Seed and print the logins, then exit."),
    password: str | None = typer.Option(None, help="Give every demo user this password instead of random ones."),
    applicants: int = typer.Option(2000, "--applicants", min=0, help="Synthetic applicants to file (about 100 a second; more for a fuller queue)."),
) -> None:
    """Create the database (SQLite by default), publish Colombia's 2021 statute, one user per role and
    a few thousand synthetic applicants filed through the real service; print the logins; serve on
    localhost."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from amparo.config import get_settings
    from amparo.db.engine import make_engine
    from amparo.db.migrations import upgrade
    from amparo.db.session import session_scope
    from amparo.demo import DEMO_JURISDICTION, DEMO_PROGRAMME, PRACTICE_PROGRAMME, applicant_logins, seed, seed_applicants

    settings = get_settings()
    if settings.environment == "production":
        raise typer.BadParameter("the demo seeds known accounts; it refuses to run with AMPARO_ENVIRONMENT=production")
    url = settings.effective_database_url
    engine = make_engine(url)
    console = Console()
    try:
        upgrade(engine)
        with session_scope(engine) as session:
            logins = seed(session, settings, password)
        if applicants:
            with Progress(TextColumn("Filing synthetic applicants"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[note]}"),
                          TimeElapsedColumn(), console=console) as bar:
                task = bar.add_task("", total=applicants, note="")
                summary = seed_applicants(engine, settings, applicants, progress=lambda s: bar.update(
                    task, completed=s.rows, note=f"{s.filed:,} filed, {s.already_imported:,} already there"))
            console.print(f"Applicants: {summary.filed:,} filed, {summary.already_imported:,} already there, {summary.rejected:,} rejected "
                          f"({summary.seconds:.1f} s); pre-assessment: " + ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in sorted(summary.overall.items())))
        with session_scope(engine) as session:
            logins += applicant_logins(session, password)
    finally:
        engine.dispose()

    table = Table(title=f"Demo users in jurisdiction {DEMO_JURISDICTION} (programme {DEMO_PROGRAMME})")
    for column in ("role", "username", "password"):
        table.add_column(column)
    for login in logins:
        table.add_row(login.role, login.username, login.password)
    console.print(table)
    console.print(f"Database: {url}")
    console.print("The programme's window closed on 2022-05-28: the applicants were filed by field intake on days of the window; "
                  "a new filing under it today is refused with window_closed, as the programme says. To try filing, use "
                  f"the practice copy '{PRACTICE_PROGRAMME}' (same rules, window open until 2030).")
    if no_serve:
        return
    console.print(f"Serving on http://{host}:{port}/  (API: http://{host}:{port}/api/v1/docs) — Ctrl+C stops.")
    run_server(host, port, 1)
