"""Case use cases: open, read, list, append to the journal and read it; scoped and journaled.

Every function takes the session, the acting user and the purpose of the access; checks the scope table
(`amparo.auth.policy`); records the access in the audit chain in the same transaction; flushes and never
commits. A case the actor may not know exists is "not found", never "forbidden".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from amparo.audit import service as audit
from amparo.auth import policy
from amparo.auth import repository as users
from amparo.auth.policy import STAFF_ROLES, Action as Permission, Actor, RecordFacts, Role
from amparo.cases import actions as types
from amparo.cases import reducer, repository
from amparo.cases.models import Action, Case
from amparo.cases.schemas import ActionIn, CaseCreate, CaseFilters, CaseState
from amparo.db.compat import MAX_ID, utcnow
from amparo.db.pagination import Page, check_limit, decode_cursor, decode_cursor_fields, encode_cursor
from amparo.errors import Conflict, Forbidden, InvalidInput, NotFound
from amparo.jurisdictions.service import require_jurisdiction
from amparo.people import repository as people
from amparo.people import service as people_service
from amparo.validation import validate

#: Checks an action needs beyond its payload model, against the database (e.g. "is the assignee staff").
ContextCheck = Callable[[Session, Case, Any], None]
CONTEXT_CHECKS: dict[str, ContextCheck] = {}


#: Parametrised once: building a generic model per call costs milliseconds.
_CASE_PAGE = Page[Case]
_SUMMARY_PAGE = Page[Any]  # rows of repository.SUMMARY_COLUMNS


def context_check(name: str) -> Callable[[ContextCheck], ContextCheck]:
    def decorate(function: ContextCheck) -> ContextCheck:
        CONTEXT_CHECKS[name] = function
        return function

    return decorate


def state_of(case: Case) -> CaseState:
    """The case's derived state at its current version (the stored reducer output)."""
    return CaseState.model_validate(case.state)


def _consent_for(actor: Actor, case: Case) -> frozenset[str]:
    """The States the person let see the case, as far as `actor` needs them: consent only relates a
    consular officer to a case, so for everyone else the stored state is not read at all (a listing
    may not even have loaded it)."""
    return frozenset(case.state.get("consular_consent", ())) if actor.consular_state else frozenset()


def facts(session: Session, case: Case, actor: Actor) -> RecordFacts:
    """What the scope table needs to know about `case` to relate `actor` to it.

    Consent and the person's nationalities matter only to a consular officer (nationalities only
    when the person consented to that officer's State): only then are they read.
    """
    consent = _consent_for(actor, case)
    nationalities: frozenset[str] = frozenset()
    if actor.consular_state is not None and actor.consular_state in consent:
        nationalities = repository.nationalities_by_person(session, [case.person_id]).get(case.person_id, frozenset())
    return RecordFacts(
        jurisdiction=case.jurisdiction_code,
        person_id=case.person_id,
        assigned_user_id=case.assigned_user_id,
        nationalities=nationalities,
        consular_consent=consent,
    )


def not_found(case_ref: object) -> NotFound:
    return NotFound(
        f"case {case_ref!r} not found; check the id or case number, or ask for access if you should see it",
        details=[{"field": "case", "value": case_ref, "expected": "the id or number of a case you may see"}],
    )




def case_id_from(text: str) -> int | None:
    """The case id that `text` writes in ASCII digits, or None when it writes no id a case can have.

    Digits past the id range name no case, and are not converted: `int()` of more than 4,300 digits
    raises, and a path can hold far more.

    Examples:
        >>> case_id_from(" 42 "), case_id_from("0"), case_id_from("9" * 20), case_id_from("²"), case_id_from("ARG-1")
        (42, None, None, None, None)
    """
    text = text.strip()
    if not (text.isascii() and text.isdigit()):
        return None
    digits = text.lstrip("0")
    if not digits or len(digits) > len(str(MAX_ID)):
        return None
    case_id = int(digits)
    return case_id if case_id <= MAX_ID else None


