"""Rows checked in worker processes (`amparo.intake.pipeline`) give exactly what rows checked in the
writer's own process give — the same rows filed, refused and reported, the same records — and a
worker that fails or dies stops the import with an error naming the rows, never a hang. On SQLite
and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from amparo.audit.service import verify
from amparo.cases.models import Case
from amparo.db.engine import read_only
from amparo.db.session import session_scope
from amparo.errors import Forbidden
from amparo.intake import pipeline
from amparo.intake.parse import Context
from amparo.intake.service import import_file
from amparo.intake.synthetic import rows as synthetic_rows
from amparo.programmes import load_example
from amparo.regularization.models import Application
from intake_support import PROGRAMME, published, report_lines, row, settings, write  # noqa: F401
from test_batch import _snapshot
from test_import import ROWS


def _cells(copy: str) -> list[dict[str, str]]:
    """The import tests' rows (each kind of rejection, a duplicate row id) and 40 synthetic applicants,
    with row ids marked by `copy` so two copies can be imported into one database."""
    synthetic = list(synthetic_rows(load_example(PROGRAMME), 40, seed=5, today=dt.date(2022, 6, 1)))
    return [cells | {"row_id": copy + cells["row_id"]} for cells in [c for c, _ in ROWS] + synthetic]


def _outcome(summary, report: Path, copy: str) -> tuple:
    # Row ids lose their copy's mark; case numbers (a reused row id names the case) differ by nature.
    lines = []
    for line in report_lines(report):
        line["row_id"] = line["row_id"].removeprefix(copy)
        if line["column"] == "row_id":
            line["value"] = line["value"].removeprefix(copy)
        lines.append({k: re.sub(r"COL-\d{4}-\d{7}", "COL-N", v) for k, v in line.items()})
    return (summary.rows, summary.filed, summary.already_imported, summary.rejected, summary.problems, dict(summary.overall), lines)


def test_workers_file_refuse_and_report_the_same_rows_as_one_process(published, settings, tmp_path):
    runs = {}
    for copy, workers in (("s", 1), ("p", 3)):
        (tmp_path / copy).mkdir()
        path = write(tmp_path / copy / "intake.csv", _cells(copy))  # one name: it is in the audit entries' purpose
        report = tmp_path / copy / "rejected.csv"
        summary = import_file(published, settings, path, PROGRAMME, report_path=report, batch_size=4, workers=workers)
        runs[copy] = _outcome(summary, report, copy)
    assert runs["s"] == runs["p"]
    assert runs["s"][1] > 30 and runs["s"][3] > 10  # both kinds of rows are in the comparison

    with session_scope(read_only(published)) as session:
        keys = list(session.scalars(select(Application.intake_key)))
        numbers = list(session.scalars(select(Case.number)))
        serial = sorted(k for k in keys if k.split(":")[2].startswith("s"))
        assert len(serial) == runs["s"][1] and len(keys) == 2 * len(serial)
        for key in serial:
            site, row_id = key.split(":")[1:]
            assert _snapshot(session, f"csv:{site}:p{row_id[1:]}") == _snapshot(session, key), key
        assert len(set(numbers)) == len(numbers) == len(keys)
        assert verify(session).ok


def test_a_rerun_with_workers_creates_nothing_new(published, settings, tmp_path):
    path = write(tmp_path / "again.csv", _cells("r"))
    first = import_file(published, settings, path, PROGRAMME, batch_size=5, workers=1)
    second = import_file(published, settings, path, PROGRAMME, batch_size=5, workers=2)
    assert (second.filed, second.already_imported, second.rejected) == (0, first.filed, first.rejected)


def test_one_cpu_means_one_process():
    real = os.sched_getaffinity
    try:
        os.sched_getaffinity = lambda pid: {0}  # type: ignore[assignment]
        assert pipeline.default_workers() == 1
        os.sched_getaffinity = lambda pid: set(range(16))  # type: ignore[assignment]
        assert pipeline.default_workers() == pipeline.MAX_DEFAULT_WORKERS
    finally:
        os.sched_getaffinity = real


def test_a_number_of_workers_out_of_range_is_refused(published, settings, tmp_path):
    from amparo.errors import InvalidInput

    with pytest.raises(InvalidInput, match="0 workers is out of range"):
        import_file(published, settings, write(tmp_path / "w.csv", [row()]), PROGRAMME, workers=0)


# --- failures in a worker: checkers that the worker processes import from this module ---------------

_CTX = Context(programme_id=PROGRAMME, jurisdiction="COL", today=dt.date(2026, 1, 1))


class _Raises(pipeline.Checker):
    def __call__(self, batch):
        if batch[0][0] >= 10:
            raise ValueError("a bug in checking")
        return []


class _Dies(pipeline.Checker):
    def __call__(self, batch):
        os._exit(3)


class _Refuses(pipeline.Checker):
    def __call__(self, batch):
        raise Forbidden("not here")


def _drain(checker: pipeline.Checker) -> BaseException | None:
    """Run 6 batches of 4 rows through 2 processes in a thread; the error it ended with."""
    batches = [[(n, {}) for n in range(start, start + 4)] for start in range(2, 26, 4)]
    caught: list[BaseException] = []

    def run() -> None:
        try:
            with pipeline.checked_batches(iter(batches), checker, workers=2) as work:
                for _ in work.batches:
                    pass
        except BaseException as exc:  # handed to the test
            caught.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(120)
    assert not thread.is_alive(), "the import hung after a worker failed"
    return caught[0] if caught else None


def test_an_error_in_a_worker_stops_the_import_naming_the_rows():
    error = _drain(_Raises(_CTX, {}, None))
    assert isinstance(error, pipeline.WorkerFailed)
    assert "handling rows 10-13 failed in a worker process: ValueError: a bug in checking" in error.message
    assert "--workers 1" in error.message


def test_a_worker_that_dies_stops_the_import_instead_of_hanging():
    error = _drain(_Dies(_CTX, {}, None))
    assert isinstance(error, pipeline.WorkerFailed) and "stopped unexpectedly" in error.message


def test_an_expected_error_in_a_worker_reaches_the_writer_as_it_was_raised():
    error = _drain(_Refuses(_CTX, {}, None))
    assert isinstance(error, Forbidden) and error.message == "not here"


def test_certificates_signed_in_the_signing_process_verify_and_its_failures_are_named():
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from amparo.certificates import generate_key, key_id, verify

    key = generate_key()
    kid = key_id(key)
    claims = {"cid": "c1", "case": "COL-2026-0000001", "pid": "col-etpv-2021", "pt": "ETPV", "jur": "COL", "gn": "Ana", "fn": "Paz",
              "dob": None, "filed": "2021-06-14", "iat": "2026-01-01T00:00:00Z", "st": "pending"}
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        signer = pipeline.ProcessSigner(pool)
        [token] = signer(kid, key, [claims])()
        assert verify(token, {kid: key.public_key()}).claims.case_number == "COL-2026-0000001"
        collect = signer(kid, key, [claims | {"gn": object()}])  # cannot even be sent: a bug, named as such
        with pytest.raises(pipeline.WorkerFailed, match=r"handling 1 certificate\(s\) failed in a worker process"):
            collect()
