"""`amparo audit`: check that the audit chain is intact."""

from __future__ import annotations

import typer

from amparo.cli.db import URL_OPTION, resolve_url

app = typer.Typer(help="The audit trail of every access to personal data.", no_args_is_help=True)


@app.command()
def verify(
    url: str | None = URL_OPTION,
    anchor: str | None = typer.Option(
        None, "--anchor", help="ID:HASH printed by an earlier run and kept elsewhere; detects a rewritten chain."
    ),
) -> None:
    """Walk the hash chain; print OK and the count, or the first broken link and exit with status 1."""
    from amparo.audit import service as audit
    from amparo.db.engine import make_engine, read_only
    from amparo.db.session import session_scope

    anchored = _parse_anchor(anchor) if anchor else None
    engine = make_engine(resolve_url(url))
    try:
        with session_scope(read_only(engine)) as session:  # a long walk must not stall writers
            result = audit.verify(session, anchored)
    finally:
        engine.dispose()
    if result.ok:
        typer.echo(f"OK: {result.checked} audit entries verified; head {result.head_id}:{result.head_hash}")
        return
    typer.echo(
        f"BROKEN: first broken link at entry {result.first_broken_id}: {result.reason} "
        f"({result.checked} entries read)",
        err=True,
    )
    raise typer.Exit(1)


def _parse_anchor(value: str) -> tuple[int, str]:
    from amparo.errors import InvalidInput

    entry, _, digest = value.partition(":")
    if not entry.isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise InvalidInput(
            f"--anchor {value!r} is not ID:HASH; expected e.g. 1200:<64 hex digits> as printed by an earlier verify"
        )
    return int(entry), digest