def _load(session: Session, case_ref: int | str) -> Case | None:
    if isinstance(case_ref, bool):
        return None
    if isinstance(case_ref, int):
        return repository.get(session, case_ref)
    if not isinstance(case_ref, str):
        return None
    text = case_ref.strip()
    if text.isdigit():  # digits of any script are an id or nothing, never a case number
        case_id = case_id_from(text)
        return None if case_id is None else repository.get(session, case_id)
    return repository.get_by_number(session, text.upper())


def _visible(session: Session, actor: Actor, case_ref: int | str) -> tuple[Case, RecordFacts]:
    """The case and its facts if the actor may read it; otherwise NotFound (existence is not leaked)."""
    case = _load(session, case_ref)
    if case is None:
        raise not_found(case_ref)
    case_facts = facts(session, case, actor)
    if not policy.is_allowed(actor, Permission.CASE_READ, case_facts):
        raise not_found(case_ref)
    return case, case_facts


def create_case(session: Session, actor: Actor, data: CaseCreate | dict, purpose: str) -> Case:
    """Open a case about a person the actor may see; its journal starts with `case_opened`."""
    data = validate(CaseCreate, data, what="case")
    purpose = audit.check_purpose(purpose)
    person = people.get(session, data.person_id)
    if person is None or not people_service.may(session, person, actor, Permission.PERSON_READ):
        raise people_service.not_found(data.person_id)
    jurisdiction = data.jurisdiction_code or person.jurisdiction_code
    record = RecordFacts(jurisdiction=jurisdiction, person_id=person.id, nationalities=frozenset(person.nationality_codes))
    if not policy.is_allowed(actor, Permission.CASE_CREATE, record):
        raise Forbidden(
            f"your role {actor.role.value!r} may not open cases in jurisdiction {jurisdiction!r}",
            details=[{"field": "jurisdiction_code", "value": jurisdiction, "expected": actor.jurisdiction}],
        )
    require_jurisdiction(session, jurisdiction)
    case = open_case(session, person_id=person.id, kind=data.kind.value, jurisdiction=jurisdiction, actor=actor)
    audit.record(
        session, actor, Permission.CASE_CREATE.value, "case", case.id, purpose,
        {"number": case.number, "person_id": person.id, "kind": case.kind},
    )
    return case


def open_case(
    session: Session, *, person_id: int, kind: str, jurisdiction: str, actor: Actor | None, now: datetime | None = None
) -> Case:
    """Insert a case and its `case_opened` action. No scope check: callers have made it.

    The number's year and sequence come from the opening time (UTC): the first case of a year in a
    jurisdiction is number 1 of that year.
    """
    now = now or utcnow()
    sequence = repository.next_case_number(session, jurisdiction, now.year)
    payload = types.CaseOpened(kind=kind, jurisdiction_code=jurisdiction, person_id=person_id)  # type: ignore[arg-type]
    event = reducer.ActionEvent(
        "case_opened", types.payload_json(payload), 1, now, actor.user_id if actor else None, actor.role.value if actor else None
    )
    state = reducer.apply(None, event, payload=payload)
    case = Case(
        number=f"{jurisdiction}-{now.year}-{sequence:07d}",
        kind=kind,
        jurisdiction_code=jurisdiction,
        person_id=person_id,
        version=state.version,
        status=state.status,
        assigned_user_id=state.assigned_user_id,
        deadline=state.deadline,
        state=state.model_dump(mode="json"),
        created_at=now,
        updated_at=now,
    )
    repository.add_case(session, case)
    repository.add_action(
        session,
        Action(
            case_id=case.id, seq=1, type=event.type, payload=event.payload,
            actor_user_id=event.actor_user_id, actor_role=event.actor_role, server_time=now,
        ),
    )
    return case


def get_case(session: Session, actor: Actor, case_id_or_number: int | str, purpose: str) -> Case:
    """The case (by id or case number) with its derived state. Journaled as "case:read"."""
    purpose = audit.check_purpose(purpose)
    case, _ = _visible(session, actor, case_id_or_number)
    audit.record(session, actor, Permission.CASE_READ.value, "case", case.id, purpose)
    return case


def journal(session: Session, actor: Actor, case_id: int | str, purpose: str) -> list[Action]:
    """Every action of the case, oldest first. Journaled as "journal:read"."""
    purpose = audit.check_purpose(purpose)
    case, case_facts = _visible(session, actor, case_id)
    if not policy.is_allowed(actor, Permission.JOURNAL_READ, case_facts):
        raise Forbidden(f"your role {actor.role.value!r} may not read the journal of case {case.number}")
    audit.record(session, actor, Permission.JOURNAL_READ.value, "case", case.id, purpose)
    return repository.journal(session, case.id)


