"""HTTP routes for cases and their journals."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from amparo.api.deps import CurrentActor, Db, Purpose, permission
from amparo.auth.policy import Action
from amparo.cases import service
from amparo.cases.schemas import ActionRead, AppendRequest, CaseCreate, CaseFilters, CaseRead, CaseSummary
from amparo.db.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page

router = APIRouter(prefix="/cases", tags=["cases"])


def case_ref(value: str) -> int | str:
    """A case is addressed by its id or by its number (e.g. ARG-2026-0000123). Digits that are no
    case's id stay text, which the service answers as not found."""
    case_id = service.case_id_from(value)
    return value if case_id is None else case_id


#: Parametrised once: building a generic model per call costs milliseconds.
_SUMMARY_PAGE = Page[CaseSummary]


def _read(case) -> CaseRead:
    return CaseRead.model_validate(case)


@router.post(
    "",
    status_code=201,
    response_model=CaseRead,
    summary="Open a case about a person",
    openapi_extra=permission(Action.CASE_CREATE),
)
def create_case(body: CaseCreate, db: Db, actor: CurrentActor, why: Purpose) -> CaseRead:
    case = service.create_case(db, actor, body, why)
    result = _read(case)
    db.commit()
    return result


@router.get(
    "",
    response_model=Page[CaseSummary],
    summary="List cases you may see, newest first; search by case number or name",
    description="Each item is the case's summary: where it stands (status, version, deadline, assignee). "
    "Its whole state is `GET /api/v1/cases/{id}`, journaled as a read of that case.",
    openapi_extra=permission(Action.CASE_LIST),
)
def list_cases(
    db: Db,
    actor: CurrentActor,
    why: Purpose,
    filters: Annotated[CaseFilters, Query()],
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page[CaseSummary]:
    page = service.list_cases(db, actor, filters, limit, cursor, why, with_state=False)
    result = _SUMMARY_PAGE(items=[CaseSummary.model_validate(c) for c in page.items], next_cursor=page.next_cursor)
    db.commit()
    return result


@router.get(
    "/{case_id}",
    response_model=CaseRead,
    summary="Open a case: its current state, derived from its journal",
    openapi_extra=permission(Action.CASE_READ),
)
def read_case(case_id: str, db: Db, actor: CurrentActor, why: Purpose) -> CaseRead:
    case = service.get_case(db, actor, case_ref(case_id), why)
    result = _read(case)
    db.commit()
    return result


@router.get(
    "/{case_id}/actions",
    response_model=list[ActionRead],
    summary="Read a case's journal, oldest action first",
    openapi_extra=permission(Action.JOURNAL_READ),
)
def read_journal(case_id: str, db: Db, actor: CurrentActor, why: Purpose) -> list[ActionRead]:
    actions = service.journal(db, actor, case_ref(case_id), why)
    result = [ActionRead.model_validate(a) for a in actions]
    db.commit()
    return result


@router.post(
    "/{case_id}/actions",
    status_code=201,
    response_model=ActionRead,
    summary="Append an action to a case's journal, if the case is still at expected_version",
    description="409 when the case has moved past `expected_version`: reload it and decide again. "
    "Staff actions may only be added by the staff member the case is assigned to.",
    openapi_extra=permission(f"{Action.APPEND_APPLICANT_ACTION} | {Action.APPEND_STAFF_ACTION} | {Action.ASSIGN}"),
)
def append_action(case_id: str, body: AppendRequest, db: Db, actor: CurrentActor, why: Purpose) -> ActionRead:
    action = service.append_action(db, actor, case_ref(case_id), body.expected_version, body.action, why)
    result = ActionRead.model_validate(action)
    db.commit()
    return result
