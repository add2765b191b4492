"""`amparo treaties`: which treaties bind which State on which date, from the shipped data.

Every command takes ``--json`` for machine-readable output; the human output is a Rich table.
Input errors (unknown State or instrument, malformed date, refused page) are raised as
``AmparoError`` and printed by the CLI root as one line with exit status 2.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.table import Table

try:  # typer >= 0.20 vendors its own copy of click, whose exceptions are not click's
    from typer._click import exceptions as _click_exceptions
except ImportError:  # pragma: no cover - older typer uses click itself
    from click import exceptions as _click_exceptions
from typer.core import TyperGroup

from amparo.errors import InvalidInput


class _Commands(TyperGroup):
    """Report usage errors (missing argument, unknown option) as one line with exit status 2.

    The CLI root prints an ``AmparoError`` that way; it does not recognise the vendored click's
    usage errors, which would otherwise end in a traceback.
    """

    def invoke(self, ctx):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except _click_exceptions.UsageError as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":
                raise
            where = exc.ctx.command_path if exc.ctx is not None else "amparo treaties"
            raise InvalidInput(f"{exc.format_message()} See '{where} --help'.") from None


app = typer.Typer(
    cls=_Commands,
    help="Treaty commitments: parties, counts and binding status by date.",
    invoke_without_command=True,
)


@app.callback()
def _group(ctx: typer.Context) -> None:
    """Treaty commitments: parties, counts and binding status by date."""
    # Help by hand rather than no_args_is_help, whose exception the CLI root would print as a traceback.
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(0)

JsonOpt = typer.Option(False, "--json", help="Print JSON instead of a table.")
_STYLE = {"binding": "green", "not_binding": "red", "unknown": "yellow"}


def _engine():  # imported lazily so that `amparo --help` stays cheap
    from amparo.commitments import load

    return load()


def _day(value: Optional[str], field: str) -> datetime.date:
    from amparo.commitments import as_date

    return datetime.date.today() if value is None else as_date(value, field)


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _console() -> Console:
    return Console(soft_wrap=False)


def _caveats(partial: bool, stale: bool, status_as_at: datetime.date) -> str:
    notes = []
    if partial:
        notes.append("PARTIAL data: the source lists only some parties")
    if stale:
        notes.append(f"data runs to {status_as_at}: later acts are not known")
    return "; ".join(notes)


@app.command("list")
def list_instruments(as_json: bool = JsonOpt) -> None:
    """List the instruments in the catalogue with their entry-into-force rules and data dates."""
    from amparo.commitments.rules import describe_eif

    instruments = _engine().instruments()
    if as_json:
        _print_json([i.to_dict() for i in instruments])
        return
    table = Table(title="Instruments")
    for col in ("id", "short name", "in force", "for a State joining later", "data as at", "UNTC"):
        table.add_column(col)
    for i in instruments:
        as_at = f"{i.status_as_at}{' (partial)' if i.partial else ''}"
        table.add_row(i.id, i.short_name, str(i.entry_into_force), f"{describe_eif(i.eif_rule)} ({i.eif_article})", as_at, i.untc_reference or "ILO")
    _console().print(table)


@app.command()
def count(
    instrument: str = typer.Argument(..., help="Instrument id or alias, e.g. ICCPR or CMW."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Date YYYY-MM-DD (default: today)."),
    as_json: bool = JsonOpt,
) -> None:
    """How many parties an instrument had on a date ("ratified by N", as the UN counts)."""
    answer = _engine().count(instrument, _day(as_of, "--as-of"))
    if as_json:
        _print_json(answer.to_dict())
        return
    typer.echo(f"{answer.instrument} as of {answer.as_of}: {answer.count} parties")
    caveat = _caveats(answer.partial, answer.stale, answer.status_as_at)
    if caveat:
        typer.echo(f"  {caveat}")
    typer.echo(f"  source: {answer.source} (status as at {answer.status_as_at})")


@app.command()
def status(
    state: str = typer.Argument(..., help="State: alpha-3 or alpha-2 code or name, e.g. ARG, AR or Argentina."),
    instrument: str = typer.Argument(..., help="Instrument id or alias."),
    on: Optional[str] = typer.Option(None, "--on", help="Date YYYY-MM-DD (default: today)."),
    as_json: bool = JsonOpt,
) -> None:
    """Whether a State is bound by an instrument on a date: binding, not_binding or unknown."""
    answer = _engine().status(state, instrument, _day(on, "--on"))
    if as_json:
        _print_json(answer.to_dict())
        return
    console = _console()
    console.print(f"{answer.state} / {answer.instrument} on {answer.on}: [{_STYLE[answer.status]}]{answer.status}[/]")
    console.print(f"  {answer.reason}", highlight=False)
    console.print(f"  source: {answer.source} (status as at {answer.status_as_at})", highlight=False)


@app.command()
def profile(
    state: str = typer.Argument(..., help="State: alpha-3 or alpha-2 code or name."),
    on: Optional[str] = typer.Option(None, "--on", help="Date YYYY-MM-DD (default: today)."),
    as_json: bool = JsonOpt,
) -> None:
    """Every instrument's status for one State on a date."""
    engine = _engine()
    day = _day(on, "--on")
    answers = engine.profile(state, day)
    if as_json:
        _print_json({"state": answers[0].state, "on": day.isoformat(), "instruments": [a.to_dict() for a in answers]})
        return
    code = answers[0].state
    table = Table(title=f"{code} ({engine.state_name(code)}) on {day}")
    for col in ("instrument", "status", "in force from", "reason"):
        table.add_column(col, overflow="fold")
    for a in answers:
        table.add_row(a.instrument, f"[{_STYLE[a.status]}]{a.status}[/]", str(a.in_force_from or ""), a.reason)
    _console().print(table)


