"""`amparo users`: create staff and applicant accounts from the command line."""

from __future__ import annotations

import getpass
import sys

import typer

from amparo.cli.db import URL_OPTION, resolve_url
from amparo.errors import InvalidInput

app = typer.Typer(help="User accounts.", no_args_is_help=True)


@app.command()
def create(
    username: str = typer.Option(..., "--username", help="Email, phone number or handle the user logs in with."),
    role: str = typer.Option(..., "--role", help="applicant, caseworker, supervisor, consular_officer, complaints_officer, employer, enforcement_officer, programme_admin or system_admin."),
    jurisdiction: str | None = typer.Option(None, "--jurisdiction", help="ISO 3166-1 alpha-3 code of the jurisdiction (created if new)."),
    consular_state: str | None = typer.Option(None, "--consular-state", help="For consular officers: the State (alpha-3) whose consulate they serve."),
    person_id: int | None = typer.Option(None, "--person-id", help="For applicants: the id of their own person record."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from the first line of standard input instead of prompting."),
    url: str | None = URL_OPTION,
) -> None:
    """Create an active user. The password is asked twice (hidden) unless --password-stdin is given."""
    from amparo.audit import service as audit
    from amparo.auth import repository
    from amparo.db.engine import make_engine
    from amparo.db.session import session_scope
    from amparo.jurisdictions import repository as jurisdictions
    from amparo.jurisdictions.service import ensure_jurisdiction

    parsed_role = repository.parse_role(role)  # fail on a bad role before asking for a password
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise InvalidInput("--password-stdin was given but standard input held no password on its first line")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    engine = make_engine(resolve_url(url))
    try:
        with session_scope(engine) as session:
            created_jurisdiction = None
            if jurisdiction is not None:
                existing = {j.code for j in jurisdictions.list_all(session)}
                found = ensure_jurisdiction(session, jurisdiction)
                if found.code not in existing:
                    created_jurisdiction = found
            user = repository.create_user(
                session, username, password, parsed_role, jurisdiction, person_id=person_id, consular_state=consular_state
            )
            audit.record(
                session, None, "user:create", "user", user.id, "account administration (CLI)",
                {"role": user.role, "jurisdiction": user.jurisdiction_code, "new_username": user.username},
                username=f"cli:{_os_user()}",
            )
            user_id, name = user.id, user.username
    finally:
        engine.dispose()
    if created_jurisdiction is not None:
        typer.echo(f"Created jurisdiction {created_jurisdiction.code} ({created_jurisdiction.name})")
    typer.echo(f"Created {parsed_role.value} {name!r} (id {user_id})" + (f" in {jurisdiction}" if jurisdiction else ""))


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers; the entry still says it came from the CLI
        return "unknown"
