"""Streaming read and per-row validation of an intake CSV (format in `amparo.intake.format`).

Rows are read one at a time from the file and validated into `IntakeRow` or a list of `Problem`s,
so a file of millions of rows is never held in memory. The person, consent and application parts
are checked by the API's own request models (`ApplicationIn`, `PersonCreate`, `Consent`), so a row
passes here exactly when the same facts would pass `POST /api/v1/applications`; what only a CSV can
get wrong (a date's spelling, a `kind:date` item, a reused id in one batch) is checked first, with
the column and value named.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import ValidationError

from amparo.errors import InvalidInput
from amparo.intake.format import COLUMN_NAMES, EVIDENCE_SEPARATOR, LIST_SEPARATOR, REQUIRED
from amparo.intake.keys import intake_key
from amparo.programmes import EVIDENCE_KINDS
from amparo.regularization.schemas import ApplicationIn

#: Cells beyond the header's columns are counted under this name (a header cell is never empty-bracketed).
EXTRA = "[extra cells]"
_SITE = re.compile(r"^[A-Za-z0-9._-]{1,40}$")
_ROW_ID = re.compile(r"^[A-Za-z0-9._/-]{1,64}$")
_SEX = {"female": "female", "f": "female", "male": "male", "m": "male", "x": "x", "unknown": "unknown", "": "unknown"}
_YES_NO = {"yes": True, "y": True, "true": True, "1": True, "no": False, "n": False, "false": False, "0": False}
_EVIDENCE = frozenset(EVIDENCE_KINDS)
#: Where a field of the API's request model comes from in the CSV (for naming the column of an error).
_LOC_COLUMNS = {
    "arrived_on": "arrived_on",
    "declares_no_disqualifying_record": "declares_no_disqualifying_record",
    "identity_document": "id_document_kind",
    "evidence": "evidence",
    "given_names": "given_names",
    "family_names": "family_names",
    "date_of_birth": "date_of_birth",
    "sex": "sex",
    "nationalities": "nationalities",
    "languages": "languages",
    "phone": "phone",
    "email": "email",
    "address": "address",
    "method": "consent_method",
    "statement": "consent_statement",
    "given_on": "consent_given_on",
    "organisation": "site",
}


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a row cannot be imported, named precisely enough to fix it in the spreadsheet."""

    row: int
    column: str
    value: str
    expected: str
    message: str


@dataclass(slots=True)
class IntakeRow:
    """A row that passed validation: what the filing service needs, and where it came from."""

    row: int
    site: str
    row_id: str
    key: str
    filed_on: dt.date
    application: ApplicationIn


@dataclass(frozen=True)
class Context:
    """What validating a row needs besides the row: the programme, the day, the site's form wording."""

    programme_id: str
    jurisdiction: str
    today: dt.date
    consent_text: str | None = None
    organisation: str | None = None
    evidence_kinds: frozenset[str] = field(default=_EVIDENCE)


class _Counting(io.RawIOBase):
    """A binary reader that counts the bytes read, so progress can be shown without a first pass."""

    def __init__(self, raw: BinaryIO):
        self._raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._raw.readinto(buffer)  # type: ignore[attr-defined]
        self.count += n or 0
        return n or 0


