"""Case and journal queries: the compare-and-set append, case numbers, scoping and the queues."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, delete, exists, false, func, insert, or_, select, update
from sqlalchemy.orm import Session

from amparo.cases.models import Action, Case, CaseConsularConsent, CaseNumberCounter
from amparo.db.compat import MAX_ID, insert_for
from amparo.people.models import PersonNameKey, PersonNationality
from amparo.people.repository import key_range
from amparo.people.names import normalise, prefix_upper_bound

_cases = Case.__table__


def get(session: Session, case_id: int) -> Case | None:
    if not 1 <= case_id <= MAX_ID:
        return None  # no case has that id (and the driver would overflow on it)
    return session.get(Case, case_id)


def get_by_number(session: Session, number: str) -> Case | None:
    return session.scalars(select(Case).where(Case.number == number)).one_or_none()


def next_case_number(session: Session, jurisdiction: str, year: int) -> int:
    """The next sequence value for `jurisdiction` in `year`, in one atomic upsert.

    The counter row stays locked until the transaction ends, so concurrent openings get distinct,
    gapless numbers (a rolled-back opening gives its number back).
    """
    table = CaseNumberCounter.__table__
    statement = (
        insert_for(session.get_bind().dialect.name, table)
        .values(jurisdiction_code=jurisdiction, year=year, last_value=1)
        .on_conflict_do_update(
            index_elements=[table.c.jurisdiction_code, table.c.year], set_={"last_value": table.c.last_value + 1}
        )
        .returning(table.c.last_value)
    )
    return int(session.execute(statement).scalar_one())


def add_case(session: Session, case: Case) -> Case:
    session.add(case)
    session.flush()
    return case


def add_action(session: Session, action: Action) -> Action:
    session.add(action)
    session.flush()
    return action


_COMPARE_AND_SET = (
    update(_cases)
    .where(_cases.c.id == bindparam("case_id"), _cases.c.version == bindparam("expected_version"))
    .values(
        version=_cases.c.version + 1,
        status=bindparam("new_status"),
        assigned_user_id=bindparam("new_assigned_user_id"),
        deadline=bindparam("new_deadline"),
        state=bindparam("new_state", type_=_cases.c.state.type),
        updated_at=bindparam("new_updated_at", type_=_cases.c.updated_at.type),
    )
)


def compare_and_set(session: Session, case_id: int, expected_version: int, values: dict[str, Any]) -> bool:
    """Move the case from `expected_version` to the next, with its new derived state, atomically.

    Returns False when the case is no longer at `expected_version`: another writer got there first.
    On PostgreSQL the second writer waits for the first's row lock and then re-reads the row (READ
    COMMITTED), so it sees the new version and matches nothing; on SQLite writers are serialised.
    """
    parameters = {"case_id": case_id, "expected_version": expected_version}
    parameters.update({f"new_{name}": value for name, value in values.items()})
    return session.execute(_COMPARE_AND_SET, parameters).rowcount == 1


def current_version(session: Session, case_id: int) -> int | None:
    return session.scalar(select(_cases.c.version).where(_cases.c.id == case_id))


def journal(session: Session, case_id: int) -> list[Action]:
    return list(session.scalars(select(Action).where(Action.case_id == case_id).order_by(Action.seq)))


def replace_consents(session: Session, case_id: int, states: Iterable[str]) -> None:
    session.execute(delete(CaseConsularConsent).where(CaseConsularConsent.case_id == case_id))
    rows = [{"case_id": case_id, "state": state} for state in sorted(set(states))]
    if rows:
        session.execute(insert(CaseConsularConsent), rows)


def nationalities_by_person(session: Session, person_ids: Iterable[int]) -> dict[int, frozenset[str]]:
    ids = list(set(person_ids))
    found: dict[int, set[str]] = {}
    if ids:
        query = select(PersonNationality.person_id, PersonNationality.country_code).where(
            PersonNationality.person_id.in_(ids)
        )
        for person_id, code in session.execute(query):
            found.setdefault(person_id, set()).add(code)
    return {pid: frozenset(codes) for pid, codes in found.items()}


def consents_by_case(session: Session, case_ids: Iterable[int]) -> dict[int, frozenset[str]]:
    ids = list(set(case_ids))
    found: dict[int, set[str]] = {}
    if ids:
        query = select(CaseConsularConsent.case_id, CaseConsularConsent.state).where(CaseConsularConsent.case_id.in_(ids))
        for case_id, state in session.execute(query):
            found.setdefault(case_id, set()).add(state)
    return {cid: frozenset(states) for cid, states in found.items()}


def scope_filter(
    relations: Iterable[str], *, user_id: int, jurisdiction: str | None, person_id: int | None, consular_state: str | None
) -> ColumnElement[bool]:
    """SQL for "the actor holds one of `relations` to this case" (the list-side mirror of the policy)."""
    clauses: list[ColumnElement[bool]] = []
    for relation in relations:
        if relation == "self" and person_id is not None:
            clauses.append(Case.person_id == person_id)
        elif relation == "assigned":
            clauses.append(Case.assigned_user_id == user_id)
        elif relation == "same_jurisdiction" and jurisdiction is not None:
            clauses.append(Case.jurisdiction_code == jurisdiction)
        elif relation == "consulate_with_consent" and consular_state is not None:
            clauses.append(
                and_(
                    exists().where(CaseConsularConsent.case_id == Case.id, CaseConsularConsent.state == consular_state),
                    exists().where(
                        PersonNationality.person_id == Case.person_id, PersonNationality.country_code == consular_state
                    ),
                )
            )
    return or_(*clauses) if clauses else false()


def looks_like_case_number(q: str) -> bool:
    """"ARG-2026-0001" or its beginning ("arg-2026"): three letters, a dash and a digit."""
    head = q.strip().upper()
    return len(head) >= 5 and head[:3].isalpha() and head[:3].isascii() and head[3] == "-" and head[4].isdigit()


#: Up to this many matching case numbers, a number search looks the cases up by id.
SELECTIVE_NUMBER_MATCHES = 1000


def _number_filter(session: Session, q: str) -> ColumnElement[bool]:
    """Cases whose number starts with `q`. A full number matches one case: fetch its id first, so no
    planner can prefer walking a jurisdiction's cases newest first (2 s on a million) to the unique index."""
    prefix = q.strip().upper()
    in_range = and_(Case.number >= prefix, Case.number < prefix_upper_bound(prefix))
    ids = session.scalars(select(Case.id).where(in_range).limit(SELECTIVE_NUMBER_MATCHES + 1)).all()
    if len(ids) <= SELECTIVE_NUMBER_MATCHES:
        return Case.id.in_(ids) if ids else false()
    return in_range


