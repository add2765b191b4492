"""The evaluation as a value: replayable, serialisable, deterministic, and in the API's 409 shape."""

from __future__ import annotations

import datetime
import json

import pytest

from amparo.errors import InvalidInput
from amparo.safeguards import Evaluation, EventFacts, default_engine, evaluate

REFUSAL_WITHOUT_REASONS = EventFacts(
    outcome="refuse",
    decision_language="es",
    person_languages=("es",),
    appeal={"how": "Recurso ante la DNM", "deadline": datetime.date(2008, 2, 1)},
    individually_assessed=True,
    children=({"ref": "c1", "best_interests_assessed": True},),
)


def test_refusal_without_reasons_blocks_with_the_issue_shape() -> None:
    evaluation = evaluate("decision:refuse", "ARG", datetime.date(2008, 1, 10), REFUSAL_WITHOUT_REASONS)
    assert not evaluation.ok
    details = {d["safeguard"]: d for d in evaluation.blocking_details()}
    assert set(details) == {"written-reasons", "supervisor-sign-off"}
    written = details["written-reasons"]
    assert set(written) == {"safeguard", "status", "sources", "missing"}
    assert written["status"] == "binding"
    assert {"ICCPR art. 2(3)", "ICCPR art. 13", "ICRMW art. 22(3)"} <= set(written["sources"])
    assert written["missing"] == "the reasons for the decision, in writing"
    assert details["supervisor-sign-off"]["status"] == "adopted"


def test_evaluation_records_date_version_and_facts_and_round_trips_through_json() -> None:
    engine = default_engine()
    on = datetime.date(2007, 6, 1)
    evaluation = engine.evaluate("removal_order", "Argentina", on, REFUSAL_WITHOUT_REASONS, {"no-employer-gate"})
    assert evaluation.jurisdiction == "ARG"
    assert evaluation.evaluated_on == on
    assert evaluation.rules_version == engine.catalogue.version
    assert evaluation.facts["appeal"]["deadline"] == "2008-02-01"
    text = json.dumps(evaluation.to_dict())
    again = Evaluation.from_dict(json.loads(text))
    assert again == evaluation
    assert again.to_dict() == evaluation.to_dict()


def test_replay_of_a_recorded_evaluation_gives_the_same_outcome() -> None:
    engine = default_engine()
    recorded = engine.evaluate("decision:refuse", "COL", datetime.date(2021, 9, 1), REFUSAL_WITHOUT_REASONS).to_dict()
    replayed = engine.replay(json.loads(json.dumps(recorded)))
    assert replayed.to_dict() == recorded


def test_replay_uses_the_recorded_date_not_today() -> None:
    engine = default_engine()
    before_icrmw = engine.evaluate("decision:refuse", "ARG", datetime.date(2007, 5, 31), {"individually_assessed": False})
    replayed = engine.replay(before_icrmw)
    assert replayed.result("individual-decision").status == "recommended"
    assert replayed.evaluated_on == datetime.date(2007, 5, 31)


def test_facts_given_as_a_mapping_or_a_model_evaluate_the_same() -> None:
    on = datetime.date(2010, 1, 1)
    as_model = evaluate("decision:refuse", "ARG", on, REFUSAL_WITHOUT_REASONS)
    as_mapping = evaluate("decision:refuse", "ARG", on, REFUSAL_WITHOUT_REASONS.model_dump())
    assert as_model == as_mapping


def test_evaluate_only_returns_safeguards_of_the_event() -> None:
    evaluation = evaluate("detention", "ARG", datetime.date(2010, 1, 1))
    ids = {r.safeguard for r in evaluation.results}
    assert "consular-notification" in ids
    assert "written-reasons" not in ids
    with pytest.raises(KeyError):
        evaluation.result("written-reasons")


def test_a_datetime_is_not_a_decision_date() -> None:
    with pytest.raises(InvalidInput, match="must be a date"):
        evaluate("decision:refuse", "ARG", datetime.datetime(2010, 1, 1, 12, 0))


def test_recommendations_never_make_a_safeguard_binding_even_where_every_treaty_binds() -> None:
    evaluation = evaluate("programme_design", "ARG", datetime.date(2020, 1, 1), {"employer_gate": True, "fee_without_waiver": True})
    for safeguard in ("no-employer-gate", "fee-waiver"):
        result = evaluation.result(safeguard)
        assert result.status == "recommended" and not result.met and not result.blocking
        assert result.bound_by == ()
