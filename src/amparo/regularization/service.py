"""Programmes stored per jurisdiction, signing keys, certificates and self-registration.

Programme documents are stored as published (YAML text + SHA-256) and re-parsed from that text, so
the rules a case was filed under can always be shown exactly. Each jurisdiction has one Ed25519 key;
its private half is stored encrypted under a passphrase derived (HKDF-SHA256) from the deployment's
secret key, and decrypted keys are kept in process memory only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import uuid
from typing import Any, Protocol

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from amparo import certificates
from amparo.certificates.schemas import complete_for_case
from amparo.certificates.tokens import sign_claims
from amparo.audit import service as audit
from amparo.auth import policy
from amparo.auth import repository as users
from amparo.auth.policy import Action, Actor, RecordFacts, Role
from amparo.cases.models import Case
from amparo.config import Settings
from amparo.errors import Conflict, Forbidden, InvalidInput, NotFound, TooManyRequests
from amparo.jurisdictions.service import ensure_jurisdiction, require_jurisdiction
from amparo.people import repository as people
from amparo.people.models import Person
from amparo.programmes import Programme, check_programme, parse_programme, version_on
from amparo.regularization import repository
from amparo.regularization.actions import CERTIFICATE_STATUS
from amparo.regularization.models import Certificate, ProgrammeVersion, SigningKey
from amparo.regularization.schemas import RegisterIn

_parsed: dict[str, Programme] = {}
_keys: dict[tuple[str, str], Ed25519PrivateKey] = {}
_lock = threading.Lock()


# --- programmes -----------------------------------------------------------------------------------


def programme_of(row: ProgrammeVersion) -> Programme:
    """The rules of a stored version, parsed once per process (keyed by the document's checksum)."""
    found = _parsed.get(row.sha256)
    if found is None:
        found = parse_programme(row.document, f"{row.programme_id} v{row.version}")
        with _lock:
            _parsed[row.sha256] = found
    return found


def publish_programme(session: Session, actor: Actor | None, document: str, *, purpose: str = "programme publication") -> ProgrammeVersion:
    """Validate, check and store one programme version. `actor` None means the operator's CLI.

    Publishing the same document again returns the stored version; a different document under an
    existing id and version is refused (versions are immutable: publish a new version instead).

    Raises:
        InvalidInput: malformed document (file, line and what is expected in the message).
        Forbidden: the actor may not publish for the programme's jurisdiction.
        Conflict: the version exists with other content, or the design breaks a binding or adopted
            safeguard (code "safeguards_not_met", details as for decisions).
    """
    programme = parse_programme(document, "<published programme>")
    if actor is not None and not policy.is_allowed(
        actor, Action.PROGRAMME_PUBLISH, RecordFacts(jurisdiction=programme.jurisdiction, person_id=0)
    ):
        raise Forbidden(
            f"your role {actor.role.value!r} may not publish programmes for jurisdiction {programme.jurisdiction!r}",
            details=[{"field": "jurisdiction", "value": programme.jurisdiction, "expected": actor.jurisdiction}],
        )
    sha256 = hashlib.sha256(document.encode("utf-8")).hexdigest()
    stored = _stored_version(session, programme, sha256)
    if stored is not None:
        return stored
    report = check_programme(programme)
    if not report.evaluation.ok:
        raise Conflict(
            f"programme {programme.key} breaks safeguards that bind or were adopted in {programme.jurisdiction} on "
            f"{report.checked_on}; change its design and publish again",
            details=report.evaluation.blocking_details(),
            code="safeguards_not_met",
        )
    if actor is None:
        ensure_jurisdiction(session, programme.jurisdiction)
    else:
        require_jurisdiction(session, programme.jurisdiction, field="jurisdiction")
    # The versions read above were read unlocked: a publication of the same id at the same moment (a
    # double submit, or another version for another jurisdiction) read no version either. Under the
    # id's lock they are read again, and the second is answered as if it had come after the first:
    # the same document with its stored row, another with the Conflict it would get then.
    repository.lock_programme_id(session, programme.id)
    stored = _stored_version(session, programme, sha256)
    if stored is not None:
        return stored
    row = ProgrammeVersion(
        programme_id=programme.id, version=programme.version, jurisdiction_code=programme.jurisdiction,
        title=programme.title, effective_from=programme.effective, window_opens=programme.window.opens,
        window_closes=programme.window.closes, document=document, sha256=sha256,
        published_by=actor.user_id if actor else None, published_at=dt.datetime.now(dt.UTC),
    )
    session.add(row)
    session.flush()
    audit.record(
        session, actor, Action.PROGRAMME_PUBLISH.value, "programme", f"{programme.id}@{programme.version}", purpose,
        {"sha256": sha256, "jurisdiction": programme.jurisdiction}, username=None if actor else "cli",
    )
    return row


def _stored_version(session: Session, programme: Programme, sha256: str) -> ProgrammeVersion | None:
    """The stored row of this very document, or None when its version is not published yet.

    Raises:
        Conflict: the version is published with other content, or the programme id belongs to
            another jurisdiction.
    """
    versions = repository.programme_versions(session, programme.id)
    for existing in versions:
        if existing.version == programme.version:
            if existing.sha256 == sha256:
                return existing
            raise Conflict(
                f"programme {programme.id} version {programme.version} is already published with other content; "
                f"versions never change: publish it as version {max(v.version for v in versions) + 1}",
                details=[{"field": "version", "value": programme.version, "expected": "a new version number"}],
            )
        if existing.jurisdiction_code != programme.jurisdiction:
            raise Conflict(
                f"programme {programme.id} belongs to jurisdiction {existing.jurisdiction_code}, not {programme.jurisdiction}",
                details=[{"field": "jurisdiction", "value": programme.jurisdiction, "expected": existing.jurisdiction_code}],
            )
    return None


def list_programmes(session: Session, jurisdiction: str | None = None) -> list[ProgrammeVersion]:
    return repository.latest_versions(session, jurisdiction)


def get_programme(session: Session, programme_id: str, version: int | None = None) -> tuple[ProgrammeVersion, list[int]]:
    """A published version (the latest when `version` is None) and every version number."""
    versions = repository.programme_versions(session, programme_id)
    if not versions:
        raise NotFound(
            f"no programme {programme_id!r} is published; GET /api/v1/programmes lists those that are",
            details=[{"field": "programme_id", "value": programme_id, "expected": "a published programme id"}],
        )
    numbers = [v.version for v in versions]
    if version is None:
        return versions[-1], numbers
    for row in versions:
        if row.version == version:
            return row, numbers
    raise NotFound(
        f"programme {programme_id!r} has no version {version}; published versions: {', '.join(map(str, numbers))}",
        details=[{"field": "version", "value": version, "expected": f"one of {numbers}"}],
    )


def version_in_force(session: Session, programme_id: str, on: dt.date) -> tuple[ProgrammeVersion, Programme]:
    """The stored version whose rules apply on `on` (the latest already effective).

    Raises:
        InvalidInput: no such programme; "window_closed" when no version is in effect yet on `on`.
    """
    rows = versions_of(session, programme_id)
    by_version = {row.version: row for row in rows}
    chosen = choose_version(programme_id, [programme_of(row) for row in rows], on)
    return by_version[chosen.version], chosen


def versions_of(session: Session, programme_id: str) -> list[ProgrammeVersion]:
    """Every stored version of `programme_id`; InvalidInput naming the fix when none is published."""
    rows = repository.programme_versions(session, programme_id)
    if not rows:
        raise InvalidInput(
            f"no programme {programme_id!r} is published; choose one from GET /api/v1/programmes",
            details=[{"field": "programme_id", "value": programme_id, "expected": "a published programme id"}],
        )
    return rows


def choose_version(programme_id: str, versions: list[Programme], on: dt.date) -> Programme:
    """The version in effect on `on`. Before the first version takes effect the programme is not open:
    a 422 "window_closed" naming the first window, as for a date outside a version's window."""
    try:
        return version_on(versions, on)
    except NotFound:
        first = min(versions, key=lambda p: (p.effective, p.version))
        window = first.window
        span = f"{window.opens} to {window.closes}" if window.closes else f"from {window.opens}"
        raise InvalidInput(
            f"programme {programme_id} is not yet in effect on {on}: its first version takes effect on {first.effective} "
            f"and its application window is {span}; an application cannot be filed on {on}",
            details=[{"field": "programme_id", "value": programme_id, "expected": f"a programme open on {on} (window {span})"}],
            code="window_closed",
        ) from None


# --- signing keys and certificates ---------------------------------------------------------------


def key_passphrase(settings: Settings, jurisdiction: str) -> bytes:
    """The passphrase protecting a jurisdiction's private key, derived from the secret key."""
    secret = settings.secret_key.get_secret_value().encode("utf-8")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"amparo certificate signing key", info=jurisdiction.encode("ascii"))
    return hkdf.derive(secret).hex().encode("ascii")


