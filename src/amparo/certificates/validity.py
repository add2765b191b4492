"""Is a genuine certificate still valid? It depends on the case, never on a printed expiry date.

A certificate of pending application proves the holder's rights *while the application is pending or
under appeal*. It has no end date of its own, because a date printed in advance would lapse silently
when the authority is late — the failure that left pending applicants without services in past
programmes. Instead the verifier asks the current case status: valid while the case is open, not
valid once it is decided or withdrawn (saying why and since when), and *unknown* — never a confident
"no" — when the status cannot be looked up (offline) or is one this code does not know.

Case statuses understood here (those of `amparo.cases.schemas.CaseStatus`, which derives them from
the case journal, and the decision and appeal statuses that follow):
open: `open`, `in_progress`, `awaiting_information`, `pending`, `under_review`, `under_appeal`;
closed: `granted`, `refused`, `decided`, `withdrawn`, `closed`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from amparo.certificates.schemas import VerifiedCertificate

VerdictState = Literal["valid", "not_valid", "unknown"]

OPEN_STATUSES: dict[str, str] = {
    "open": "is pending",
    "in_progress": "is pending (being examined)",
    "awaiting_information": "is pending (the authority asked the applicant for more information)",
    "pending": "is pending",
    "under_review": "is pending (under review)",
    "under_appeal": "is under appeal",
}
CLOSED_STATUSES: dict[str, str] = {
    "granted": "was granted; the holder's residence permit now replaces this certificate",
    "refused": "was refused; an appeal, once filed, makes the certificate valid again while it is pending",
    "decided": "was decided; the decision replaces this certificate",
    "withdrawn": "was withdrawn by the applicant",
    "closed": "was closed",
}


@dataclass(frozen=True)
class Verdict:
    """What a verifier should conclude, in words a landlord or a clinic receptionist can act on.

    Attributes:
        state: "valid", "not_valid" or "unknown".
        headline: one short line (e.g. "Valid: application pending").
        explanation: full sentences naming the holder, case, status and its date.
        case_status: the status the verdict rests on (None when offline).
        status_date: the date of that status (None when unknown).
    """

    state: VerdictState
    headline: str
    explanation: str
    case_status: str | None
    status_date: date | None

    @property
    def is_valid(self) -> bool:
        return self.state == "valid"


def _since(status_date: date | None) -> str:
    return f" on {status_date.isoformat()}" if status_date else ""


def assess(verified: VerifiedCertificate, current_case_status: str | None, status_date: date | None) -> Verdict:
    """The verdict for a certificate whose signature has already been verified.

    Args:
        verified: the result of `amparo.certificates.verify`.
        current_case_status: the case's status now, or None when it cannot be looked up (offline).
        status_date: the date the case entered that status (None if unknown).
    """
    claims = verified.claims
    subject = (
        f"Application {claims.case_number} by {claims.holder_name} under {claims.programme_title} "
        f"({claims.jurisdiction}), filed on {claims.filed_on.isoformat()},"
    )
    if current_case_status is None:
        return Verdict(
            state="unknown",
            headline="Genuine certificate; current status not checked",
            explanation=(
                f"The signature is genuine: {subject} was pending when this certificate was issued on "
                f"{claims.issued_at:%Y-%m-%d}. Its current status could not be checked (offline). The certificate "
                "stays valid while the application is pending or under appeal; check it online to confirm."
            ),
            case_status=None,
            status_date=None,
        )
    status = current_case_status.strip().lower()
    if status in OPEN_STATUSES:
        as_of = f" (status as of {status_date.isoformat()})" if status_date else ""
        return Verdict(
            state="valid",
            headline="Valid: application " + ("under appeal" if status == "under_appeal" else "pending"),
            explanation=(
                f"{subject} {OPEN_STATUSES[status]}{as_of}. While it is pending or under appeal the holder keeps "
                "the rights the programme gives to applicants; this certificate has no expiry date of its own."
            ),
            case_status=status,
            status_date=status_date,
        )
    if status in CLOSED_STATUSES:
        return Verdict(
            state="not_valid",
            headline=f"No longer valid: application {status}{_since(status_date)}",
            explanation=(
                f"The certificate is genuine, but it is no longer valid: {subject} {CLOSED_STATUSES[status]}"
                f"{'' if not status_date else ' (on ' + status_date.isoformat() + ')'}."
            ),
            case_status=status,
            status_date=status_date,
        )
    return Verdict(
        state="unknown",
        headline="Genuine certificate; current status unclear",
        explanation=(
            f"The signature is genuine, but the case's current status {current_case_status!r} is not one this "
            f"verifier understands, so it cannot say whether {subject} is still pending. Ask the issuing authority."
        ),
        case_status=status,
        status_date=status_date,
    )
