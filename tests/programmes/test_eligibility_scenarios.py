"""Eligibility pre-assessment scenarios, read from the readable YAML files in ``scenarios/``.

Each scenario gives a person and their evidence (shallowly merged over the file's defaults) and the
expected outcome for some criteria; the reason, overall outcome or error are checked when given.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from amparo.errors import InvalidInput
from amparo.programmes import Programme, assess, load_example, load_programme

HERE = Path(__file__).parent
SCENARIOS = sorted((HERE / "scenarios").glob("*.yaml"))


def _programme(ref: str) -> Programme:
    if ref.startswith("example:"):
        return load_example(ref.removeprefix("example:"))
    return load_programme(HERE / "programmes" / ref)


def _cases() -> list[Any]:
    cases = []
    for path in SCENARIOS:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for scenario in doc["scenarios"]:
            cases.append(pytest.param(doc, scenario, id=f"{path.stem}: {scenario['name']}"))
    return cases


@pytest.mark.parametrize(("doc", "scenario"), _cases())
def test_scenario(doc: dict[str, Any], scenario: dict[str, Any]) -> None:
    defaults = doc.get("defaults", {})
    person = {**defaults.get("person", {}), **scenario.get("person", {})}
    evidence = scenario.get("evidence", defaults.get("evidence", []))
    filed_on: datetime.date = scenario.get("filed_on", defaults.get("filed_on"))
    programme = _programme(doc["programme"])

    if "expect_error" in scenario:
        with pytest.raises(InvalidInput) as caught:
            assess(programme, person, evidence, filed_on)
        assert scenario["expect_error"] in caught.value.message
        return

    assessment = assess(programme, person, evidence, filed_on)
    got = {r.criterion: r.outcome for r in assessment.results}
    for criterion, outcome in scenario.get("expect", {}).items():
        assert got[criterion] == outcome, f"{criterion}: {assessment.result(criterion).reason}"
    for criterion, words in scenario.get("expect_reason", {}).items():
        assert words in assessment.result(criterion).reason
    if "expect_overall" in scenario:
        assert assessment.overall == scenario["expect_overall"]


def test_every_scenario_file_names_a_loadable_programme_and_has_scenarios() -> None:
    assert SCENARIOS, "no scenario files found"
    for path in SCENARIOS:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert doc["scenarios"], path
        _programme(doc["programme"])
