"""Certificates of pending application: signed tokens, their validity and their PDF.

A pure library (no web or database imports). The filing service issues a certificate at once with
`issue`; `/verify/{token}` and `amparo certificate verify` check it with `verify` and `assess`.

Example:
    >>> from datetime import UTC, date, datetime
    >>> key = generate_key()
    >>> claims = CertificateClaims(certificate_id="c-1", case_number="ARG-1", programme_id="pg",
    ...     programme_title="Patria Grande", jurisdiction="ARG", given_names="José", family_names="Ñúñez",
    ...     date_of_birth=date(1990, 5, 17), filed_on=date(2026, 3, 2),
    ...     issued_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    >>> token = issue(claims, key)
    >>> verify(token, {key_id(key): key.public_key()}).claims.given_names
    'José'
"""

from amparo.certificates.errors import FontMissing, InvalidCertificate, InvalidKey
from amparo.certificates.keys import (
    generate_key,
    key_id,
    load_public_key,
    private_key_from_pem,
    private_key_to_pem,
    public_key_to_b64,
    public_key_to_pem,
    raw_public_key,
)
from amparo.certificates.schemas import CertificateClaims, VerifiedCertificate
from amparo.certificates.tokens import issue, peek_claims, peek_key_id, verification_url, verify
from amparo.certificates.validity import Verdict, assess


def __getattr__(name: str):
    # fpdf2, fontTools and pycountry take a noticeable time to import; only PDF rendering needs them,
    # so `amparo --help` and `amparo certificate verify` do not pay for them.
    if name == "render_pdf":
        from amparo.certificates.pdf import render_pdf

        return render_pdf
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CertificateClaims",
    "FontMissing",
    "InvalidCertificate",
    "InvalidKey",
    "Verdict",
    "VerifiedCertificate",
    "assess",
    "generate_key",
    "issue",
    "key_id",
    "load_public_key",
    "peek_claims",
    "peek_key_id",
    "private_key_from_pem",
    "private_key_to_pem",
    "public_key_to_b64",
    "public_key_to_pem",
    "raw_public_key",
    "render_pdf",
    "verification_url",
    "verify",
]
