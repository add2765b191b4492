"""Queries of the regularization tables. Flush, never commit; no scope checks (the services make them)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Bundle, Session

from amparo.auth.models import LoginAttempt, RegistrationAddress
from amparo.cases.models import Case
from amparo.db.compat import insert_for, utcnow
from amparo.regularization.models import (
    Application,
    Certificate,
    EmployerInvitation,
    EvidenceRecord,
    ProgrammeId,
    ProgrammeVersion,
    SigningKey,
)

#: The user name under which self-registrations are counted against the address limit.
REGISTRATION_MARK = "(self-registration)"


def programme_versions(session: Session, programme_id: str) -> list[ProgrammeVersion]:
    query = select(ProgrammeVersion).where(ProgrammeVersion.programme_id == programme_id).order_by(ProgrammeVersion.version)
    return list(session.scalars(query))


def lock_programme_id(session: Session, programme_id: str) -> None:
    """Hold the programme id's row (`ProgrammeId`) until the transaction ends, creating it on the id's
    first publication, in one atomic upsert.

    A publication of the same id running beside this one waits here until this one commits or rolls
    back, and the versions it reads afterwards include this one's. On SQLite the upsert, a write,
    takes the database's one write lock, which serialises the same way.
    """
    _lock_row(session, ProgrammeId.__table__, "programme_id", programme_id, "last_published_at")


def _latest_versions_statement(by_jurisdiction: bool) -> Select[tuple[ProgrammeVersion]]:
    latest = select(ProgrammeVersion.programme_id, func.max(ProgrammeVersion.version).label("v")).group_by(
        ProgrammeVersion.programme_id
    )
    if by_jurisdiction:
        latest = latest.where(ProgrammeVersion.jurisdiction_code == bindparam("jurisdiction"))
    sub = latest.subquery()
    return (
        select(ProgrammeVersion)
        .join(sub, (ProgrammeVersion.programme_id == sub.c.programme_id) & (ProgrammeVersion.version == sub.c.v))
        .order_by(ProgrammeVersion.jurisdiction_code, ProgrammeVersion.programme_id)
    )


#: Built once: every queue and application page lists the programmes, and building this statement
#: (a subquery and its join) cost more than running it.
_LATEST_VERSIONS = {False: _latest_versions_statement(False), True: _latest_versions_statement(True)}


def latest_versions(session: Session, jurisdiction: str | None = None) -> list[ProgrammeVersion]:
    """The highest version of every programme (of one jurisdiction when given), by programme id."""
    if jurisdiction:
        return list(session.scalars(_LATEST_VERSIONS[True], {"jurisdiction": jurisdiction}))
    return list(session.scalars(_LATEST_VERSIONS[False]))


def signing_key(session: Session, jurisdiction: str) -> SigningKey | None:
    return session.scalars(select(SigningKey).where(SigningKey.jurisdiction_code == jurisdiction)).one_or_none()


def all_signing_keys(session: Session) -> list[SigningKey]:
    return list(session.scalars(select(SigningKey).order_by(SigningKey.jurisdiction_code)))


def application(session: Session, case_id: int) -> Application | None:
    return session.get(Application, case_id)


def applications(session: Session, case_ids: list[int]) -> dict[int, Any]:
    """What a queue row shows of these cases' applications (`QUEUE_APPLICATION` rows, for those that
    have one), by case id, in one query."""
    if not case_ids:
        return {}
    return {a.case_id: a for (a,) in session.execute(select(QUEUE_APPLICATION).where(Application.case_id.in_(case_ids)))}


def application_by_intake_key(session: Session, intake_key: str) -> Application | None:
    return session.scalars(select(Application).where(Application.intake_key == intake_key)).one_or_none()


def evidence_of(session: Session, case_id: int) -> list[EvidenceRecord]:
    return list(session.scalars(select(EvidenceRecord).where(EvidenceRecord.case_id == case_id).order_by(EvidenceRecord.id)))


def evidence_item(session: Session, case_id: int, sha256: str) -> EvidenceRecord | None:
    query = select(EvidenceRecord).where(EvidenceRecord.case_id == case_id, EvidenceRecord.sha256 == sha256)
    return session.scalars(query).one_or_none()


def latest_certificate(session: Session, case_id: int) -> Certificate | None:
    query = select(Certificate).where(Certificate.case_id == case_id).order_by(Certificate.issued_at.desc(), Certificate.id).limit(1)
    return session.scalars(query).first()


def certificate(session: Session, certificate_id: str) -> Certificate | None:
    return session.get(Certificate, certificate_id)


def invitation_by_hash(session: Session, token_hash: str, *, lock: bool = False) -> EmployerInvitation | None:
    """The invitation with this token hash; `lock` holds its row until the transaction ends (an answer
    reads the status it is about to change)."""
    query = select(EmployerInvitation).where(EmployerInvitation.token_hash == token_hash)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalars(query).one_or_none()


def lock_registrations_from(session: Session, remote_addr: str) -> None:
    """Hold the address's row (`RegistrationAddress`) until the transaction ends, creating it on the
    address's first registration, in one atomic upsert.

    A registration from the same address running beside this one waits here until this one commits
    or rolls back, and a count it reads afterwards includes this one's registration. On SQLite the
    upsert, a write, takes the database's one write lock, which serialises the same way.
    """
    _lock_row(session, RegistrationAddress.__table__, "remote_addr", remote_addr[:64], "last_registered_at")


def _lock_row(session: Session, table: Any, key: str, value: str, stamp: str) -> None:
    """Hold the row of `table` whose primary key `key` is `value` until the transaction ends,
    creating it (or stamping `stamp` with now) in one atomic upsert."""
    now = utcnow()
    session.execute(
        insert_for(session.get_bind().dialect.name, table)
        .values({key: value, stamp: now})
        .on_conflict_do_update(index_elements=[table.c[key]], set_={stamp: now})
    )


def count_registrations(session: Session, remote_addr: str, since: dt.datetime) -> int:
    query = select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.username == REGISTRATION_MARK, LoginAttempt.remote_addr == remote_addr[:64], LoginAttempt.at >= since
    )
    return session.scalar(query) or 0


def record_registration(session: Session, remote_addr: str) -> None:
    # Counted as a successful attempt so that registrations never slow down anyone's sign-in.
    session.add(LoginAttempt(username=REGISTRATION_MARK, remote_addr=remote_addr[:64], succeeded=True))


#: What a queue row shows of a case and of its application: columns, not whole records. The
#: case's state and the application's answers are the bulk of their rows and a queue never shows them.
QUEUE_CASE = Bundle(
    "case", Case.id, Case.number, Case.jurisdiction_code, Case.status, Case.deadline, Case.assigned_user_id, Case.version,
)
QUEUE_APPLICATION = Bundle("application", Application.case_id, Application.programme_id, Application.filed_on, Application.assessment)


def queue(
    session: Session,
    jurisdiction: str,
    *,
    programme_id: str | None,
    statuses: Iterable[str] | None,
    deadline_before: dt.date | None,
    assigned_to: int | None,
    after: tuple[int, int] | None,
    limit: int,
) -> list[tuple[Any, Any]]:
    """Regularization cases of a jurisdiction, oldest filing first (first come, first served), as
    (`QUEUE_CASE`, `QUEUE_APPLICATION`) rows.

    Pages are keyset pages on the case id (`after` is (0, last case id seen)); `applications.case_id`
    is `cases.id`, so every way of reading below gives the same rows in the same order. Each is read
    in index order, so that a first page reads about `limit` rows however large the tables are:

    * unfiltered, or by programme: `applications` in primary-key order (or by
      `ix_applications_programme_id_case_id`), a chunk at a time, and the chunk's cases by their key.
      Two queries rather than a join: SQLite plans the join as a scan of `cases` (or builds a Bloom
      filter over all of it), about 0.4 s at 1,000,000 cases;
    * by status, deadline or assignee: the cases through their own indexes, oldest first, and each
      case's application by its key.
    """
    after_id = after[1] if after is not None else None
    if not statuses and deadline_before is None and assigned_to is None:
        return _queue_by_application(session, jurisdiction, programme_id, after_id, limit)
    query = (
        select(QUEUE_CASE, QUEUE_APPLICATION)
        .join(Application, Application.case_id == Case.id)
        .where(Case.jurisdiction_code == jurisdiction)
    )
    if programme_id:
        query = query.where(Application.programme_id == programme_id)
    if statuses:
        query = query.where(Case.status.in_(list(statuses)))
    if deadline_before:
        query = query.where(Case.deadline.is_not(None), Case.deadline < deadline_before)
    if assigned_to is not None:
        query = query.where(Case.assigned_user_id == assigned_to)
    if after_id is not None:
        query = query.where(Case.id > after_id)
    query = query.order_by(Case.id).limit(limit + 1)
    return [(row[0], row[1]) for row in session.execute(query)]


#: The largest chunk of applications read at once while filling a queue page.
_QUEUE_CHUNK_MAX = 2000


def _queue_by_application(
    session: Session, jurisdiction: str, programme_id: str | None, after_id: int | None, limit: int
) -> list[tuple[Any, Any]]:
    """`limit + 1` applications of the jurisdiction after `after_id`, in case-id order, with their cases."""
    found: list[tuple[Any, Any]] = []
    chunk = limit + 1
    while len(found) <= limit:
        query = select(QUEUE_APPLICATION).order_by(Application.case_id).limit(chunk)
        if programme_id:
            query = query.where(Application.programme_id == programme_id)
        if after_id is not None:
            query = query.where(Application.case_id > after_id)
        applications = [row[0] for row in session.execute(query)]
        if not applications:
            break
        ids = [a.case_id for a in applications]
        cases_by_id = {
            c.id: c for (c,) in session.execute(select(QUEUE_CASE).where(Case.id.in_(ids), Case.jurisdiction_code == jurisdiction))
        }
        found.extend((cases_by_id[a.case_id], a) for a in applications if a.case_id in cases_by_id)
        if len(applications) < chunk:
            break
        after_id = ids[-1]
        chunk = min(chunk * 4, _QUEUE_CHUNK_MAX)
    return found[: limit + 1]
