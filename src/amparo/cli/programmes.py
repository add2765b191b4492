"""`amparo programmes`: validate, show and check regularization programme documents.

`check` exits 0 when the design is clean, 1 when it has findings, and 2 when the file is malformed
(the CLI root prints the error, with its file and line).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

app = typer.Typer(help="Regularization programmes: validate, show and check programme documents.", no_args_is_help=True)

FILE_HELP = "A programme YAML file, or the id of a programme shipped with Amparo (e.g. col-etpv-2021)."


@app.callback()
def _root() -> None:
    """Regularization programmes: validate, show and check programme documents."""


def _read(file: str):
    from amparo.programmes import example_paths, read_programme

    if not Path(file).exists():
        for path in example_paths():
            if path.stem == file:
                return read_programme(path)
    return read_programme(file)


@app.command()
def validate(file: str = typer.Argument(..., help=FILE_HELP)) -> None:
    """Check that FILE is a well-formed programme; a malformed one is reported with its line (exit 2)."""
    source = _read(file)
    p = source.programme
    typer.echo(f"OK: {source.filename} is programme {p.key} ({p.jurisdiction}), window {p.window.opens} to {p.window.closes or 'open-ended'}.")


@app.command()
def show(
    file: str = typer.Argument(..., help=FILE_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the programme as JSON."),
) -> None:
    """Print a programme's rules in plain words (or as JSON)."""
    from amparo.programmes.eligibility import label

    p = _read(file).programme
    if as_json:
        typer.echo(json.dumps(p.model_dump(mode="json"), indent=2, ensure_ascii=False))
        return
    e = p.eligibility
    lines = [f"{p.title}", f"  programme {p.key}, jurisdiction {p.jurisdiction}"]
    lines += [f"  legal basis: {b.title}" + (f", {b.articles}" if b.articles else "") for b in p.legal_basis]
    lines.append(f"  window: {p.window.opens} to {p.window.closes or '(no closing date)'}")
    if e.presence:
        kinds = ", ".join(label(k) for k in e.presence.evidence_any_of)
        lines.append(f"  presence before {e.presence.before}, shown by any one of: {kinds}")
    if e.nationality:
        lines.append(f"  nationality: any of {', '.join(e.nationality.any_of)}")
    if e.age:
        lines.append(f"  age on the filing date: {e.age.min if e.age.min is not None else 'any'} to {e.age.max if e.age.max is not None else 'any'}")
    if e.no_disqualifying_record:
        how = "self-declared, checked by the officer" if e.no_disqualifying_record.checked_by_officer else "self-declared"
        lines.append(f"  no disqualifying record ({how}): {e.no_disqualifying_record.description.strip()}")
    if e.identity_document:
        expired = "expired documents accepted" if e.identity_document.expired_accepted else "must be valid on the filing date"
        required = "required" if e.identity_document.required else "optional"
        lines.append(f"  identity document ({required}; {expired}): {', '.join(label(k) for k in e.identity_document.accepted)}")
    lines.append(f"  who may file: {', '.join(label(k) for k in p.filing.by)}")
    fee = "none" if p.fee.amount == 0 else f"{p.fee.amount:g} {p.fee.currency}"
    waivers = "; waivers: " + ", ".join(w.ground for w in p.fee.waivers) if p.fee.waivers else ""
    lines.append(f"  fee: {fee}{waivers}")
    length = f"{p.permit.length.months} months" if p.permit.length.months else f"until {p.permit.length.until}"
    lines.append(f"  permit granted: {p.permit.name}, {length}")
    lines.append(f"  decision within {p.decision_deadline_days} days; appeal within {p.appeal_period_days} days")
    if p.safeguards_adopted:
        lines.append(f"  safeguards adopted as policy: {', '.join(p.safeguards_adopted)}")
    typer.echo("\n".join(lines))


@app.command()
def assess(
    file: str = typer.Argument(..., help=FILE_HELP),
    application: Path = typer.Argument(..., help="YAML or JSON with `filed_on`, `person` and `evidence`."),
    as_json: bool = typer.Option(False, "--json", help="Print the pre-assessment as JSON."),
) -> None:
    """Pre-assess an application against each eligibility criterion, with the reason in words."""
    from amparo.errors import InvalidInput
    from amparo.programmes import assess as pre_assess
    from amparo.safeguards.rulefile import read_yaml

    p = _read(file).programme
    data = read_yaml(application).data
    if not isinstance(data, dict) or "filed_on" not in data:
        raise InvalidInput(f"{application}: expected a mapping with `filed_on`, `person` and `evidence`.")
    assessment = pre_assess(p, data.get("person") or {}, data.get("evidence") or [], _date(data["filed_on"], application))
    if as_json:
        typer.echo(json.dumps(assessment.to_dict(), indent=2, ensure_ascii=False))
        return
    typer.echo(f"{p.key}, filed on {assessment.filed_on}: {assessment.overall.replace('_', ' ')}")
    for r in assessment.results:
        check = " (the officer checks this)" if r.officer_check else ""
        typer.echo(f"- {r.criterion}: {r.outcome.replace('_', ' ')}. {r.reason}{check}")


def _date(value: object, where: Path):
    import datetime

    from amparo.errors import InvalidInput

    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"{where}: filed_on {value!r} is not a date; expected YYYY-MM-DD.") from None


@app.command()
def check(
    file: str = typer.Argument(..., help=FILE_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Flag designs that break safeguards (employer gate, fee without waiver, children excluded).

    Each finding gives its sources and whether it binds the jurisdiction on the programme's start
    date. Exit status: 0 clean, 1 findings, 2 malformed file.
    """
    from amparo.programmes import check_programme

    source = _read(file)
    report = check_programme(source)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        head = f"{source.filename}: programme {report.programme}, {report.jurisdiction}, checked for {report.checked_on} (rules {report.rules_version})"
        typer.echo(head)
        if report.clean:
            typer.echo("No findings: the design respects every safeguard checked.")
        for f in report.findings:
            binds = "BINDING" if f.binding else f.status
            typer.echo(f"- {f.safeguard} [{binds}]: {f.title}")
            for problem in f.problems:
                where = f" (line {problem.line})" if problem.line else ""
                typer.echo(f"    {problem.field}{where}: {problem.text}")
            typer.echo(f"    sources: {', '.join(f.sources)}")
            for b in f.bound_by:
                typer.echo(f"    bound: {b.reason}")
            for note in f.notes:
                typer.echo(f"    note: {note}")
    if not report.clean:
        raise typer.Exit(1)


@app.command()
def publish(
    file: str = typer.Argument(..., help=FILE_HELP),
    url: str | None = typer.Option(None, "--url", help="Database URL; defaults to AMPARO_DATABASE_URL or the SQLite file in AMPARO_DATA_DIR."),
) -> None:
    """Publish FILE as a programme version of its jurisdiction (refused if its design breaks a binding or
    adopted safeguard, or if that version was published with other content). Publishing the same file
    again changes nothing."""
    from amparo.cli.db import resolve_url
    from amparo.db.engine import make_engine
    from amparo.db.session import session_scope
    from amparo.regularization import service

    source = _read(file)
    document = Path(source.filename).read_text(encoding="utf-8")
    engine = make_engine(resolve_url(url))
    try:
        with session_scope(engine) as session:
            row = service.publish_programme(session, None, document, purpose="programme publication (CLI)")
            summary = f"Published {row.programme_id} version {row.version} for {row.jurisdiction_code} (sha256 {row.sha256[:12]}...)."
    finally:
        engine.dispose()
    typer.echo(summary)
