"""Build the shipped participation data from the shared CSV facts, deterministically.

``build(source_dir)`` reads ``<INSTRUMENT>.csv`` (one per catalogue instrument) and ``events.csv``,
normalises every participant to an ISO 3166-1 alpha-3 code (or a documented special code), and
returns the text of ``participation.json``: the same input always gives the same bytes, so a test
can rebuild and compare with the committed file.

This module imports pycountry; the query path never imports it.
"""

from __future__ import annotations

import csv
import datetime
import json
import re
from pathlib import Path
from typing import Any

from amparo.commitments.catalogue import Catalogue, load_catalogue
from amparo.commitments.names import SPECIAL_PARTICIPANTS, code_for_source_name
from amparo.commitments.rules import denunciation_effective
from amparo.errors import DataError

FORMAT = 1
ACT_KINDS = ("ratification", "accession", "succession", "acceptance", "approval", "formal confirmation")
CSV_COLUMNS = ["instrument", "state", "signature_date", "action", "action_date", "source", "status_as_at"]
EVENT_COLUMNS = ["instrument", "state", "event", "notified_date", "effective_date", "detail", "source"]

#: ISO 3166-1 entries that are not UN Member States (territories, and the two observer States and
#: two associated States, which are listed as special participants instead).
NOT_UN_MEMBERS = frozenset(
    "ABW AIA ALA ASM ATA ATF BES BLM BMU BVT CCK COK CUW CXR CYM ESH FLK FRO GGY GIB GLP GRL GUF GUM "
    "HKG HMD IMN IOT JEY MAC MAF MNP MSR MTQ MYT NCL NFK NIU PCN PRI PSE PYF REU SGS SHN SJM SPM SXM "
    "TCA TKL TWN UMI VAT VGB VIR WLF".split()
)

_EIF_NOTE = re.compile(r"entry into force for this State per source: (\d{4}-\d{2}-\d{2})")
_DENOUNCED_ACT = re.compile(r"denunciation of the (ratification|accession|succession) of (\d{4}-\d{2}-\d{2})")


def _where(path: Path, line: int) -> str:
    return f"{path.name} line {line}"


def parse_day(text: str, where: str, field: str) -> tuple[str, str | None]:
    """A source date as (earliest, latest-or-None); a bare year gives the year's first and last day."""
    text = text.strip()
    if re.fullmatch(r"\d{4}", text):
        return f"{text}-01-01", f"{text}-12-31"
    try:
        return datetime.date.fromisoformat(text).isoformat(), None
    except ValueError:
        raise DataError(
            f"{where}: {field} {text!r} is not a date; expected YYYY-MM-DD (or a bare year YYYY)"
        ) from None


def parse_status_as_at(text: str, where: str) -> str:
    """The latest date the data is known complete to: the lower bound of a range, a year's 1 January."""
    match = re.match(r"\s*(?:between\s+)?(\d{4}-\d{2}-\d{2})", text)
    if match:
        return match.group(1)
    match = re.match(r"\s*(\d{4})\b", text)
    if match:
        return f"{match.group(1)}-01-01"
    raise DataError(f"{where}: status_as_at {text!r} holds no date; expected YYYY-MM-DD")


def parse_action(action: str, where: str) -> tuple[str | None, str | None, str | None]:
    """Split a source's action cell into (act kind or None for a signature, EIF override, note)."""
    text = action.strip()
    if not text:
        return None, None, None
    note = None
    bracket = re.search(r"\s*[\[(](.*)[\])]\s*$", text)
    if bracket:
        note = bracket.group(1)
        text = text[: bracket.start()].strip()
    if text.startswith("signature"):
        return None, None, note
    if text not in ACT_KINDS:
        raise DataError(f"{where}: action {action!r} is not one of: {', '.join(ACT_KINDS)} (or empty for a signature)")
    eif = _EIF_NOTE.search(note or "")
    return text, (eif.group(1) if eif else None), note


def _resolve(name: str, where: str) -> str:
    code = code_for_source_name(name)
    if code is None:
        raise DataError(
            f"{where}: participant {name!r} maps to no ISO 3166-1 code; add its spelling to "
            "SOURCE_SPELLINGS in amparo/commitments/names.py"
        )
    return code


