"""Load programme documents: parse, validate (file, line, what was expected) and pick a version by date."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pycountry

from amparo.errors import InvalidInput, NotFound
from amparo.programmes.schemas import Programme
from amparo.safeguards.catalogue import load_catalogue
from amparo.safeguards.rulefile import RuleDocument, parse_yaml, read_yaml, validate

_EXAMPLES = "data"
_WHAT = "programme document"


@dataclass(frozen=True)
class ProgrammeSource:
    """A validated programme together with the file it came from and the line of each of its values."""

    programme: Programme
    document: RuleDocument

    @property
    def filename(self) -> str:
        return self.document.filename

    def line_of(self, *path: str | int) -> int:
        return self.document.line_of(path)


@lru_cache(maxsize=1)
def _safeguard_ids() -> frozenset[str]:
    return frozenset(load_catalogue().safeguards)


def _fail(document: RuleDocument, loc: tuple[str | int, ...], message: str) -> InvalidInput:
    line = document.line_of(loc)
    field = ".".join(str(p) for p in loc)
    return InvalidInput(
        f"Invalid programme: {document.filename}, line {line}, {field}: {message}",
        details=[{"file": document.filename, "line": line, "loc": list(loc), "expected": message}],
    )


def _is_country(code: str) -> bool:
    return pycountry.countries.get(alpha_3=code) is not None


def _check_semantics(programme: Programme, document: RuleDocument) -> None:
    if not _is_country(programme.jurisdiction):
        raise _fail(document, ("jurisdiction",), f"{programme.jurisdiction!r} is not an ISO 3166-1 alpha-3 country code")
    nationality = programme.eligibility.nationality
    for i, code in enumerate(nationality.any_of if nationality else ()):
        if not _is_country(code):
            raise _fail(document, ("eligibility", "nationality", "any_of", i), f"{code!r} is not an ISO 3166-1 alpha-3 country code")
    for i, safeguard in enumerate(programme.safeguards_adopted):
        if safeguard not in _safeguard_ids():
            raise _fail(
                document,
                ("safeguards_adopted", i),
                f"unknown safeguard {safeguard!r}; expected one of {', '.join(sorted(_safeguard_ids()))}",
            )
    if "applicant" not in programme.filing.by and "employer" not in programme.filing.by:
        # Without the applicant (or, in a flawed design, an employer) nobody could start an application.
        raise _fail(document, ("filing", "by"), "expected `applicant` among those who may file")


def _from_document(document: RuleDocument) -> ProgrammeSource:
    programme = validate(Programme, document, "programme")
    _check_semantics(programme, document)
    return ProgrammeSource(programme, document)


def read_programme(path: str | Path) -> ProgrammeSource:
    """Load a programme file, keeping its lines (for findings that point at them).

    Raises:
        InvalidInput: the file is missing, not YAML, or not a valid programme; the message names the
            file, the line and what was expected.
    """
    return _from_document(read_yaml(path, _WHAT))


def load_programme(path: str | Path) -> Programme:
    """Load and validate one programme file."""
    return read_programme(path).programme


def parse_programme_source(text: str, filename: str = "<programme>") -> ProgrammeSource:
    """Validate a programme given as YAML text, keeping its lines (for a check report that points at them)."""
    return _from_document(parse_yaml(text, filename, _WHAT))


def parse_programme(text: str, filename: str = "<programme>") -> Programme:
    """Validate a programme given as YAML text (e.g. uploaded by a programme administrator)."""
    return parse_programme_source(text, filename).programme


def example_paths() -> list[Path]:
    """The example programmes shipped in the package."""
    folder = resources.files("amparo.programmes") / _EXAMPLES
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_examples() -> list[Programme]:
    return [load_programme(p) for p in example_paths()]


def load_example(programme_id: str) -> Programme:
    """A shipped example programme by id (its latest version).

    Raises:
        NotFound: no shipped programme has that id.
    """
    matches = [p for p in load_examples() if p.id == programme_id]
    if not matches:
        known = ", ".join(sorted({p.id for p in load_examples()}))
        raise NotFound(f"No example programme {programme_id!r}; the shipped ones are: {known}.")
    return max(matches, key=lambda p: p.version)


def version_on(versions: Iterable[Programme], on: datetime.date) -> Programme:
    """The version of a programme whose rules apply on date `on`: the latest one already effective.

    Raises:
        InvalidInput: the versions belong to different programmes, or two share a version number.
        NotFound: no version is effective yet on `on`.
    """
    versions = list(versions)
    ids = {p.id for p in versions}
    if len(ids) > 1:
        raise InvalidInput(f"Expected versions of one programme, received several ids: {', '.join(sorted(ids))}.")
    numbers = [p.version for p in versions]
    if len(numbers) != len(set(numbers)):
        raise InvalidInput(f"Two documents of programme {ids.pop()!r} have the same version number; expected unique versions.")
    effective = [p for p in versions if p.effective <= on]
    if not effective:
        first = min((p.effective for p in versions), default=None)
        raise NotFound(f"No version of the programme is in effect on {on}; the first takes effect on {first}.")
    return max(effective, key=lambda p: (p.effective, p.version))