def append_action(
    session: Session, actor: Actor, case_id: int | str, expected_version: int, action: ActionIn | dict, purpose: str
) -> Action:
    """Append one action, if the case is still at `expected_version`.

    Raises:
        NotFound: the case does not exist or the actor may not see it.
        InvalidInput: unknown type or invalid payload (details name each field).
        Forbidden: the actor sees the case but may not take this action (e.g. not assigned to it).
        Conflict: the case moved past `expected_version` (code "conflict"), or the action cannot
            follow the current state (code "invalid_transition").
    """
    action = validate(ActionIn, action, what="action")
    purpose = audit.check_purpose(purpose)
    if not isinstance(expected_version, int) or isinstance(expected_version, bool) or expected_version < 1:
        raise InvalidInput(
            f"expected_version {expected_version!r} is not a case version; pass the version you last read (1 or more)",
            details=[{"field": "expected_version", "value": expected_version, "expected": "integer >= 1"}],
        )
    case, case_facts = _visible(session, actor, case_id)
    action_type = types.get_type(action.type)
    if action_type.permission is None:
        raise InvalidInput(
            f"{action.type} is recorded by the system and cannot be appended",
            details=[{"field": "type", "value": action.type, "expected": "an action a person takes"}],
        )
    if not policy.is_allowed(actor, action_type.permission, case_facts):
        raise Forbidden(_refusal(actor, action_type, case))
    if case.version != expected_version:
        raise _version_conflict(case.number, expected_version, case.version)
    today = utcnow().date()
    payload = validate(
        action_type.payload, action.payload, prefix="payload", what=f"{action.type} payload", context={"today": today}
    )
    if action.type in CONTEXT_CHECKS:
        CONTEXT_CHECKS[action.type](session, case, payload)
    now = utcnow()
    event = reducer.ActionEvent(
        action.type, types.payload_json(payload), expected_version + 1, now, actor.user_id, actor.role.value
    )
    before = state_of(case)
    state = reducer.apply(before, event, payload=payload)
    values = repository.touch_values(
        now, state.model_dump(mode="json"), status=state.status, assigned_user_id=state.assigned_user_id, deadline=state.deadline
    )
    if not repository.compare_and_set(session, case.id, expected_version, values):
        session.expire(case)
        raise _version_conflict(case.number, expected_version, repository.current_version(session, case.id))
    for name, value in {**values, "version": state.version}.items():
        set_committed_value(case, name, value)
    if state.consular_consent != before.consular_consent:
        repository.replace_consents(session, case.id, state.consular_consent)
    row = repository.add_action(
        session,
        Action(
            case_id=case.id, seq=event.seq, type=event.type, payload=event.payload, actor_user_id=actor.user_id,
            actor_role=actor.role.value, server_time=now, device_time=action.device_time,
        ),
    )
    audit.record(session, actor, "case:append", "case", case.id, purpose, {"type": action.type, "seq": event.seq})
    return row


def _version_conflict(number: str, expected: int, current: int | None) -> Conflict:
    return Conflict(
        f"case {number} is at version {current}, not the expected version {expected}: someone else acted on it "
        "first; reload the case and decide again",
        details=[{"field": "expected_version", "value": expected, "expected": current}],
    )


def _refusal(actor: Actor, action_type: types.ActionType, case: Case) -> str:
    if action_type.permission is Permission.APPEND_STAFF_ACTION and actor.role in STAFF_ROLES:
        return f"only the staff member assigned to case {case.number} may add {action_type.name}; ask a supervisor to assign it to you"
    return f"your role {actor.role.value!r} may not add {action_type.name} to case {case.number}"


