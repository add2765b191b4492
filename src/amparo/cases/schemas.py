"""Case input and output shapes, and `CaseState`, the reducer's output."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from amparo.jurisdictions.schemas import Alpha3


class CaseKind(StrEnum):
    REGULARIZATION = "regularization"
    APPEAL = "appeal"
    CONSULAR = "consular"
    COMPLAINT = "complaint"


class CaseStatus:
    """Status values of this issue; later action types add their own (decided, under_appeal, ...)."""

    OPEN = "open"  # opened, nobody assigned yet
    IN_PROGRESS = "in_progress"  # assigned and being worked
    AWAITING_INFORMATION = "awaiting_information"  # staff asked the applicant for something, by a date
    WITHDRAWN = "withdrawn"  # the applicant withdrew: terminal


class InformationRequest(BaseModel):
    model_config = ConfigDict(frozen=True)

    message: str
    due_date: date
    requested_at: datetime
    requested_by: int | None


class CaseState(BaseModel):
    """Everything the journal says about a case at `version`, derived by `amparo.cases.reducer`."""

    model_config = ConfigDict(frozen=True)

    version: int = Field(description="Number of actions applied; the seq of the last one.", examples=[3])
    kind: CaseKind
    jurisdiction_code: str = Field(examples=["ARG"])
    person_id: int
    status: str = Field(description="open, in_progress, awaiting_information, withdrawn, ...", examples=["in_progress"])
    assigned_user_id: int | None = Field(None, description="Staff member currently responsible.")
    deadline: date | None = Field(None, description="The next date someone must act by.")
    information_request: InformationRequest | None = None
    consular_consent: list[str] = Field(
        default_factory=list, description="States (alpha-3) whose consulate the person lets see this case."
    )
    notes: int = Field(0, description="Number of notes in the journal.")
    withdrawn_reason: str | None = None
    # Regularization (issue 4; kept by `amparo.regularization.actions`).
    programme: dict[str, Any] | None = Field(None, description="Programme id and version the application was filed under.")
    evidence: int = Field(0, description="Number of evidence files added.")
    proposed_decision: dict[str, Any] | None = Field(None, description="A refusal awaiting a supervisor's sign-off.")
    decision: dict[str, Any] | None = Field(None, description="The decision in effect: outcome, date, deciders.")
    appeal: dict[str, Any] | None = Field(None, description="The appeal, once filed.")
    deciders: list[int] = Field(default_factory=list, description="Users who proposed, signed or made a decision.")
    opened_at: datetime
    last_action_at: datetime


class CaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: int = Field(description="The person the case is about.", examples=[42])
    kind: CaseKind = Field(examples=["regularization"])
    jurisdiction_code: Alpha3 | None = Field(None, description="Defaults to the person's jurisdiction.")


class CaseSummary(BaseModel):
    """A case as a list shows it: where it stands, not what its journal says (that is `CaseRead`)."""

    model_config = ConfigDict(from_attributes=True)

    id: int = Field(examples=[7])
    number: str = Field(description="Human case number: jurisdiction-year-sequence.", examples=["ARG-2026-0000123"])
    kind: CaseKind
    jurisdiction_code: str = Field(examples=["ARG"])
    person_id: int = Field(examples=[42])
    version: int = Field(description="Pass as expected_version when appending an action.", examples=[3])
    status: str = Field(examples=["in_progress"])
    assigned_user_id: int | None
    deadline: date | None
    created_at: datetime
    updated_at: datetime


class CaseRead(CaseSummary):
    """A case opened: its summary and its whole current state, derived from its journal."""

    state: CaseState


class ActionIn(BaseModel):
    """An action to append to a case's journal."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(
        description="One of the registered action types (see amparo.cases.actions.REGISTRY).",
        examples=["note"],
        max_length=48,
    )
    payload: dict[str, Any] = Field(
        default_factory=dict, description="Fields required by the type.", examples=[{"text": "Called the applicant."}]
    )
    device_time: AwareDatetime | None = Field(
        None, description="When the actor's device says the act happened (offline intake); with time zone."
    )


class AppendRequest(BaseModel):
    """The API body for appending: the action and the case version it was decided on."""

    model_config = ConfigDict(extra="forbid")

    expected_version: int = Field(ge=1, description="The case version the client saw; 409 if it moved on.", examples=[3])
    action: ActionIn


class ActionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    case_id: int
    seq: int = Field(description="The case version this action created.", examples=[4])
    type: str = Field(examples=["note"])
    payload: dict[str, Any]
    actor_user_id: int | None
    actor_role: str | None = Field(description="The actor's role when they acted.", examples=["caseworker"])
    server_time: datetime
    device_time: datetime | None


class CaseFilters(BaseModel):
    """Filters for listing cases; all optional and combined with AND."""

    model_config = ConfigDict(extra="forbid")

    kind: CaseKind | None = None
    status: str | None = Field(None, max_length=32, examples=["awaiting_information"])
    jurisdiction: Alpha3 | None = None
    assigned_to: int | None = Field(None, description="User id of the assigned staff member.")
    nationality: Alpha3 | None = Field(None, description="Only cases of persons holding this nationality.")
    q: str | None = Field(
        None,
        max_length=120,
        description="A case number (or its beginning, e.g. 'ARG-2026-00001') or the beginning of any of the person's names.",
        examples=["ARG-2026-0000123", "garcia"],
    )

    @field_validator("q")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None