def _read_instrument(path: Path, instrument_id: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    meta: dict[str, Any] = {}
    participants: dict[str, dict[str, Any]] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != CSV_COLUMNS:
            raise DataError(f"{path.name}: columns are {reader.fieldnames}; expected {CSV_COLUMNS}")
        for line, row in enumerate(reader, start=2):
            where = _where(path, line)
            if row["instrument"] != instrument_id:
                raise DataError(f"{where}: instrument {row['instrument']!r} in the file for {instrument_id}")
            if not meta:
                meta = {
                    "source": row["source"],
                    "status_as_at": parse_status_as_at(row["status_as_at"], where),
                    "status_as_at_text": row["status_as_at"],
                    "partial": "PARTIAL" in row["source"],
                }
            elif row["status_as_at"] != meta["status_as_at_text"]:
                raise DataError(f"{where}: status_as_at {row['status_as_at']!r} differs from the file's first row")
            code = _resolve(row["state"], where)
            if code in participants:
                raise DataError(f"{where}: {row['state']!r} ({code}) appears twice in {path.name}")
            kind, eif, note = parse_action(row["action"], where)
            entry: dict[str, Any] = {"state": code, "name_in_source": row["state"]}
            if row["signature_date"]:
                entry["signed"] = parse_day(row["signature_date"], where, "signature_date")[0]
            if note and kind is None:
                entry["signature_note"] = note
            entry["acts"] = []
            if kind is not None:
                if not row["action_date"]:
                    raise DataError(f"{where}: action {kind!r} has no action_date")
                deposited, latest = parse_day(row["action_date"], where, "action_date")
                act: dict[str, Any] = {"kind": kind, "deposited": deposited}
                if latest:
                    act["deposited_latest"] = latest
                if eif:
                    act["in_force_from"] = eif
                if note:
                    act["note"] = note
                entry["acts"].append(act)
            elif row["action_date"]:
                raise DataError(f"{where}: action_date {row['action_date']!r} without an action")
            if row["source"] != meta["source"]:
                entry["source"] = row["source"]
            participants[code] = entry
    if not meta:
        raise DataError(f"{path.name}: no rows")
    return meta, participants


def _apply_events(path: Path, catalogue: Catalogue, data: dict[str, dict[str, Any]]) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != EVENT_COLUMNS:
            raise DataError(f"{path.name}: columns are {reader.fieldnames}; expected {EVENT_COLUMNS}")
        for line, row in enumerate(reader, start=2):
            where = _where(path, line)
            inst = catalogue.by_id.get(row["instrument"])
            if inst is None or row["instrument"] not in data:
                raise DataError(f"{where}: unknown instrument {row['instrument']!r}")
            code = _resolve(row["state"], where)
            participants = data[row["instrument"]]["participants"]
            entry = participants.setdefault(code, {"state": code, "name_in_source": row["state"], "acts": []})
            notified = parse_day(row["notified_date"], where, "notified_date")[0] if row["notified_date"] else None
            effective = parse_day(row["effective_date"], where, "effective_date")[0] if row["effective_date"] else None
            event, detail, source = row["event"], row["detail"], row["source"]
            if event.startswith("declaration_"):
                entry.setdefault("declarations", []).append(
                    {"event": event, "notified": notified, "effective": effective, "detail": detail, "source": source}
                )
            elif event == "denunciation":
                if notified is None:
                    raise DataError(f"{where}: a denunciation needs its notified_date")
                basis = "source"
                if effective is None:
                    computed = denunciation_effective(inst.denunciation_rule, datetime.date.fromisoformat(notified))
                    if computed is None:
                        raise DataError(
                            f"{where}: denunciation of {inst.id} has no effective_date and the catalogue gives "
                            "no denunciation rule to compute it"
                        )
                    effective, basis = computed.isoformat(), "rule"
                named = _DENOUNCED_ACT.search(detail)
                if named and not any(a["deposited"] == named.group(2) for a in entry["acts"]):
                    # The end note names an earlier act the participants table no longer shows.
                    entry["acts"].append(
                        {"kind": named.group(1), "deposited": named.group(2), "note": "named in the denunciation end note", "source": source}
                    )
                entry.setdefault("denunciations", []).append(
                    {"notified": notified, "effective": effective, "effective_basis": basis, "detail": detail, "source": source}
                )
            elif event == "re-accession":
                if notified is None:
                    raise DataError(f"{where}: a re-accession needs its notified_date")
                same = [a for a in entry["acts"] if a["deposited"] == notified]
                act = same[0] if same else {"kind": "accession", "deposited": notified, "source": source}
                act["reaccession"] = True
                act["note"] = detail
                if effective:
                    act["in_force_from"] = effective
                if not same:
                    entry["acts"].append(act)
            elif event == "withdrawal_notification_not_given_effect":
                entry.setdefault("notes", []).append({"date": notified, "detail": detail, "source": source})
            else:
                raise DataError(f"{where}: unknown event {event!r}")
            entry["acts"].sort(key=lambda a: a["deposited"])


def states_table() -> list[list[Any]]:
    """Every ISO 3166-1 country plus the special participants: [alpha3, alpha2, name, aliases, un_member]."""
    import pycountry

    rows: dict[str, list[Any]] = {}
    for country in pycountry.countries:
        aliases = sorted({getattr(country, "official_name", None), getattr(country, "common_name", None)} - {None, country.name})
        rows[country.alpha_3] = [country.alpha_3, country.alpha_2, country.name, aliases, country.alpha_3 not in NOT_UN_MEMBERS]
    for code, (name, _kind) in SPECIAL_PARTICIPANTS.items():
        row = rows.setdefault(code, [code, None, name, [], False])
        if row[2] != name:
            row[3] = sorted(set(row[3]) | {row[2]})
            row[2] = name
    from amparo.commitments.names import COMMON_NAMES, SOURCE_SPELLINGS

    for spelling, code in (SOURCE_SPELLINGS | COMMON_NAMES).items():
        if spelling != rows[code][2] and spelling not in rows[code][3]:
            rows[code][3] = sorted(set(rows[code][3]) | {spelling})
    return [rows[code] for code in sorted(rows)]


def build(source_dir: Path, catalogue: Catalogue | None = None) -> str:
    """Return the text of participation.json built from ``source_dir``.

    Raises:
        DataError: a file is missing, or a row is malformed (the message names file and line).
    """
    catalogue = catalogue or load_catalogue()
    source_dir = Path(source_dir)
    data: dict[str, dict[str, Any]] = {}
    for inst in catalogue.instruments:
        path = source_dir / f"{inst.id}.csv"
        if not path.is_file():
            raise DataError(f"{path}: missing; every catalogue instrument needs its CSV in {source_dir}")
        meta, participants = _read_instrument(path, inst.id)
        data[inst.id] = {**meta, "file": path.name, "participants": participants}
    events = source_dir / "events.csv"
    if events.is_file():
        _apply_events(events, catalogue, data)
        _check_denunciations(events, data)
    return dump(data, states_table())


def _check_denunciations(path: Path, data: dict[str, dict[str, Any]]) -> None:
    """Every denunciation must end an act deposited before it was notified."""
    for inst_id, block in data.items():
        for code, entry in block["participants"].items():
            for den in entry.get("denunciations", ()):
                if not any(act["deposited"] < den["notified"] for act in entry["acts"]):
                    raise DataError(
                        f"{path.name}: {inst_id} {entry['name_in_source']!r} ({code}) denounced on {den['notified']} "
                        "but no earlier ratification, accession or succession is known; add the act it ends"
                    )


CATALOGUE_FIELDS = (
    "id", "short_name", "aliases", "title", "untc_reference", "normlex_id", "parent", "adopted",
    "entry_into_force", "eif_rule", "eif_article", "denunciation_rule", "denunciation_article",
    "complaint_procedure", "complaint", "open_to_organisations", "declared_parties", "later_joiners", "line",
)


def catalogue_json(catalogue: Catalogue | None = None) -> str:
    """The text of catalogue.json: the checked YAML catalogue, so that loading needs no YAML parser."""
    catalogue = catalogue or load_catalogue()
    rows = []
    for inst in catalogue.instruments:
        row: dict[str, Any] = {}
        for key in CATALOGUE_FIELDS:
            value = getattr(inst, key)
            if isinstance(value, datetime.date):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = list(value)
            row[key] = value
        rows.append(row)
    body = ",\n".join(json.dumps(r, ensure_ascii=False, sort_keys=True, separators=(",", ":")) for r in rows)
    return '{"format":%d,"generated_from":"instruments.yaml","instruments":[\n%s]}\n' % (FORMAT, body)


def dump(data: dict[str, dict[str, Any]], states: list[list[Any]]) -> str:
    """Deterministic JSON: one participant or State per line so that changes read well in a diff."""
    enc = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode
    out = ['{"format":%d,' % FORMAT, '"states":[']
    out.append(",\n".join(enc(row) for row in states))
    out.append('],\n"instruments":{')
    blocks = []
    for inst_id in sorted(data):
        block = data[inst_id]
        head = {k: v for k, v in block.items() if k != "participants"}
        lines = ",\n".join(enc(block["participants"][code]) for code in sorted(block["participants"]))
        blocks.append(f"{enc(inst_id)}:{{\"meta\":{enc(head)},\n\"participants\":[\n{lines}]}}")
    out.append(",\n".join(blocks))
    out.append("}}\n")
    return "".join(out)
