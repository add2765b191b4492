"""Sign-in and sign-out pages.

The form, its CSRF check, its errors and the session cookie are the web layer's; checking the
password and issuing the token is `amparo.auth.service.login(session, settings, username,
password, remote_addr, kind="web")`, owned by the auth package; `service.logout` revokes the token.
"""

from __future__ import annotations

import datetime
from urllib.parse import urlencode, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field, field_validator
from sqlalchemy.orm import Session

from amparo.auth.repository import normalise_username
from amparo.errors import TooManyRequests
from amparo.web.cookies import clear_session_cookie, session_token, set_session_cookie
from amparo.web.flash import flash
from amparo.web.forms import WebForm, blank_form, PostedForm, validate_form
from amparo.web.i18n import N_, _
from amparo.web.routing import web_router
from amparo.web.templating import nearest_page, page_address, render, start_page

router = web_router()


def normalise_contact(value: str) -> str:
    """An account name as typed, in the one form accounts are stored and looked up under.

    Registration and sign-in both use it, so a person signs in with what they registered however
    they type it: an email address (or a staff handle) trimmed and case-folded as the auth package
    stores it; a phone number, written with spaces, dashes, dots or brackets, as its digits with the
    leading "+" if there is one.

    >>> normalise_contact(" +57 300 555-0101 ")
    '+573005550101'
    >>> normalise_contact("(011) 5555.0101")
    '01155550101'
    >>> normalise_contact(" Ana.Quispe@Example.ORG")
    'ana.quispe@example.org'
    """
    value = value.strip()
    if "@" in value or any(ch.isalpha() for ch in value):
        return normalise_username(value)
    return ("+" if value.startswith("+") else "") + "".join(ch for ch in value if ch.isdigit())


class SignInForm(WebForm):
    """Username (an email address or a phone number) and password."""

    username: str = Field(
        min_length=1, max_length=254, title=N_("Email address or phone number"), description=N_("The one you registered with.")
    )
    password: str = Field(min_length=1, max_length=1024, title=N_("Password"))

    @field_validator("username")
    @classmethod
    def _contact(cls, value: str) -> str:
        return normalise_contact(value)


def sign_in_redirect(request: Request) -> RedirectResponse:
    """Send a person who is not signed in to the sign-in page, to come back here afterwards.

    Page views do not call it: `_pages.signed_in` raises `SignInRequired`, which `amparo.web.install`
    answers with this redirect. A form sent after the session ended comes back to the page the form
    lives on (its own address may answer POST only).
    """
    return RedirectResponse(f"/sign-in?{urlencode({'next': page_address(request)})}", status_code=303)


def safe_next(request: Request, target: str | None) -> str | None:
    """Where to go after signing in, when a page asked: a page of this site only, never another site
    (an open redirect), never back to signing in or out. An address a GET does not answer (a form's
    POST-only address) gives the page above it that does. None when `target` is missing, unsafe or
    the home page (which needs no sign-in: the role's start page is more useful)."""
    if not target or len(target) > 2000 or not target.startswith("/") or target.startswith("//"):
        return None
    # Browsers read "\\" as "/", and drop tabs and newlines: "/\\evil.example" or "/\t/evil.example"
    # would leave the site.
    if "\\" in target or any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in target):
        return None
    split = urlsplit(target)
    if split.scheme or split.netloc:
        return None
    page = nearest_page(request, split.path)
    if page != split.path:
        target = page  # the query was the POST-only address's
    if page == "/" or page.rstrip("/") in ("/sign-in", "/sign-out"):
        return None
    return target


@router.get("/sign-in", name="sign_in")
def sign_in_page(request: Request) -> HTMLResponse:
    """The sign-in form."""
    return render(request, "account/sign_in.html", {"form": blank_form(SignInForm), "next": safe_next(request, request.query_params.get("next"))})


@router.post("/sign-in", name="sign_in_submit")
def sign_in(request: Request, posted: PostedForm) -> Response:
    """Check the form, ask the auth service for a session token, set the cookie and redirect."""
    data, form = validate_form(SignInForm, posted)
    target = posted.get("next")
    next_path = safe_next(request, target if isinstance(target, str) else None)
    context = {"form": form, "next": next_path}
    if data is None:
        return render(request, "account/sign_in.html", context, status_code=422)
    from amparo.auth import service  # imported here: the auth package imports the database layer

    remote = request.client.host if request.client else ""
    with request.app.state.sessionmaker() as session:
        typed = posted.get("username")
        username = _account_name(session, typed if isinstance(typed, str) else "", data.username)
        outcome = service.login(
            session, request.app.state.settings, username, data.password, remote, kind="web", fresh_session=True
        )
        session.commit()  # the attempt is journaled whether or not it succeeded
    if isinstance(outcome, service.LoginRefused):
        if isinstance(outcome.error, TooManyRequests):
            form.add_error("password", _("Too many failed attempts. Wait a few minutes, then try again."))
            return render(request, "account/sign_in.html", context, status_code=429)
        # One message for an unknown user and a wrong password: the page must not reveal who has an account.
        form.add_error("password", _("The email address, phone number or password is not right. Check them and try again."))
        return render(request, "account/sign_in.html", context, status_code=401)
    response = RedirectResponse(next_path or start_page(outcome.user.role), status_code=303)
    lifetime = int((outcome.expires_at - _utcnow(outcome.expires_at)).total_seconds())
    set_session_cookie(response, request, outcome.token, max_age=max(lifetime, 0))
    return response


def _account_name(session: Session, typed: str, normalised: str) -> str:
    """The account a sign-in names. Usually `normalised` (a phone number as its digits), but a staff
    handle made only of digits and punctuation ("2024-001") was created under exactly that name and
    must still sign in as typed: when the typed name, trimmed and case-folded, is an account, it is
    the one. Which branch was taken is not told: the refusal is the same either way."""
    from amparo.auth import repository as users  # the auth package imports the database layer

    as_typed = normalise_username(typed)
    if as_typed != normalised and as_typed and users.get_user_by_username(session, as_typed) is not None:
        return as_typed
    return normalised


def _utcnow(like: datetime.datetime) -> datetime.datetime:
    """Now, naive or aware to match `like` (SQLite gives naive UTC datetimes back)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return now if like.tzinfo is not None else now.replace(tzinfo=None)


@router.post("/sign-out", name="sign_out")
def sign_out(request: Request) -> Response:
    """Revoke the session token, forget the cookie and say so on the home page."""
    token = session_token(request)
    if token:
        from amparo.auth import service

        with request.app.state.sessionmaker() as session:
            service.logout(session, token)
            session.commit()
    response = RedirectResponse("/", status_code=303)
    clear_session_cookie(response, request)
    flash(response, request, _("You have signed out."), "success")
    return response
