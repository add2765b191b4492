"""The scope table: role × action × relation to the record. Default deny.

Every grant Amparo makes is one cell of `SCOPES`. A cell that is absent is a denial; there is no other
way in. The authorization matrix test is generated from this table and the API's route list.

The firewall (PRODUCT.md §2; ICCPR art. 17, ICRMW art. 14): `enforcement_officer` has no cell that
touches a person or a case, and `check_firewall()` fails at import time if one is ever added.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    APPLICANT = "applicant"
    CASEWORKER = "caseworker"
    SUPERVISOR = "supervisor"
    CONSULAR_OFFICER = "consular_officer"
    COMPLAINTS_OFFICER = "complaints_officer"
    EMPLOYER = "employer"
    ENFORCEMENT_OFFICER = "enforcement_officer"
    PROGRAMME_ADMIN = "programme_admin"
    SYSTEM_ADMIN = "system_admin"
    #: Staff of an NGO, a municipality or a consulate who file applications on a person's behalf,
    #: only with that person's recorded consent (issue 4). They read nothing once filed.
    FILING_ASSISTANT = "filing_assistant"


STAFF_ROLES = frozenset(
    {Role.CASEWORKER, Role.SUPERVISOR, Role.CONSULAR_OFFICER, Role.COMPLAINTS_OFFICER}
)


class Relation(StrEnum):
    """How the acting user stands to the record."""

    SELF = "self"  # the record is about the user (an applicant's own person and cases)
    ASSIGNED = "assigned"  # the case is currently assigned to the user
    SAME_JURISDICTION = "same_jurisdiction"  # the record belongs to the user's jurisdiction
    CONSULATE_WITH_CONSENT = "consulate_with_consent"  # a national of the user's State who consented
    NONE = "none"  # no relation; also the relation for actions on no particular record


class Action(StrEnum):
    PERSON_CREATE = "person:create"
    PERSON_READ = "person:read"
    PERSON_LIST = "person:list"
    CASE_CREATE = "case:create"
    CASE_READ = "case:read"
    CASE_LIST = "case:list"
    JOURNAL_READ = "journal:read"
    #: Appending an action the applicant takes (consent, providing information, withdrawal).
    APPEND_APPLICANT_ACTION = "case:append_applicant_action"
    #: Appending a staff action (note, request for information, assessment); assigned staff only.
    APPEND_STAFF_ACTION = "case:append_staff_action"
    #: Assigning or reassigning a case (itself an action in the journal).
    ASSIGN = "case:assign"
    USER_READ_SELF = "user:read_self"
    AUDIT_VERIFY = "audit:verify"
    # Regularization (issue 4).
    APPLICATION_FILE = "application:file"
    EVIDENCE_ADD = "evidence:add"
    EVIDENCE_READ = "evidence:read"
    CERTIFICATE_READ = "certificate:read"
    QUEUE_READ = "queue:read"
    DECISION_PROPOSE = "decision:propose"
    DECISION_SIGNOFF = "decision:signoff"
    APPEAL_FILE = "appeal:file"
    APPEAL_DECIDE = "appeal:decide"
    PROGRAMME_PUBLISH = "programme:publish"
    EMPLOYER_INVITATION_CREATE = "employer_invitation:create"


#: Actions that touch personal or case data: the firewall denies every one of them to enforcement.
PERSONAL_DATA_ACTIONS = frozenset(
    {
        Action.PERSON_CREATE,
        Action.PERSON_READ,
        Action.PERSON_LIST,
        Action.CASE_CREATE,
        Action.CASE_READ,
        Action.CASE_LIST,
        Action.JOURNAL_READ,
        Action.APPEND_APPLICANT_ACTION,
        Action.APPEND_STAFF_ACTION,
        Action.ASSIGN,
        Action.APPLICATION_FILE,
        Action.EVIDENCE_ADD,
        Action.EVIDENCE_READ,
        Action.CERTIFICATE_READ,
        Action.QUEUE_READ,
        Action.DECISION_PROPOSE,
        Action.DECISION_SIGNOFF,
        Action.APPEAL_FILE,
        Action.APPEAL_DECIDE,
        Action.EMPLOYER_INVITATION_CREATE,
    }
)

_S, _A, _J, _C = (
    Relation.SELF,
    Relation.ASSIGNED,
    Relation.SAME_JURISDICTION,
    Relation.CONSULATE_WITH_CONSENT,
)


def _cells(**grants: Iterable[Relation]) -> dict[Action, frozenset[Relation]]:
    return {Action(name.replace("__", ":")): frozenset(relations) for name, relations in grants.items()}


#: role -> action -> the relations under which the action is allowed. Absent means denied.
SCOPES: dict[Role, dict[Action, frozenset[Relation]]] = {
    Role.APPLICANT: _cells(
        person__read=[_S],
        case__read=[_S],
        case__list=[_S],
        journal__read=[_S],
        case__append_applicant_action=[_S],
        user__read_self=[Relation.NONE],
        application__file=[_S],
        evidence__add=[_S],
        evidence__read=[_S],
        certificate__read=[_S],
        appeal__file=[_S],
        employer_invitation__create=[_S],
    ),
    Role.CASEWORKER: _cells(
        person__create=[_J],
        person__read=[_A, _J],
        person__list=[_J],
        case__create=[_J],
        case__read=[_A, _J],
        case__list=[_J],
        journal__read=[_A, _J],
        case__append_staff_action=[_A],
        user__read_self=[Relation.NONE],
        evidence__add=[_A],
        evidence__read=[_A, _J],
        certificate__read=[_A, _J],
        queue__read=[_J],
        decision__propose=[_A],
        appeal__decide=[_A],
    ),
    Role.SUPERVISOR: _cells(
        person__create=[_J],
        person__read=[_J],
        person__list=[_J],
        case__create=[_J],
        case__read=[_J],
        case__list=[_J],
        journal__read=[_J],
        case__append_staff_action=[_A],
        case__assign=[_J],
        user__read_self=[Relation.NONE],
        evidence__add=[_A],
        evidence__read=[_J],
        certificate__read=[_J],
        queue__read=[_J],
        decision__propose=[_A],
        decision__signoff=[_J],
        appeal__decide=[_J],
    ),
    Role.CONSULAR_OFFICER: _cells(
        person__read=[_C],
        case__read=[_C],
        case__list=[_C],
        journal__read=[_C],
        case__append_staff_action=[_C],
        user__read_self=[Relation.NONE],
    ),
    Role.COMPLAINTS_OFFICER: _cells(
        person__read=[_A],
        case__read=[_A],
        case__list=[_A],
        journal__read=[_A],
        case__append_staff_action=[_A],
        user__read_self=[Relation.NONE],
    ),
    # The employer answers the applicant's invitation (issue 4) and nothing else.
    Role.EMPLOYER: _cells(user__read_self=[Relation.NONE]),
    # The firewall: nothing that touches a person or a case, ever.
    Role.ENFORCEMENT_OFFICER: _cells(user__read_self=[Relation.NONE]),
    # Defines programmes and safeguard policy; never reads case files.
    Role.PROGRAMME_ADMIN: _cells(user__read_self=[Relation.NONE], programme__publish=[_J]),
    Role.SYSTEM_ADMIN: _cells(user__read_self=[Relation.NONE], audit__verify=[Relation.NONE]),
    # Files for a person who consented (the consent is recorded with the application); reads nothing.
    Role.FILING_ASSISTANT: _cells(user__read_self=[Relation.NONE], application__file=[_J]),
}


@dataclass(frozen=True, slots=True)
class Actor:
    """The authenticated user as the rules see them, with their role at the time of the act."""

    user_id: int
    username: str
    role: Role
    jurisdiction: str | None = None
    #: For applicants: the person record that is theirs.
    person_id: int | None = None
    #: For consular officers: the State (alpha-3) whose consulate they serve.
    consular_state: str | None = None


@dataclass(frozen=True, slots=True)
class RecordFacts:
    """What the rules need to know about a person or case to find the actor's relations to it."""

    jurisdiction: str
    person_id: int
    assigned_user_id: int | None = None
    nationalities: frozenset[str] = field(default_factory=frozenset)
    #: States (alpha-3) whose consulate the person has consented to (and not withdrawn).
    consular_consent: frozenset[str] = field(default_factory=frozenset)


