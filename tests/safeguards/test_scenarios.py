"""Safeguard scenarios from the readable YAML files in ``scenarios/``, on the real treaty data.

Each scenario names an event, a State, a date and the facts (shallowly merged over the file's
defaults) and states, per safeguard, the expected status, whether it is met, which instruments bind,
the sources and the exact words of what is missing; ``expect_blocking`` is the exact set of blocking
safeguards. Dates sit on the day before and the day of each State becoming bound.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from amparo.errors import InvalidInput
from amparo.safeguards import default_engine

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.yaml"))


def _cases() -> list[Any]:
    cases = []
    for path in SCENARIOS:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for scenario in doc["scenarios"]:
            cases.append(pytest.param(doc.get("defaults", {}), scenario, id=f"{path.stem}: {scenario['name']}"))
    return cases


@pytest.mark.parametrize(("defaults", "scenario"), _cases())
def test_scenario(defaults: dict[str, Any], scenario: dict[str, Any]) -> None:
    event = scenario.get("event", defaults.get("event"))
    state = scenario.get("jurisdiction", defaults.get("jurisdiction"))
    facts = {**defaults.get("facts", {}), **scenario.get("facts", {})}
    adopted = frozenset(scenario.get("adopted", defaults.get("adopted", [])))
    engine = default_engine()

    if "expect_error" in scenario:
        with pytest.raises(InvalidInput) as caught:
            engine.evaluate(event, state, scenario["date"], facts, adopted)
        assert scenario["expect_error"] in caught.value.message
        return

    evaluation = engine.evaluate(event, state, scenario["date"], facts, adopted)
    for safeguard, expected in scenario["expect"].items():
        got = evaluation.result(safeguard)
        context = f"{safeguard}: {got.to_dict()}"
        if "status" in expected:
            assert got.status == expected["status"], context
        if "met" in expected:
            assert got.met is expected["met"], context
        if "bound_by" in expected:
            assert [b.instrument for b in got.bound_by] == expected["bound_by"], context
        if "sources" in expected:
            assert list(got.sources) == expected["sources"], context
        if "missing" in expected:
            assert list(got.missing) == expected["missing"], context
        if "reason_includes" in expected:
            assert any(expected["reason_includes"] in b.reason for b in got.bound_by), context
        if "note_includes" in expected:
            assert any(expected["note_includes"] in n for n in got.notes), context
        if "note_excludes" in expected:
            assert not any(expected["note_excludes"] in n for n in got.notes), context
    if "expect_blocking" in scenario:
        assert sorted(r.safeguard for r in evaluation.blocking) == sorted(scenario["expect_blocking"])
