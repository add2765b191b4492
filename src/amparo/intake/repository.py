"""Queries of bulk intake: which rows of a batch are already filed."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from amparo.cases.models import Case
from amparo.people.models import Person
from amparo.regularization.models import Application


@dataclass(frozen=True, slots=True)
class FiledRow:
    """What an earlier import of a key filed: enough to tell a re-run from a reused row id."""

    case_id: int
    case_number: str
    given_names: str
    family_names: str
    date_of_birth: date | None


def filed_keys(session: Session, keys: Collection[str]) -> dict[str, FiledRow]:
    """For each key of `keys` already on an application: its case and person (one query)."""
    if not keys:
        return {}
    query = (
        select(Application.intake_key, Case.id, Case.number, Person.given_names, Person.family_names, Person.date_of_birth)
        .join(Case, Case.id == Application.case_id)
        .join(Person, Person.id == Case.person_id)
        .where(Application.intake_key.in_(list(keys)))
    )
    return {key: FiledRow(*rest) for key, *rest in session.execute(query) if key is not None}
