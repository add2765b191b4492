"""Checking an intake file's rows in other processes while one process writes them.

Everything a row needs before the database — validation against the API's request models, the
filing checks, the pre-assessment, the certificate's claims (`amparo.regularization.batch.check_row`)
— depends only on the row, the programme's versions, the operator and the day. So a `Checker` holding
those is sent once to each worker process, batches of rows (row number, cells) go to the workers, and
their outcomes come back in file order to the one process that writes. With one process (`workers`
1) the same `Checker` runs in the writer itself: both ways give the same outcome for every row.

A certificate states its case's number, which only the writer's transaction reserves, so it cannot
be signed with the row's other checks; with workers, one more process signs each batch's
certificates while the writer inserts the batch's other rows (`ProcessSigner`).

Workers are started with "spawn", never "fork": the writer may hold threads (the progress bar's,
another import's) and database connections that a forked child must not inherit.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from itertools import chain, islice
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from amparo.auth.policy import Actor
from amparo.errors import AmparoError, Forbidden
from amparo.intake.parse import Context, Problem, validate
from amparo.programmes import Programme
from amparo.certificates.keys import raw_private_key
from amparo.certificates.tokens import sign_claims
from amparo.regularization.batch import BatchRow, CheckedRow, Signer, check_row, sign_here

RawRow = tuple[int, dict[str, str]]
#: Most processes an import starts by default: one writes, the others check; past a few checkers
#: the single writer is the limit.
MAX_DEFAULT_WORKERS = 4


@dataclass(frozen=True, slots=True)
class Rejected:
    """A row that failed validation: every problem found in it."""

    site: str
    row_id: str
    problems: list[Problem]


@dataclass(frozen=True, slots=True)
class Checked:
    """A valid row, and either what filing it writes (`ready`) or why the filing checks refuse it."""

    row: int
    site: str
    row_id: str
    key: str
    #: Names and date of birth, to tell a re-run of this form from its row id reused for another person.
    identity: tuple[str, str, date | None]
    ready: CheckedRow | None
    refusal: Problem | None


Outcome = Rejected | Checked


class WorkerFailed(AmparoError):
    """A process checking rows stopped or failed; nothing of the batch it was checking was written."""

    status_code = 503
    code = "worker_failed"
    exit_code = 1


@dataclass(frozen=True)
class Checker:
    """Checks batches of rows: what the writer's process and every worker process run alike."""

    ctx: Context
    versions: dict[str, list[Programme]]
    actor: Actor | None

    def __call__(self, batch: list[RawRow]) -> list[Outcome]:
        allowed: dict[str, bool] = {}
        outcomes: list[Outcome] = []
        for number, cells in batch:
            valid = validate(number, cells, self.ctx)
            if isinstance(valid, list):
                outcomes.append(Rejected(cells.get("site", ""), cells.get("row_id", ""), valid))
                continue
            person = valid.application.on_behalf_of.person  # type: ignore[union-attr]
            ready, refusal = None, None
            try:
                ready = check_row(self.versions, self.actor, BatchRow(valid.application, valid.filed_on, valid.key), allowed)
            except Forbidden:
                raise
            except AmparoError as exc:
                refusal = service_problem(number, exc)
            outcomes.append(Checked(number, valid.site, valid.row_id, valid.key,
                                    (person.given_names, person.family_names, person.date_of_birth), ready, refusal))
        return outcomes


def default_workers() -> int:
    """One process per CPU this process may use, at most `MAX_DEFAULT_WORKERS`; 1 (no worker) on one CPU."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_DEFAULT_WORKERS))


@dataclass(frozen=True)
class Work:
    """An import's batches with their outcomes, in file order, and how its certificates are signed."""

    batches: Iterator[tuple[list[RawRow], list[Outcome]]]
    sign: Signer


@contextmanager
def checked_batches(batches: Iterator[list[RawRow]], checker: Checker, workers: int) -> Iterator[Work]:
    """Each batch with its outcomes, in order: checked here when `workers` is 1, else by `workers` - 1
    processes while this one writes (and certificates signed by one more). Leaving the block stops the
    workers, whatever happened.

    Raises (from the iterator, or from collecting signed tokens):
        WorkerFailed: a worker process died (killed, out of memory) or raised an unexpected error.
        AmparoError: an expected error a worker raised (e.g. Forbidden), as it was raised.
    """
    batches = iter(batches)
    ahead = list(islice(batches, 2))
    if workers <= 1 or len(ahead) < 2:
        # One batch is checked faster here than a worker process starts.
        yield Work(((batch, checker(batch)) for batch in chain(ahead, batches)), sign_here)
        return
    batches = chain(ahead, batches)
    spawn = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(workers - 1, mp_context=spawn, initializer=_start, initargs=(checker,))
    signing = ProcessPoolExecutor(1, mp_context=spawn, initializer=_leave_interrupts_to_the_writer)
    try:
        yield Work(_in_order(pool, batches, ahead=2 * (workers - 1)), ProcessSigner(signing))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        signing.shutdown(wait=True, cancel_futures=True)


