"""Filing many applications at once for bulk intake: the rows `flows.file_application` writes, with
one statement per table per batch instead of about twenty per application.

`file_applications` takes rows already validated into `ApplicationIn` (never re-validated here), each
filed on the person's behalf (bulk intake always files for others), and for the whole batch:

* reads the programme's versions, the signing key and the already-filed intake keys once;
* checks every row exactly as `flows.file_application` does, in the same order, and pre-assesses it
  (`check_row`: pure Python, no session, so bulk intake runs it in other processes and hands the
  result, a `CheckedRow`, to the writer); a refused row is returned with the service's own error, the
  others are filed;
* reserves the batch's case numbers with one upsert of the counter (gapless: a rolled-back batch
  gives them back, as a rolled-back filing does);
* derives each case's snapshot with the one reducer (`case_opened` then `application_filed`), so the
  stored state is what replaying the journal gives;
* inserts persons, nationalities, name keys, cases, both journal actions, applications, consents and
  certificates with one executemany per table, the persons' and cases' ids drawn first
  (`compat.new_ids`: the ids the database would give them);
* journals every filed case (with its person, journal and certificate) in the audit chain with the
  per-row path's entry ("application:file"), in row order, through `audit.service.record_many` (one
  lock of the chain's head per batch).

The rows written equal the per-row path's, ids and times aside (tests/intake/test_batch.py
files one input both ways and compares them). Flushes, never commits: the caller's transaction is
the batch.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import String, Table, bindparam, insert, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator, TypeEngine

from amparo.certificates.schemas import complete_for_case
from amparo.certificates.tokens import sign_claims
from amparo.audit import service as audit
from amparo.auth import policy
from amparo.auth.policy import Action as Permission, Actor, RecordFacts
from amparo.cases import reducer
from amparo.cases.models import Action, Case, CaseNumberCounter
from amparo.config import Settings
from amparo.db.compat import insert_for, new_ids, utcnow
from amparo.errors import AmparoError, Conflict, Forbidden, InvalidInput
from amparo.people.models import Person, PersonNameKey, PersonNationality
from amparo.people.names import search_keys
from amparo.programmes import Applicant, Evidence, Programme, assess
from amparo.programmes.eligibility import Overall
from amparo.regularization import actions as reg, flows, service
from amparo.regularization.models import Application, Certificate, FilingConsent
from amparo.regularization.schemas import ApplicationIn


@dataclass(frozen=True, slots=True)
class BatchRow:
    """One application to file: validated request, the day its form was filled, its intake key."""

    application: ApplicationIn
    filed_on: dt.date
    intake_key: str


@dataclass(frozen=True, slots=True)
class CheckedRow:
    """A row that passed every check of the filing, with everything its rows need that no query decides.

    Made by `check_row` from a `BatchRow` without a session, so another process can make it; plain
    data (it is pickled between processes). `file_applications` files it as it stands, after checking
    that the programme version it was checked against is still the one in effect on its filing day.
    """

    intake_key: str
    filed_on: dt.date
    programme_id: str
    programme_version: int
    overall: Overall
    #: The person's columns (all but `created_at`), nationalities (sorted, once each) and name keys.
    person: dict[str, Any]
    nationalities: tuple[str, ...]
    name_keys: tuple[str, ...]
    #: The application's JSON documents (applicant, declared_evidence, assessment) as the per-row path
    #: stores them, already as JSON text (`_json_text`), like the person's `languages`.
    documents: dict[str, str]
    consent: dict[str, Any]
    #: What the certificate will state, validated, as signed but for the certificate id, case number and
    #: time of issue (`CertificateClaims.pending_case`); the writer adds them.
    claims: dict[str, Any]


@dataclass(frozen=True, slots=True)
class FiledRow:
    index: int
    case_id: int
    case_number: str
    overall: Overall


@dataclass
class BatchResult:
    """What became of each row, by its index in the batch."""

    filed: list[FiledRow] = field(default_factory=list)
    #: Rows whose intake key is already on an application (nothing new was created for them).
    already_filed: list[int] = field(default_factory=list)
    refused: list[tuple[int, AmparoError]] = field(default_factory=list)


class Signer(Protocol):
    """Signs certificate claims (as `certificates.schemas.complete_for_case` makes them) with the key
    `kid` (`private_key`) and returns a way to collect the tokens in order: so signing can run in
    another process while the batch's rows are written."""

    def __call__(self, kid: str, private_key: Ed25519PrivateKey, claims: list[dict[str, Any]]) -> Callable[[], list[str]]: ...


