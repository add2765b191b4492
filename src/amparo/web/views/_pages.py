"""What the signed-in pages share: opening the request's database session, resolving the signed-in
person, and refusing a page to a role it is not for.

Views stay thin: each opens one session (one transaction), asks the domain services, commits (the
services journal every read) and renders. Nothing here decides what a role may see; the services
do, through the scope table.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session
from starlette.requests import Request

from amparo.api.deps import open_session
from amparo.auth.policy import Actor, Role
from amparo.errors import Forbidden
from amparo.web.i18n import _
from amparo.web.session import current_user


@contextmanager
def database(request: Request) -> Iterator[Session]:
    """One session for the request; rolled back if the view fails before committing."""
    session = open_session(request)
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def require_role(actor: Actor, *roles: Role) -> None:
    """Refuse a page that is not for the signed-in person's role (the services would refuse too;
    this says so in plain words before any of them is asked)."""
    if actor.role not in roles:
        raise Forbidden(_("This page is not for your account. You are signed in as “{username}”.", username=actor.username))


class SignInRequired(Exception):
    """Nobody is signed in: `amparo.web.install` answers with the sign-in page, coming back here after."""


def signed_in(request: Request, db: Session, *roles: Role) -> Actor:
    """The signed-in actor, refused (`require_role`) unless their role is one of `roles` when given.

    Raises:
        SignInRequired: no valid session; the person is sent to sign in and brought back.
        Forbidden: the page is not for the person's role.
    """
    actor = current_user(request, db)
    if actor is None:
        raise SignInRequired
    if roles:
        require_role(actor, *roles)
    return actor