def relations(actor: Actor, record: RecordFacts | None) -> frozenset[Relation]:
    """Every relation that holds between the actor and the record (several may hold at once)."""
    if record is None:
        return frozenset({Relation.NONE})
    held: set[Relation] = set()
    if actor.person_id is not None and actor.person_id == record.person_id:
        held.add(Relation.SELF)
    if record.assigned_user_id is not None and record.assigned_user_id == actor.user_id:
        held.add(Relation.ASSIGNED)
    if actor.jurisdiction is not None and actor.jurisdiction == record.jurisdiction:
        held.add(Relation.SAME_JURISDICTION)
    if (
        actor.consular_state is not None
        and actor.consular_state in record.nationalities
        and actor.consular_state in record.consular_consent
    ):
        held.add(Relation.CONSULATE_WITH_CONSENT)
    return frozenset(held) if held else frozenset({Relation.NONE})


def allows(role: Role, action: Action, held: Iterable[Relation]) -> bool:
    """True when the table grants `action` to `role` under at least one of the held relations."""
    granted = SCOPES.get(role, {}).get(action)
    return bool(granted) and any(relation in granted for relation in held)


def is_allowed(actor: Actor, action: Action, record: RecordFacts | None = None) -> bool:
    return allows(actor.role, action, relations(actor, record))


def check_firewall(scopes: dict[Role, dict[Action, frozenset[Relation]]] = SCOPES) -> None:
    """Refuse to run with a scope table that lets enforcement near personal or case data."""
    leaked = sorted(a.value for a in scopes.get(Role.ENFORCEMENT_OFFICER, {}) if a in PERSONAL_DATA_ACTIONS)
    if leaked:
        raise RuntimeError(f"firewall breach: enforcement_officer granted {', '.join(leaked)}")


check_firewall()