def sign_here(kid: str, private_key: Ed25519PrivateKey, claims: list[dict[str, Any]]) -> Callable[[], list[str]]:
    """The `Signer` that signs in this process, at once."""
    tokens = [sign_claims(c, private_key, kid=kid) for c in claims]
    return lambda: tokens


@dataclass(slots=True)
class _Checked:
    index: int
    row: CheckedRow
    programme: Programme


def file_applications(
    session: Session,
    settings: Settings,
    actor: Actor | None,
    rows: Sequence[BatchRow | CheckedRow],
    purpose: str,
    *,
    operator: str | None = None,
    sign: Signer = sign_here,
) -> BatchResult:
    """File `rows` on the persons' behalf in the caller's transaction; flushes, never commits.

    Args:
        actor: the assisting staff member running the intake (recorded as the filer, the consent's
            assistant and the actor of the journal and audit entries), or None for the operator's CLI.
        rows: requests to check and file, or rows `check_row` already checked (in any mix).
        operator: who ran the intake when `actor` is None (e.g. "cli:maria"), named in the audit entries.
        sign: signs the certificates (bulk intake passes one that signs in another process).

    Raises:
        InvalidInput: a bad purpose. Forbidden: `actor` may not file for others in a row's jurisdiction.
        Conflict: a `CheckedRow` was checked against a programme version that is no longer the one
            in effect on its filing day (a version was published since).
        Errors of single rows are returned in `BatchResult.refused`, never raised.
    """
    purpose = audit.check_purpose(purpose)
    result = BatchResult()
    if not rows:
        return result
    existing = _filed_keys(session, [r.intake_key for r in rows])
    versions = load_versions(session, {_programme_id(r) for r in rows})
    allowed: dict[str, bool] = {}
    in_effect: dict[tuple[str, dt.date], Programme] = {}
    seen: set[str] = set()
    checked: list[_Checked] = []
    for index, row in enumerate(rows):
        if row.intake_key in existing or row.intake_key in seen:
            result.already_filed.append(index)
            continue
        if isinstance(row, BatchRow):
            try:
                row = check_row(versions, actor, row, allowed)
            except Forbidden:
                raise
            except AmparoError as exc:
                result.refused.append((index, exc))
                continue
        seen.add(row.intake_key)
        checked.append(_Checked(index, row, _version_checked(versions, row, in_effect)))
    if checked:
        _write(session, settings, actor, operator, checked, purpose, result, sign)
    return result


def load_versions(session: Session, programme_ids: Iterable[str]) -> dict[str, list[Programme]]:
    """Every stored version of each programme (InvalidInput for one never published), for `check_row`."""
    return {pid: [service.programme_of(v) for v in service.versions_of(session, pid)] for pid in programme_ids}


def _programme_id(row: BatchRow | CheckedRow) -> str:
    return row.application.programme_id if isinstance(row, BatchRow) else row.programme_id


def _version_checked(versions: dict[str, list[Programme]], row: CheckedRow, in_effect: dict[tuple[str, dt.date], Programme]) -> Programme:
    """The version `row` was checked against, if it is still the one in effect on its filing day."""
    day = (row.programme_id, row.filed_on)
    programme = in_effect.get(day)
    if programme is None:
        programme = in_effect[day] = service.choose_version(row.programme_id, versions[row.programme_id], row.filed_on)
    if programme.version != row.programme_version:
        raise Conflict(
            f"programme {row.programme_id} version {programme.version} was published while this import ran; its rows were "
            f"checked against version {row.programme_version}. Run the import again: rows already imported are skipped "
            "and the others are checked against the version now in effect",
            details=[{"field": "programme_id", "value": row.programme_id, "expected": f"version {row.programme_version} in effect"}],
        )
    return programme


