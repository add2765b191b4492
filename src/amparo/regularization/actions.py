"""The regularization action types and their reducer branches.

The journal of a regularization case reads: case_opened → application_filed → (assign,
request_information, provide_information, evidence_added, employer_answered)* → decision_made
(grant) or decision_proposed + decision_signed_off (refusal) → appeal_filed → the appeal's decision.
Every type here is recorded by `amparo.regularization.flows`, which checks the scope table and the
four-eyes rules first; none can be appended through the generic journal route (permission None).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field

from amparo.cases.actions import _Payload, register
from amparo.cases.reducer import ActionEvent, Branch, InvalidTransition, _require, branch, extend
from amparo.cases.schemas import CaseState


class Status:
    """Case statuses regularization adds to those of `amparo.cases.schemas.CaseStatus`."""

    REFUSAL_PROPOSED = "refusal_proposed"  # a refusal awaits a supervisor's sign-off: still pending
    GRANTED = "granted"
    REFUSED = "refused"
    UNDER_APPEAL = "under_appeal"


#: Statuses in which a decision may be proposed or made (a first decision).
UNDECIDED = frozenset({"open", "in_progress", "awaiting_information"})
#: Statuses in which a decision is in effect: only the appeal (of a refusal), notes and the person's
#: consular consent may follow.
DECIDED = frozenset({Status.GRANTED, Status.REFUSED})
#: Case status -> the status a certificate verifier understands (`amparo.certificates.validity`).
CERTIFICATE_STATUS = {Status.REFUSAL_PROPOSED: "under_review"}


class ApplicationFiled(_Payload):
    programme_id: str
    programme_version: int
    filed_on: date
    on_behalf: bool = False
    overall: str = Field(description="The pre-assessment's overall result.")
    decide_by: date | None = Field(None, description="Filing date plus the programme's decision deadline in days.")


class EvidenceAdded(_Payload):
    sha256: str
    kind: str
    document_date: date
    overall: str = Field(description="The pre-assessment's overall result with this evidence.")


class EmployerAnswered(_Payload):
    invitation_id: int
    confirmed: bool


class Decision(_Payload):
    """A decision as recorded: outcome, texts, the deciding date and the full safeguards evaluation."""

    outcome: Literal["grant", "refuse"]
    stage: Literal["first", "appeal"] = "first"
    reasons: str | None = None
    language: str | None = None
    appeal_information: dict[str, Any] | None = None
    decided_on: date
    evaluation: dict[str, Any] = Field(description="`amparo.safeguards.Evaluation.to_dict()`, for replay.")


class SignOff(_Payload):
    signed_on: date
    evaluation: dict[str, Any]


class AppealFiled(_Payload):
    grounds: str = Field(min_length=1, max_length=10_000)
    filed_on: date


register("application_filed", ApplicationFiled, None, "The application is filed under a programme version (system).")
register("evidence_added", EvidenceAdded, None, "An evidence file was added (recorded by the upload).")
register("employer_answered", EmployerAnswered, None, "An invited employer confirmed or declined (recorded by the invitation).")
register("decision_made", Decision, None, "A grant (or an appeal's decision) takes effect, safeguards met.")
register("decision_proposed", Decision, None, "A refusal is proposed; it takes effect when a supervisor signs it off.")
register("decision_signed_off", SignOff, None, "A supervisor other than the proposer signs off the proposed refusal.")
register("appeal_filed", AppealFiled, None, "The applicant appeals the refusal within the appeal period.")


def _pending_decision(state: CaseState, event: ActionEvent, allowed: frozenset[str]) -> None:
    if state.status not in allowed:
        raise InvalidTransition(
            f"{event.type} is not possible: the case is {state.status}",
            details=[{"field": "status", "value": state.status, "expected": " or ".join(sorted(allowed))}],
        )


def _summary(payload: Decision, event: ActionEvent) -> dict[str, Any]:
    return {
        "outcome": payload.outcome,
        "stage": payload.stage,
        "decided_on": payload.decided_on.isoformat(),
        "by": event.actor_user_id,
        "seq": event.seq,
    }


@branch("application_filed")
def _filed(state: CaseState | None, payload: ApplicationFiled, event: ActionEvent) -> CaseState:
    state = _require(state, event)
    if state.programme is not None:
        raise InvalidTransition("this case already holds an application")
    programme = {"id": payload.programme_id, "version": payload.programme_version, "filed_on": payload.filed_on.isoformat(),
                 "overall": payload.overall, "decide_by": payload.decide_by.isoformat() if payload.decide_by else None}
    return state.model_copy(update={"programme": programme, "deadline": payload.decide_by or state.deadline})


@branch("evidence_added")
def _evidence(state: CaseState | None, payload: EvidenceAdded, event: ActionEvent) -> CaseState:
    state = _require(state, event)
    refuse_once_decided(state, event)
    programme = dict(state.programme or {}, overall=payload.overall)
    return state.model_copy(update={"evidence": state.evidence + 1, "programme": programme})


@branch("employer_answered")
def _employer(state: CaseState | None, payload: EmployerAnswered, event: ActionEvent) -> CaseState:
    return _require(state, event)


@branch("decision_made")
def _decided(state: CaseState | None, payload: Decision, event: ActionEvent) -> CaseState:
    state = _require(state, event)
    if payload.stage == "appeal":
        _pending_decision(state, event, frozenset({Status.UNDER_APPEAL}))
    else:
        _pending_decision(state, event, UNDECIDED)
    if payload.outcome != "grant":
        raise InvalidTransition("a refusal takes effect only through decision_proposed and decision_signed_off")
    return state.model_copy(
        update={
            "status": Status.GRANTED, "decision": _summary(payload, event), "proposed_decision": None, "deadline": None,
            "information_request": None, "deciders": sorted({*state.deciders, event.actor_user_id or 0}),
        }
    )


@branch("decision_proposed")
def _proposed(state: CaseState | None, payload: Decision, event: ActionEvent) -> CaseState:
    state = _require(state, event)
    allowed = frozenset({Status.UNDER_APPEAL}) if payload.stage == "appeal" else UNDECIDED
    _pending_decision(state, event, allowed)
    summary = _summary(payload, event) | {"previous_status": state.status}
    return state.model_copy(
        update={
            "status": Status.REFUSAL_PROPOSED, "proposed_decision": summary, "information_request": None,
            "deciders": sorted({*state.deciders, event.actor_user_id or 0}),
        }
    )


@branch("decision_signed_off")
def _signed(state: CaseState | None, payload: SignOff, event: ActionEvent) -> CaseState:
    state = _require(state, event)
    _pending_decision(state, event, frozenset({Status.REFUSAL_PROPOSED}))
    proposed = dict(state.proposed_decision or {})
    decision = proposed | {"signed_off_by": event.actor_user_id, "decided_on": payload.signed_on.isoformat(), "signoff_seq": event.seq}
    return state.model_copy(
        update={
            "status": Status.REFUSED, "decision": decision, "proposed_decision": None, "deadline": None,
            "deciders": sorted({*state.deciders, event.actor_user_id or 0}),
        }
    )


@branch("appeal_filed")
def _appealed(state: CaseState | None, payload: AppealFiled, event: ActionEvent) -> CaseState:
    state = _require(state, event)
    _pending_decision(state, event, frozenset({Status.REFUSED}))
    if state.appeal is not None:
        raise InvalidTransition("this refusal was already appealed; the appeal's decision is final here")
    return state.model_copy(
        update={"status": Status.UNDER_APPEAL, "appeal": {"filed_on": payload.filed_on.isoformat(), "seq": event.seq}}
    )


# --- the generic actions on a regularization case ---------------------------------------------------
# `amparo.cases.reducer` holds the branches of actions every case has (assign, request and provide
# information, withdraw). On a case holding an application two programme rules apply on top of them,
# so each of those branches is wrapped here (this module is imported by the reducer itself, so every
# replay sees the same rules):
#
# * once decided (granted or refused) the case takes no more casework: assign, request_information,
#   provide_information and withdraw are refused with 409 invalid_transition. The appeal of a refusal
#   reopens it (appeal_filed), after which casework is allowed again. Notes and consular consent stay
#   allowed (a note documents; consent is the person's to give or withdraw at any time). An employer's
#   answer to an invitation is recorded whatever the status: refusing it would tell the employer the
#   application's status, which they must never learn.
# * answering a request for information gives the case back the deadline the programme set: the
#   decision deadline recorded at filing (`decide_by`, filing date + decision_deadline_days). A
#   programme has no rule that stops or extends that clock while information is awaited, so the
#   answer neither clears it (the bug this fixes) nor moves it. An answer during an appeal returns the
#   case to under_appeal (the appeal has no deadline of its own).

#: What to do instead, per action refused on a decided case.
_INSTEAD = {
    "assign": "a decided case needs no assignment; if the refusal is appealed, assign the appeal",
    "request_information": "the decision is made; if the applicant appeals, ask for information during the appeal",
    "provide_information": "the decision is made; to contest a refusal, file an appeal with the new information",
    "withdraw": "the decision is made and stays on record; a refusal can be appealed",
    "evidence_added": "the decision is made; to contest a refusal, file an appeal first and then add the evidence",
}


def refuse_once_decided(state: CaseState, event: ActionEvent) -> None:
    """InvalidTransition (409) when `event` would change a decided regularization case."""
    if state.programme is not None and state.status in DECIDED:
        raise InvalidTransition(
            f"{event.type.replace('_', ' ')} is not possible: the case was {state.status} and the decision is in effect; "
            + _INSTEAD.get(event.type, "only an appeal of a refusal, notes and consular consent may follow"),
            details=[{"field": "type", "value": event.type, "expected": "an appeal of a refusal, a note or consular consent"}],
        )


def _refusing_once_decided(inner: Branch, state: CaseState | None, payload: Any, event: ActionEvent) -> CaseState:
    if state is not None:
        refuse_once_decided(state, event)
    return inner(state, payload, event)


for _name in ("assign", "request_information", "withdraw"):
    extend(_name)(_refusing_once_decided)


@extend("provide_information")
def _provide(inner: Branch, state: CaseState | None, payload: Any, event: ActionEvent) -> CaseState:
    state = _require(state, event)
    refuse_once_decided(state, event)
    answered = inner(state, payload, event)
    if state.programme is None:
        return answered
    if state.appeal is not None:
        return answered.model_copy(update={"status": Status.UNDER_APPEAL, "deadline": None})
    decide_by = state.programme.get("decide_by")
    return answered.model_copy(update={"deadline": date.fromisoformat(decide_by) if decide_by else None})