def signing_key(session: Session, settings: Settings, jurisdiction: str) -> tuple[str, Ed25519PrivateKey]:
    """The jurisdiction's key id and private key, creating the key on first use."""
    row = repository.signing_key(session, jurisdiction)
    if row is None:
        key = certificates.generate_key()
        row = SigningKey(
            key_id=certificates.key_id(key), jurisdiction_code=jurisdiction, public_key=certificates.public_key_to_b64(key),
            private_key_pem=certificates.private_key_to_pem(key, key_passphrase(settings, jurisdiction)).decode("ascii"),
        )
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:  # another filing created it first: use theirs
            row = repository.signing_key(session, jurisdiction)
            assert row is not None
        else:
            with _lock:
                _keys[(row.key_id, row.private_key_pem[-40:])] = key
    cache_key = (row.key_id, row.private_key_pem[-40:])
    key = _keys.get(cache_key)
    if key is None:
        key = certificates.private_key_from_pem(row.private_key_pem.encode("ascii"), key_passphrase(settings, jurisdiction))
        with _lock:
            _keys[cache_key] = key
    return row.key_id, key


def public_keys(session: Session) -> list[dict[str, str]]:
    """Every jurisdiction's public key, for offline verifiers (`amparo certificate verify`)."""
    return [
        {"key_id": k.key_id, "jurisdiction": k.jurisdiction_code, "public_key": k.public_key, "algorithm": "Ed25519"}
        for k in repository.all_signing_keys(session)
    ]


