"""Application drafts: an application filled in over several visits, saved step by step, filed at the end.

A draft belongs to one applicant's account (and person) and one programme version; there is at most
one per account and version (a unique constraint, so a second "start" resumes the first). Its answers
are the application's facts as typed so far (JSON), checked step by step by the web forms and again,
in full, by `flows.file_application` when the person files. Filing deletes the draft in the same
transaction, so a draft never outlives the application it became, nor half of it.

Drafts hold personal data: only the owning account may read, change or file one (anyone else gets
`NotFound`, the same answer as for a draft that does not exist), and every read and write is
journaled with `amparo.audit.service.record` and a purpose. Like the other services here this module
flushes and never commits.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from amparo.audit import service as audit
from amparo.auth import models as _auth  # noqa: F401  (foreign-key targets must be mapped)
from amparo.auth import policy
from amparo.auth.policy import Action as Permission, Actor, RecordFacts
from amparo.config import Settings
from amparo.db.base import Base
from amparo.db.compat import JSONDocument, UTCDateTime, utcnow
from amparo.errors import Forbidden, InvalidInput, NotFound
from amparo.people import models as _people  # noqa: F401

#: The steps of the form, in order; a draft's `step` is the one the person should see next.
STEPS: tuple[str, ...] = ("about", "residence", "work", "evidence", "review")
#: Audit actions of drafts (not in the scope table: only the owning account ever reaches a draft).
READ, WRITE, DISCARD = "application_draft:read", "application_draft:write", "application_draft:discard"
OBJECT = "application_draft"


class ApplicationDraft(Base):
    """An application being filled in: the answers so far and the step to resume at."""

    __tablename__ = "application_drafts"
    __table_args__ = (UniqueConstraint("user_id", "programme_id", "programme_version"),)

    #: Random and unguessable: it appears in addresses, and says nothing about how many drafts exist.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    programme_id: Mapped[str] = mapped_column(String(64))
    programme_version: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(32))
    #: Answers by step: {"about": {...}, "residence": {...}, ...}, JSON values as the forms gave them.
    answers: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


def _check_step(step: str) -> str:
    if step not in STEPS:
        raise InvalidInput(
            f"unknown step {step!r} of an application draft; the steps are {', '.join(STEPS)}",
            details=[{"field": "step", "value": step, "expected": " | ".join(STEPS)}],
        )
    return step


def _own_person(actor: Actor) -> int:
    """The actor's person id, when the actor may file for themselves (applicants); else Forbidden."""
    if actor.person_id is None or actor.role is not policy.Role.APPLICANT:
        raise Forbidden(
            f"your role {actor.role.value!r} has no application drafts; applicants fill in and file their own application",
            details=[{"field": "role", "value": actor.role.value, "expected": "applicant"}],
        )
    return actor.person_id


