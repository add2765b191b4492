"""Loading programme documents: a malformed one fails naming its file, line and what was expected."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from amparo.errors import InvalidInput, NotFound
from amparo.programmes import example_paths, load_example, load_programme, parse_programme, read_programme, version_on

HERE = Path(__file__).parent
GOOD = HERE / "programmes" / "fixture-adult-workers.yaml"


def _mutated(tmp_path: Path, old: str, new: str) -> Path:
    text = GOOD.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "mutated.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_shipped_examples_load_and_cite_their_legal_basis() -> None:
    paths = example_paths()
    assert paths
    for path in paths:
        programme = load_programme(path)
        assert programme.legal_basis and all(b.title for b in programme.legal_basis)
    colombia = load_example("col-etpv-2021")
    assert colombia.jurisdiction == "COL"
    assert colombia.eligibility.presence is not None
    assert colombia.eligibility.presence.before == datetime.date(2021, 1, 31)
    assert any("Decreto 216 de 2021" in b.title for b in colombia.legal_basis)


def test_unknown_example_is_not_found() -> None:
    with pytest.raises(NotFound, match="col-etpv-2021"):
        load_example("no-such-programme")


def test_malformed_fixture_names_file_line_field_and_value() -> None:
    path = HERE / "programmes" / "malformed-age.yaml"
    with pytest.raises(InvalidInput) as caught:
        load_programme(path)
    message = caught.value.message
    assert str(path) in message
    assert f"line {_line_of(path, 'eighteen')}, eligibility.age.min" in message
    assert "'eighteen'" in message and "integer" in message
    assert caught.value.details[0]["line"] == _line_of(path, "eighteen")


@pytest.mark.parametrize(
    ("old", "new", "needle", "words"),
    [
        ("evidence_any_of:", "evidence_any_off:", "evidence_any_off", "not known here"),
        ("closes: 2008-05-31", "closes: 2006-01-31", "window:", "closes (2006-01-31) before it opens"),
        ("max: 64", "max: 12", "  age:", "age max (12) is below min (18)"),
        ("currency: ARS", "currency: pesos", "currency: pesos", "should match pattern"),
        ("[BOL, BRA,", "[BOL, XXX,", "[BOL, XXX,", "'XXX' is not an ISO 3166-1 alpha-3 country code"),
        ("safeguards_adopted: [no-employer-gate]", "safeguards_adopted: [no-employer-gates]", "no-employer-gates", "unknown safeguard 'no-employer-gates'"),
        ("rental_contract, school", "tenancy, school", "tenancy", "Input should be"),
        ("months: 24", "months: 24\n    until: 2009-01-01", "length:", "exactly one of `months` or `until`"),
    ],
)
def test_malformed_documents_point_at_the_line(tmp_path: Path, old: str, new: str, needle: str, words: str) -> None:
    path = _mutated(tmp_path, old, new)
    with pytest.raises(InvalidInput) as caught:
        load_programme(path)
    message = caught.value.message
    assert str(path) in message
    assert words in message
    assert f"line {_line_of(path, needle)}" in message, message


def test_missing_required_field_is_named(tmp_path: Path) -> None:
    path = _mutated(tmp_path, "decision_deadline_days: 90\n", "")
    with pytest.raises(InvalidInput, match=r"decision_deadline_days: this field is required but missing"):
        load_programme(path)


def test_duplicate_key_is_refused_with_both_lines(tmp_path: Path) -> None:
    path = _mutated(tmp_path, "appeal_period_days: 30", "appeal_period_days: 30\nappeal_period_days: 60")
    with pytest.raises(InvalidInput) as caught:
        load_programme(path)
    first, second = _line_of(path, "appeal_period_days: 30"), _line_of(path, "appeal_period_days: 60")
    assert f"line {second}: the key 'appeal_period_days' appears twice (first at line {first})" in caught.value.message


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = _mutated(tmp_path, "title: Test fixture", "title: [unclosed")
    with pytest.raises(InvalidInput, match=r"mutated.yaml, line \d+: this is not valid YAML"):
        load_programme(path)


@pytest.mark.parametrize(("text", "words"), [("", "is empty"), ("- a\n- b\n", "expected a YAML mapping")])
def test_documents_that_are_not_mappings(text: str, words: str) -> None:
    with pytest.raises(InvalidInput, match=words):
        parse_programme(text, "upload.yaml")


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        load_programme(tmp_path / "nope.yaml")


def test_source_keeps_the_line_of_each_field() -> None:
    source = read_programme(GOOD)
    assert source.line_of("fee", "waivers") == _line_of(GOOD, "waivers:")
    assert source.line_of("eligibility", "age", "max") == _line_of(GOOD, "max: 64")
    # A path absent from the file falls back to its nearest ancestor: here the document itself.
    assert source.line_of("family", "child_max_age") == _line_of(GOOD, "id: fixture-adult-workers")


def test_version_on_picks_the_latest_version_in_effect() -> None:
    base = load_programme(GOOD)
    v3 = base.model_copy(update={"version": 3, "effective_from": datetime.date(2007, 1, 1)})
    versions = [base, v3]
    assert version_on(versions, datetime.date(2006, 12, 31)).version == base.version
    assert version_on(versions, datetime.date(2007, 1, 1)).version == 3
    with pytest.raises(NotFound, match="2006-04-17"):
        version_on(versions, datetime.date(2006, 4, 16))
    with pytest.raises(InvalidInput, match="same version number"):
        version_on([base, base], datetime.date(2007, 1, 1))
