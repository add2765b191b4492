"""What Amparo records about a piece of evidence, beside the file itself.

The file is identified by its SHA-256 (the evidence store's address), so the record and the bytes can
never drift apart unnoticed. The document date is the date written on the document (the contract's
signature, the bill's issue date, the witnesses' statement); it cannot be after the day the evidence
was received, and the refusal names both dates.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import PureWindowsPath
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator, model_validator

from amparo.errors import InvalidInput
from amparo.evidence.sniff import MediaType
from amparo.evidence.store import StoredBlob


class EvidenceKind(StrEnum):
    """What the document is; programmes list the kinds that prove each criterion (e.g. presence)."""

    RENTAL_CONTRACT = "rental_contract"
    SCHOOL_ENROLMENT = "school_enrolment"
    MEDICAL_RECORD = "medical_record"
    UTILITY_BILL = "utility_bill"
    SWORN_STATEMENT_TWO_WITNESSES = "sworn_statement_two_witnesses"
    IDENTITY_DOCUMENT = "identity_document"
    EMPLOYMENT_CONFIRMATION = "employment_confirmation"
    OTHER = "other"


Description = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class EvidenceMetadata(BaseModel):
    """One piece of evidence: what it is, its date, and the stored file it refers to."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: EvidenceKind
    #: The date written on the document.
    document_date: date
    #: The day the evidence was received (uploaded or filed), in the jurisdiction's local time.
    received_on: date
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    media_type: MediaType
    size: int = Field(gt=0)
    #: What the document is, in the applicant's words; required for kind "other".
    description: Description | None = None
    #: The name the file had on the applicant's device, for display only.
    original_filename: Annotated[str, StringConstraints(max_length=255)] | None = None

    @field_validator("original_filename")
    @classmethod
    def _base_name(cls, value: str | None) -> str | None:
        # Browsers on some systems send the whole path; only the name is kept (and never used to store).
        if value is None:
            return None
        name = PureWindowsPath(value).name.strip()
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
            raise ValueError("the file name contains control characters")
        return name or None

    @model_validator(mode="after")
    def _consistent(self) -> EvidenceMetadata:
        if self.document_date > self.received_on:
            raise ValueError(
                f"the document date {self.document_date.isoformat()} is after the day the evidence was received, "
                f"{self.received_on.isoformat()}; a document cannot be dated in the future. Check the date written "
                "on the document"
            )
        if self.kind is EvidenceKind.OTHER and not self.description:
            raise ValueError("evidence of kind 'other' needs a description saying what the document is")
        return self

    @classmethod
    def for_blob(
        cls,
        blob: StoredBlob,
        *,
        kind: EvidenceKind | str,
        document_date: date,
        received_on: date,
        description: str | None = None,
        original_filename: str | None = None,
    ) -> EvidenceMetadata:
        """The record for a file just stored; invalid input raises InvalidInput (422) with each problem.

        Raises:
            InvalidInput: e.g. a document date after `received_on`, naming both dates.
        """
        try:
            return cls(
                kind=kind,  # type: ignore[arg-type]  # a str is validated into an EvidenceKind
                document_date=document_date,
                received_on=received_on,
                sha256=blob.sha256,
                media_type=blob.media_type,
                size=blob.size,
                description=description,
                original_filename=original_filename,
            )
        except ValidationError as exc:
            problems = [
                {"field": ".".join(map(str, error["loc"])) or "evidence", "message": error["msg"].removeprefix("Value error, ")}
                for error in exc.errors()
            ]
            raise InvalidInput(
                "The evidence was not recorded: " + "; ".join(p["message"] for p in problems) + ".", details=problems
            ) from exc
