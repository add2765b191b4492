"""Person use cases: create, read and list, each scoped by the policy and journaled in the audit chain.

A person the actor may not know exists is reported as not found, never as forbidden: a 403 would
confirm that the person is on file, which is itself personal data.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from amparo.audit import service as audit
from amparo.auth import policy
from amparo.auth.policy import Action, Actor, RecordFacts
from amparo.db.pagination import Page, check_limit, decode_cursor, encode_cursor
from amparo.errors import Forbidden, NotFound
from amparo.jurisdictions.service import require_jurisdiction
from amparo.people import repository
from amparo.people.models import Person
from amparo.people.schemas import PersonCreate, PersonFilters
from amparo.validation import validate


#: Parametrised once: building a generic model per call costs milliseconds.
_PERSON_PAGE = Page[Person]


def facts(session: Session, person: Person, actor: Actor) -> RecordFacts:
    """What the scope table needs to know about `person` to relate `actor` to them."""
    return _with_assignment(session, _facts_without_assignment(session, person, actor), actor)


def _facts_without_assignment(session: Session, person: Person, actor: Actor) -> RecordFacts:
    consents = repository.consents_by_person(session, [person.id]) if actor.consular_state else {}
    return RecordFacts(
        jurisdiction=person.jurisdiction_code,
        person_id=person.id,
        nationalities=frozenset(person.nationality_codes),
        consular_consent=consents.get(person.id, frozenset()),
    )


def _with_assignment(session: Session, known: RecordFacts, actor: Actor) -> RecordFacts:
    assigned = repository.assigned_person_ids(session, actor.user_id, [known.person_id])
    return replace(known, assigned_user_id=actor.user_id if known.person_id in assigned else None)


def may(session: Session, person: Person, actor: Actor, action: Action) -> bool:
    """Whether the scope table lets `actor` do `action` to `person`.

    The table only ever grants, so whether one of the person's cases is assigned to the actor (a
    query) is looked up only when their other relations do not already grant the action: a
    caseworker reading a person of their own State never needs it.
    """
    known = _facts_without_assignment(session, person, actor)
    if policy.allows(actor.role, action, policy.relations(actor, known) - {policy.Relation.NONE}):
        return True
    return policy.is_allowed(actor, action, _with_assignment(session, known, actor))


def not_found(person_id: object) -> NotFound:
    return NotFound(
        f"person {person_id!r} not found; check the id, or ask for access if you should see this record",
        details=[{"field": "person_id", "value": person_id, "expected": "the id of a person you may see"}],
    )


def create_person(session: Session, actor: Actor, data: PersonCreate | dict, purpose: str) -> Person:
    """Record a new person in `data.jurisdiction_code`. Flushes, never commits."""
    data = validate(PersonCreate, data, what="person")
    purpose = audit.check_purpose(purpose)
    if not policy.is_allowed(actor, Action.PERSON_CREATE, RecordFacts(jurisdiction=data.jurisdiction_code, person_id=0)):
        raise Forbidden(
            f"your role {actor.role.value!r} may not create persons in jurisdiction {data.jurisdiction_code!r}",
            details=[{"field": "jurisdiction_code", "value": data.jurisdiction_code, "expected": actor.jurisdiction}],
        )
    require_jurisdiction(session, data.jurisdiction_code)
    person = Person(
        given_names=data.given_names,
        family_names=data.family_names,
        date_of_birth=data.date_of_birth,
        sex=data.sex.value,
        languages=list(data.languages),
        email=data.email,
        phone=data.phone,
        address=data.address,
        jurisdiction_code=data.jurisdiction_code,
    )
    repository.add(session, person, data.nationalities)
    audit.record(session, actor, Action.PERSON_CREATE.value, "person", person.id, purpose)
    return person


def get_person(session: Session, actor: Actor, person_id: int, purpose: str) -> Person:
    """The person `person_id`, if the actor may read them. Journaled as "person:read"."""
    purpose = audit.check_purpose(purpose)
    person = repository.get(session, person_id) if isinstance(person_id, int) else None
    if person is None or not may(session, person, actor, Action.PERSON_READ):
        raise not_found(person_id)
    audit.record(session, actor, Action.PERSON_READ.value, "person", person.id, purpose)
    return person


def granted_relations(actor: Actor, action: Action) -> list[str]:
    """The relations under which the scope table grants `action` to the actor's role."""
    return [relation.value for relation in policy.Relation if policy.allows(actor.role, action, [relation])]


def list_persons(
    session: Session,
    actor: Actor,
    filters: PersonFilters | dict | None = None,
    limit: int = 50,
    cursor: str | None = None,
    purpose: str = "",
) -> Page[Person]:
    """Persons the actor may list, newest first, filtered; one page. Journaled with the ids shown."""
    filters = validate(PersonFilters, filters or {}, what="filters")
    purpose = audit.check_purpose(purpose)
    limit = check_limit(limit)
    after_id = decode_cursor(cursor)
    relations = granted_relations(actor, Action.PERSON_LIST)
    if not relations:
        raise Forbidden(f"your role {actor.role.value!r} may not list persons")
    scope = repository.scope_filter(
        relations,
        user_id=actor.user_id,
        jurisdiction=actor.jurisdiction,
        person_id=actor.person_id,
        consular_state=actor.consular_state,
    )
    rows = repository.list_page(
        session,
        scope,
        q=filters.q,
        jurisdiction=filters.jurisdiction,
        nationality=filters.nationality,
        after_id=after_id,
        limit=limit,
    )
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    rows = rows[:limit]
    # The SQL scope mirrors the table; checking each row against the table itself as well means a
    # mistake in that mirror hides a record instead of leaking one.
    row_facts = facts_for_list(session, rows, actor)
    rows = [p for p in rows if policy.is_allowed(actor, Action.PERSON_LIST, row_facts[p.id])]
    audit.record(
        session,
        actor,
        Action.PERSON_LIST.value,
        "person",
        None,
        purpose,
        {"filters": filters.model_dump(exclude_none=True), "ids": [p.id for p in rows]},
    )
    return _PERSON_PAGE(items=rows, next_cursor=next_cursor)


def facts_for_list(session: Session, persons: list[Person], actor: Actor) -> dict[int, RecordFacts]:
    ids = [p.id for p in persons]
    assigned = repository.assigned_person_ids(session, actor.user_id, ids)
    consents = repository.consents_by_person(session, ids) if actor.consular_state else {}
    return {
        p.id: RecordFacts(
            jurisdiction=p.jurisdiction_code,
            person_id=p.id,
            assigned_user_id=actor.user_id if p.id in assigned else None,
            nationalities=frozenset(p.nationality_codes),
            consular_consent=consents.get(p.id, frozenset()),
        )
        for p in persons
    }
