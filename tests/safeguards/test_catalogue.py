"""The shipped catalogue covers PRODUCT.md §6, and a malformed catalogue fails with file and line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from amparo.commitments import load as load_commitments
from amparo.errors import InvalidInput
from amparo.safeguards import load, load_catalogue
from amparo.safeguards.catalogue import DEFAULT_PATH


def test_catalogue_has_a_version_and_every_safeguard_has_sources_events_and_checks() -> None:
    catalogue = load_catalogue()
    assert catalogue.version
    for safeguard in catalogue.safeguards.values():
        assert safeguard.checks and safeguard.spec.applies_to
        assert safeguard.citations or safeguard.spec.platform_policy


def test_every_safeguard_of_product_section_6_is_in_the_catalogue_with_its_instruments(shared_data: Path) -> None:
    product = (shared_data.parent / "docs" / "PRODUCT.md").read_text(encoding="utf-8")
    section = product.split("## 6.", 1)[1].split("\n## ", 1)[0]
    rows = [r for r in re.findall(r"^\| ([a-z-]+) \| [^|]+ \| ([^|]+) \|$", section, flags=re.M) if r[0] != "id"]
    assert len(rows) >= 11
    catalogue = load_catalogue()
    commitments = load_commitments()
    for safeguard_id, sources in rows:
        assert safeguard_id in catalogue.safeguards, safeguard_id
        cited = " ".join(catalogue.safeguards[safeguard_id].citations)
        for instrument in ("ICCPR", "ICRMW", "CAT", "CRC", "VCCR", "1951 Convention", "ILO C189", "Trafficking Protocol"):
            if instrument in sources:
                assert instrument in cited, f"{safeguard_id} does not cite {instrument}"
        for symbol in re.findall(r"A/\d+/\d+", sources):
            assert symbol in cited, f"{safeguard_id} does not cite {symbol}"
        for source in catalogue.safeguards[safeguard_id].treaty_sources:
            commitments.instrument(source.instrument)  # raises if the commitments engine does not know it


def _bad(tmp_path: Path, old: str, new: str) -> Path:
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "catalogue.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("old", "new", "needle", "words"),
    [
        ("{fact: reasons, test: present,", "{fact: reason, test: present,", "fact: reason,", "unknown fact 'reason'"),
        ("applies_to: [removal_order]", "applies_to: [removal]", "applies_to: [removal]", "unknown event 'removal'"),
        ("test: each_true", "test: each_truthy", "test: each_truthy", "Input should be"),
        ("- id: privacy", "- id: written-reasons", "- id: written-reasons\n", "is used twice"),
        ("        field: best_interests_assessed\n", "", "- fact: children", "needs `field`"),
        ("{instrument: CAT, article: \"art. 3\"}", "{instrument: CAT}", "{instrument: CAT}", "a treaty source needs `article`"),
    ],
)
def test_malformed_catalogue_names_file_and_line(tmp_path: Path, old: str, new: str, needle: str, words: str) -> None:
    path = _bad(tmp_path, old, new)
    with pytest.raises(InvalidInput) as caught:
        load_catalogue(path)
    message = caught.value.message
    assert str(path) in message and words in message, message
    expected_line = _line(path, needle.rstrip("\n")) if needle != "- id: written-reasons\n" else None
    if expected_line is None:  # the duplicate id: the second occurrence is the one reported
        lines = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if "- id: written-reasons" in line]
        expected_line = lines[1]
    assert f"line {expected_line}" in message, message


def test_an_instrument_unknown_to_the_commitments_engine_fails_at_load(tmp_path: Path) -> None:
    path = _bad(tmp_path, "{instrument: CAT, article: \"art. 3\"}", "{instrument: CATT, article: \"art. 3\"}")
    with pytest.raises(InvalidInput) as caught:
        load(path)
    assert f"line {_line(path, 'CATT')}" in caught.value.message
    assert "does not know the instrument 'CATT'" in caught.value.message


def test_describe_separates_binding_sources_from_recommendations() -> None:
    described = {d["id"]: d for d in load_catalogue().describe()}
    assert described["no-employer-gate"]["binding_sources"] == []
    assert described["no-employer-gate"]["sources"] == ["A/59/377 para 65", "A/65/222 para 77(d)"]
    assert "ICRMW art. 22(1)" in described["individual-decision"]["binding_sources"]
    assert described["supervisor-sign-off"]["platform_policy"] is True
