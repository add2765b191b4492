"""Bulk intake: file every valid row of an intake CSV through the regularization filing service.

Rows are read and validated one at a time and filed in batches, one transaction per batch: a crash
in batch k leaves batches 1..k-1 committed and batch k not at all, and running the same file again
files only what is missing, because each application carries its row's intake key (unique in the
database). A batch is filed by `amparo.regularization.batch.file_applications`, which checks each row
exactly as `POST /api/v1/applications` does (window, jurisdiction, evidence, consent) and writes the
same rows with one statement per table; a row that breaks a rule is written to the report with the
service's own message and the rest of its batch is filed.

Rows are checked (validation, the filing checks, pre-assessment, certificate claims) by `workers` - 1
other processes while this one writes (`amparo.intake.pipeline`); with `workers` 1, in this process.
Both give the same outcome for every row; the default is one process per CPU.

The operator is recorded: with `operator` (the username of an assisting staff account of the
programme's jurisdiction) as the filer, consent assistant and actor of the journal and audit entries;
without it, as the command's login name ("cli:NAME") in the audit entries.
"""

from __future__ import annotations

import datetime as dt
import getpass
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from amparo.audit import service as audit
from amparo.auth import policy
from amparo.auth import repository as users
from amparo.auth.policy import Action as Permission, Actor, RecordFacts
from amparo.config import Settings
from amparo.db.compat import utcnow
from amparo.db.session import session_scope
from amparo.errors import InvalidInput, NotFound
from amparo.intake import repository
from amparo.intake.connection import import_connection
from amparo.intake.parse import Context, Problem, Source
from amparo.intake.pipeline import Checked, Checker, Outcome, Rejected, checked_batches, default_workers, service_problem
from amparo.intake.report import Report
from amparo.regularization import batch as batches
from amparo.regularization import service as regularization

#: Rows per transaction. Each batch holds the database write lock (SQLite) or the case-number counter
#: and audit-chain head rows (PostgreSQL) until it commits, so live API filings wait up to one batch:
#: 1,000 rows is about 0.35-0.4 s on the 2-core machine since rows are checked in worker processes
#: (500 rows took 0.5-1 s before). From 500 to 1,000 rows the writer's CPU fell from 0.29-0.30 to
#: 0.27 ms a row and its commit time (an fsync each) by a third (SQLite, 50,000 rows); smaller
#: batches cost more (about 15% from 500 down to 100).
DEFAULT_BATCH = 1000
MAX_BATCH = 20_000
MAX_WORKERS = 64


class FilingFunction(Protocol):
    def __call__(
        self, session: Session, settings: Settings, actor: Actor | None, rows: list[batches.CheckedRow], purpose: str, *,
        operator: str | None = None, sign: batches.Signer = batches.sign_here,
    ) -> batches.BatchResult: ...


@dataclass
class Summary:
    """What an import did. `rejected` counts rows; `problems` the report's lines (a row may have several)."""

    file: str
    programme_id: str
    rows: int = 0
    filed: int = 0
    already_imported: int = 0
    rejected: int = 0
    problems: int = 0
    batches: int = 0
    seconds: float = 0.0
    #: Filed rows by pre-assessment result: likely_eligible, incomplete, not_eligible.
    overall: Counter[str] = field(default_factory=Counter)
    bytes_read: int = 0
    size: int = 0

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers; the audit entry still names the CLI
        return "unknown"


def _batches(rows: Iterator[tuple[int, dict[str, str]]], size: int) -> Iterator[list[tuple[int, dict[str, str]]]]:
    while batch := list(islice(rows, size)):
        yield batch


def import_file(
    engine: Engine,
    settings: Settings,
    path: Path,
    programme_id: str,
    *,
    report_path: Path | None = None,
    batch_size: int = DEFAULT_BATCH,
    consent_text: str | None = None,
    organisation: str | None = None,
    today: dt.date | None = None,
    progress: Callable[[Summary], None] | None = None,
    file_applications: FilingFunction = batches.file_applications,
    operator: str | None = None,
    workers: int | None = None,
) -> Summary:
    """Import the intake CSV `path` into programme `programme_id`; commit once per batch.

    Args:
        report_path: where rejected rows are written (one line per problem); None to only count them.
        consent_text: the wording of the site's printed consent form, for rows without a statement.
        organisation: the assisting organisation's name, recorded on each consent with the site code.
        progress: called after each committed batch with the running summary.
        file_applications: the batch filing service (a test may wrap it to fail part-way through a file).
        operator: username of the assisting staff member running the import, recorded on every case.
        workers: processes working on the import: one writes, the others check rows; 1 checks and
            writes in this process alone. None: one per CPU (`pipeline.default_workers`).

    Raises:
        InvalidInput: bad batch size or number of workers, unknown programme, a file that is not an intake CSV (before
            anything is written).
    """
    source = Source(path)
    return import_rows(
        engine, settings, source, programme_id, label=path.name, report_path=report_path, batch_size=batch_size,
        consent_text=consent_text, organisation=organisation, today=today, progress=progress,
        file_applications=file_applications, bytes_read=lambda: source.bytes_read, size=source.size, operator=operator,
        workers=workers,
    )


