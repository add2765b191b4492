"""People: creation with validation, reading, name and nationality search, keyset pages."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from amparo.audit.models import AuditEntry
from amparo.auth.policy import Role
from amparo.errors import Forbidden, InvalidInput, NotFound
from amparo.people import service as people
from amparo.people.schemas import PersonRead
from builders import actor_for, make_person, make_user

PURPOSE = "intake"


def valid(**changes):
    data = {
        "given_names": "José María", "family_names": "García López", "date_of_birth": "1990-04-17",
        "sex": "male", "nationalities": ["VEN", "COL"], "languages": ["es"], "jurisdiction_code": "ARG",
        "phone": "+54 11 5555 0101",
    }
    return {**data, **changes}


def test_create_and_read_back_as_written(session):
    clerk = actor_for(make_user(session, Role.CASEWORKER))
    created = people.create_person(session, clerk, valid(), PURPOSE)
    read = PersonRead.model_validate(people.get_person(session, clerk, created.id, PURPOSE))
    assert (read.given_names, read.family_names, read.nationalities) == ("José María", "García López", ["COL", "VEN"])
    assert read.date_of_birth == date(1990, 4, 17)


@pytest.mark.parametrize(
    ("field", "value", "expected_fragment"),
    [
        ("nationalities", ["VEN", "XXX"], "alpha-3"),
        ("nationalities", ["VEN", "VEN"], "each nationality once"),
        ("date_of_birth", (date.today() + timedelta(days=1)).isoformat(), "not in the future"),
        ("given_names", "   ", "not blank"),
        ("languages", ["Spanish"], "BCP 47"),
        ("sex", "f", "'female'"),
        ("jurisdiction_code", "arg", "alpha-3"),
    ],
)
def test_invalid_fields_are_named_with_value_and_expectation(session, field, value, expected_fragment):
    clerk = actor_for(make_user(session, Role.CASEWORKER))
    with pytest.raises(InvalidInput) as caught:
        people.create_person(session, clerk, valid(**{field: value}), PURPOSE)
    detail = caught.value.details[0]
    assert detail["field"].split(".")[0] == field
    assert expected_fragment in detail["expected"]


def test_the_date_of_birth_boundary_is_today(session):
    clerk = actor_for(make_user(session, Role.CASEWORKER))
    assert people.create_person(session, clerk, valid(date_of_birth=date.today().isoformat()), PURPOSE).id


def test_unconfigured_jurisdiction_is_refused_by_name(session):
    supervisor = actor_for(make_user(session, Role.SUPERVISOR, "CHL"))
    with pytest.raises(Forbidden):
        people.create_person(session, supervisor, valid(), PURPOSE)  # ARG is not the supervisor's


def test_name_search_ignores_accents_case_and_word_order(session):
    clerk = actor_for(make_user(session, Role.CASEWORKER))
    target = make_person(session, given_names="José María", family_names="García-López")
    make_person(session, given_names="Ana", family_names="Garcés")
    for query in ("garcia", "GARCÍA LÓ", "lopez jose", "jose maria garcia", "Jos"):
        found = people.list_persons(session, clerk, {"q": query}, purpose=PURPOSE).items
        assert [p.id for p in found] == [target.id], query
    assert len(people.list_persons(session, clerk, {"q": "garc"}, purpose=PURPOSE).items) == 2


def test_nationality_filter_and_keyset_pages_cover_everyone_once(session):
    clerk = actor_for(make_user(session, Role.CASEWORKER))
    venezuelans = {make_person(session, nationalities=("VEN",)).id for _ in range(5)}
    make_person(session, nationalities=("BOL",))
    seen, cursor = [], None
    while True:
        page = people.list_persons(session, clerk, {"nationality": "VEN"}, limit=2, cursor=cursor, purpose=PURPOSE)
        seen += [p.id for p in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert sorted(seen) == sorted(venezuelans) and seen == sorted(seen, reverse=True)


def test_bad_cursor_and_limit_are_invalid_input(session):
    clerk = actor_for(make_user(session, Role.CASEWORKER))
    with pytest.raises(InvalidInput, match="cursor 'nonsense'"):
        people.list_persons(session, clerk, cursor="nonsense", purpose=PURPOSE)
    with pytest.raises(InvalidInput, match="limit 0"):
        people.list_persons(session, clerk, limit=0, purpose=PURPOSE)


def test_every_read_write_and_list_is_journaled_with_its_purpose(session):
    clerk = actor_for(make_user(session, Role.CASEWORKER))
    person = people.create_person(session, clerk, valid(), "intake at the Once office")
    people.get_person(session, clerk, person.id, "checking documents")
    people.list_persons(session, clerk, {"q": "garcia"}, purpose="duplicate check")
    entries = session.scalars(select(AuditEntry).where(AuditEntry.user_id == clerk.user_id).order_by(AuditEntry.id)).all()
    assert [(e.action, e.object_id, e.purpose, e.role) for e in entries] == [
        ("person:create", str(person.id), "intake at the Once office", "caseworker"),
        ("person:read", str(person.id), "checking documents", "caseworker"),
        ("person:list", None, "duplicate check", "caseworker"),
    ]
    assert entries[-1].detail["ids"] == [person.id]


def test_purpose_is_required(session):
    clerk = actor_for(make_user(session, Role.CASEWORKER))
    person = make_person(session)
    with pytest.raises(InvalidInput, match="states why"):
        people.get_person(session, clerk, person.id, " ")


def test_missing_person_is_not_found(session):
    clerk = actor_for(make_user(session, Role.CASEWORKER))
    with pytest.raises(NotFound):
        people.get_person(session, clerk, 987654321, PURPOSE)


def test_common_and_rare_name_plans_find_the_same_persons(session, monkeypatch):
    from amparo.cases import service as cases
    from amparo.people import repository
    from builders import make_case

    clerk = actor_for(make_user(session, Role.CASEWORKER))
    garcias = [make_person(session, given_names=g, family_names="García Ruiz") for g in ("Ana", "Luis", "Eva")]
    make_person(session, given_names="Ana", family_names="Gómez")
    for person in garcias:
        make_case(session, person)
    expected = sorted(p.id for p in garcias)
    rare = sorted(p.id for p in people.list_persons(session, clerk, {"q": "garcia r"}, purpose=PURPOSE).items)
    rare_cases = sorted(c.person_id for c in cases.list_cases(session, clerk, {"q": "garcia r"}, purpose=PURPOSE).items)
    monkeypatch.setattr(repository, "SELECTIVE_NAME_MATCHES", 1)  # every prefix is now "common"
    common = sorted(p.id for p in people.list_persons(session, clerk, {"q": "garcia r"}, purpose=PURPOSE).items)
    common_cases = sorted(c.person_id for c in cases.list_cases(session, clerk, {"q": "garcia r"}, purpose=PURPOSE).items)
    assert rare == common == rare_cases == common_cases == expected
