"""Load and check the hand-written instrument catalogue (``data/instruments.yaml``).

A malformed entry stops the load with the file and line of the entry, what was wrong and what was
expected: a wrong rule must never reach a decision.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from amparo.commitments.model import Instrument
from amparo.commitments.names import fold
from amparo.commitments.rules import DENUNCIATION_KINDS, EIF_KINDS, RuleError, check_rule
from amparo.errors import DataError

CATALOGUE_PATH = Path(__file__).parent / "data" / "instruments.yaml"

_REQUIRED = ("id", "short_name", "title", "adopted", "entry_into_force", "eif_rule", "eif_article")
_OPTIONAL = {
    "aliases", "untc_reference", "normlex_id", "parent", "denunciation_rule", "denunciation_article",
    "complaint", "open_to_organisations", "declared_parties", "later_joiners",
}
_LATER_JOINERS = ("after_nth_deposit", "after_entry_into_force")
_COMPLAINT_VIA = ("party", "declaration")


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """A safe loader that records the line of each mapping, for error messages."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@dataclass(frozen=True)
class Catalogue:
    """The instruments in catalogue order, by id, and the folded-alias lookup table."""

    instruments: tuple[Instrument, ...]
    by_id: dict[str, Instrument]
    lookup: dict[str, str]


def _date(entry: dict[str, Any], key: str, where: str) -> datetime.date:
    value = entry[key]
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    raise DataError(f"{where}: {key} is {value!r}; expected a date written YYYY-MM-DD")


def _instrument(entry: Any, where: str) -> Instrument:
    if not isinstance(entry, dict):
        raise DataError(f"{where}: each catalogue entry must be a mapping, got {entry!r}")
    line = entry.pop("__line__", 0)
    where = f"{where} line {line}"
    unknown = set(entry) - set(_REQUIRED) - _OPTIONAL
    if unknown:
        raise DataError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; expected some of {sorted(set(_REQUIRED) | _OPTIONAL)}")
    missing = [key for key in _REQUIRED if key not in entry]
    if missing:
        raise DataError(f"{where}: entry {entry.get('id', '?')!r} lacks {', '.join(missing)}")
    try:
        eif_rule = check_rule({k: v for k, v in entry["eif_rule"].items() if k != "__line__"}, EIF_KINDS)
        den = entry.get("denunciation_rule")
        den_rule = check_rule({k: v for k, v in den.items() if k != "__line__"}, DENUNCIATION_KINDS) if den else None
    except (RuleError, AttributeError) as exc:
        raise DataError(f"{where}: {entry['id']}: {exc}") from None
    complaint = entry.get("complaint")
    if complaint is not None:
        complaint = {k: v for k, v in complaint.items() if k != "__line__"}
        if complaint.get("via") not in _COMPLAINT_VIA or not complaint.get("text") or not complaint.get("article"):
            raise DataError(f"{where}: {entry['id']}: complaint needs text, article and via (one of {_COMPLAINT_VIA})")
    later = entry.get("later_joiners", "after_nth_deposit")
    if later not in _LATER_JOINERS:
        raise DataError(f"{where}: {entry['id']}: later_joiners is {later!r}; expected one of {_LATER_JOINERS}")
    adopted, eif = _date(entry, "adopted", where), _date(entry, "entry_into_force", where)
    if eif < adopted:
        raise DataError(f"{where}: {entry['id']}: entry_into_force {eif} is before adopted {adopted}")
    return Instrument(
        id=str(entry["id"]),
        short_name=str(entry["short_name"]),
        aliases=tuple(str(a) for a in entry.get("aliases") or ()),
        title=str(entry["title"]),
        adopted=adopted,
        entry_into_force=eif,
        eif_rule=eif_rule,
        eif_article=str(entry["eif_article"]),
        untc_reference=entry.get("untc_reference"),
        normlex_id=entry.get("normlex_id"),
        parent=entry.get("parent"),
        denunciation_rule=den_rule,
        denunciation_article=entry.get("denunciation_article"),
        complaint_procedure=complaint["text"] if complaint else None,
        complaint=complaint,
        open_to_organisations=bool(entry.get("open_to_organisations", False)),
        declared_parties=entry.get("declared_parties"),
        later_joiners=later,
        line=line,
    )


def parse_catalogue(text: str, name: str = "instruments.yaml") -> Catalogue:
    """Parse and check catalogue text; ``name`` is used in error messages.

    Raises:
        DataError: the YAML is invalid, an entry is malformed, an id or alias is used twice, or a
            parent is unknown.
    """
    try:
        raw = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise DataError(f"{name}: not valid YAML: {exc}") from None
    if not isinstance(raw, list):
        raise DataError(f"{name}: expected a list of instruments at the top level")
    instruments = tuple(_instrument(entry, name) for entry in raw)
    by_id: dict[str, Instrument] = {}
    lookup: dict[str, str] = {}
    for inst in instruments:
        if inst.id in by_id:
            raise DataError(f"{name} line {inst.line}: id {inst.id!r} is used twice")
        by_id[inst.id] = inst
    for inst in instruments:
        if inst.parent and inst.parent not in by_id:
            raise DataError(f"{name} line {inst.line}: {inst.id}: parent {inst.parent!r} is not in the catalogue")
        for name_ in (inst.id, inst.short_name, *inst.aliases):
            key = fold(name_)
            if lookup.get(key, inst.id) != inst.id:
                raise DataError(f"{name} line {inst.line}: {inst.id}: alias {name_!r} already names {lookup[key]}")
            lookup[key] = inst.id
    return Catalogue(instruments, by_id, lookup)


def load_catalogue(path: Path = CATALOGUE_PATH) -> Catalogue:
    """Load the catalogue file shipped with the package (or another one, for tests)."""
    return parse_catalogue(Path(path).read_text(encoding="utf-8"), Path(path).name)