def import_rows(
    engine: Engine,
    settings: Settings,
    rows: Iterable[tuple[int, dict[str, str]]],
    programme_id: str,
    *,
    label: str,
    report_path: Path | None = None,
    batch_size: int = DEFAULT_BATCH,
    consent_text: str | None = None,
    organisation: str | None = None,
    today: dt.date | None = None,
    progress: Callable[[Summary], None] | None = None,
    file_applications: FilingFunction = batches.file_applications,
    bytes_read: Callable[[], int] | None = None,
    size: int = 0,
    operator: str | None = None,
    workers: int | None = None,
) -> Summary:
    """Import rows given as (row number, cells by column) — a file's (`import_file`) or generated ones.

    See `import_file` for the arguments; `label` names the source in the audit entry and the purpose.
    """
    if not 1 <= batch_size <= MAX_BATCH:
        raise InvalidInput(
            f"batch size {batch_size} is out of range; expected 1 to {MAX_BATCH} rows per transaction",
            details=[{"field": "batch_size", "value": batch_size, "expected": f"1-{MAX_BATCH}"}],
        )
    workers = default_workers() if workers is None else workers
    if not 1 <= workers <= MAX_WORKERS:
        raise InvalidInput(
            f"{workers} workers is out of range; expected 1 (check and write in one process) to {MAX_WORKERS}",
            details=[{"field": "workers", "value": workers, "expected": f"1-{MAX_WORKERS}"}],
        )
    with session_scope(engine) as session:
        try:
            row, _ = regularization.get_programme(session, programme_id)
        except NotFound:
            published = ", ".join(sorted({p.programme_id for p in regularization.list_programmes(session)})) or "none yet"
            raise InvalidInput(
                f"no programme {programme_id!r} is published in this database; published: {published}. "
                "Check --programme, or publish the programme first",
                details=[{"field": "programme", "value": programme_id, "expected": "a published programme id"}],
            ) from None
        programme = regularization.programme_of(row)
        actor = _operator(session, operator, programme.jurisdiction) if operator else None
        versions = batches.load_versions(session, [programme.id])
    operator_name = f"cli:{_os_user()}"
    ctx = Context(
        programme_id=programme.id, jurisdiction=programme.jurisdiction, today=today or utcnow().date(),
        consent_text=consent_text, organisation=organisation,
    )
    purpose = f"bulk intake of {label}"[:200]
    summary = Summary(file=label, programme_id=programme.id, size=size)
    started = time.perf_counter()
    checker = Checker(ctx, versions, actor)
    with (
        Report(report_path) as report,
        checked_batches(_batches(iter(rows), batch_size), checker, workers) as work,
        import_connection(engine) as (connection, committed),
    ):
        for _, outcomes in work.batches:
            _file_batch(connection, settings, outcomes, purpose, file_applications, actor, operator_name, work.sign).add_to(summary, report)
            committed()
            summary.batches += 1
            summary.bytes_read = bytes_read() if bytes_read else 0
            summary.seconds = time.perf_counter() - started
            report.flush()
            if progress is not None:
                progress(summary)
        summary.seconds = time.perf_counter() - started
    with session_scope(engine) as session:
        audit.record(
            session, actor, "intake:import", "intake_file", label[:64], purpose,
            {"programme": programme.key, "rows": summary.rows, "filed": summary.filed,
             "already_imported": summary.already_imported, "rejected": summary.rejected},
            username=None if actor else operator_name,
        )
    return summary


def _operator(session: Session, username: str, jurisdiction: str) -> Actor:
    """The staff account running the import, if it may file for others in the programme's jurisdiction."""
    user = users.get_user_by_username(session, username)
    if user is None or not user.active:
        raise InvalidInput(
            f"no active account {username!r}; give the username of the assisting staff member running the import",
            details=[{"field": "operator", "value": username, "expected": "an existing staff username"}],
        )
    actor = users.actor_for(user)
    if not policy.is_allowed(actor, Permission.APPLICATION_FILE, RecordFacts(jurisdiction=jurisdiction, person_id=-1)):
        raise InvalidInput(
            f"account {username!r} (role {actor.role.value!r}, jurisdiction {actor.jurisdiction or 'none'}) may not file for "
            f"others in {jurisdiction}; give a filing assistant of {jurisdiction}",
            details=[{"field": "operator", "value": username, "expected": f"assisting staff of {jurisdiction}"}],
        )
    return actor


