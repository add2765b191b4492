"""Scope: each service call allowed exactly where the scope table allows it; the firewall holds.

The matrix below is generated from `amparo.auth.policy`: for every role and every relation an actor can
hold to a record, each call must succeed when the table grants it, be "not found" when the actor may
not read the record at all, and be "forbidden" when they may read it but not act.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest

from amparo.auth import policy
from amparo.auth.policy import Action, Actor, Relation, Role
from amparo.cases import service as cases
from amparo.errors import Forbidden, InvalidInput, NotFound
from amparo.people import service as people
from builders import actor_for, force_assign, grant_consent, make_case, make_person, make_user

PURPOSE = "casework"
SCENARIOS = [Relation.SELF, Relation.ASSIGNED, Relation.SAME_JURISDICTION, Relation.CONSULATE_WITH_CONSENT, Relation.NONE]


def _setup(session, role: Role, relation: Relation):
    """A case in ARG about a Venezuelan, and an actor of `role` holding exactly `relation` to it."""
    person = make_person(session, "ARG", nationalities=("VEN",))
    case = make_case(session, person)
    user = make_user(session, Role.CASEWORKER, "ARG")  # the acting account's id; its role is overridden
    colleague = make_user(session, Role.CASEWORKER, "ARG")  # a valid assignee for `assign`
    if relation is Relation.ASSIGNED:
        force_assign(session, case, user.id)
    if relation is Relation.CONSULATE_WITH_CONSENT:
        grant_consent(session, case, "VEN")
    actor = Actor(
        user_id=user.id,
        username=user.username,
        role=role,
        jurisdiction="ARG" if relation is Relation.SAME_JURISDICTION else "CHL",
        person_id=person.id if relation is Relation.SELF else None,
        consular_state="VEN" if relation is Relation.CONSULATE_WITH_CONSENT else "BOL",
    )
    return actor, person, case, colleague


def _operations(case, person, colleague) -> dict[str, tuple[Action, Callable]]:
    def append(body):
        return lambda s, a: cases.append_action(s, a, case.id, s.get(type(case), case.id).version, body, PURPOSE)

    return {
        "get_person": (Action.PERSON_READ, lambda s, a: people.get_person(s, a, person.id, PURPOSE)),
        "get_case": (Action.CASE_READ, lambda s, a: cases.get_case(s, a, case.id, PURPOSE)),
        "journal": (Action.JOURNAL_READ, lambda s, a: cases.journal(s, a, case.id, PURPOSE)),
        "note": (Action.APPEND_STAFF_ACTION, append({"type": "note", "payload": {"text": "n"}})),
        "consent": (Action.APPEND_APPLICANT_ACTION, append({"type": "consular_consent", "payload": {"state": "BOL", "granted": True}})),
        "assign": (Action.ASSIGN, append({"type": "assign", "payload": {"user_id": colleague.id}})),
    }


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_service_calls_follow_the_scope_table(session, role):
    mismatches = []
    for relation in SCENARIOS:
        actor, person, case, colleague = _setup(session, role, relation)
        held = [relation]
        for name, (permission, call) in _operations(case, person, colleague).items():
            reads = Action.PERSON_READ if name == "get_person" else Action.CASE_READ
            if not policy.allows(role, reads, held):
                expected = "not_found"
            elif not policy.allows(role, permission, held):
                expected = "forbidden"
            else:
                expected = "ok"
            savepoint = session.begin_nested()
            try:
                call(session, actor)
                outcome = "ok"
            except NotFound:
                outcome = "not_found"
            except Forbidden:
                outcome = "forbidden"
            finally:
                savepoint.rollback()
                session.expire_all()
            if outcome != expected:
                mismatches.append(f"{relation.value}/{name}: expected {expected}, got {outcome}")
    assert mismatches == []


@pytest.mark.parametrize("role", [Role.ENFORCEMENT_OFFICER, Role.EMPLOYER, Role.PROGRAMME_ADMIN, Role.SYSTEM_ADMIN])
def test_roles_without_case_access_get_nothing_even_in_their_own_jurisdiction(session, role):
    person = make_person(session, "ARG")
    case = make_case(session, person)
    user = make_user(session, role, "ARG")
    actor = actor_for(user)
    for call in (
        lambda: people.get_person(session, actor, person.id, PURPOSE),
        lambda: cases.get_case(session, actor, case.id, PURPOSE),
        lambda: cases.get_case(session, actor, case.number, PURPOSE),
        lambda: cases.journal(session, actor, case.id, PURPOSE),
        lambda: cases.append_action(session, actor, case.id, 1, {"type": "note", "payload": {"text": "x"}}, PURPOSE),
    ):
        with pytest.raises(NotFound):
            call()
    for listing in (people.list_persons, cases.list_cases):
        with pytest.raises(Forbidden):
            listing(session, actor, purpose=PURPOSE)
    with pytest.raises(Forbidden):
        people.create_person(
            session, actor,
            {"given_names": "A", "family_names": "B", "jurisdiction_code": "ARG"}, PURPOSE,
        )


def test_consulate_sees_a_national_only_while_consent_stands(session):
    person = make_person(session, "ARG", nationalities=("VEN", "COL"))
    case = make_case(session, person)
    other_case = make_case(session, make_person(session, "ARG", nationalities=("VEN",)))
    # Consent given to Venezuela by someone who is not Venezuelan opens nothing to Venezuela.
    foreigner_case = make_case(session, make_person(session, "ARG", nationalities=("PER",)))
    grant_consent(session, foreigner_case, "VEN")
    consul = actor_for(make_user(session, Role.CONSULAR_OFFICER, None, consular_state="VEN"))
    assert cases.list_cases(session, consul, purpose=PURPOSE).items == []
    grant_consent(session, case, "VEN")
    assert [c.id for c in cases.list_cases(session, consul, purpose=PURPOSE).items] == [case.id]
    assert cases.get_case(session, consul, case.id, PURPOSE).id == case.id
    assert people.get_person(session, consul, person.id, PURPOSE).id == person.id
    for hidden in (other_case.id, foreigner_case.id):
        with pytest.raises(NotFound):
            cases.get_case(session, consul, hidden, PURPOSE)
    grant_consent(session, case, "VEN", granted=False)
    with pytest.raises(NotFound):
        cases.get_case(session, consul, case.id, PURPOSE)
    assert cases.list_cases(session, consul, purpose=PURPOSE).items == []


def test_applicant_lists_and_acts_on_own_cases_only(session):
    person = make_person(session)
    mine = make_case(session, person)
    theirs = make_case(session)
    applicant = actor_for(make_user(session, Role.APPLICANT, None, person=person))
    assert [c.id for c in cases.list_cases(session, applicant, purpose=PURPOSE).items] == [mine.id]
    withdrawn = cases.append_action(session, applicant, mine.id, 1, {"type": "withdraw", "payload": {"reason": "r"}}, PURPOSE)
    assert withdrawn.actor_role == "applicant"
    with pytest.raises(NotFound):
        cases.append_action(session, applicant, theirs.id, 1, {"type": "withdraw", "payload": {"reason": "r"}}, PURPOSE)
    with pytest.raises(Forbidden):
        cases.append_action(session, applicant, mine.id, 2, {"type": "note", "payload": {"text": "x"}}, PURPOSE)


def test_case_list_filters_and_case_number_search(session):
    clerk = make_user(session, Role.CASEWORKER)
    a = make_case(session, make_person(session, given_names="Ana", family_names="Quispe", nationalities=("BOL",)))
    b = make_case(session, make_person(session, given_names="Luis", family_names="Rojas", nationalities=("PER",)), kind="complaint")
    make_case(session, make_person(session, "CHL", given_names="Ana", family_names="Quispe"))  # other jurisdiction
    supervisor = actor_for(make_user(session, Role.SUPERVISOR))
    cases.append_action(session, supervisor, b.id, 1, {"type": "assign", "payload": {"user_id": clerk.id}}, PURPOSE)
    actor = actor_for(clerk)

    def ids(**filters):
        return [c.id for c in cases.list_cases(session, actor, filters, purpose=PURPOSE).items]

    assert ids(q="quispe") == [a.id]
    assert ids(q=a.number) == [a.id] and ids(q=a.number.lower()) == [a.id]
    assert set(ids(q=a.number[:9])) >= {a.id, b.id}
    assert ids(kind="complaint") == [b.id]
    assert ids(nationality="BOL") == [a.id]
    assert ids(assigned_to=clerk.id) == [b.id]
    assert ids(status="open", q="rojas") == []
    assert ids(status="open", q="ana") == [a.id]


def test_a_name_search_pages_in_name_order_without_repeats_or_gaps(session):
    # Seven Rojas (one with two cases) and one Rosales in scope, a Rojas elsewhere: pages of two.
    given = ["Zoe", "Ana", "Luis", "Marta", "Beto", "Inés", "Carla"]
    persons = [make_person(session, given_names=g, family_names="Rojas") for g in given]
    cases_by_person = {p.id: [make_case(session, p).id] for p in persons}
    cases_by_person[persons[3].id].append(make_case(session, persons[3]).id)
    make_case(session, make_person(session, given_names="Ana", family_names="Rosales"))
    for given_name in ("Aa", "Ab", "Ac", "Ad", "Ae", "Af", "Ag"):  # out of scope, first in name order
        make_case(session, make_person(session, "CHL", given_names=given_name, family_names="Rojas"))
    actor = actor_for(make_user(session, Role.CASEWORKER))
    seen, cursor, pages = [], None, 0
    while True:
        page = cases.list_cases(session, actor, {"q": "roja"}, limit=2, cursor=cursor, purpose=PURPOSE)
        seen += [(c.person_id, c.id) for c in page.items]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    # Name order ("rojas ana", "rojas beto", ...), a person's newest case first, each case once.
    by_name = sorted(persons, key=lambda p: p.given_names.replace("é", "e"))
    expected = [(p.id, cid) for p in by_name for cid in sorted(cases_by_person[p.id], reverse=True)]
    assert seen == expected and pages == 4


def test_a_cursor_from_another_listing_is_refused_with_a_clear_error(session):
    make_case(session, make_person(session, family_names="Rojas"))
    make_case(session, make_person(session, family_names="Rojas"))
    actor = actor_for(make_user(session, Role.CASEWORKER))
    by_id = cases.list_cases(session, actor, {}, limit=1, purpose=PURPOSE).next_cursor
    with pytest.raises(InvalidInput) as raised:
        cases.list_cases(session, actor, {"q": "rojas"}, limit=1, cursor=by_id, purpose=PURPOSE)
    assert raised.value.details[0]["field"] == "cursor" and "previous page" in raised.value.message


def test_a_person_matched_under_two_keys_is_listed_once_and_cursors_carry_no_name(session):
    # "Juan Garcia Garcia" has the keys "garcia garcia juan" and "garcia juan": both start with "garcia".
    twice = make_case(session, make_person(session, given_names="Juan", family_names="Garcia Garcia"))
    others = [make_case(session, make_person(session, given_names="Ines", family_names="Garcia")) for _ in range(3)]
    actor = actor_for(make_user(session, Role.CASEWORKER))
    seen, cursor = [], None
    while True:
        page = cases.list_cases(session, actor, {"q": "garcia"}, limit=1, cursor=cursor, purpose=PURPOSE)
        seen += [c.id for c in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
        decoded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        assert "garcia" not in decoded and "juan" not in decoded and "ines" not in decoded
    assert sorted(seen) == sorted([twice.id] + [c.id for c in others]) and len(seen) == 4


def test_a_search_that_reads_its_budget_of_keys_returns_a_short_page_and_goes_on(session, monkeypatch):
    from amparo.cases import repository

    monkeypatch.setattr(repository, "MAX_KEYS_PER_REQUEST", 3)
    for n in range(5):
        make_case(session, make_person(session, "CHL", given_names=f"A{n}", family_names="Zeta"))
    mine = make_case(session, make_person(session, given_names="Zz", family_names="Zeta"))
    actor = actor_for(make_user(session, Role.CASEWORKER))
    pages, seen, cursor = 0, [], None
    while True:
        page = cases.list_cases(session, actor, {"q": "zeta"}, limit=50, cursor=cursor, purpose=PURPOSE)
        pages += 1
        seen += [c.id for c in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    # Five out-of-scope persons come first in name order: the first page reads three keys and stops.
    assert seen == [mine.id] and pages >= 2