class Holder(Protocol):
    """Whom a certificate names: a stored `Person`, or a person's details not yet stored (bulk intake)."""

    given_names: str
    family_names: str
    date_of_birth: dt.date


def pending_certificate(person: Holder, programme: Programme, jurisdiction: str, filed_on: dt.date, status: str = "pending") -> dict[str, Any]:
    """What a certificate for this person's application will state, validated, as signed but for the
    certificate id, case number and time of issue, which `issue_certificate` adds once the case exists.
    A filing makes it before it writes anything (on SQLite, before it takes the write lock); bulk
    intake in the process that checks the row."""
    return certificates.CertificateClaims(
        certificate_id=_PROVISIONAL, case_number=_PROVISIONAL, programme_id=programme.id,
        programme_title=programme.title[:200], jurisdiction=jurisdiction, given_names=person.given_names,
        family_names=person.family_names, date_of_birth=person.date_of_birth, filed_on=filed_on,
        issued_at=dt.datetime.now(dt.UTC), status=status,  # type: ignore[arg-type]
    ).pending_case()


#: The certificate id and case number the claims are validated with before the case has either.
_PROVISIONAL = "provisional"


def issue_certificate(
    session: Session, settings: Settings, case: Case, person: Person, programme: Programme, filed_on: dt.date, status: str = "pending",
    *, signing: tuple[str, Ed25519PrivateKey] | None = None, pending: dict[str, Any] | None = None,
) -> Certificate:
    """Sign and record a certificate of pending application for `case` (no PDF: rendered on download).

    A caller that read the jurisdiction's key (`signing_key`) or made the claims (`pending_certificate`)
    before writing passes them, so that only numbering the certificate and signing it remain.
    """
    kid, key = signing or signing_key(session, settings, case.jurisdiction_code)
    if pending is None:
        pending = pending_certificate(person, programme, case.jurisdiction_code, filed_on, status)
    issued_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    claims = complete_for_case(pending, uuid.uuid4().hex, case.number, issued_at)
    token = sign_claims(claims, key, kid=kid)
    row = Certificate(id=claims["cid"], case_id=case.id, key_id=kid, status=status, token=token, issued_at=issued_at)
    session.add(row)
    session.flush()
    return row


