"""Cases: opening, reading by id and number, appending with the version check, the journal."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from amparo.auth.policy import Role
from amparo.cases import service as cases
from amparo.cases.reducer import ActionEvent, replay
from amparo.cases.schemas import CaseRead, CaseStatus
from amparo.errors import Conflict, Forbidden, InvalidInput, NotFound
from builders import actor_for, make_case, make_person, make_user

PURPOSE = "casework"


def test_create_case_numbers_and_opens_the_journal(session):
    clerk = actor_for(make_user(session, Role.CASEWORKER))
    person = make_person(session)
    first = cases.create_case(session, clerk, {"person_id": person.id, "kind": "regularization"}, PURPOSE)
    second = cases.create_case(session, clerk, {"person_id": person.id, "kind": "complaint"}, PURPOSE)
    year = first.created_at.year
    assert first.number.startswith(f"ARG-{year}-")
    assert int(second.number.rsplit("-", 1)[1]) == int(first.number.rsplit("-", 1)[1]) + 1
    assert first.version == 1 and first.status == CaseStatus.OPEN
    journal = cases.journal(session, clerk, first.id, PURPOSE)
    assert [(a.seq, a.type) for a in journal] == [(1, "case_opened")]
    assert journal[0].actor_role == "caseworker"
    read = CaseRead.model_validate(cases.get_case(session, clerk, first.number, PURPOSE))
    assert read.state.person_id == person.id and read.id == first.id


def test_supervisor_assigns_then_only_the_assignee_appends_staff_actions(session):
    supervisor = actor_for(make_user(session, Role.SUPERVISOR))
    assignee = make_user(session, Role.CASEWORKER)
    other = actor_for(make_user(session, Role.CASEWORKER))
    case = make_case(session)
    with pytest.raises(Forbidden, match="only the staff member assigned"):
        cases.append_action(session, other, case.id, 1, {"type": "note", "payload": {"text": "x"}}, PURPOSE)
    assigned = cases.append_action(session, supervisor, case.id, 1, {"type": "assign", "payload": {"user_id": assignee.id}}, PURPOSE)
    assert assigned.seq == 2
    due = date.today() + timedelta(days=10)
    cases.append_action(
        session, actor_for(assignee), case.id, 2,
        {"type": "request_information", "payload": {"message": "Proof of address", "due_date": due.isoformat()}}, PURPOSE,
    )
    current = cases.get_case(session, actor_for(assignee), case.id, PURPOSE)
    assert (current.version, current.status, current.assigned_user_id, current.deadline) == (
        3, CaseStatus.AWAITING_INFORMATION, assignee.id, due,
    )
    with pytest.raises(Forbidden):
        cases.append_action(session, other, case.id, 3, {"type": "note", "payload": {"text": "x"}}, PURPOSE)


def test_stale_expected_version_is_a_conflict_naming_both_versions(session):
    supervisor = actor_for(make_user(session, Role.SUPERVISOR))
    assignee = make_user(session, Role.CASEWORKER)
    case = make_case(session)
    cases.append_action(session, supervisor, case.id, 1, {"type": "assign", "payload": {"user_id": assignee.id}}, PURPOSE)
    with pytest.raises(Conflict, match="at version 2, not the expected version 1"):
        cases.append_action(session, actor_for(assignee), case.id, 1, {"type": "note", "payload": {"text": "late"}}, PURPOSE)


def test_invalid_payload_names_field_value_and_expectation(session):
    supervisor = actor_for(make_user(session, Role.SUPERVISOR))
    case = make_case(session)
    with pytest.raises(InvalidInput) as caught:
        cases.append_action(session, supervisor, case.id, 1, {"type": "assign", "payload": {"user_id": "somebody"}}, PURPOSE)
    detail = caught.value.details[0]
    assert detail["field"] == "payload.user_id" and detail["value"] == "somebody" and "integer" in detail["expected"]


def test_stored_state_equals_a_replay_of_the_journal(session):
    supervisor = actor_for(make_user(session, Role.SUPERVISOR))
    assignee = make_user(session, Role.CASEWORKER)
    person = make_person(session)
    applicant = actor_for(make_user(session, Role.APPLICANT, person=person))
    case = make_case(session, person)
    steps = [
        (supervisor, {"type": "assign", "payload": {"user_id": assignee.id}}),
        (actor_for(assignee), {"type": "request_information", "payload": {"message": "m", "due_date": date.today().isoformat()}}),
        (applicant, {"type": "provide_information", "payload": {"message": "here"}}),
        (applicant, {"type": "consular_consent", "payload": {"state": "VEN", "granted": True}}),
        (actor_for(assignee), {"type": "note", "payload": {"text": "ok"}}),
    ]
    for version, (actor, body) in enumerate(steps, start=1):
        cases.append_action(session, actor, case.id, version, body, PURPOSE)
    journal = cases.journal(session, supervisor, case.id, PURPOSE)
    replayed = replay(ActionEvent.from_row(row) for row in journal)
    assert replayed == cases.state_of(cases.get_case(session, supervisor, case.id, PURPOSE))
    assert replayed.consular_consent == ["VEN"] and replayed.status == CaseStatus.IN_PROGRESS and replayed.notes == 1


def test_unknown_case_and_invisible_case_look_the_same(session):
    outsider = actor_for(make_user(session, Role.CASEWORKER, "COL"))
    case = make_case(session)
    with pytest.raises(NotFound) as hidden:
        cases.get_case(session, outsider, case.id, PURPOSE)
    with pytest.raises(NotFound) as missing:
        cases.get_case(session, outsider, case.id + 10_000, PURPOSE)
    assert hidden.value.message.replace(str(case.id), "#") == missing.value.message.replace(str(case.id + 10_000), "#")


def test_case_numbers_restart_each_year_per_jurisdiction(session):
    from datetime import UTC, datetime

    person = make_person(session)
    chilean = make_person(session, "CHL")

    def opened(at: datetime, who=person) -> str:
        return cases.open_case(session, person_id=who.id, kind="regularization", jurisdiction=who.jurisdiction_code, actor=None, now=at).number

    last_of_year = opened(datetime(2031, 12, 31, 23, 59, 59, 999999, tzinfo=UTC))
    assert last_of_year == "ARG-2031-0000001"
    assert opened(datetime(2031, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)) == "ARG-2031-0000002"
    assert opened(datetime(2032, 1, 1, 0, 0, tzinfo=UTC)) == "ARG-2032-0000001"
    assert opened(datetime(2032, 1, 1, 0, 0, tzinfo=UTC), chilean) == "CHL-2032-0000001"


def test_schemas_render_as_openapi_models():
    from amparo.cases.schemas import ActionRead, AppendRequest, CaseCreate, CaseFilters
    from amparo.db.pagination import Page
    from amparo.people.schemas import PersonCreate, PersonFilters, PersonRead

    for model in (CaseRead, CaseCreate, CaseFilters, ActionRead, AppendRequest, PersonCreate, PersonRead, PersonFilters, Page[CaseRead]):
        schema = model.model_json_schema()
        assert schema["properties"], model
    assert "examples" in PersonCreate.model_json_schema()["properties"]["given_names"]
