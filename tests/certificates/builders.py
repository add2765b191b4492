"""Claims with readable defaults, overridden per test."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from amparo.certificates import CertificateClaims


def make_claims(**overrides: Any) -> CertificateClaims:
    values: dict[str, Any] = {
        "certificate_id": "cert-0001",
        "case_number": "AR-2026-000123",
        "programme_id": "ar-patria-grande-2006",
        "programme_title": "Programa Patria Grande",
        "jurisdiction": "ARG",
        "given_names": "José",
        "family_names": "Ñúñez",
        "date_of_birth": date(1990, 5, 17),
        "filed_on": date(2026, 3, 2),
        "issued_at": datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
    }
    values.update(overrides)
    return CertificateClaims(**values)
