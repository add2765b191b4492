"""The reducer: a pure fold of the journal; transitions refused where the state forbids them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from amparo.cases import actions
from amparo.cases.reducer import ActionEvent, InvalidTransition, apply, missing_branches, replay
from amparo.cases.schemas import CaseStatus
from amparo.errors import DataError, InvalidInput
from amparo.validation import validate

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def journal(*steps: tuple[str, dict]) -> list[ActionEvent]:
    opened = ActionEvent("case_opened", {"kind": "regularization", "jurisdiction_code": "ARG", "person_id": 7}, 1, T0, 1, "caseworker")
    events = [opened]
    for seq, (type_, payload) in enumerate(steps, start=2):
        events.append(ActionEvent(type_, payload, seq, T0 + timedelta(hours=seq), 2, "supervisor"))
    return events


def test_every_registered_action_type_has_a_reducer_branch():
    assert missing_branches() == []


def test_opening_gives_an_open_unassigned_case_at_version_one():
    state = replay(journal())
    assert (state.version, state.status, state.assigned_user_id, state.person_id) == (1, CaseStatus.OPEN, None, 7)


def test_information_request_sets_the_deadline_and_the_answer_clears_it():
    due = "2026-03-20"
    state = replay(journal(("assign", {"user_id": 5}), ("request_information", {"message": "m", "due_date": due})))
    assert (state.status, state.deadline, state.information_request.requested_by) == (
        CaseStatus.AWAITING_INFORMATION, date(2026, 3, 20), 2,
    )
    answered = replay(journal(
        ("assign", {"user_id": 5}), ("request_information", {"message": "m", "due_date": due}),
        ("provide_information", {"message": "done"}),
    ))
    assert (answered.status, answered.deadline, answered.information_request, answered.version) == (
        CaseStatus.IN_PROGRESS, None, None, 4,
    )


def test_incremental_apply_equals_full_replay():
    events = journal(
        ("assign", {"user_id": 5}), ("note", {"text": "a"}), ("consular_consent", {"state": "VEN", "granted": True}),
        ("consular_consent", {"state": "COL", "granted": True}), ("consular_consent", {"state": "VEN", "granted": False}),
    )
    state = None
    for event in events:
        state = apply(state, event)
    assert state == replay(events)
    assert state.consular_consent == ["COL"] and state.last_action_at == events[-1].server_time


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([("provide_information", {"message": "x"})], "no information was requested"),
        ([("withdraw", {"reason": "r"}), ("assign", {"user_id": 5})], "the case is withdrawn"),
        ([("withdraw", {"reason": "r"}), ("withdraw", {"reason": "again"})], "the case is withdrawn"),
        (
            [("request_information", {"message": "a", "due_date": "2026-04-01"}), ("request_information", {"message": "b", "due_date": "2026-04-02"})],
            "already open",
        ),
    ],
)
def test_transitions_the_state_forbids_are_refused(steps, message):
    with pytest.raises(InvalidTransition, match=message) as caught:
        replay(journal(*steps))
    assert caught.value.status_code == 409 and caught.value.code == "invalid_transition"


def test_notes_and_consent_changes_remain_possible_after_withdrawal():
    state = replay(journal(("withdraw", {"reason": "r"}), ("note", {"text": "closed"}), ("consular_consent", {"state": "VEN", "granted": False})))
    assert state.status == CaseStatus.WITHDRAWN and state.notes == 1


def test_journal_gaps_and_missing_opening_are_data_errors():
    events = journal(("note", {"text": "a"}))
    with pytest.raises(DataError, match="seq 3 follows version 1"):
        replay([events[0], ActionEvent("note", {"text": "b"}, 3, T0, 1, "caseworker")])
    with pytest.raises(DataError, match="must start with case_opened"):
        replay([ActionEvent("note", {"text": "a"}, 1, T0, 1, "caseworker")])


def test_due_date_in_the_past_is_refused_when_appending_but_replays_later():
    today = date(2026, 3, 10)
    payload = {"message": "m", "due_date": "2026-03-09"}
    with pytest.raises(InvalidInput) as caught:
        validate(actions.RequestInformation, payload, prefix="payload", context={"today": today})
    assert caught.value.details[0]["field"] == "payload.due_date"
    assert "2026-03-10" in caught.value.details[0]["expected"]
    assert validate(actions.RequestInformation, {**payload, "due_date": "2026-03-10"}, context={"today": today})
    # An old journal whose due date has since passed must still replay.
    assert replay(journal(("request_information", payload))).deadline == date(2026, 3, 9)


def test_consent_state_must_be_an_alpha3_code():
    with pytest.raises(InvalidInput) as caught:
        replay(journal(("consular_consent", {"state": "Venezuela", "granted": True})))
    detail = caught.value.details[0]
    assert detail["field"] == "payload.state" and detail["value"] == "Venezuela"


def test_unknown_action_type_lists_the_known_ones():
    with pytest.raises(InvalidInput, match="expected one of: .*assign.*withdraw"):
        actions.get_type("approve")


def test_a_domain_extends_a_branch_and_decides_whether_to_call_it():
    from amparo.cases import reducer

    calls = []
    reducer.BRANCHES["test_only_type"] = lambda state, payload, event: calls.append("inner") or state
    try:
        @reducer.extend("test_only_type")
        def _refuse_odd(inner, state, payload, event):
            if event.seq % 2:
                raise reducer.InvalidTransition("odd sequence numbers are refused here")
            return inner(state, payload, event)

        with pytest.raises(reducer.InvalidTransition):
            reducer.BRANCHES["test_only_type"](None, None, reducer.ActionEvent("test_only_type", {}, 3, None))
        assert calls == []
        reducer.BRANCHES["test_only_type"](None, None, reducer.ActionEvent("test_only_type", {}, 4, None))
        assert calls == ["inner"]
    finally:
        del reducer.BRANCHES["test_only_type"]
    with pytest.raises(RuntimeError, match="no reducer branch 'no_such_type'"):
        reducer.extend("no_such_type")(lambda inner, state, payload, event: state)
