"""Deciding: grant, refuse (proposed, then signed off by a supervisor), appeal, and the appeal's decision.

Before anything is recorded the safeguards engine evaluates every safeguard that applies to the
event for the case's jurisdiction and the decision date. A binding or adopted safeguard that is not
met refuses the request (409 "safeguards_not_met", naming each safeguard, its status, its sources
and what is missing). A refusal is recorded as *proposed*: the supervisor sign-off safeguard is the
one thing the proposal itself cannot meet; it is met when a supervisor other than the proposer signs,
and the evaluation is run again on the sign-off date. Every recorded decision keeps the evaluation
(`Evaluation.to_dict()`: date, rules version, facts, each safeguard's outcome) so it can be replayed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from amparo.audit import service as audit
from amparo.auth import policy
from amparo.auth.policy import Action as Permission, Actor
from amparo.cases import service as case_service
from amparo.cases.models import Action, Case
from amparo.config import Settings
from amparo.errors import Conflict, Forbidden, InvalidInput
from amparo.people import repository as people
from amparo.programmes import age_on
from amparo.regularization import actions as reg, service
from amparo.regularization.flows import case_and_facts, record_action, today, visible_case
from amparo.regularization.schemas import AppealIn, DecisionIn
from amparo.safeguards import AppealInformation, ChildAffected, EventFacts, Evaluation, default_engine
from amparo.validation import validate

#: The one safeguard a proposed refusal cannot meet by itself: the sign-off that follows it.
SIGN_OFF = "supervisor-sign-off"


@dataclass(frozen=True)
class Decided:
    case: Case
    recorded: str
    evaluation: Evaluation


def _blocked(details: list[dict[str, Any]], case: Case, event: str, on: dt.date) -> Conflict:
    names = ", ".join(d["safeguard"] for d in details)
    return Conflict(
        f"the {event.split(':')[1]} of case {case.number} cannot be recorded: safeguards not met on {on} ({names}); "
        "add what each one is missing and decide again",
        details=details,
        code="safeguards_not_met",
    )


def safeguard_facts(
    session: Session, case: Case, programme: Any, data: DecisionIn, on: dt.date, *, individually_assessed: bool,
    person: Any = None,
) -> EventFacts:
    """The facts the safeguards engine weighs for a decision on `case` (also shown, before deciding,
    in the case page's safeguards panel). `person`: the case's person when the caller already read it."""
    if person is None or person.id != case.person_id:
        person = people.get(session, case.person_id)
    assert person is not None
    appeal = data.appeal_information
    deadline = appeal.deadline if appeal and appeal.deadline else on + dt.timedelta(days=programme.appeal_period_days)
    children: tuple[ChildAffected, ...] = ()
    if person.date_of_birth is not None and age_on(person.date_of_birth, on) < 18:
        children = (ChildAffected(ref=f"person:{person.id}", best_interests_assessed=data.best_interests_assessed),)
    employer_gate = (
        programme.employer.sponsorship_required or programme.employer.consent_required
        or programme.employer.work_confirmation == "required" or "applicant" not in programme.filing.by
    )
    return EventFacts(
        outcome=data.outcome, reasons=(data.reasons or "").strip() or None, decision_language=data.language,
        person_languages=tuple(person.languages or ()),
        appeal=AppealInformation(how=(appeal.how or "").strip() or None if appeal else None, deadline=deadline if data.outcome == "refuse" else None),
        individually_assessed=individually_assessed, children=children, employer_gate=employer_gate,
        trafficking_indicators=data.trafficking_indicators, referred_for_protection=data.referred_for_protection,
    )


def decide(
    session: Session,
    settings: Settings,
    actor: Actor,
    case_ref: int | str,
    data: DecisionIn | dict[str, Any],
    purpose: str,
    *,
    individually_assessed: bool = True,
) -> Decided:
    """Grant, or propose a refusal, on a pending case or on an appeal.

    Args:
        individually_assessed: this service decides one case on its own file, so it records the
            decision as individually assessed; a caller deciding a group must pass False.

    Raises:
        NotFound / Forbidden: the actor may not see the case / may not decide it (the first decision
            needs the assigned caseworker; an appeal someone other than every earlier decider).
        Conflict: "safeguards_not_met" (nothing recorded), "invalid_transition", or a version conflict.
    """
    data = validate(DecisionIn, data, what="decision")
    purpose = audit.check_purpose(purpose)
    case, application, facts_record = case_and_facts(session, actor, case_ref)
    state = case_service.state_of(case)
    if state.status == reg.Status.UNDER_APPEAL:
        stage, permission = "appeal", Permission.APPEAL_DECIDE
        if actor.user_id in state.deciders:
            raise Forbidden(
                f"you took part in the decision under appeal on case {case.number}; the appeal must be decided by someone else",
                details=[{"field": "actor", "value": actor.username, "expected": "a decider other than the first ones"}],
            )
    elif state.status in reg.UNDECIDED:
        stage, permission = "first", Permission.DECISION_PROPOSE
    else:
        raise reg.InvalidTransition(
            f"case {case.number} is {state.status}: there is nothing to decide now",
            details=[{"field": "status", "value": state.status, "expected": "pending or under appeal"}],
        )
    if not policy.is_allowed(actor, permission, facts_record):
        raise Forbidden(
            f"only the staff member assigned to case {case.number} may decide it"
            if stage == "first" else f"your role {actor.role.value!r} may not decide appeals on case {case.number}",
            details=[{"field": "permission", "value": permission.value, "expected": "assigned caseworker or supervisor"}],
        )
    row, _ = service.get_programme(session, application.programme_id, application.programme_version)
    programme = service.programme_of(row)
    on = today()
    facts = safeguard_facts(session, case, programme, data, on, individually_assessed=individually_assessed)
    evaluation = default_engine().evaluate(f"decision:{data.outcome}", case.jurisdiction_code, on, facts, adopted=programme.safeguards_adopted)
    blocking = [d for d in evaluation.blocking_details() if not (data.outcome == "refuse" and d["safeguard"] == SIGN_OFF)]
    if blocking:
        raise _blocked(blocking, case, f"decision:{data.outcome}", on)
    payload = reg.Decision(
        outcome=data.outcome, stage=stage, reasons=facts.reasons, language=data.language,  # type: ignore[arg-type]
        appeal_information=facts.appeal.model_dump(mode="json") if data.outcome == "refuse" else None,
        decided_on=on, evaluation=evaluation.to_dict(),
    )
    recorded = "decision_made" if data.outcome == "grant" else "decision_proposed"
    record_action(session, actor, case, recorded, payload, purpose, data.expected_version)
    audit.record(session, actor, permission.value, "case", case.id, purpose, {"outcome": data.outcome, "stage": stage, "recorded": recorded})
    return Decided(case, recorded, evaluation)


def _proposal(session: Session, case: Case, seq: int) -> reg.Decision:
    row = session.scalars(select(Action).where(Action.case_id == case.id, Action.seq == seq)).one()
    return reg.Decision.model_validate(row.payload)


def sign_off(session: Session, settings: Settings, actor: Actor, case_ref: int | str, purpose: str, expected_version: int | None = None) -> Decided:
    """A supervisor of the jurisdiction, other than the proposer, signs the proposed refusal; it takes effect.

    Raises:
        Forbidden: not a supervisor of the jurisdiction, or the proposer themselves (four eyes).
        Conflict: nothing awaits sign-off, or a safeguard is no longer met on the sign-off date
            (e.g. the appeal deadline has passed): "safeguards_not_met", nothing recorded.
    """
    purpose = audit.check_purpose(purpose)
    case, application = visible_case(session, actor, case_ref, Permission.DECISION_SIGNOFF)
    state = case_service.state_of(case)
    if state.status != reg.Status.REFUSAL_PROPOSED or state.proposed_decision is None:
        raise reg.InvalidTransition(
            f"case {case.number} has no refusal awaiting sign-off (it is {state.status})",
            details=[{"field": "status", "value": state.status, "expected": reg.Status.REFUSAL_PROPOSED}],
        )
    if actor.user_id in state.deciders:
        raise Forbidden(
            f"you proposed (or took part in) this refusal of case {case.number}; another supervisor must sign it off",
            details=[{"field": "actor", "value": actor.username, "expected": "a supervisor who did not propose it"}],
        )
    proposal = _proposal(session, case, state.proposed_decision["seq"])
    on = today()
    row, _ = service.get_programme(session, application.programme_id, application.programme_version)
    programme = service.programme_of(row)
    recorded = dict(proposal.evaluation["facts"])
    # The refusal takes effect today: the person keeps the whole appeal period from today, however
    # long the proposal waited for its sign-off.
    appeal_facts = dict(recorded.get("appeal") or {})
    if appeal_facts.get("deadline"):
        earliest = on + dt.timedelta(days=programme.appeal_period_days)
        appeal_facts["deadline"] = max(dt.date.fromisoformat(appeal_facts["deadline"]), earliest).isoformat()
    facts = EventFacts.model_validate(recorded | {"appeal": appeal_facts, "supervisor_signoff": True})
    evaluation = default_engine().evaluate("decision:refuse", case.jurisdiction_code, on, facts, adopted=programme.safeguards_adopted)
    if not evaluation.ok:
        raise _blocked(evaluation.blocking_details(), case, "decision:refuse", on)
    record_action(session, actor, case, "decision_signed_off", reg.SignOff(signed_on=on, evaluation=evaluation.to_dict()), purpose, expected_version)
    audit.record(session, actor, Permission.DECISION_SIGNOFF.value, "case", case.id, purpose, {"proposal_seq": state.proposed_decision["seq"]})
    return Decided(case, "decision_signed_off", evaluation)


def appeal(session: Session, settings: Settings, actor: Actor, case_ref: int | str, data: AppealIn | dict[str, Any], purpose: str) -> Case:
    """The applicant appeals a refusal within the period; a certificate "under appeal" is issued at once.

    Raises:
        Conflict: the case is not refused, was already appealed, or the period is over ("appeal_period_over").
    """
    data = validate(AppealIn, data, what="appeal")
    purpose = audit.check_purpose(purpose)
    case, application = visible_case(session, actor, case_ref, Permission.APPEAL_FILE)
    state = case_service.state_of(case)
    if state.status != reg.Status.REFUSED or state.decision is None:
        raise reg.InvalidTransition(
            f"case {case.number} is {state.status}; only a refusal can be appealed",
            details=[{"field": "status", "value": state.status, "expected": reg.Status.REFUSED}],
        )
    if state.appeal is not None:
        raise reg.InvalidTransition(f"the refusal of case {case.number} was already appealed")
    signed = session.scalars(select(Action).where(Action.case_id == case.id, Action.seq == state.decision["signoff_seq"])).one()
    deadline_text = (reg.SignOff.model_validate(signed.payload).evaluation["facts"].get("appeal") or {}).get("deadline")
    on = today()
    if deadline_text is None:
        raise InvalidInput("the refusal records no appeal deadline; ask the authority")  # cannot happen: safeguards require one
    deadline = dt.date.fromisoformat(deadline_text)
    if on > deadline:
        raise Conflict(
            f"the period to appeal the refusal of case {case.number} ended on {deadline}; today is {on}",
            details=[{"field": "filed_on", "value": on.isoformat(), "expected": f"on or before {deadline}"}],
            code="appeal_period_over",
        )
    record_action(session, actor, case, "appeal_filed", reg.AppealFiled(grounds=data.grounds, filed_on=on), purpose)
    row, _ = service.get_programme(session, application.programme_id, application.programme_version)
    person = people.get(session, case.person_id)
    assert person is not None
    service.issue_certificate(session, settings, case, person, service.programme_of(row), application.filed_on, status="under_appeal")
    audit.record(session, actor, Permission.APPEAL_FILE.value, "case", case.id, purpose, {"filed_on": on.isoformat()})
    return case
