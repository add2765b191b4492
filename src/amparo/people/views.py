"""HTTP routes for persons: create, read, list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from amparo.api.deps import CurrentActor, Db, Purpose, permission
from amparo.auth.policy import Action
from amparo.db.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from amparo.people import service
from amparo.people.schemas import PersonCreate, PersonFilters, PersonRead

router = APIRouter(prefix="/persons", tags=["persons"])


@router.post(
    "",
    status_code=201,
    response_model=PersonRead,
    summary="Record a person, with their names as written in their documents",
    openapi_extra=permission(Action.PERSON_CREATE),
)
def create_person(body: PersonCreate, db: Db, actor: CurrentActor, why: Purpose) -> PersonRead:
    person = service.create_person(db, actor, body, why)
    result = PersonRead.model_validate(person)
    db.commit()
    return result


@router.get(
    "",
    response_model=Page[PersonRead],
    summary="List persons you may see, newest first",
    openapi_extra=permission(Action.PERSON_LIST),
)
def list_persons(
    db: Db,
    actor: CurrentActor,
    why: Purpose,
    filters: Annotated[PersonFilters, Query()],
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page[PersonRead]:
    page = service.list_persons(db, actor, filters, limit, cursor, why)
    result = Page[PersonRead](items=[PersonRead.model_validate(p) for p in page.items], next_cursor=page.next_cursor)
    db.commit()
    return result


@router.get(
    "/{person_id}",
    response_model=PersonRead,
    summary="Read one person",
    openapi_extra=permission(Action.PERSON_READ),
)
def read_person(person_id: int, db: Db, actor: CurrentActor, why: Purpose) -> PersonRead:
    person = service.get_person(db, actor, person_id, why)
    result = PersonRead.model_validate(person)
    db.commit()
    return result
