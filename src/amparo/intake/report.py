"""The rejected-rows report: a CSV with one line per problem, written as the import goes.

Lines are written (and flushed per batch) while the file is read, so the report of a run that is
stopped half-way still lists every rejection found up to that point.
"""

from __future__ import annotations

import csv
from pathlib import Path
from types import TracebackType
from typing import IO

from amparo.intake.format import REPORT_COLUMNS
from amparo.intake.parse import Problem


class Report:
    """Append problems to `path` (or count them only when `path` is None)."""

    def __init__(self, path: Path | None):
        self.path = path
        self.lines = 0
        self._handle: IO[str] | None = None
        self._writer: csv.DictWriter[str] | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = path.open("w", encoding="utf-8", newline="")
            self._writer = csv.DictWriter(self._handle, fieldnames=REPORT_COLUMNS)
            self._writer.writeheader()

    def add(self, problem: Problem, site: str, row_id: str) -> None:
        self.lines += 1
        if self._writer is not None:
            self._writer.writerow({
                "row": problem.row, "site": site, "row_id": row_id, "column": problem.column,
                "value": problem.value, "expected": problem.expected, "message": problem.message,
            })

    def flush(self) -> None:
        if self._handle is not None:
            self._handle.flush()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> Report:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