class Source:
    """An intake file read one row at a time; `bytes_read` and `size` measure progress.

    Iterating yields (spreadsheet row number, cells by column name); blank lines are skipped.
    """

    def __init__(self, path: Path):
        if not path.is_file():
            raise InvalidInput(f"intake file {str(path)!r} does not exist or is not a file", details=[{"field": "file", "value": str(path), "expected": "a CSV file"}])
        self.path = path
        self.size = path.stat().st_size
        self._counter: _Counting | None = None

    @property
    def bytes_read(self) -> int:
        return self._counter.count if self._counter else 0

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        """Raises:
            InvalidInput: not UTF-8, empty, not CSV, or a header that lacks required columns or names
                unknown ones (checked before any row is yielded, so nothing is half-imported).
        """
        name = self.path.name
        with self.path.open("rb") as raw:
            self._counter = _Counting(raw)
            handle = io.TextIOWrapper(io.BufferedReader(self._counter, 1 << 16), encoding="utf-8-sig", newline="")
            reader = csv.reader(handle)
            number = 1
            try:
                header = next(reader, None)
                if header is None:
                    raise InvalidInput(f"intake file {name!r} is empty; expected a header row naming the columns (see `amparo intake format`)")
                columns = check_header(header, name)
                for cells in reader:
                    number += 1
                    if not any(cell.strip() for cell in cells):
                        continue  # a blank line, as spreadsheets leave at the end
                    row = dict(zip(columns, cells, strict=False))
                    if len(cells) > len(columns):
                        # Kept under a name no header can have, so validation reports the row, not a crash.
                        row[EXTRA] = str(len(cells) - len(columns))
                    yield number, row
            except UnicodeDecodeError as exc:
                raise InvalidInput(
                    f"intake file {name!r} is not UTF-8 text (near row {number + 1}); save it as 'CSV UTF-8' and import "
                    "it again — rows already imported are skipped",
                    details=[{"field": "file", "value": name, "expected": "UTF-8 CSV"}],
                ) from exc
            except csv.Error as exc:
                raise InvalidInput(f"intake file {name!r} is not valid CSV near line {reader.line_num}: {exc}") from exc


def check_header(header: list[str], name: str) -> list[str]:
    """The header's column names, trimmed; refuse missing required, unknown or repeated columns."""
    columns = [h.strip() for h in header]
    known = set(COLUMN_NAMES)
    unknown = [c for c in columns if c not in known]
    missing = sorted(REQUIRED - set(columns))
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if unknown or missing or repeated:
        parts = []
        if missing:
            parts.append("missing required column(s) " + ", ".join(missing))
        if unknown:
            parts.append("unknown column(s) " + ", ".join(repr(c) for c in unknown))
        if repeated:
            parts.append("repeated column(s) " + ", ".join(repeated))
        raise InvalidInput(
            f"intake file {name!r} has a header that does not match the format: {'; '.join(parts)}. "
            "Expected columns: " + ", ".join(COLUMN_NAMES) + " (see `amparo intake format`)",
            details=[{"field": "header", "value": ",".join(columns), "expected": ",".join(COLUMN_NAMES)}],
        )
    return columns