def _filtered(
    query: Select[Any],
    scope: ColumnElement[bool],
    *,
    kind: str | None,
    status: str | None,
    jurisdiction: str | None,
    assigned_to: int | None,
    nationality: str | None,
    deadline_before: date | None,
) -> Select[Any]:
    query = query.where(scope)
    if kind:
        query = query.where(Case.kind == kind)
    if status:
        query = query.where(Case.status == status)
    if jurisdiction:
        query = query.where(Case.jurisdiction_code == jurisdiction)
    if assigned_to is not None:
        query = query.where(Case.assigned_user_id == assigned_to)
    if nationality:
        query = query.where(
            Case.person_id.in_(select(PersonNationality.person_id).where(PersonNationality.country_code == nationality))
        )
    if deadline_before is not None:
        query = query.where(Case.deadline < deadline_before)
    return query


#: A case as a listing shows it: its columns but the state document, as plain rows whose names are
#: the model's (`case.number`, `case.status`, ...). Loading and parsing each case's state, and
#: building an ORM object for each, was half of a name search.
SUMMARY_COLUMNS = tuple(column for column in Case.__table__.columns if column.name != "state")


def _select_cases(with_state: bool) -> Select[Any]:
    """Cases, whole (ORM objects) or summarised (`SUMMARY_COLUMNS` rows, which have no `state`)."""
    return select(Case) if with_state else select(*SUMMARY_COLUMNS)


def _fetch(session: Session, query: Select[Any], with_state: bool) -> list[Any]:
    return list(session.scalars(query)) if with_state else list(session.execute(query))


def list_page(
    session: Session,
    scope: ColumnElement[bool],
    *,
    kind: str | None = None,
    status: str | None = None,
    jurisdiction: str | None = None,
    assigned_to: int | None = None,
    nationality: str | None = None,
    q: str | None = None,
    deadline_before: date | None = None,
    after_id: int | None = None,
    limit: int = 50,
    with_state: bool = True,
) -> list[Case]:
    """Up to `limit + 1` cases, newest first, after keyset `after_id` (the extra row says "more").

    `q` here is a case number (prefix); a search by name is `list_page_by_name`. Without
    `with_state` the cases come without their state document (see `_select_cases`).
    """
    query = _filtered(
        _select_cases(with_state), scope, kind=kind, status=status, jurisdiction=jurisdiction, assigned_to=assigned_to,
        nationality=nationality, deadline_before=deadline_before,
    )
    if q:
        query = query.where(_number_filter(session, q))
    if after_id is not None:
        query = query.where(Case.id < after_id)
    return _fetch(session, query.order_by(Case.id.desc()).limit(limit + 1), with_state)