def check_row(
    versions: Mapping[str, list[Programme]], actor: Actor | None, row: BatchRow, allowed: dict[str, bool] | None = None
) -> CheckedRow:
    """The checks of `flows.file_application` for an assisted filing, in its order, without queries,
    then the pre-assessment and every value of the row's records that no query decides.

    Args:
        versions: every version of the row's programme (`load_versions`).
        allowed: a cache of the policy's answer per jurisdiction, kept across the rows of a batch.

    Raises:
        AmparoError: the service's own error for a refused row (Forbidden: `actor` may not file here).
    """
    data, on = row.application, row.filed_on
    programme = service.choose_version(data.programme_id, versions[data.programme_id], on)
    flows.check_kinds([e.kind for e in data.evidence], "evidence.{index}.kind")
    if data.on_behalf_of is None:
        raise InvalidInput(
            "bulk intake files for others: give on_behalf_of with each person's details and recorded consent",
            details=[{"field": "on_behalf_of", "value": None, "expected": "the person and their consent"}],
        )
    if actor is not None:
        allowed = {} if allowed is None else allowed
        if programme.jurisdiction not in allowed:
            allowed[programme.jurisdiction] = policy.is_allowed(
                actor, Permission.APPLICATION_FILE, RecordFacts(jurisdiction=programme.jurisdiction, person_id=-1)
            )
        if not allowed[programme.jurisdiction]:
            raise Forbidden(
                f"your role {actor.role.value!r} may not file for others in {programme.jurisdiction}; assisting staff "
                "of the programme's jurisdiction file with the person's consent",
                details=[{"field": "operator", "value": actor.username, "expected": "assisting staff of " + programme.jurisdiction}],
            )
    details, consent = data.on_behalf_of.person, data.on_behalf_of.consent
    if consent.given_on > on:
        raise InvalidInput(
            f"the consent is dated {consent.given_on}, after the filing date {on}; record it when it is given",
            details=[{"field": "on_behalf_of.consent.given_on", "value": str(consent.given_on), "expected": f"on or before {on}"}],
        )
    flows.check_jurisdiction(programme, details.jurisdiction_code)
    flows.check_window(programme, on)
    applicant = Applicant(
        birth_date=details.date_of_birth, nationalities=tuple(details.nationalities), arrived_on=data.arrived_on,
        declares_no_disqualifying_record=data.declares_no_disqualifying_record,
        identity_document=data.identity_document.model_dump() if data.identity_document else None,
    )
    evidence = [Evidence(kind=e.kind, dated=e.dated, description=e.description) for e in data.evidence]
    assessment = assess(programme, applicant, evidence, on)
    # Validated now; `_certificates` puts in the real id, number and time.
    claims = service.pending_certificate(details, programme, programme.jurisdiction, on)
    return CheckedRow(
        intake_key=row.intake_key, filed_on=on, programme_id=programme.id, programme_version=programme.version, overall=assessment.overall,
        person={"given_names": details.given_names, "family_names": details.family_names, "date_of_birth": details.date_of_birth,
                "sex": details.sex.value, "languages": _json_text(list(details.languages)), "email": details.email, "phone": details.phone,
                "address": details.address, "jurisdiction_code": details.jurisdiction_code},
        nationalities=tuple(sorted(set(details.nationalities))),
        name_keys=tuple(dict.fromkeys(search_keys(details.given_names, details.family_names))),
        documents={"applicant": _json_text(data.model_dump(mode="json", exclude={"on_behalf_of", "evidence"})),
                   "declared_evidence": _json_text([e.model_dump(mode="json") for e in data.evidence]),
                   "assessment": _json_text(assessment.to_dict())},
        consent={"organisation": consent.organisation, "method": consent.method, "statement": consent.statement, "given_on": consent.given_on},
        claims=claims,
    )


def _json_text(value: Any) -> str:
    """A JSON column's value as SQLAlchemy's JSON type writes it (its default serialiser, `json.dumps`;
    Amparo's engines set no other), made where the row is checked rather than in the writer."""
    return json.dumps(value)


