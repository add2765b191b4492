"""The registry of action types: each names its payload model and the permission it needs.

Adding an action type (issue 4: decision, appeal, evidence_added, signoff, ...) is two steps:
`register()` it here or in the feature's module, and give it a reducer branch with
`amparo.cases.reducer.branch`. A test checks that every registered type has a branch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from amparo.auth.policy import Action as Permission
from amparo.cases.schemas import CaseKind
from amparo.errors import InvalidInput
from amparo.jurisdictions.schemas import Alpha3


@dataclass(frozen=True, slots=True)
class ActionType:
    """One kind of journal entry.

    Attributes:
        name: The `type` string stored in the journal.
        payload: The Pydantic model its payload must satisfy.
        permission: The scope-table action required to append it; None for system-only actions,
            which `append_action` refuses (the system records them itself).
        description: One line for the API documentation.
    """

    name: str
    payload: type[BaseModel]
    permission: Permission | None
    description: str


REGISTRY: dict[str, ActionType] = {}


def register(name: str, payload: type[BaseModel], permission: Permission | None, description: str) -> ActionType:
    if name in REGISTRY:
        raise RuntimeError(f"action type {name!r} registered twice")
    REGISTRY[name] = ActionType(name, payload, permission, description)
    return REGISTRY[name]


def get_type(name: str) -> ActionType:
    """The registered type `name`, or `InvalidInput` listing the types that exist."""
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise InvalidInput(
            f"action type {name!r} does not exist; expected one of: {known}",
            details=[{"field": "type", "value": name, "expected": f"one of: {known}"}],
        ) from None


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CaseOpened(_Payload):
    kind: CaseKind
    jurisdiction_code: str
    person_id: int


class Assign(_Payload):
    user_id: int = Field(description="The staff member who will work the case.", examples=[12])


class Note(_Payload):
    text: str = Field(min_length=1, max_length=10_000, examples=["Called the applicant; documents arrive Monday."])


class RequestInformation(_Payload):
    message: str = Field(min_length=1, max_length=5_000, examples=["Please send proof of address."])
    due_date: date = Field(description="The applicant has until the end of this day.", examples=["2026-12-31"])

    @field_validator("due_date")
    @classmethod
    def _not_past(cls, value: date, info: ValidationInfo) -> date:
        # Checked when appending (the service passes today's date); replaying an old journal must not
        # reject a due date that was in the future when it was set.
        today = (info.context or {}).get("today")
        if today is not None and value < today:
            raise ValueError(f"a due date from today ({today.isoformat()}) onwards")
        return value


class ProvideInformation(_Payload):
    message: str = Field(min_length=1, max_length=10_000, examples=["Attached: rental contract."])


class ConsularConsent(_Payload):
    state: Alpha3 = Field(description="The State whose consulate may (or may no longer) see the case.")
    granted: bool = Field(description="True to consent, false to withdraw consent.")


class Withdraw(_Payload):
    reason: str = Field(min_length=1, max_length=2_000, examples=["I obtained residence another way."])


register("case_opened", CaseOpened, None, "Recorded by the system when the case is created.")
register("assign", Assign, Permission.ASSIGN, "A supervisor assigns (or reassigns) the case to a staff member.")
register("note", Note, Permission.APPEND_STAFF_ACTION, "A staff note on the file.")
register(
    "request_information",
    RequestInformation,
    Permission.APPEND_STAFF_ACTION,
    "Staff ask the applicant for information by a due date.",
)
register(
    "provide_information", ProvideInformation, Permission.APPEND_APPLICANT_ACTION, "The applicant answers a request."
)
register(
    "consular_consent",
    ConsularConsent,
    Permission.APPEND_APPLICANT_ACTION,
    "The applicant lets the consulate of a State of nationality see the case, or withdraws that consent.",
)
register("withdraw", Withdraw, Permission.APPEND_APPLICANT_ACTION, "The applicant withdraws the case.")


def payload_json(model: BaseModel) -> dict[str, Any]:
    """The payload as stored in the journal."""
    return model.model_dump(mode="json")