def start(session: Session, actor: Actor, programme_id: str, purpose: str, *, on: dt.date | None = None) -> tuple[ApplicationDraft, bool]:
    """The actor's draft for the version of `programme_id` in force today: the open one, or a new one.

    Returns:
        The draft and whether it was created now (False: an open draft was resumed).

    Raises:
        Forbidden: the actor is not an applicant, or may not file in the programme's jurisdiction.
        InvalidInput: no such programme, or its window is not open today ("window_closed").
    """
    from amparo.regularization import service

    purpose = audit.check_purpose(purpose)
    person_id = _own_person(actor)
    on = on or utcnow().date()
    row, programme = service.version_in_force(session, programme_id, on)
    if not policy.is_allowed(actor, Permission.APPLICATION_FILE, RecordFacts(jurisdiction=programme.jurisdiction, person_id=person_id)):
        raise Forbidden(
            f"you may not apply to {programme.id}, a programme of {programme.jurisdiction}",
            details=[{"field": "programme_id", "value": programme.id, "expected": f"a programme of {actor.jurisdiction}"}],
        )
    window = programme.window
    if on < window.opens or (window.closes is not None and on > window.closes):
        raise InvalidInput(
            f"the application window of {programme.id} is {window_text(window.opens, window.closes)}; it is not open on {on}",
            details=[{"field": "programme_id", "value": programme.id, "expected": "a programme open today"}],
            code="window_closed",
        )
    query = select(ApplicationDraft).where(
        ApplicationDraft.user_id == actor.user_id, ApplicationDraft.programme_id == row.programme_id,
        ApplicationDraft.programme_version == row.version,
    )
    draft = session.scalars(query).one_or_none()
    created = draft is None
    if draft is None:
        now = utcnow()
        draft = ApplicationDraft(
            id=secrets.token_hex(16), user_id=actor.user_id, person_id=person_id, programme_id=row.programme_id,
            programme_version=row.version, step=STEPS[0], answers={}, created_at=now, updated_at=now,
        )
        try:
            with session.begin_nested():  # a start at the same moment (two tabs) may have won the unique key
                session.add(draft)
        except IntegrityError:
            draft = session.scalars(query).one()
            created = False
    audit.record(session, actor, WRITE if created else READ, OBJECT, draft.id, purpose,
                 {"programme": f"{draft.programme_id}@{draft.programme_version}", "started": created})
    return draft, created


def window_text(opens: dt.date, closes: dt.date | None) -> str:
    return f"{opens} to {closes}" if closes else f"from {opens}"


def get(session: Session, actor: Actor, draft_id: str, purpose: str, *, lock: bool = False) -> ApplicationDraft:
    """The actor's own draft; NotFound for anyone else's (it is not said whether it exists). Journaled.
    `lock` as for `owned`."""
    purpose = audit.check_purpose(purpose)
    draft = owned(session, actor, draft_id, lock=lock)
    audit.record(session, actor, READ, OBJECT, draft.id, purpose, {"programme": f"{draft.programme_id}@{draft.programme_version}"})
    return draft


def owned(session: Session, actor: Actor, draft_id: str, *, lock: bool = False) -> ApplicationDraft:
    """The actor's own draft, checked as `get` checks it but not journaled: only for an act that
    journals itself in the same transaction (`save_step`, `discard`, `submit`), so that the act is
    journaled once, as what it was, and a filing can take its locks in the order every filing does
    (person, case number, then the audit chain's head) instead of holding the head from a read entry
    first, which on PostgreSQL could deadlock with a filing running beside it.

    `lock` holds the draft's row until the transaction ends, read afresh: every act that changes a
    draft (save a step, discard, submit) takes it first, so two tabs saving at once do not lose one
    another's answers, and a step saved while the draft is filed is not silently left out.
    """
    person_id = _own_person(actor)  # default deny: only applicants have drafts
    valid = isinstance(draft_id, str) and len(draft_id) <= 32
    if valid and lock:
        query = select(ApplicationDraft).where(ApplicationDraft.id == draft_id).with_for_update()
        draft = session.scalars(query.execution_options(populate_existing=True)).one_or_none()
    else:
        draft = session.get(ApplicationDraft, draft_id) if valid else None
    if draft is None or draft.user_id != actor.user_id or draft.person_id != person_id:
        raise NotFound(
            f"no application draft {draft_id!r} of yours; your drafts are listed on your start page",
            details=[{"field": "draft", "value": draft_id, "expected": "one of your own drafts"}],
        )
    return draft


def list_own(session: Session, actor: Actor, purpose: str, *, limit: int | None = 20) -> list[ApplicationDraft]:
    """The actor's open drafts, most recently changed first (none for an account without a person);
    all of them when `limit` is None. Journaled."""
    if actor.person_id is None or actor.role is not policy.Role.APPLICANT:
        return []
    purpose = audit.check_purpose(purpose)
    query = (
        select(ApplicationDraft)
        .where(ApplicationDraft.user_id == actor.user_id, ApplicationDraft.person_id == actor.person_id)
        .order_by(ApplicationDraft.updated_at.desc(), ApplicationDraft.id)
        .limit(limit)
    )
    drafts = list(session.scalars(query))
    if drafts:
        audit.record(session, actor, READ, OBJECT, None, purpose, {"ids": [d.id for d in drafts]})
    return drafts


