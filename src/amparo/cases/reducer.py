"""The one reducer: a case's state is a pure function of its journal.

`apply(state, event)` folds one action into the state (used incrementally when appending: the stored
snapshot plus the new action); `replay(events)` folds a whole journal (used to check snapshots and to
rebuild them). Neither touches the database or the clock: the same journal always gives the same state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from amparo.cases import actions as types
from amparo.cases.schemas import CaseState, CaseStatus, InformationRequest
from amparo.errors import Conflict, DataError
from amparo.validation import validate

Branch = Callable[[CaseState | None, Any, "ActionEvent"], CaseState]
BRANCHES: dict[str, Branch] = {}

#: Statuses after which only the actions a branch explicitly allows may follow.
TERMINAL = frozenset({CaseStatus.WITHDRAWN})


@dataclass(frozen=True, slots=True)
class ActionEvent:
    """An action as the reducer sees it (built from a journal row or from a request being appended)."""

    type: str
    payload: dict[str, Any]
    seq: int
    server_time: datetime
    actor_user_id: int | None = None
    actor_role: str | None = None

    @classmethod
    def from_row(cls, row: Any) -> ActionEvent:
        return cls(row.type, row.payload, row.seq, row.server_time, row.actor_user_id, row.actor_role)


def branch(name: str) -> Callable[[Branch], Branch]:
    """Register the reducer branch of action type `name`."""

    def decorate(function: Branch) -> Branch:
        if name in BRANCHES:
            raise RuntimeError(f"reducer branch {name!r} defined twice")
        BRANCHES[name] = function
        return function

    return decorate


Extension = Callable[[Branch, CaseState | None, Any, "ActionEvent"], CaseState]


def extend(name: str) -> Callable[[Extension], Extension]:
    """Add a domain's rule to the registered branch of action type `name` (e.g. regularization
    refusing casework on a decided case). The extension gets the branch it wraps and decides whether
    and how to call it: `extension(inner, state, payload, event)`. Extensions stack in import order.
    """

    def decorate(extension: Extension) -> Extension:
        if name not in BRANCHES:
            raise RuntimeError(f"no reducer branch {name!r} to extend")
        inner = BRANCHES[name]

        def extended(state: CaseState | None, payload: Any, event: ActionEvent) -> CaseState:
            return extension(inner, state, payload, event)

        BRANCHES[name] = extended
        return extension

    return decorate


class InvalidTransition(Conflict):
    """The action is well formed but cannot follow the case's current state."""

    code = "invalid_transition"


def apply(state: CaseState | None, event: ActionEvent, *, payload: BaseModel | None = None) -> CaseState:
    """The state after `event`. `payload` may be passed when already validated (appending)."""
    action_type = types.get_type(event.type)
    expected_seq = 1 if state is None else state.version + 1
    if event.seq != expected_seq:
        raise DataError(f"journal out of order: action seq {event.seq} follows version {expected_seq - 1}")
    if state is None and event.type != "case_opened":
        raise DataError(f"a journal must start with case_opened, not {event.type!r}")
    if payload is None:
        payload = validate(action_type.payload, event.payload, prefix="payload", what=f"{event.type} payload")
    new_state = BRANCHES[event.type](state, payload, event)
    return new_state.model_copy(update={"version": event.seq, "last_action_at": event.server_time})


def replay(events: Iterable[ActionEvent]) -> CaseState:
    """Fold a whole journal, oldest first."""
    state: CaseState | None = None
    for event in events:
        state = apply(state, event)
    if state is None:
        raise DataError("an empty journal has no state")
    return state


def _require(state: CaseState | None, event: ActionEvent) -> CaseState:
    if state is None:  # apply() already refuses this; the check narrows the type
        raise DataError(f"{event.type} before case_opened")
    return state


def _refuse_if_terminal(state: CaseState, event: ActionEvent) -> None:
    if state.status in TERMINAL:
        raise InvalidTransition(
            f"{event.type} is not possible: the case is {state.status}",
            details=[{"field": "type", "value": event.type, "expected": f"an action allowed on a {state.status} case (note, consular_consent)"}],
        )


@branch("case_opened")
def _opened(state: CaseState | None, payload: types.CaseOpened, event: ActionEvent) -> CaseState:
    return CaseState(
        version=event.seq,
        kind=payload.kind,
        jurisdiction_code=payload.jurisdiction_code,
        person_id=payload.person_id,
        status=CaseStatus.OPEN,
        opened_at=event.server_time,
        last_action_at=event.server_time,
    )


@branch("assign")
def _assign(state: CaseState | None, payload: types.Assign, event: ActionEvent) -> CaseState:
    state = _require(state, event)
    _refuse_if_terminal(state, event)
    status = CaseStatus.IN_PROGRESS if state.status == CaseStatus.OPEN else state.status
    return state.model_copy(update={"assigned_user_id": payload.user_id, "status": status})


@branch("note")
def _note(state: CaseState | None, payload: types.Note, event: ActionEvent) -> CaseState:
    state = _require(state, event)
    return state.model_copy(update={"notes": state.notes + 1})


@branch("request_information")
def _request(state: CaseState | None, payload: types.RequestInformation, event: ActionEvent) -> CaseState:
    state = _require(state, event)
    _refuse_if_terminal(state, event)
    if state.information_request is not None:
        raise InvalidTransition(
            f"an information request is already open (due {state.information_request.due_date.isoformat()}); "
            "wait for the answer or note why it is no longer needed",
            details=[{"field": "type", "value": event.type, "expected": "no open information request"}],
        )
    request = InformationRequest(
        message=payload.message, due_date=payload.due_date, requested_at=event.server_time, requested_by=event.actor_user_id
    )
    return state.model_copy(
        update={"status": CaseStatus.AWAITING_INFORMATION, "information_request": request, "deadline": payload.due_date}
    )


@branch("provide_information")
def _provide(state: CaseState | None, payload: types.ProvideInformation, event: ActionEvent) -> CaseState:
    state = _require(state, event)
    _refuse_if_terminal(state, event)
    if state.information_request is None:
        raise InvalidTransition(
            "no information was requested on this case; send it with a request from your caseworker",
            details=[{"field": "type", "value": event.type, "expected": "an open information request"}],
        )
    status = CaseStatus.IN_PROGRESS if state.assigned_user_id is not None else CaseStatus.OPEN
    return state.model_copy(update={"status": status, "information_request": None, "deadline": None})


@branch("consular_consent")
def _consent(state: CaseState | None, payload: types.ConsularConsent, event: ActionEvent) -> CaseState:
    # Allowed in every status: a person may always withdraw consent, even from a closed case.
    state = _require(state, event)
    states = set(state.consular_consent)
    if payload.granted:
        states.add(payload.state)
    else:
        states.discard(payload.state)
    return state.model_copy(update={"consular_consent": sorted(states)})


@branch("withdraw")
def _withdraw(state: CaseState | None, payload: types.Withdraw, event: ActionEvent) -> CaseState:
    state = _require(state, event)
    _refuse_if_terminal(state, event)
    return state.model_copy(
        update={"status": CaseStatus.WITHDRAWN, "withdrawn_reason": payload.reason, "deadline": None, "information_request": None}
    )


def missing_branches() -> list[str]:
    """Registered action types without a reducer branch (must be empty)."""
    return sorted(set(types.REGISTRY) - set(BRANCHES))


# Regularization's action types and branches (issue 4) register themselves on import; importing them
# here means every journal that can be replayed has its branches, whatever imported the reducer.
from amparo.regularization import actions as _regularization_actions  # noqa: E402,F401