class ProcessSigner:
    """A `regularization.batch.Signer` that signs in a process of its own: the key's 32 raw bytes go
    with each batch over the pipe to that process, a child of this one; they are never written."""

    def __init__(self, pool: ProcessPoolExecutor):
        self._pool = pool

    def __call__(self, kid: str, private_key: Ed25519PrivateKey, claims: list[dict[str, Any]]) -> Callable[[], list[str]]:
        future = self._pool.submit(_sign, kid, raw_private_key(private_key), claims)
        what = f"{len(claims)} certificate(s)"
        return lambda: _outcome(what, future)


def _in_order(pool: ProcessPoolExecutor, batches: Iterator[list[RawRow]], ahead: int) -> Iterator[tuple[list[RawRow], list[Outcome]]]:
    # At most `ahead` batches wait to be written, so a file of millions of rows is never all in memory.
    pending: deque[tuple[list[RawRow], Future[list[Outcome]]]] = deque()
    for batch in batches:
        pending.append((batch, pool.submit(_check, batch)))
        if len(pending) >= ahead:
            yield _result(*pending.popleft())
    while pending:
        yield _result(*pending.popleft())


def _result(batch: list[RawRow], future: Future[list[Outcome]]) -> tuple[list[RawRow], list[Outcome]]:
    return batch, _outcome(f"rows {batch[0][0]}-{batch[-1][0]}" if batch else "an empty batch", future)


T = TypeVar("T")


def _outcome(what: str, future: Future[T]) -> T:
    """What a worker returned for `what` (its rows, or certificates), or WorkerFailed saying what was lost."""
    try:
        return future.result()
    except BrokenProcessPool as exc:
        raise WorkerFailed(
            f"a worker process handling {what} stopped unexpectedly (killed, or out of memory); nothing of those rows was written. "
            "Earlier batches are committed: run the import again to file the rest (rows already imported are skipped), "
            "with --workers 1 to do all the work in the importing process itself"
        ) from exc
    except AmparoError:
        raise
    except Exception as exc:
        raise WorkerFailed(
            f"handling {what} failed in a worker process: {type(exc).__name__}: {exc}; nothing of those rows was written. "
            "Earlier batches are committed; run the import again with --workers 1 to see where it fails"
        ) from exc


_checker: Checker | None = None


def _start(checker: Checker) -> None:
    global _checker
    _leave_interrupts_to_the_writer()
    _checker = checker


def _leave_interrupts_to_the_writer() -> None:
    # Ctrl-C reaches every process of the terminal's group: the writer stops the import (its
    # transaction rolls back, the pool is shut down); a worker would only print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _check(batch: list[RawRow]) -> list[Outcome]:
    assert _checker is not None, "worker started without its checker"
    return _checker(batch)


_keys: dict[str, Ed25519PrivateKey] = {}


def _sign(kid: str, raw_key: bytes, claims: list[dict[str, Any]]) -> list[str]:
    key = _keys.get(kid)
    if key is None:
        key = _keys[kid] = Ed25519PrivateKey.from_private_bytes(raw_key)
    return [sign_claims(c, key, kid=kid) for c in claims]


#: The service names fields of the API request; the report names CSV columns.
_FIELD_COLUMNS = {
    "programme_id": "programme_id", "on_behalf_of.consent.given_on": "consent_given_on", "evidence": "evidence",
    "arrived_on": "arrived_on", "identity_document": "id_document_kind", "date_of_birth": "date_of_birth",
}


def service_problem(row: int, exc: AmparoError) -> Problem:
    """The filing service's refusal of a row, as a line of the report naming the CSV column."""
    detail = exc.details[0] if exc.details else {}
    name = str(detail.get("field") or "")
    column = next((c for f, c in _FIELD_COLUMNS.items() if name.startswith(f)), None) or name.rsplit(".", 1)[-1] or "row"
    value = detail.get("value")
    return Problem(row, column, "" if value is None else str(value), str(detail.get("expected") or exc.code), exc.message)