def _write(
    session: Session, settings: Settings, actor: Actor | None, operator: str | None, checked: list[_Checked], purpose: str, result: BatchResult,
    sign: Signer,
) -> None:
    now = utcnow()
    user_id = actor.user_id if actor else None
    # The case numbers first, so the certificates (which state them) are signed while the rows are
    # written. Locks are still taken in the per-row path's order: a person insert locks no row.
    numbers = _reserve_numbers(session, [c.programme.jurisdiction for c in checked], now.year)
    issued_at = now.replace(microsecond=0)
    certificate_ids, tokens = _sign_certificates(session, settings, checked, numbers, issued_at, sign)
    connection = session.connection()
    person_ids = new_ids(connection, Person.__table__, len(checked))
    _insert(session, Person, [{"id": pid} | c.row.person for pid, c in zip(person_ids, checked)], ready=("languages",), same={"created_at": now})
    nationalities = [{"person_id": pid, "country_code": code} for pid, c in zip(person_ids, checked) for code in c.row.nationalities]
    name_keys = [{"person_id": pid, "key": key} for pid, c in zip(person_ids, checked) for key in c.row.name_keys]
    if nationalities:
        _insert(session, PersonNationality, nationalities)
    if name_keys:
        _insert(session, PersonNameKey, name_keys)

    case_ids = new_ids(connection, Case.__table__, len(checked))
    cases: list[dict[str, Any]] = []
    journals: list[list[reducer.ActionEvent]] = []
    for item, case_id, person_id, number in zip(checked, case_ids, person_ids, numbers):
        programme, on = item.programme, item.row.filed_on
        filed = reg.ApplicationFiled(
            programme_id=programme.id, programme_version=programme.version, filed_on=on, on_behalf=True,
            overall=item.row.overall, decide_by=on + dt.timedelta(days=programme.decision_deadline_days),
        )
        events, state = flows.filed_case_journal(person_id, programme.jurisdiction, filed, now, actor)
        cases.append({
            "id": case_id, "number": number, "kind": state.kind.value, "jurisdiction_code": programme.jurisdiction, "person_id": person_id,
            "version": state.version, "status": state.status, "assigned_user_id": state.assigned_user_id,
            "deadline": state.deadline, "state": state.model_dump(mode="json"),
        })
        journals.append(events)
    _insert(session, Case, cases, same={"created_at": now, "updated_at": now})
    actions = [row for case_id, events in zip(case_ids, journals) for row in flows.action_rows(case_id, events)]
    # Every action of the batch is journaled at `now`: its one value is processed once.
    _insert(session, Action, [{k: v for k, v in row.items() if k != "server_time"} for row in actions], same={"server_time": now})
    _insert(session, Application, [
        {"case_id": case_id, "programme_id": item.programme.id, "programme_version": item.programme.version,
         "filed_on": item.row.filed_on, "intake_key": item.row.intake_key, **item.row.documents}
        for item, case_id in zip(checked, case_ids)
    ], ready=("applicant", "declared_evidence", "assessment"), same={"filed_by": user_id, "on_behalf": True, "created_at": now})
    _insert(session, FilingConsent, [
        item.row.consent | {"person_id": person_id, "case_id": case_id}
        for item, person_id, case_id in zip(checked, person_ids, case_ids)
    ], same={"assistant_user_id": user_id, "recorded_at": now})
    _insert(session, Certificate, [
        {"id": certificate_id, "case_id": case_id, "key_id": kid, "token": token}
        for certificate_id, case_id, (kid, token) in zip(certificate_ids, case_ids, tokens())
    ], same={"status": "pending", "issued_at": issued_at})
    entries: list[tuple[str, str, int, dict[str, Any]]] = []
    for item, case_id, number, certificate_id in zip(checked, case_ids, numbers, certificate_ids):
        entries.append((Permission.APPLICATION_FILE.value, "case", case_id,
                        {"programme": item.programme.key, "on_behalf": True, "certificate": certificate_id, "journal_seq": 2}))
        result.filed.append(FiledRow(item.index, case_id, number, item.row.overall))
    # One entry per filed case, as on the per-row path, appended with one lock of the chain's head.
    audit.record_many(session, actor, purpose, entries, username=None if actor else operator or "bulk-intake")
    session.flush()


def _sign_certificates(
    session: Session, settings: Settings, checked: list[_Checked], numbers: list[str], issued_at: dt.datetime, sign: Signer
) -> tuple[list[str], Callable[[], list[tuple[str, str]]]]:
    """Each row's certificate id, and a way to collect (key id, token) per row once `sign` has signed."""
    certificate_ids = [uuid.uuid4().hex for _ in checked]
    by_jurisdiction: dict[str, list[int]] = {}
    for position, item in enumerate(checked):
        by_jurisdiction.setdefault(item.programme.jurisdiction, []).append(position)
    pending = []
    for jurisdiction, positions in by_jurisdiction.items():
        kid, key = service.signing_key(session, settings, jurisdiction)
        claims = [complete_for_case(checked[i].row.claims, certificate_ids[i], numbers[i], issued_at) for i in positions]
        pending.append((kid, positions, sign(kid, key, claims)))

    def collect() -> list[tuple[str, str]]:
        tokens: list[tuple[str, str]] = [("", "")] * len(checked)
        for kid, positions, result in pending:
            for i, token in zip(positions, result(), strict=True):
                tokens[i] = (kid, token)
        return tokens

    return certificate_ids, collect


# --- the batch's statements ------------------------------------------------------------------------
# Kept beside their one caller: the repositories of people, cases and regularization hold the
# single-row forms; these are their set-at-a-time counterparts for bulk intake only.


