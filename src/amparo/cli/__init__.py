"""The `amparo` command line.

Each domain adds its own Typer sub-application here. Expected errors (`AmparoError`) are printed as
one clear message on stderr with exit status 2 (usage or input) or 1 (data); never a traceback.
"""

from __future__ import annotations

import os
import sys

import typer

from amparo.errors import AmparoError

app = typer.Typer(
    name="amparo",
    help="Amparo: rights-based migration case management.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _register() -> None:
    # Sub-applications are imported here, not at module top, so that `amparo --help` stays cheap
    # and a new domain adds exactly one line.
    from amparo.cli import treaties

    app.add_typer(treaties.app, name="treaties")
    from amparo.cli import certificate

    app.add_typer(certificate.app, name="certificate")
    from amparo.cli import programmes

    app.add_typer(programmes.app, name="programmes")
    from amparo.cli import audit, db, users

    app.add_typer(db.app, name="db")
    app.add_typer(users.app, name="users")
    app.add_typer(audit.app, name="audit")
    from amparo.cli import intake

    app.add_typer(intake.app, name="intake")
    from amparo.cli import serve

    app.command("serve")(serve.serve)
    app.command("demo")(serve.demo)


_register()


@app.callback()
def _configure() -> None:
    """Apply the settings that shape process-wide libraries before any command runs."""
    from amparo.auth.passwords import configure_from
    from amparo.config import get_settings

    configure_from(get_settings())


def main() -> None:
    # Typer 0.29 vendors its own click (typer._click); older releases use click itself.
    try:
        from typer import _click as click  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - depends on the installed Typer
        import click

    try:
        result = app(standalone_mode=False)
    except AmparoError as exc:
        typer.echo(f"Error: {exc.message}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.ClickException as exc:  # usage errors: exit status 2
        exc.show()
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("Aborted.", err=True)
        sys.exit(1)
    except Exception as exc:
        reason = _database_problem(exc)
        if reason is not None and os.environ.get("AMPARO_DEBUG") != "1":
            # Not a bug: the database is down, unreachable, locked or not migrated. Say so in one line.
            typer.echo(
                f"Error: the database could not do it ({reason}). Nothing more was done. Check that it is running, "
                "that --url or AMPARO_DATABASE_URL names it, and that `amparo db upgrade` has been run.",
                err=True,
            )
            sys.exit(1)
        # A bug or a broken installation: one line a person can report; the traceback on request.
        if os.environ.get("AMPARO_DEBUG") == "1":
            raise
        typer.echo(
            f"Unexpected error: {type(exc).__name__}: {exc}. Nothing more was done. "
            "Run again with AMPARO_DEBUG=1 to see the traceback, and report it.",
            err=True,
        )
        sys.exit(1)
    sys.exit(result if isinstance(result, int) else 0)


def _database_problem(exc: BaseException) -> str | None:
    """The driver's first line when `exc` is the database refusing or failing (not a bug of ours)."""
    from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

    if not isinstance(exc, (OperationalError, ProgrammingError)) or not isinstance(exc, DBAPIError):
        return None
    lines = str(exc.orig).strip().splitlines() if exc.orig is not None else []
    return lines[0] if lines else type(exc).__name__
