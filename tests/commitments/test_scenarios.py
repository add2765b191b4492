"""Rule scenarios: readable YAML files of (State, instrument, date) -> status, run on the shipped data.

Each entry-into-force rule in the catalogue must have a scenario file with, for an instrument that
uses it, the day before and the day of a State's entry into force.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
import yaml

from amparo.commitments import load

SCENARIOS = Path(__file__).parent / "scenarios"


def _cases() -> list[tuple[str, dict]]:
    out = []
    for path in sorted(SCENARIOS.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for number, case in enumerate(doc["cases"], start=1):
            out.append((f"{path.stem}#{number}", case))
    return out


CASES = _cases()


@pytest.mark.parametrize("case", [c for _, c in CASES], ids=[i for i, _ in CASES])
def test_scenario(case: dict) -> None:
    answer = load().status(case["state"], case["instrument"], case["date"])
    assert answer.status == case["expect"], f"{case}: got {answer.status}: {answer.reason}"
    if "reason_contains" in case:
        assert case["reason_contains"] in answer.reason
    assert answer.source, "every answer names its source"


def test_every_entry_into_force_rule_has_a_day_before_and_day_of_scenario() -> None:
    engine = load()
    covered: set[str] = set()
    for path in sorted(SCENARIOS.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        if "rule" not in doc:
            continue
        rule = doc["rule"]
        by_key: dict[tuple[str, str], dict[datetime.date, str]] = {}
        for case in doc["cases"]:
            inst = engine.instrument(case["instrument"])
            assert inst.eif_rule == rule, f"{path.name}: {inst.id} does not use {rule}"
            by_key.setdefault((engine.resolve_state(case["state"]), inst.id), {})[case["date"]] = case["expect"]
        for days in by_key.values():
            for day, expect in days.items():
                before = days.get(day - datetime.timedelta(days=1))
                if expect == "binding" and before == "not_binding":
                    covered.add(repr(sorted(rule.items())))
    needed = {repr(sorted(i.eif_rule.items())) for i in engine.instruments()}
    assert needed - covered == set(), f"rules without a boundary scenario: {needed - covered}"
