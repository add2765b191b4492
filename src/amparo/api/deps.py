"""Request-scoped dependencies: the database session and the acting user.

One request is one transaction. Routes that change anything (and reads, which journal the access)
commit explicitly before they answer, so a success response is only ever sent for committed work —
a process killed after answering loses nothing it acknowledged. A read request's transaction is
read-only; its audit entries are written by the group commit when it commits (`amparo.audit.group`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from amparo.auth import service as auth_service
from amparo.auth.policy import Actor
from amparo.errors import Unauthenticated

SESSION_COOKIE = "amparo_session"


#: Methods that only read: their sessions never write except the audit entries of what they show,
#: which are group-committed (`amparo.audit.group`) before the answer leaves.
READ_METHODS = frozenset({"GET", "HEAD"})


def open_session(request: Request) -> Session:
    """The request's session: read-only with group-committed audit entries for GET and HEAD, an
    ordinary transaction (act and entry committed together) for everything else."""
    if request.method in READ_METHODS:
        return request.app.state.read_sessionmaker()
    return request.app.state.sessionmaker()


async def get_db(request: Request) -> AsyncIterator[Session]:
    # Async on purpose, as is `purpose` below: opening a session does no I/O and closing a finished
    # one returns its connection to the pool, so both run on the event loop instead of costing a
    # round trip through the thread pool each (FastAPI runs sync dependencies in worker threads).
    session = open_session(request)
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


Db = Annotated[Session, Depends(get_db)]


def presented_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(SESSION_COOKIE)


def current_actor(request: Request, db: Db) -> Actor:
    token = presented_token(request)
    if not token:
        raise Unauthenticated(
            "Sign in first: send 'Authorization: Bearer <token>' (from POST /api/v1/auth/token)."
        )
    actor, _user = auth_service.authenticate(db, token)
    request.state.actor = actor
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]


def remote_addr(request: Request) -> str:
    return request.client.host if request.client else "unknown"


#: What an access is for when the client does not say (the audit chain requires a purpose).
DEFAULT_PURPOSES = {
    "applicant": "own record",
    "caseworker": "casework",
    "supervisor": "casework supervision",
    "consular_officer": "consular assistance",
    "complaints_officer": "complaint handling",
}


async def purpose(request: Request, actor: CurrentActor) -> str:
    """The purpose of this access: the `X-Amparo-Purpose` header, or the role's ordinary purpose."""
    stated = request.headers.get("x-amparo-purpose", "").strip()
    return stated or DEFAULT_PURPOSES.get(actor.role.value, "administration")


Purpose = Annotated[str, Depends(purpose)]


def permission(name: str) -> dict:
    """OpenAPI metadata naming the scope-table action a route needs (read by the authorization matrix)."""
    return {"x-amparo-permission": name}
