"""Sign-in for API clients and the caller's own account."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from amparo.api.deps import CurrentActor, Db, permission, presented_token, remote_addr
from amparo.auth import service
from amparo.auth.policy import SCOPES, Action

router = APIRouter(prefix="/auth", tags=["auth"])
me_router = APIRouter(tags=["auth"])


class TokenOut(BaseModel):
    access_token: str
    token_type: str = Field(default="bearer", examples=["bearer"])
    expires_at: dt.datetime


class MeOut(BaseModel):
    id: int
    username: str
    role: str
    jurisdiction: str | None
    person_id: int | None
    consular_state: str | None
    scopes: dict[str, list[str]] = Field(description="action -> relations under which it is allowed")


@router.post("/token", response_model=TokenOut, summary="Exchange a username and password for a bearer token")
def issue_token(request: Request, db: Db, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> TokenOut:
    outcome = service.login(
        db, request.app.state.settings, form.username, form.password, remote_addr(request), fresh_session=True
    )
    db.commit()  # journal the attempt, failed or not, before answering
    if isinstance(outcome, service.LoginRefused):
        raise outcome.error
    return TokenOut(access_token=outcome.token, expires_at=outcome.expires_at)


@router.post("/logout", status_code=204, summary="Revoke the token used for this request")
def logout(request: Request, db: Db, actor: CurrentActor) -> None:
    token = presented_token(request)
    if token:
        service.logout(db, token)
        db.commit()


@me_router.get(
    "/me",
    response_model=MeOut,
    summary="Who am I, and what may I do?",
    openapi_extra=permission(Action.USER_READ_SELF),
)
def me(actor: CurrentActor) -> MeOut:
    grants = SCOPES.get(actor.role, {})
    return MeOut(
        id=actor.user_id,
        username=actor.username,
        role=actor.role.value,
        jurisdiction=actor.jurisdiction,
        person_id=actor.person_id,
        consular_state=actor.consular_state,
        scopes={action.value: sorted(r.value for r in relations) for action, relations in sorted(grants.items())},
    )