def _participants_table(title: str, rows: Any, caveat: str) -> None:
    table = Table(title=title, caption=caveat or None)
    for col in ("state", "name", "signed", "act", "deposited", "in force from"):
        table.add_column(col)
    for p in rows:
        table.add_row(p.state, p.name, str(p.signed or ""), p.action or "", str(p.deposited or ""), str(p.in_force_from or ""))
    _console().print(table)


@app.command()
def parties(
    instrument: str = typer.Argument(..., help="Instrument id or alias."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Date YYYY-MM-DD (default: today)."),
    as_json: bool = JsonOpt,
) -> None:
    """The parties to an instrument on a date."""
    answer = _engine().parties(instrument, _day(as_of, "--as-of"))
    if as_json:
        _print_json(answer.to_dict())
        return
    caveat = _caveats(answer.partial, answer.stale, answer.status_as_at)
    _participants_table(f"Parties to {answer.instrument} as of {answer.as_of}: {len(answer.parties)}", answer.parties, caveat)


@app.command("non-parties")
def non_parties(
    instrument: str = typer.Argument(..., help="Instrument id or alias."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Date YYYY-MM-DD (default: today)."),
    as_json: bool = JsonOpt,
) -> None:
    """UN Member States (and the other States that join UN treaties) not party on a date; signatories apart."""
    answer = _engine().non_parties(instrument, _day(as_of, "--as-of"))
    if as_json:
        _print_json(answer.to_dict())
        return
    caveat = "; ".join(x for x in (_caveats(answer.partial, answer.stale, answer.status_as_at), answer.note) if x)
    _participants_table(f"Signatories of {answer.instrument}, not parties, as of {answer.as_of}: {len(answer.signatories)}", answer.signatories, caveat)
    _participants_table(f"Other non-parties as of {answer.as_of}: {len(answer.others)}", answer.others, caveat)


@app.command()
def timeline(
    instrument: str = typer.Argument(..., help="Instrument id or alias."),
    as_json: bool = JsonOpt,
) -> None:
    """Parties at the end of each year, with the States that joined and left that year."""
    engine = _engine()
    inst = engine.instrument(instrument)
    rows = engine.timeline(inst)
    if as_json:
        _print_json({"instrument": inst.id, "status_as_at": str(inst.status_as_at), "partial": inst.partial, "years": [r.to_dict() for r in rows]})
        return
    table = Table(title=f"{inst.id}: parties per year (data as at {inst.status_as_at}{', partial' if inst.partial else ''})")
    for col in ("year", "parties", "joined", "left"):
        table.add_column(col, justify="right")
    for r in rows:
        table.add_row(str(r.year), str(r.parties), str(r.joined), str(r.left))
    _console().print(table)


@app.command()
def complaints(
    state: str = typer.Argument(..., help="State: alpha-3 or alpha-2 code or name."),
    on: Optional[str] = typer.Option(None, "--on", help="Date YYYY-MM-DD (default: today)."),
    as_json: bool = JsonOpt,
) -> None:
    """Which UN individual complaint procedures are open against a State on a date."""
    engine = _engine()
    day = _day(on, "--on")
    routes = engine.complaint_routes(state, day)
    code = engine.resolve_state(state)
    if as_json:
        _print_json({"state": code, "on": day.isoformat(), "procedures": [r.to_dict() for r in routes]})
        return
    table = Table(title=f"Individual complaint procedures against {code} on {day}")
    for col in ("instrument", "open", "reason"):
        table.add_column(col, overflow="fold")
    label = {"binding": "open", "not_binding": "not open", "unknown": "unknown"}
    for r in routes:
        table.add_row(r.instrument, f"[{_STYLE[r.status]}]{label[r.status]}[/]", r.reason)
    _console().print(table)


@app.command("import-untc")
def import_untc(
    page: Path = typer.Argument(..., help="A saved UN Treaty Collection status page (.html)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write the participants as a CSV in the shared shape."),
    compare: bool = typer.Option(False, "--compare", help="List differences from Amparo's data on the page's date."),
    as_json: bool = JsonOpt,
) -> None:
    """Read a saved UNTC status page; refuse it if its header's party count disagrees with its grid."""
    from amparo.commitments.importers import compare_with, import_untc_page, to_csv_text

    result = import_untc_page(page)
    differences = compare_with(result, _engine()) if compare else None
    if out is not None:
        out.write_text(to_csv_text(result.csv_rows()), encoding="utf-8")
    summary = {
        "instrument": result.instrument,
        "untc_reference": result.untc_reference,
        "status_as_at": result.status_as_at.isoformat(),
        "declared_parties": result.declared_parties,
        "parties_found": len(result.parties),
        "rows": len(result.rows),
        "unmatched_names": list(result.unmatched),
        "written_to": str(out) if out else None,
    }
    if differences is not None:
        summary["differences"] = differences
    if as_json:
        _print_json({**summary, "participants": result.csv_rows()})
        return
    typer.echo(
        f"{result.instrument} ({result.untc_reference}) status as at {result.status_as_at}: "
        f"{len(result.parties)} parties, as the header declares; {len(result.rows)} rows"
    )
    if result.unmatched:
        typer.echo(f"  names with no ISO code: {', '.join(result.unmatched)}")
    if out:
        typer.echo(f"  written to {out}")
    if differences is not None:
        if not any(differences.values()):
            typer.echo(f"  same parties and deposit dates as Amparo's data on {result.status_as_at}")
        for key, values in differences.items():
            if values:
                typer.echo(f"  {key.replace('_', ' ')}: {', '.join(values)}")


@app.command("import-csv")
def import_csv_cmd(
    path: Path = typer.Argument(..., help="A CSV in the shared shape, named <INSTRUMENT>.csv."),
    as_json: bool = JsonOpt,
) -> None:
    """Check a CSV in the shared shape: every row readable and every name mapped to a code."""
    from amparo.commitments.importers import import_csv

    result = import_csv(path)
    parties_n = sum(1 for p in result["participants"].values() if p["acts"])
    summary = {k: result[k] for k in ("instrument", "status_as_at", "status_as_at_text", "partial", "source")}
    summary |= {"participants": len(result["participants"]), "with_acts": parties_n}
    if as_json:
        _print_json(summary)
        return
    typer.echo(f"{summary['instrument']}: {summary['participants']} rows, {parties_n} with a deposited act; status as at {summary['status_as_at_text']}")


def _default_source() -> Path | None:
    repo = Path(__file__).resolve().parents[3]
    candidate = repo.parent / "shared" / "data" / "ratifications"
    return candidate if candidate.is_dir() else None


@app.command("build-data")
def build_data(
    source: Optional[Path] = typer.Option(None, "--source", help="Folder of <INSTRUMENT>.csv and events.csv (default: ../shared/data/ratifications beside the repository)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Where to write the data files (default: the package's data folder)."),
    check: bool = typer.Option(False, "--check", help="Write nothing; exit 1 if the shipped files differ from a rebuild."),
) -> None:
    """Regenerate the shipped catalogue.json and participation.json, byte for byte, from the facts."""
    from amparo.commitments import DATA_DIR
    from amparo.commitments.build import build, catalogue_json
    from amparo.errors import DataError, InvalidInput

    source = source or _default_source()
    if source is None or not source.is_dir():
        raise InvalidInput(f"No source folder {str(source) if source else '../shared/data/ratifications'!r}; pass --source DIR holding <INSTRUMENT>.csv files.")
    out = out or DATA_DIR
    files = {"catalogue.json": catalogue_json(), "participation.json": build(source)}
    if check:
        stale = [n for n, text in files.items() if not (out / n).is_file() or (out / n).read_text(encoding="utf-8") != text]
        if stale:
            raise DataError(f"{', '.join(stale)} in {out} differ from a rebuild of {source}; run `amparo treaties build-data`")
        typer.echo(f"{out}: up to date with {source}")
        return
    out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
    typer.echo(f"wrote {', '.join(files)} to {out} from {source}")