def _filed_keys(session: Session, keys: list[str]) -> set[str]:
    return set(session.scalars(select(Application.intake_key).where(Application.intake_key.in_(keys))))


class _Ready(TypeDecorator[Any]):
    """A column's own type in the SQL (PostgreSQL's casts included), with no processing in Python: for
    values already in the driver's form. SQLAlchemy's per-value bind processing was the largest part
    of the batch's inserts (~280 µs a row of ~15 processed values)."""

    impl = String
    cache_ok = True

    def __init__(self, column_type: TypeEngine[Any]):
        super().__init__()
        self.impl = column_type  # type: ignore[assignment]

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return self.impl.dialect_impl(dialect)

    def bind_processor(self, dialect: Dialect) -> None:
        return None


def _insert(
    session: Session, model: type, rows: list[dict[str, Any]], *, ready: Collection[str] = (), same: Mapping[str, Any] | None = None,
) -> None:
    """Insert `rows` (all with the same keys) with one executemany.

    The rows go to the driver as they are, each value through its column type's own bind processor
    only where the type has one (dates, JSON): SQLAlchemy's per-row parameter handling was a quarter
    of the writer's time. The SQL is SQLAlchemy's, compiled once per table and set of columns. Ids are
    drawn beforehand (`compat.new_ids`), so no insert needs `RETURNING`, which needed SQLAlchemy's
    insertmanyvalues: on SQLite the persons' and cases' inserts cost three times what they cost now
    (~270 against ~80 µs a row, 150,000 rows), on PostgreSQL psycopg split its long SQL text anew every
    batch (a third of the writer).

    Args:
        ready: columns whose values are already what the driver takes (JSON made as text by `check_row`).
        same: columns with one value for every row, processed once by the column's type, not per row.
    """
    table = model.__table__  # type: ignore[attr-defined]
    connection = session.connection()
    dialect = connection.dialect
    same = {name: _processed(table.c[name].type, dialect, value) for name, value in (same or {}).items()}
    names = tuple(rows[0]) + tuple(same)
    sql, order = _insert_sql(table, names, dialect)
    steps = [(name, same[name], None) if name in same else (name, None, None if name in ready else _processor(table.c[name].type, dialect))
             for name in order]
    values = [[value if name in same else (process(row[name]) if process and row[name] is not None else row[name])
               for name, value, process in steps] for row in rows]
    connection.exec_driver_sql(sql, [tuple(v) for v in values] if dialect.positional else [dict(zip(order, v)) for v in values])


@lru_cache(maxsize=64)
def _insert_sql(table: Table, names: tuple[str, ...], dialect: Dialect) -> tuple[str, tuple[str, ...]]:
    """The dialect's INSERT of `names` into `table` (PostgreSQL's casts included) and its parameters' order."""
    compiled = insert(table).values({name: bindparam(name, type_=_Ready(table.c[name].type)) for name in names}).compile(dialect=dialect)
    return str(compiled), tuple(compiled.positiontup) if compiled.positional else names  # type: ignore[arg-type]


def _processor(column_type: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    return column_type.dialect_impl(dialect).bind_processor(dialect)


def _processed(column_type: TypeEngine[Any], dialect: Dialect, value: Any) -> Any:
    process = _processor(column_type, dialect)
    return process(value) if process and value is not None else value


def _reserve_numbers(session: Session, jurisdictions: list[str], year: int) -> list[str]:
    """Case numbers for cases opened in `year` in each of `jurisdictions` (in order), one upsert per
    jurisdiction. The counter row stays locked until the transaction ends, as for a single opening."""
    table = CaseNumberCounter.__table__
    wanted: dict[str, int] = {}
    for code in jurisdictions:
        wanted[code] = wanted.get(code, 0) + 1
    next_value: dict[str, int] = {}
    for code, count in wanted.items():
        statement = (
            insert_for(session.get_bind().dialect.name, table)
            .values(jurisdiction_code=code, year=year, last_value=count)
            .on_conflict_do_update(index_elements=[table.c.jurisdiction_code, table.c.year], set_={"last_value": table.c.last_value + count})
            .returning(table.c.last_value)
        )
        next_value[code] = int(session.execute(statement).scalar_one()) - count + 1
    numbers = []
    for code in jurisdictions:
        numbers.append(f"{code}-{year}-{next_value[code]:07d}")
        next_value[code] += 1
    return numbers


__all__ = ["BatchResult", "BatchRow", "CheckedRow", "FiledRow", "Signer", "check_row", "file_applications", "load_versions", "sign_here"]
