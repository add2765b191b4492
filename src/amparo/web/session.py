"""Who is signed in: the session cookie resolved to an `Actor`, for pages behind sign-in.

A page that needs a signed-in person calls `amparo.web.views._pages.signed_in(request, db, *roles)`,
which builds on `current_user` and sends anyone not signed in to the sign-in page.

Checking the token is the auth package's job (`amparo.auth.service.authenticate`); this module only
reads the cookie and remembers the result on `request.state` for the layout ("Sign out", the
person's own links). An expired or revoked cookie is the same as no cookie: the person signs in again.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from sqlalchemy.orm import Session
from starlette.requests import Request

from amparo.auth.policy import Actor
from amparo.errors import Unauthenticated
from amparo.web.cookies import session_token


@dataclass(frozen=True)
class SignedInUser:
    """What the layout and the data export need about the account, copied out of the database
    session so that a template rendered after the session closed can still read it."""

    id: int
    username: str
    role: str
    created_at: datetime.datetime


def current_user(request: Request, db: Session) -> Actor | None:
    """The actor behind this browser's session cookie, or None when there is none or it is not live.

    Sets `request.state.user` (a `SignedInUser`) and `request.state.actor` for the templates.
    """
    cached = getattr(request.state, "actor", None)
    if cached is not None:
        return cached
    token = session_token(request)
    if not token:
        return None
    from amparo.auth import service  # the auth package imports the database layer

    try:
        actor, user = service.authenticate(db, token)
    except Unauthenticated:
        return None
    request.state.user = SignedInUser(id=user.id, username=user.username, role=user.role, created_at=user.created_at)
    request.state.actor = actor
    return actor