def validate(number: int, cells: dict[str, str], ctx: Context) -> IntakeRow | list[Problem]:
    """Check one row; return it ready to file, or every problem found in it."""
    problems: list[Problem] = []
    get = lambda name: (cells.get(name) or "").strip()  # noqa: E731

    def bad(column: str, expected: str, message: str, value: str | None = None) -> None:
        problems.append(Problem(number, column, get(column) if value is None else value, expected, message))

    if EXTRA in cells:
        bad("row", "as many cells as the header has columns", f"the row has {cells[EXTRA]} more cell(s) than the header has columns", value=cells[EXTRA])
    site, row_id = get("site"), get("row_id")
    if not _SITE.match(site):
        bad("site", "1-40 letters, digits, '.', '_' or '-'", "the intake site code is missing or has other characters")
    if not _ROW_ID.match(row_id):
        bad("row_id", "1-64 letters, digits, '.', '_', '-' or '/'", "the form id is missing or has other characters")
    programme = get("programme_id")
    if programme and programme != ctx.programme_id:
        bad("programme_id", ctx.programme_id, f"this row is for programme {programme!r}, but the file is being imported into {ctx.programme_id!r}")

    def day(column: str, required: bool = False) -> dt.date | None:
        raw = get(column)
        if not raw:
            if required:
                bad(column, "a date as YYYY-MM-DD", f"{column} is required")
            return None
        try:
            value = dt.date.fromisoformat(raw)
        except ValueError:
            bad(column, "a date as YYYY-MM-DD", f"{raw!r} is not a date written YYYY-MM-DD")
            return None
        if value > ctx.today:
            bad(column, f"a date not after today ({ctx.today})", f"{raw} is in the future")
            return None
        return value

    filed_on = day("filed_on", required=True)
    birth = day("date_of_birth")
    arrived = day("arrived_on")
    consent_on = day("consent_given_on", required=True)
    expires = _date_any(get("id_document_expires_on"))
    if get("id_document_expires_on") and expires is None:
        bad("id_document_expires_on", "a date as YYYY-MM-DD", "not a date written YYYY-MM-DD")
    if filed_on and consent_on and consent_on > filed_on:
        bad("consent_given_on", f"a day not after filed_on ({filed_on})", "consent must be recorded before the site files for the person")
    sex = _SEX.get(get("sex").lower())
    if sex is None:
        bad("sex", "female, male, x or unknown (or F, M, X)", f"{get('sex')!r} is not a recorded sex")
    declares: bool | None = None
    if get("declares_no_disqualifying_record"):
        declares = _YES_NO.get(get("declares_no_disqualifying_record").lower())
        if declares is None:
            bad("declares_no_disqualifying_record", "yes or no (or empty if not asked)", "not a yes/no answer")
    evidence = _evidence(get("evidence"), filed_on, ctx, bad)
    statement = get("consent_statement") or (ctx.consent_text or "")
    if not statement:
        bad("consent_statement", "the words the person agreed to", "empty, and no --consent-text gives the site form's wording")
    if problems:
        return problems

    document = None
    if get("id_document_kind"):
        document = {"kind": get("id_document_kind"), "expires_on": expires}
    organisation = f"{ctx.organisation} ({site})" if ctx.organisation else f"intake site {site}"
    data: dict[str, Any] = {
        "programme_id": ctx.programme_id,
        "arrived_on": arrived,
        "declares_no_disqualifying_record": declares,
        "identity_document": document,
        "evidence": evidence,
        "on_behalf_of": {
            "person": {
                "given_names": get("given_names"), "family_names": get("family_names"), "date_of_birth": birth, "sex": sex,
                "nationalities": _items(get("nationalities")), "languages": _items(get("languages")),
                "phone": get("phone") or None, "email": get("email") or None, "address": get("address") or None,
                "jurisdiction_code": ctx.jurisdiction,
            },
            "consent": {"organisation": organisation[:200], "method": get("consent_method"), "statement": statement, "given_on": consent_on},
        },
    }
    try:
        application = ApplicationIn.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            column = next((_LOC_COLUMNS[str(part)] for part in reversed(error["loc"]) if str(part) in _LOC_COLUMNS), "row")
            expected = error["msg"].removeprefix("Value error, ")
            bad(column, expected, f"{column} {get(column)!r} is not valid: expected {expected}")
        return problems
    assert filed_on is not None
    return IntakeRow(number, site, row_id, intake_key(site, row_id), filed_on, application)


def _items(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(LIST_SEPARATOR) if item.strip()]


def _date_any(raw: str) -> dt.date | None:
    # An identity document's expiry may lie in the future, so it is parsed without the today check.
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return None


def _evidence(raw: str, filed_on: dt.date | None, ctx: Context, bad: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for item in _items(raw):
        kind, sep, when = item.partition(EVIDENCE_SEPARATOR)
        kind, when = kind.strip(), when.strip()
        if not sep:
            bad("evidence", "kind:YYYY-MM-DD items separated by ';'", f"item {item!r} has no ':' between the kind and the date", value=item)
            continue
        if kind not in ctx.evidence_kinds:
            bad("evidence", "one of " + ", ".join(sorted(ctx.evidence_kinds)), f"{kind!r} is not an evidence kind Amparo knows", value=item)
            continue
        try:
            dated = dt.date.fromisoformat(when)
        except ValueError:
            bad("evidence", "kind:YYYY-MM-DD", f"{when!r} is not a date written YYYY-MM-DD", value=item)
            continue
        limit = filed_on or ctx.today
        if dated > limit:
            bad("evidence", f"a document dated on or before the filing day ({limit})", f"the {kind.replace('_', ' ')} is dated {dated}, after the day it was shown", value=item)
            continue
        items.append({"kind": kind, "dated": dated})
    return items