_other_key = PersonNameKey.__table__.alias("other_key")
#: The most name keys one round of a name search reads (the IN list of the second query).
_MAX_KEYS_PER_ROUND = 4000
#: The most name keys one request reads: a user who may see few cases (an applicant, a consulate)
#: searching a common prefix gets a short page and a cursor instead of a walk of the whole index.
MAX_KEYS_PER_REQUEST = 20_000


def _matching_keys(q: str) -> Select[Any]:
    """(key, person id) of the persons whose name starts with `q`, each once: under the smallest of
    their keys that match (a primary-key probe per key), so that a person matched under two keys
    ("garcia garcia juan" and "garcia juan" for "garcia") is listed once."""
    prefix = normalise(q)
    return select(PersonNameKey.key, PersonNameKey.person_id).where(key_range(q), ~exists().where(
        _other_key.c.person_id == PersonNameKey.person_id,
        _other_key.c.key >= prefix,
        _other_key.c.key < PersonNameKey.key,
    ))


def matched_key(session: Session, q: str, person_id: int) -> str | None:
    """The key under which a name search for `q` lists `person_id` (None if it no longer matches)."""
    return session.scalar(select(func.min(PersonNameKey.key)).where(PersonNameKey.person_id == person_id, key_range(q)))


def list_page_by_name(
    session: Session,
    scope: ColumnElement[bool],
    q: str,
    *,
    kind: str | None = None,
    status: str | None = None,
    jurisdiction: str | None = None,
    assigned_to: int | None = None,
    nationality: str | None = None,
    deadline_before: date | None = None,
    after: tuple[str, int, int] | None = None,
    limit: int = 50,
    with_state: bool = True,
) -> tuple[list[Case], int | None]:
    """Up to `limit + 1` cases in name order, after keyset `after` (the key the person was listed
    under, person id, case id); and, when the request's budget of keys ran out first, the person id
    to resume after (each person is listed once, so their key can be found again).

    In name order — key, then person, then newest case — the name index is read from the prefix
    onwards, a page at a time: first the next keys in index order, then the cases of those persons
    that pass the scope and filters; more keys (four times as many each round) only while the page
    is not full, and never more than `MAX_KEYS_PER_REQUEST` in one request. Two indexed queries per
    round, planned the same whatever the database estimates (PostgreSQL misjudges prefix ranges of
    text by orders of magnitude and then sorts every match of a common surname), and bounded by the
    page, not by how common the name is.
    """
    wanted = limit + 1
    found: list[Case] = []
    keys_after: ColumnElement[bool] | None = None
    if after is not None:
        key, person_id, _case_id = after
        keys_after = or_(PersonNameKey.key > key, and_(PersonNameKey.key == key, PersonNameKey.person_id >= person_id))
    size, read = min(wanted, MAX_KEYS_PER_REQUEST), 0
    while len(found) < wanted:
        query = _matching_keys(q)
        if keys_after is not None:
            query = query.where(keys_after)
        keys = session.execute(query.order_by(PersonNameKey.key, PersonNameKey.person_id).limit(size)).all()
        read += len(keys)
        if not keys:
            break
        cases = _fetch(session, _filtered(
            _select_cases(with_state), scope, kind=kind, status=status, jurisdiction=jurisdiction, assigned_to=assigned_to,
            nationality=nationality, deadline_before=deadline_before,
        ).where(Case.person_id.in_({person for _key, person in keys})).order_by(Case.id.desc()), with_state)
        by_person: dict[int, list[Case]] = {}
        for case in cases:
            by_person.setdefault(case.person_id, []).append(case)
        for _key, person in keys:
            for case in by_person.get(person, ()):
                if after is not None and person == after[1] and case.id >= after[2]:
                    continue  # shown on an earlier page
                found.append(case)
        if len(keys) < size:
            break
        last_key, last_person = keys[-1]
        if read >= MAX_KEYS_PER_REQUEST and len(found) < wanted:
            return found, last_person
        keys_after = or_(PersonNameKey.key > last_key, and_(PersonNameKey.key == last_key, PersonNameKey.person_id > last_person))
        size = min(size * 4, _MAX_KEYS_PER_ROUND, MAX_KEYS_PER_REQUEST - read)
    return found[:wanted], None


def touch_values(now: datetime, state_json: dict[str, Any], *, status: str, assigned_user_id: int | None, deadline: date | None) -> dict[str, Any]:
    """The denormalised columns written with every version bump."""
    return {
        "status": status,
        "assigned_user_id": assigned_user_id,
        "deadline": deadline,
        "state": state_json,
        "updated_at": now,
    }


