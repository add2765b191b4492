"""What a certificate of pending application says, and what a verified one carries.

Data minimisation: the token is signed, not encrypted, and anyone who scans the QR code (a landlord,
a clinic, an employer, a police officer) can read every claim. So the claims hold only what a verifier
needs to match the certificate to the person standing in front of them and their identity document —
names as written in that document and date of birth — plus what identifies the application (case
number, programme, jurisdiction, dates). They deliberately leave out nationality, sex, address,
identity-document number, photo, contact details and anything about the evidence or eligibility:
each would let the reader profile or discriminate against the holder and none is needed to check
the certificate. The holder shows their own identity document beside it.

On the wire the claims use short keys (`gn`, `dob`, ...) so the QR code stays small enough to scan
from a phone screen or a worn printout.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_serializer, field_validator, model_validator

from amparo.jurisdictions.codes import alpha3_validator

#: Case statuses a certificate can be issued in (the appeal keeps the applicant's rights).
IssuableStatus = Literal["pending", "under_appeal"]


def _clean_text(value: str) -> str:
    """NFC-normalise (the same name typed on two keyboards signs the same bytes) and refuse controls."""
    text = unicodedata.normalize("NFC", value).strip()
    # Printable text has no character of the refused categories (nor any other "Other" or separator
    # but the space): most names end here, without looking at each character's category.
    if text.isprintable():
        return text
    bad = sorted({f"U+{ord(ch):04X}" for ch in text if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")})
    # Zero-width joiners are legitimate inside Arabic and Indic names; bidi overrides and other controls
    # are not and could make the printed name read differently from the signed one.
    bad = [code for code in bad if code not in ("U+200C", "U+200D")]
    if bad:
        raise ValueError(f"contains control or formatting characters ({', '.join(bad)}); remove them")
    return text


Text = Annotated[str, AfterValidator(_clean_text)]
_IDENTIFIER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$"
_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}")
Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=_IDENTIFIER_PATTERN)]


class CertificateClaims(BaseModel):
    """The signed content of a certificate of pending application.

    Construct with the long field names; the token carries the short aliases.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    certificate_id: Identifier = Field(alias="cid")
    case_number: Identifier = Field(alias="case")
    programme_id: Identifier = Field(alias="pid")
    programme_title: Text = Field(alias="pt", min_length=1, max_length=200)
    #: ISO 3166-1 alpha-3 code, as everywhere in Amparo (e.g. "ARG").
    jurisdiction: Annotated[str, AfterValidator(alpha3_validator)] = Field(alias="jur")
    #: Given names exactly as written in the holder's identity document.
    given_names: Text = Field(alias="gn", min_length=1, max_length=200)
    #: Family names as written in the identity document; empty for people with a single name.
    family_names: Text = Field(alias="fn", default="", max_length=200)
    #: None when the identity document states no date of birth.
    date_of_birth: date | None = Field(alias="dob")
    filed_on: date = Field(alias="filed")
    issued_at: datetime = Field(alias="iat")
    status: IssuableStatus = Field(alias="st", default="pending")

    @field_validator("issued_at")
    @classmethod
    def _utc_seconds(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("must carry a time zone (use UTC), e.g. 2026-03-01T09:30:00Z")
        return value.astimezone(UTC).replace(microsecond=0)

    @field_serializer("issued_at")
    def _serialise_issued_at(self, value: datetime) -> str:
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")

    @model_validator(mode="after")
    def _dates_in_order(self) -> CertificateClaims:
        if self.date_of_birth is not None and self.date_of_birth > self.filed_on:
            raise ValueError(
                f"date of birth {self.date_of_birth.isoformat()} is after the filing date {self.filed_on.isoformat()}"
            )
        # One day of slack: filed_on is a local date, issued_at is UTC, and offsets reach 14 hours.
        if self.issued_at.date() < self.filed_on - timedelta(days=1):
            raise ValueError(
                f"issued at {self.issued_at:%Y-%m-%dT%H:%M:%SZ}, before the application was filed on "
                f"{self.filed_on.isoformat()}; a certificate is issued on or after filing"
            )
        return self

    def pending_case(self) -> dict[str, Any]:
        """The claims as signed (short keys, JSON values) but for the three a case's certificate gets
        only once the case exists (`CASE_CLAIMS`), for `complete_for_case`. Bulk intake validates the
        claims in the process that checks a row, before the case has a number."""
        return {k: v for k, v in self.model_dump(mode="json", by_alias=True).items() if k not in CASE_CLAIMS}

    @property
    def holder_name(self) -> str:
        """Given and family names as one line, in document order."""
        return f"{self.given_names} {self.family_names}".strip()


class VerifiedCertificate(BaseModel):
    """A token whose signature checked out with the key `key_id`."""

    model_config = ConfigDict(frozen=True)

    claims: CertificateClaims
    key_id: str
    token: str


#: The claims (as signed) a certificate gets only once its case exists: its id, the case number, the time of issue.
CASE_CLAIMS = ("cid", "case", "iat")


def complete_for_case(pending: Mapping[str, Any], certificate_id: str, case_number: str, issued_at: datetime) -> dict[str, Any]:
    """Claims made by `CertificateClaims.pending_case` completed for one case, ready to sign
    (`tokens.sign_claims`), checking the three claims added as `CertificateClaims` would.

    Raises:
        ValueError: an id or number that is not an identifier, or a time without a zone or more than a
            day before the filing day.
    """
    for name, value in (("certificate_id", certificate_id), ("case_number", case_number)):
        if not _IDENTIFIER.fullmatch(value):
            raise ValueError(f"{name} {value!r} is not an identifier (letters, digits, '.', '_', ':', '/', '-', at most 64)")
    if issued_at.tzinfo is None:
        raise ValueError("issued_at must carry a time zone (use UTC), e.g. 2026-03-01T09:30:00Z")
    issued_at = issued_at.astimezone(UTC)
    if issued_at.date() < date.fromisoformat(pending["filed"]) - timedelta(days=1):
        raise ValueError(f"issued at {issued_at:%Y-%m-%dT%H:%M:%SZ}, before the application was filed on {pending['filed']}")
    return {**pending, "cid": certificate_id, "case": case_number, "iat": issued_at.strftime("%Y-%m-%dT%H:%M:%SZ")}
