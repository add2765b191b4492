"""`amparo treaties`: which treaties bind which State on which date."""

from __future__ import annotations

import typer

app = typer.Typer(help="Treaty commitments: parties, counts and binding status by date.", no_args_is_help=True)


@app.callback()
def _root() -> None:
    """Treaty commitments: parties, counts and binding status by date."""
