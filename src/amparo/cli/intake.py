"""`amparo intake`: import applications collected at field intake sites from CSV."""

from __future__ import annotations

from pathlib import Path

import typer

from amparo.cli.db import URL_OPTION, resolve_url

app = typer.Typer(help="Bulk intake of applications from CSV files of field intake sites.", no_args_is_help=True)


@app.command("import")
def import_(
    file: Path = typer.Argument(..., help="The intake CSV (see `amparo intake format`).", metavar="FILE"),
    programme: str = typer.Option(..., "--programme", help="Id of the published programme the rows apply to.", metavar="ID"),
    report: Path | None = typer.Option(None, "--report", help="Write rejected rows here (CSV, one line per problem); default FILE's name + .rejected.csv beside it.", metavar="OUT.csv"),
    batch_size: int = typer.Option(1000, "--batch-size", help="Rows filed per transaction (amparo.intake.service.DEFAULT_BATCH); each batch makes live filings wait until it commits (about 0.35 s for 1,000 rows on 2 cores), so keep it small while the API serves.", metavar="N"),
    consent_text: str | None = typer.Option(None, "--consent-text", help="Wording of the site's printed consent form, for rows without consent_statement."),
    organisation: str | None = typer.Option(None, "--organisation", help="Name of the assisting organisation that ran the sites."),
    operator: str | None = typer.Option(None, "--operator", help="Username of the assisting staff member (filing assistant of the programme's jurisdiction) running the import, recorded as the filer on every case; without it the audit entries name your login as cli:NAME.", metavar="USERNAME"),
    workers: int | None = typer.Option(None, "--workers", min=1, help="Processes working on the import: one writes, the others check rows (validation, filing checks, pre-assessment, certificate claims); 1 does everything in one process. Default: one per CPU, at most 4.", metavar="N"),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar (for logs)."),
    url: str | None = URL_OPTION,
) -> None:
    """File every valid row; skip rows already imported; report the others and why. Safe to re-run."""
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from amparo.config import get_settings
    from amparo.db.engine import make_engine
    from amparo.intake.service import Summary, import_file

    console = Console(stderr=True)
    report = report or file.with_name(f"{file.stem}.rejected.csv")
    engine = make_engine(resolve_url(url))
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(), TextColumn("{task.fields[counts]}"),
               TimeElapsedColumn(), TimeRemainingColumn())
    try:
        with Progress(*columns, console=console, disable=quiet, transient=False) as bar:
            task = bar.add_task(f"Importing {file.name}", total=file.stat().st_size if file.is_file() else None, counts="")

            def show(s: Summary) -> None:
                bar.update(task, completed=s.bytes_read, counts=f"{s.rows:,} rows: {s.filed:,} filed, {s.already_imported:,} already imported, {s.rejected:,} rejected")

            summary = import_file(
                engine, get_settings(), file, programme, report_path=report, batch_size=batch_size,
                consent_text=consent_text, organisation=organisation, progress=show, operator=operator, workers=workers,
            )
            bar.update(task, completed=summary.size)
    finally:
        engine.dispose()
    out = Console()
    out.print(f"{summary.rows:,} rows read from {file.name} in {summary.seconds:.1f} s ({summary.rows_per_second:,.0f} rows/s), {summary.batches} batch(es)")
    out.print(f"  filed:            {summary.filed:,}" + (
        "  (" + ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in sorted(summary.overall.items())) + ")" if summary.overall else ""))
    out.print(f"  already imported: {summary.already_imported:,}  (created nothing)")
    out.print(f"  rejected:         {summary.rejected:,}" + (f"  ({summary.problems:,} problem(s) listed in {report})" if summary.rejected else ""))
    if summary.rejected:
        raise typer.Exit(1)


@app.command("format")
def format_() -> None:
    """Print the intake CSV format (Markdown): the rules and every column."""
    from amparo.intake.format import reference

    typer.echo(reference(), nl=False)


@app.command("sample")
def sample(
    out: Path = typer.Argument(..., help="Where to write the CSV.", metavar="OUT.csv"),
    programme: str = typer.Option("col-etpv-2021", "--programme", help="Id of a programme shipped with Amparo.", metavar="ID"),
    rows: int = typer.Option(1000, "--rows", min=1, help="How many applicants."),
    seed: int = typer.Option(2021, "--seed", help="Random seed (the same seed writes the same file)."),
) -> None:
    """Write a synthetic intake CSV of realistic applicants (names from several locales) for trials."""
    from amparo.intake.synthetic import write_csv
    from amparo.programmes import load_example

    written = write_csv(out, load_example(programme), rows, seed=seed)
    typer.echo(f"Wrote {written:,} synthetic applicant rows to {out}")