def verify_certificate(session: Session, token: str) -> tuple[certificates.VerifiedCertificate, certificates.Verdict]:
    """Check a token's signature against the stored keys and the case's current status.

    Raises:
        InvalidCertificate: malformed, unknown key, altered, or signed by another jurisdiction's key.
    """
    keys = repository.all_signing_keys(session)
    verified = certificates.verify(
        token, {k.key_id: k.public_key for k in keys}, key_jurisdictions={k.key_id: k.jurisdiction_code for k in keys}
    )
    from amparo.cases import repository as case_repository

    case = case_repository.get_by_number(session, verified.claims.case_number)
    recorded = repository.certificate(session, verified.claims.certificate_id)
    if case is None or recorded is None or recorded.case_id != case.id:
        verdict = certificates.Verdict(
            "unknown", "Genuine signature; no matching application on record",
            "The signature is genuine, but this system holds no application matching the certificate. "
            "Ask the issuing authority.", None, None,
        )
        return verified, verdict
    return verified, certificates.assess(verified, certificate_status(case.status), case.updated_at.date())


def certificate_status(case_status: str) -> str:
    """The status a certificate verifier reads for a case in `case_status` (`amparo.certificates.validity`)."""
    return CERTIFICATE_STATUS.get(case_status, case_status)


def certificate_valid(case_status: str) -> bool:
    """Whether the certificate of pending application of a case in `case_status` is valid: what
    `verify_certificate` tells anyone who checks it, for pages that offer it or say it ended."""
    return certificate_status(case_status) in certificates.validity.OPEN_STATUSES


# --- self-registration ----------------------------------------------------------------------------


def register_applicant(session: Session, settings: Settings, data: RegisterIn, remote_addr: str) -> tuple[Any, Person]:
    """Create an applicant account and their person record (as in their documents). Flushes.

    Raises:
        TooManyRequests: too many registrations from this address in the window.
        InvalidInput / Conflict: bad details, unknown jurisdiction, or the username is taken.

    The address's row (`repository.lock_registrations_from`) stays locked until the caller's
    transaction ends: commit or roll back soon after.
    """
    # The address's registrations are counted twice: first with no lock, so that a refused request
    # costs no password hash; then, after the (slow) hash, under the address's row lock, held to the
    # commit, so that registrations sent at the same moment from one address count one another (a
    # count with no lock let them all through: each read it before any was recorded). A registration
    # refused later (a username taken, an unknown jurisdiction) is rolled back with its attempt, so
    # it does not count against the address.
    _refuse_over_registration_limit(session, settings, remote_addr)
    password_hash = users.hash_new_password(data.password)  # before the first write (see there)
    repository.lock_registrations_from(session, remote_addr)
    _refuse_over_registration_limit(session, settings, remote_addr)
    repository.record_registration(session, remote_addr)
    require_jurisdiction(session, data.person.jurisdiction_code)
    person = Person(
        given_names=data.person.given_names, family_names=data.person.family_names, date_of_birth=data.person.date_of_birth,
        sex=data.person.sex.value, languages=list(data.person.languages), email=data.person.email, phone=data.person.phone,
        address=data.person.address, jurisdiction_code=data.person.jurisdiction_code,
    )
    people.add(session, person, data.person.nationalities)
    user = users.create_user(session, data.username, data.password, Role.APPLICANT, data.person.jurisdiction_code, person_id=person.id,
                             password_hash=password_hash)
    audit.record(
        session, users.actor_for(user), "user:register", "user", user.id, "self-registration",
        {"person_id": person.id, "remote_addr": remote_addr},
    )
    return user, person


def _refuse_over_registration_limit(session: Session, settings: Settings, remote_addr: str) -> None:
    """Raise TooManyRequests when the address has made `registrations_per_address` registrations in
    the last `login_window_seconds`."""
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=settings.login_window_seconds)
    if repository.count_registrations(session, remote_addr, since) >= settings.registrations_per_address:
        error = TooManyRequests(
            f"Too many accounts were created from this address recently. Wait {settings.login_window_seconds // 60} "
            "minutes and try again, or ask an assisting organisation to file with you."
        )
        error.retry_after = settings.login_window_seconds  # type: ignore[attr-defined]
        raise error
