"""The intake CSV format without a database: the documented reference, headers, streaming, and the
synthetic applicants the demo and the benchmark file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from amparo.errors import InvalidInput
from amparo.intake import format as fmt
from amparo.intake.parse import Context, IntakeRow, Problem, Source, validate
from amparo.intake.synthetic import rows as synthetic_rows
from amparo.programmes import EVIDENCE_KINDS, load_example
from intake_support import GOOD, row, write

CTX = Context(programme_id="col-etpv-2021", jurisdiction="COL", today=dt.date(2026, 1, 10))


def test_the_reference_documents_every_column_and_the_report():
    text = fmt.reference()
    for column in fmt.COLUMNS:
        assert f"| `{column.name}` | {'yes' if column.required else 'no'} |" in text
    for column in fmt.REPORT_COLUMNS:
        assert f"`{column}`" in text
    assert "kind:date" in text and "already imported" in text


def test_the_documented_examples_make_a_valid_row():
    example = {c.name: c.example for c in fmt.COLUMNS}
    example["consent_statement"] = "I agree that this site files my application."
    checked = validate(2, example, CTX)
    assert isinstance(checked, IntakeRow), checked
    assert checked.key == "csv:cucuta-terminal:F-000123"


def test_header_problems_are_named_together(tmp_path: Path):
    path = write(tmp_path / "h.csv", [GOOD], columns=tuple(c for c in fmt.COLUMN_NAMES if c != "filed_on") + ("fecha",))
    with pytest.raises(InvalidInput) as error:
        list(Source(path))
    assert "missing required column(s) filed_on" in error.value.message and "unknown column(s) 'fecha'" in error.value.message


def test_rows_are_numbered_as_a_spreadsheet_shows_them_and_blank_lines_are_skipped(tmp_path: Path):
    path = write(tmp_path / "n.csv", [row(row_id="A"), row(row_id="B", address="line one\nline two"), row(row_id="C")])
    text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
    path.write_text("\ufeff" + text + "\n,,,\n", encoding="utf-8")  # a byte-order mark and a trailing empty row
    numbered = [(number, cells["row_id"]) for number, cells in Source(path)]
    assert numbered == [(2, "A"), (3, "B"), (4, "C")]


def test_a_row_with_more_cells_than_the_header_is_rejected_not_truncated(tmp_path: Path):
    path = tmp_path / "x.csv"
    write(path, [GOOD])
    path.write_text(path.read_text(encoding="utf-8").rstrip("\r\n") + ",surplus\r\n", encoding="utf-8")
    [(number, cells)] = list(Source(path))
    result = validate(number, cells, CTX)
    assert isinstance(result, list) and [(p.row, p.column, p.value) for p in result] == [(2, "row", "1")]


@pytest.mark.parametrize(
    ("changes", "column", "value"),
    [
        ({"filed_on": "2026-01-11"}, "filed_on", "2026-01-11"),  # the day after today
        ({"evidence": "utility_bill 2020-01-01"}, "evidence", "utility_bill 2020-01-01"),
        ({"declares_no_disqualifying_record": "maybe"}, "declares_no_disqualifying_record", "maybe"),
        ({"id_document_kind": "library_card"}, "id_document_kind", "library_card"),
        ({"languages": "Spanish"}, "languages", "Spanish"),
        ({"consent_statement": ""}, "consent_statement", ""),
        ({"site": "cúcuta terminal"}, "site", "cúcuta terminal"),
    ],
)
def test_each_bad_cell_is_named_with_its_value(changes: dict[str, str], column: str, value: str):
    result = validate(7, row(**changes), CTX)
    assert isinstance(result, list)
    assert [(p.row, p.column, p.value) for p in result] == [(7, column, value)], result
    assert all(isinstance(p, Problem) and p.expected and p.message for p in result)


def test_today_itself_is_accepted_and_a_site_form_wording_fills_an_empty_statement():
    checked = validate(2, row(filed_on="2026-01-10", consent_given_on="2026-01-10", evidence="utility_bill:2026-01-10", consent_statement=""),
                       Context(**{**CTX.__dict__, "consent_text": "The printed consent form of the site, version 3."}))
    assert isinstance(checked, IntakeRow), checked
    assert checked.application.on_behalf_of is not None
    assert checked.application.on_behalf_of.consent.statement == "The printed consent form of the site, version 3."


def test_synthetic_applicants_are_valid_rows_with_names_from_several_scripts():
    programme = load_example("col-etpv-2021")
    produced = list(synthetic_rows(programme, 400, seed=5, today=dt.date(2026, 1, 10)))
    checked = [validate(i + 2, cells, CTX) for i, cells in enumerate(produced)]
    assert all(isinstance(c, IntakeRow) for c in checked), [c for c in checked if not isinstance(c, IntakeRow)][:3]
    assert len({c.key for c in checked}) == 400  # type: ignore[union-attr]
    names = " ".join(cells["given_names"] for cells in produced)
    assert any("\u0600" <= ch <= "\u06ff" for ch in names)  # Arabic script
    assert any(ch in "ãõç" for ch in names.lower())  # Portuguese
    kinds = {item.split(":")[0] for cells in produced for item in cells["evidence"].split(";") if item}
    assert kinds <= set(EVIDENCE_KINDS) and len(kinds) > 3
    assert list(synthetic_rows(programme, 5, seed=5, today=dt.date(2026, 1, 10))) == produced[:5]
