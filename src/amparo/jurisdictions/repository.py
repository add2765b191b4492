"""Jurisdiction queries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from amparo.jurisdictions.models import Jurisdiction


def get(session: Session, code: str) -> Jurisdiction | None:
    return session.get(Jurisdiction, code)


def list_all(session: Session) -> list[Jurisdiction]:
    return list(session.scalars(select(Jurisdiction).order_by(Jurisdiction.code)))


def add(session: Session, jurisdiction: Jurisdiction) -> Jurisdiction:
    session.add(jurisdiction)
    session.flush()
    return jurisdiction