def save_step(
    session: Session, actor: Actor, draft_id: str, step: str, answers: dict[str, Any], next_step: str, purpose: str
) -> ApplicationDraft:
    """Keep one step's answers (JSON values, already validated by the step's form) and the step to
    resume at: `next_step`, or the furthest step already reached, so that going back to correct an
    earlier step does not send the person back there next time.

    The draft is locked once, here, and the save journaled once, as a write: its entry says who
    reached the draft, when and why, and a save shows nothing of it (the page that follows reads it,
    journaled as a read). Callers do not read the draft first: that would lock and journal it twice.

    Raises:
        NotFound: not the actor's own draft. InvalidInput: an unknown step.
    """
    _check_step(step)
    _check_step(next_step)
    purpose = audit.check_purpose(purpose)
    draft = owned(session, actor, draft_id, lock=True)  # journaled below, with what was saved
    draft.answers = {**(draft.answers or {}), step: dict(answers)}
    draft.step = next_step if STEPS.index(next_step) > STEPS.index(draft.step) else draft.step
    draft.updated_at = utcnow()
    session.flush()
    audit.record(session, actor, WRITE, OBJECT, draft.id, purpose, {"step": step, "next": draft.step})
    return draft


def discard(session: Session, actor: Actor, draft_id: str, purpose: str) -> None:
    """Delete the actor's own draft and everything typed in it.

    The draft is locked once, here, and the act journaled once, as a discard: reading the draft to
    delete it is part of deleting it, not a read of its answers of its own.

    Raises:
        NotFound: not the actor's own draft.
    """
    purpose = audit.check_purpose(purpose)
    draft = owned(session, actor, draft_id, lock=True)  # journaled below, as the discard
    session.execute(delete(ApplicationDraft).where(ApplicationDraft.id == draft.id))
    audit.record(session, actor, DISCARD, OBJECT, draft.id, purpose, {"programme": f"{draft.programme_id}@{draft.programme_version}"})


def application_body(draft: ApplicationDraft) -> dict[str, Any]:
    """The draft's answers as the body `flows.file_application` takes (`ApplicationIn`)."""
    answers = draft.answers or {}
    about, residence = answers.get("about", {}), answers.get("residence", {})
    body: dict[str, Any] = {"programme_id": draft.programme_id, "arrived_on": residence.get("arrived_on")}
    if about.get("declares_no_record"):
        body["declares_no_disqualifying_record"] = True
    if about.get("identity_kind"):
        body["identity_document"] = {"kind": about["identity_kind"], "expires_on": about.get("identity_expires_on")}
    evidence = []
    for step in ("work", "evidence"):
        item = answers.get(step, {})
        if item.get("evidence_kind") and item.get("evidence_dated"):
            evidence.append({"kind": item["evidence_kind"], "dated": item["evidence_dated"], "description": item.get("description") or None})
    body["evidence"] = evidence
    return body


def submit(session: Session, settings: Settings, actor: Actor, draft_id: str, purpose: str) -> Any:
    """File the draft through `flows.file_application` and delete it, in the caller's transaction.
    The read of the draft is journaled by the entry that records its deletion and the case it became.

    The programme version in force today is used, as for every filing; a draft whose programme
    window has closed is refused by the filing with code "window_closed" and is kept.

    Returns:
        `flows.Filed`.
    """
    from amparo.regularization import flows

    purpose = audit.check_purpose(purpose)
    draft = owned(session, actor, draft_id, lock=True)  # journaled below, with the case it became
    filed = flows.file_application(session, settings, actor, application_body(draft), purpose)
    session.execute(delete(ApplicationDraft).where(ApplicationDraft.id == draft.id))
    audit.record(session, actor, DISCARD, OBJECT, draft.id, purpose, {"filed_as": filed.case.number})
    return filed