@dataclass
class _Tally:
    """What one batch did, added to the summary and the report once its transaction has committed."""

    rows: int = 0
    already_imported: int = 0
    #: Filed rows' pre-assessment results.
    filed: list[str] = field(default_factory=list)
    #: Rejected rows, in the report's order: (problems, site, row id).
    rejected: list[tuple[list[Problem], str, str]] = field(default_factory=list)

    def add_to(self, summary: Summary, report: Report) -> None:
        summary.rows += self.rows
        summary.already_imported += self.already_imported
        summary.filed += len(self.filed)
        summary.overall.update(self.filed)
        for problems, site, row_id in self.rejected:
            _reject(summary, report, problems, site, row_id)


def _file_batch(
    connection: Connection,
    settings: Settings,
    outcomes: list[Outcome],
    purpose: str,
    file_applications: FilingFunction,
    actor: Actor | None,
    operator: str,
    sign: batches.Signer,
) -> _Tally:
    """File one batch in one transaction of `connection`, and say what it did.

    Two imports of one file at once (PostgreSQL) race on the unique intake key and one wins: the
    loser's transaction is rolled back whole and the batch filed again in a new one, where the rows the
    winner filed are found already filed. The whole transaction, not a savepoint around the filing:
    under a savepoint SQLite copies every existing page the batch changes to a sub-journal first, and
    a batch changes thousands of index pages in random key order (name keys, certificate ids, audit
    hashes, deadlines): with the copies an import wrote 105 KB a row at 150,000 rows, without them 47.
    On SQLite the race cannot happen anyway: the write lock is held from the transaction's start.
    """
    for attempt in range(3):
        try:
            with session_scope(connection) as session:  # type: ignore[arg-type]  # a Connection binds a session as an Engine does
                return _file_in(session, settings, outcomes, purpose, file_applications, actor, operator, sign)
        except IntegrityError as exc:
            if "intake_key" not in str(exc.orig) or attempt == 2:
                raise
    raise AssertionError("unreachable: the last attempt returns or raises")


def _file_in(
    session: Session,
    settings: Settings,
    outcomes: list[Outcome],
    purpose: str,
    file_applications: FilingFunction,
    actor: Actor | None,
    operator: str,
    sign: batches.Signer,
) -> _Tally:
    tally = _Tally(rows=len(outcomes))
    valid: list[Checked] = []
    for outcome in outcomes:
        if isinstance(outcome, Rejected):
            tally.rejected.append((outcome.problems, outcome.site, outcome.row_id))
        else:
            valid.append(outcome)
    filed = repository.filed_keys(session, {r.key for r in valid})
    first_in_batch: dict[str, int] = {}
    to_file: list[Checked] = []
    for item in valid:
        earlier = first_in_batch.get(item.key)
        if earlier is not None:
            tally.rejected.append(([Problem(item.row, "row_id", item.row_id, "a row id used once per site",
                                            f"row {earlier} of this file has the same site and row_id")], item.site, item.row_id))
            continue
        first_in_batch[item.key] = item.row
        found = filed.get(item.key)
        if found is not None:
            if (found.given_names, found.family_names, found.date_of_birth) != item.identity:
                tally.rejected.append(([Problem(item.row, "row_id", item.row_id, "a row id used once per site, for one person",
                                                f"this site and row_id were already filed for another person (case {found.case_number}); "
                                                "give this form its own row_id")], item.site, item.row_id))
            else:
                # The same form for the same person: filed before (by an earlier run, a concurrent
                # run, or an earlier batch repeating the row); nothing new is created either way.
                tally.already_imported += 1
            continue
        if item.refusal is not None:
            # Refused by the filing service's checks (run with the row's other checks, see `pipeline`).
            tally.rejected.append(([item.refusal], item.site, item.row_id))
            continue
        to_file.append(item)
    if not to_file:
        return tally
    rows = [item.ready for item in to_file if item.ready is not None]
    result = file_applications(session, settings, actor, rows, purpose, operator=operator, sign=sign)
    tally.already_imported += len(result.already_filed)
    for index, error in result.refused:
        item = to_file[index]
        tally.rejected.append(([service_problem(item.row, error)], item.site, item.row_id))
    tally.filed.extend(filed_row.overall for filed_row in result.filed)
    return tally


def _reject(summary: Summary, report: Report, problems: list[Problem], site: str, row_id: str) -> None:
    summary.rejected += 1
    summary.problems += len(problems)
    for problem in problems:
        report.add(problem, site, row_id)
