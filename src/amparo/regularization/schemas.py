"""Request and response shapes of the regularization API (and the services behind it)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from amparo.people.schemas import PersonCreate


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProgrammePublish(_In):
    document: str = Field(min_length=10, max_length=200_000, description="The programme YAML document.")


class ProgrammeVersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    programme_id: str = Field(examples=["arg-patria-grande-2026"])
    version: int
    jurisdiction_code: str = Field(examples=["ARG"])
    title: str
    effective_from: date
    window_opens: date
    window_closes: date | None
    sha256: str = Field(description="SHA-256 of the document as published.")
    published_at: datetime


class ProgrammeRead(ProgrammeVersionRead):
    rules: dict[str, Any] = Field(description="The programme's rules, parsed from the document.")
    document: str = Field(description="The YAML document exactly as published.")
    versions: list[int] = Field(description="Every published version number of this programme.")


class IdentityDocumentIn(_In):
    kind: Literal["passport", "national_id_card", "birth_certificate", "consular_certificate", "travel_document", "refugee_id"]
    expires_on: date | None = None


class DeclaredEvidence(_In):
    """A document the applicant holds, declared at filing; the file itself may be uploaded later."""

    kind: str = Field(max_length=48, examples=["rental_contract"])
    dated: date = Field(description="The date written on the document.")
    description: str | None = Field(None, max_length=500)


class Consent(_In):
    """The person's consent to an organisation filing for them, as recorded by the assisting staff."""

    organisation: str = Field(min_length=2, max_length=200, examples=["Parroquia San José, servicio a migrantes"])
    method: Literal["signed_form", "witnessed_verbal", "digital_signature"]
    statement: str = Field(min_length=10, max_length=5_000, description="What the person agreed to, in their words or the form's.")
    given_on: date


class OnBehalfOf(_In):
    person: PersonCreate
    consent: Consent


class ApplicationIn(_In):
    programme_id: str = Field(max_length=64, examples=["arg-patria-grande-2026"])
    arrived_on: date | None = None
    declares_no_disqualifying_record: bool | None = None
    identity_document: IdentityDocumentIn | None = None
    evidence: list[DeclaredEvidence] = Field(default_factory=list, max_length=50)
    on_behalf_of: OnBehalfOf | None = Field(
        None, description="Assisting staff only: the person filed for, and their recorded consent."
    )


class CertificateOut(BaseModel):
    id: str
    token: str
    verify_url: str
    status: str
    key_id: str


class ApplicationOut(BaseModel):
    case_id: int
    case_number: str
    person_id: int
    programme_id: str
    programme_version: int
    filed_on: date
    assessment: dict[str, Any]
    certificate: CertificateOut


class EvidenceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sha256: str
    kind: str
    document_date: date
    received_on: date
    media_type: str
    size: int
    description: str | None
    original_filename: str | None
    uploaded_at: datetime


class EvidenceOut(EvidenceRead):
    assessment: dict[str, Any]


class InformationRequestIn(_In):
    message: str = Field(min_length=1, max_length=10_000)
    due_date: date
    expected_version: int | None = Field(None, ge=1, description="The case version you saw; 409 if it moved on.")


class AppealInformationIn(_In):
    how: str | None = Field(None, max_length=2_000, description="The body to appeal to and how to file.")
    deadline: date | None = Field(None, description="Defaults to the decision date plus the programme's appeal period.")


class DecisionIn(_In):
    outcome: Literal["grant", "refuse"]
    reasons: str | None = Field(None, max_length=20_000)
    language: str | None = Field(None, max_length=35, examples=["es"])
    appeal_information: AppealInformationIn | None = None
    best_interests_assessed: bool = Field(False, description="A best-interests assessment is recorded (the person is a child).")
    trafficking_indicators: bool = False
    referred_for_protection: bool = False
    expected_version: int | None = Field(None, ge=1)


class DecisionOut(BaseModel):
    case_id: int
    case_number: str
    status: str
    version: int
    recorded: str = Field(description="decision_made, or decision_proposed for a refusal awaiting sign-off.")
    evaluation: dict[str, Any]


class SignOffIn(_In):
    expected_version: int | None = Field(None, ge=1)


class AppealIn(_In):
    grounds: str = Field(min_length=1, max_length=10_000)


class InvitationIn(_In):
    employer_name: str = Field(min_length=2, max_length=200)
    work_description: str = Field(min_length=2, max_length=500, examples=["Cook, Monday to Saturday"])
    worked_from: date
    worked_to: date | None = None
    applicant_name: str | None = Field(None, max_length=200, description="How the employer knows you; defaults to your names.")


class InvitationCreated(BaseModel):
    id: int
    token: str = Field(description="Send the link to the employer yourself; it is shown only once.")
    link: str
    expires_at: datetime


class InvitationView(BaseModel):
    """All the employer sees: what the applicant asks them to confirm. Nothing about the application."""

    employer_name: str
    applicant_name: str
    work_description: str
    worked_from: date
    worked_to: date | None
    status: str
    expires_at: datetime


class InvitationAnswer(_In):
    confirm: bool
    note: str | None = Field(None, max_length=1_000)


class RegisterIn(_In):
    username: str = Field(min_length=3, max_length=254, description="Your email or phone number.")
    password: str = Field(min_length=1, max_length=1_000)
    person: PersonCreate


class RegisterOut(BaseModel):
    user_id: int
    person_id: int
    username: str


class QueueItem(BaseModel):
    case_id: int
    case_number: str
    programme_id: str
    status: str
    deadline: date | None
    assigned_user_id: int | None
    filed_on: date
    overall: str
    version: int


class VerifyOut(BaseModel):
    state: str
    headline: str
    explanation: str
    case_status: str | None
    status_date: date | None
    claims: dict[str, Any]
