"""The facts of a case event that safeguards are checked against.

One flat, typed model serves every event so that the catalogue's checks can name any fact by its
path (``appeal.deadline``) and the loader can reject a check that names a fact that does not exist.
A fact left at its default is treated as *not recorded*: a safeguard that needs it is not met, and
the evaluation says what is missing. Nothing is assumed in the person's disfavour or in the
decider's favour.
"""

from __future__ import annotations

import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Facts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AppealInformation(_Facts):
    """How and by when the person can appeal, as written in the decision."""

    how: str | None = Field(None, description="The body to appeal to and how to file, in words.")
    deadline: datetime.date | None = Field(None, description="Last day to file an appeal.")


class ChildAffected(_Facts):
    """A child whom the decision affects (the person, or a child in their family)."""

    ref: str | None = Field(None, description="An identifier of the child in the case, if any.")
    best_interests_assessed: bool = Field(False, description="A best-interests assessment is recorded.")


class EventFacts(_Facts):
    """What is recorded about one case event (a decision, a removal order, a detention, ...).

    Examples:
        >>> EventFacts(outcome="refuse", reasons="Presence before the cut-off date was not shown.").outcome
        'refuse'
    """

    # Decisions.
    outcome: Literal["grant", "refuse"] | None = None
    reasons: str | None = Field(None, description="The reasons, as written in the decision.")
    decision_language: str | None = Field(None, description="BCP 47 / ISO 639 code, e.g. 'es'.")
    person_languages: tuple[str, ...] = Field((), description="Languages the person understands.")
    appeal: AppealInformation = Field(default_factory=AppealInformation)
    supervisor_signoff: bool = False
    individually_assessed: bool = Field(False, description="Decided on this person's own file, not as a group.")
    children: tuple[ChildAffected, ...] = ()
    family_members_in_case: int = Field(0, ge=0)
    family_considered: bool = False
    employer_gate: bool = Field(False, description="The outcome depends on an employer's consent, sponsorship or filing.")
    trafficking_indicators: bool = False
    referred_for_protection: bool = False
    # Removal and departure.
    risk_assessment_recorded: bool = False
    wage_claims_opportunity: bool = False
    # Detention.
    informed_of_consular_rights: bool = False
    consular_notification_requested: bool = False
    consulate_notified: bool = False
    # Identity documents held by the authorities.
    held_by_authorised_official: bool = False
    receipt_issued: bool = False
    documents_destroyed: bool = False
    # Sharing personal data.
    shared_with_enforcement: bool = False
    purpose_compatible: bool = False
    # Programme design (filled by `amparo.programmes.check` from a programme document).
    children_excluded_from_parent_application: bool = False
    fee_without_waiver: bool = False


def fact_paths() -> frozenset[str]:
    """Every dotted fact path a catalogue check may name (``appeal.deadline``, ``children``, ...)."""
    paths: set[str] = set()

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, field in model.model_fields.items():
            path = f"{prefix}{name}"
            paths.add(path)
            annotation: Any = field.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                walk(annotation, f"{path}.")

    walk(EventFacts, "")
    return frozenset(paths)


def item_fields(path: str) -> frozenset[str]:
    """Fields of the items of a list fact (``children`` -> ``{"ref", "best_interests_assessed"}``)."""
    if path == "children":
        return frozenset(ChildAffected.model_fields)
    return frozenset()