@context_check("assign")
def _check_assignee(session: Session, case: Case, payload: types.Assign) -> None:
    user = users.get_user(session, payload.user_id)
    problem = None
    if user is None or not user.active:
        problem = "no active user has this id"
    elif Role(user.role) not in STAFF_ROLES - {Role.CONSULAR_OFFICER}:
        problem = f"the user is a {user.role}, who cannot work cases"
    elif user.jurisdiction_code != case.jurisdiction_code:
        problem = f"the user works in jurisdiction {user.jurisdiction_code!r}, not {case.jurisdiction_code!r}"
    if problem:
        raise InvalidInput(
            f"cannot assign case {case.number} to user {payload.user_id}: {problem}",
            details=[{"field": "payload.user_id", "value": payload.user_id, "expected": f"an active caseworker, supervisor or complaints officer of {case.jurisdiction_code}"}],
        )


def list_cases(
    session: Session,
    actor: Actor,
    filters: CaseFilters | dict | None = None,
    limit: int = 50,
    cursor: str | None = None,
    purpose: str = "",
    *,
    deadline_before: date | None = None,
    with_state: bool = True,
) -> Page[Any]:
    """Cases the actor may list, newest first (by name when `q` is a name), filtered; one page.
    Journaled with the ids shown. Without `with_state` the items are summaries, rows with the case's
    columns but its state document (`repository.SUMMARY_COLUMNS`: a list of numbers and statuses
    needs none), except for a consular officer, whose scope reads the state."""
    filters = validate(CaseFilters, filters or {}, what="filters")
    purpose = audit.check_purpose(purpose)
    limit = check_limit(limit)
    relations = people_service.granted_relations(actor, Permission.CASE_LIST)
    if not relations:
        raise Forbidden(f"your role {actor.role.value!r} may not list cases")
    scope = repository.scope_filter(
        relations, user_id=actor.user_id, jurisdiction=actor.jurisdiction, person_id=actor.person_id,
        consular_state=actor.consular_state,
    )
    common = {
        "kind": filters.kind.value if filters.kind else None, "status": filters.status,
        "jurisdiction": filters.jurisdiction, "assigned_to": filters.assigned_to, "nationality": filters.nationality,
        "deadline_before": deadline_before, "limit": limit, "with_state": with_state or actor.consular_state is not None,
    }
    if filters.q and not repository.looks_like_case_number(filters.q):
        # By name: in name order, which reads one page of the name index however common the name.
        # The cursor names the last person and case shown, never their name: cursors end up in URLs
        # and access logs. The key they were listed under is found again from the person.
        after = decode_cursor_fields(cursor, id=int, p=int)
        key = repository.matched_key(session, filters.q, after["p"]) if after else None
        if after and key is None:
            raise InvalidInput(
                f"the person this page continued from no longer matches {filters.q!r}; search again from the first page",
                details=[{"field": "cursor", "value": cursor, "expected": "the next_cursor of the previous page of this search"}],
            )
        rows, resume = repository.list_page_by_name(
            session, scope, filters.q, after=(key, after["p"], after["id"]) if after and key else None, **common
        )
        next_cursor = None
        if len(rows) > limit:
            next_cursor = encode_cursor(rows[limit - 1].id, p=rows[limit - 1].person_id)
        elif resume is not None:  # the request's budget of keys ran out: a short page, and go on from there
            next_cursor = encode_cursor(0, p=resume)
        rows = rows[:limit]
    else:
        rows = repository.list_page(session, scope, q=filters.q, after_id=decode_cursor(cursor), **common)
        next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
        rows = rows[:limit]
    # Each row is checked against the table itself too: a mistake in the SQL mirror hides, never leaks.
    nationalities = repository.nationalities_by_person(session, [c.person_id for c in rows]) if actor.consular_state else {}
    rows = [
        c for c in rows
        if policy.is_allowed(actor, Permission.CASE_LIST, RecordFacts(
            jurisdiction=c.jurisdiction_code, person_id=c.person_id, assigned_user_id=c.assigned_user_id,
            nationalities=nationalities.get(c.person_id, frozenset()),
            consular_consent=_consent_for(actor, c),
        ))
    ]
    audit.record(
        session, actor, Permission.CASE_LIST.value, "case", None, purpose,
        {"filters": filters.model_dump(mode="json", exclude_none=True), "ids": [c.id for c in rows]},
    )
    return (_CASE_PAGE if common["with_state"] else _SUMMARY_PAGE)(items=rows, next_cursor=next_cursor)
