"""Jurisdiction use cases (administrative: they hold no personal data, so no actor check here)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from amparo.errors import InvalidInput
from amparo.jurisdictions import repository
from amparo.jurisdictions.codes import check_alpha3, country_name
from amparo.jurisdictions.models import Jurisdiction


def ensure_jurisdiction(session: Session, code: str, name: str | None = None) -> Jurisdiction:
    """Return the jurisdiction `code`, creating it (named after ISO 3166-1 by default) when absent."""
    check_alpha3(code, field="jurisdiction")
    existing = repository.get(session, code)
    if existing is not None:
        return existing
    return repository.add(session, Jurisdiction(code=code, name=name or country_name(code) or code))


def require_jurisdiction(session: Session, code: str, *, field: str = "jurisdiction_code") -> Jurisdiction:
    """Return the configured jurisdiction `code`, or raise `InvalidInput` naming the ones that exist."""
    check_alpha3(code, field=field)
    found = repository.get(session, code)
    if found is None:
        known = ", ".join(j.code for j in repository.list_all(session)) or "none yet"
        raise InvalidInput(
            f"{field} {code!r} is not a jurisdiction of this deployment (configured: {known}); "
            "create it first or use one of those",
            details=[{"field": field, "value": code, "expected": f"one of: {known}"}],
        )
    return found
