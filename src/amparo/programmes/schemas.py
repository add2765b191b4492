"""The schema of a regularization programme document (YAML), as Pydantic models.

A programme is versioned data: ``id`` + ``version`` name one immutable set of rules; a change to the
rules is a new version. Unknown fields are rejected so that a misspelt criterion fails on load
instead of being silently ignored.
"""

from __future__ import annotations

import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: Kinds of evidence of presence that programmes may accept (any one accepted kind suffices).
EVIDENCE_KINDS = (
    "entry_stamp",
    "migration_record",
    "rental_contract",
    "school_enrolment",
    "medical_record",
    "utility_bill",
    "employment_record",
    "bank_record",
    "public_authority_record",
    "religious_or_community_record",
    "money_transfer_receipt",
    "sworn_statement_two_witnesses",
)
EvidenceKind = Literal[
    "entry_stamp",
    "migration_record",
    "rental_contract",
    "school_enrolment",
    "medical_record",
    "utility_bill",
    "employment_record",
    "bank_record",
    "public_authority_record",
    "religious_or_community_record",
    "money_transfer_receipt",
    "sworn_statement_two_witnesses",
]
IdentityDocumentKind = Literal[
    "passport", "national_id_card", "birth_certificate", "consular_certificate", "travel_document", "refugee_id"
]
Filer = Literal["applicant", "legal_representative", "assisting_organisation", "employer"]


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LegalBasis(_Doc):
    """A domestic legal instrument the programme rests on."""

    title: str = Field(min_length=3, description="e.g. 'Decreto 216 de 2021'")
    date: datetime.date | None = None
    articles: str | None = Field(None, description="Articles relied on, e.g. 'arts. 4, 12 and 16'.")
    url: str | None = None
    note: str | None = None


class Window(_Doc):
    """The application window, both days included."""

    opens: datetime.date
    closes: datetime.date | None = Field(None, description="Last day to file; none for an open-ended programme.")

    @model_validator(mode="after")
    def _order(self) -> Window:
        if self.closes is not None and self.closes < self.opens:
            raise ValueError(f"the window closes ({self.closes}) before it opens ({self.opens}); expected closes >= opens")
        return self


class Presence(_Doc):
    """Presence in the territory before a date, shown by any one accepted kind of evidence."""

    before: datetime.date = Field(description="Evidence must be dated strictly before this day.")
    evidence_any_of: list[EvidenceKind] = Field(min_length=1)


class Nationality(_Doc):
    any_of: list[str] = Field(min_length=1, description="ISO 3166-1 alpha-3 codes.")


class Age(_Doc):
    """Age in whole years on the filing date, both limits included."""

    min: int | None = Field(None, ge=0, le=130)
    max: int | None = Field(None, ge=0, le=130)

    @model_validator(mode="after")
    def _order(self) -> Age:
        if self.min is None and self.max is None:
            raise ValueError("expected `min`, `max` or both")
        if self.min is not None and self.max is not None and self.max < self.min:
            raise ValueError(f"age max ({self.max}) is below min ({self.min})")
        return self


class DisqualifyingRecord(_Doc):
    """No disqualifying record: declared by the applicant, then checked by the officer."""

    description: str = Field(min_length=3, description="What counts as disqualifying, in plain words.")
    self_declared: bool = True
    checked_by_officer: bool = True


class IdentityDocument(_Doc):
    required: bool = True
    accepted: list[IdentityDocumentKind] = Field(min_length=1)
    expired_accepted: bool = False


class Eligibility(_Doc):
    presence: Presence | None = None
    nationality: Nationality | None = None
    age: Age | None = None
    no_disqualifying_record: DisqualifyingRecord | None = None
    identity_document: IdentityDocument | None = None


class Waiver(_Doc):
    ground: str = Field(min_length=3, description="e.g. 'inability to pay', 'children'")
    description: str | None = None


class Fee(_Doc):
    amount: float = Field(ge=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    waivers: list[Waiver] = []


class Filing(_Doc):
    """Who may file an application."""

    by: list[Filer] = Field(min_length=1)
    assisted_filing_needs_consent: bool = True


class EmployerRole(_Doc):
    """What, if anything, an employer does. Any gate here is flagged by `amparo programmes check`."""

    sponsorship_required: bool = False
    consent_required: bool = False
    work_confirmation: Literal["none", "optional", "required"] = "none"


class Family(_Doc):
    children_in_parent_application: bool = True
    child_max_age: int = Field(17, ge=0, le=25, description="Oldest age at which a child may be included.")


class PermitLength(_Doc):
    months: int | None = Field(None, gt=0)
    until: datetime.date | None = None

    @model_validator(mode="after")
    def _one(self) -> PermitLength:
        if (self.months is None) == (self.until is None):
            raise ValueError("expected exactly one of `months` or `until`")
        return self


class Permit(_Doc):
    name: str = Field(min_length=3)
    length: PermitLength
    note: str | None = None


class Programme(_Doc):
    """A regularization programme, one version of it."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    version: int = Field(ge=1)
    effective_from: datetime.date | None = Field(
        None, description="First day this version's rules apply; the window's opening day when omitted."
    )
    jurisdiction: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 3166-1 alpha-3")
    title: str = Field(min_length=3)
    summary: str | None = None
    legal_basis: list[LegalBasis] = Field(min_length=1)
    window: Window
    eligibility: Eligibility
    filing: Filing
    employer: EmployerRole = EmployerRole()
    family: Family = Family()
    fee: Fee
    permit: Permit
    decision_deadline_days: int = Field(gt=0, le=3650)
    appeal_period_days: int = Field(gt=0, le=3650)
    safeguards_adopted: list[str] = []
    sources_note: str | None = Field(None, description="Where the facts come from and what is simplified.")

    @property
    def effective(self) -> datetime.date:
        """First day this version applies (``effective_from``, else the window's opening day)."""
        return self.effective_from or self.window.opens

    @property
    def key(self) -> str:
        """``id@version``, the name of this exact set of rules."""
        return f"{self.id}@{self.version}"
