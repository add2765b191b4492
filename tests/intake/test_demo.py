"""`amparo demo`'s seeding on SQLite: the programme, a user for every role, synthetic applicants filed
through the real service, applicant logins, and a second run that adds nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from amparo import demo
from amparo.auth.models import User
from amparo.auth.passwords import verify_password
from amparo.auth.policy import Role
from amparo.cases.models import Case
from amparo.db.engine import make_engine, read_only
from amparo.db.migrations import upgrade
from amparo.db.session import session_scope
from amparo.people.models import Person
from amparo.regularization.models import Application, Certificate, ProgrammeVersion
from intake_support import counts, settings  # noqa: F401


@pytest.fixture
def demo_engine(tmp_path):
    """The demo's own kind of database: a SQLite file, migrated (the demo never runs on PostgreSQL)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def test_demo_seeds_every_role_and_synthetic_applicants_and_a_rerun_adds_nothing(demo_engine, settings):
    fresh_engine = demo_engine
    with session_scope(fresh_engine) as session:
        logins = demo.seed(session, settings, "demo-password-123")
    summary = demo.seed_applicants(fresh_engine, settings, 60, batch_size=25)
    with session_scope(fresh_engine) as session:
        logins += demo.applicant_logins(session, "demo-password-123", count=3)

    assert {login.role for login in logins} == {role.value for role in Role}
    assert summary.filed + summary.rejected == 60 and summary.rejected == 0
    # Each outcome of the pre-assessment occurs among the synthetic applicants.
    assert set(summary.overall) == {"likely_eligible", "incomplete", "not_eligible"}
    with session_scope(read_only(fresh_engine)) as session:
        programme = session.scalars(select(ProgrammeVersion)).one()
        applicant_users = session.scalars(select(User).where(User.role == "applicant").order_by(User.username)).all()
        linked_cases = session.scalar(select(func.count()).select_from(Case).where(Case.person_id.in_([u.person_id for u in applicant_users])))
        names = session.scalars(select(Person.given_names)).all()
        certificates = session.scalar(select(func.count()).select_from(Certificate))
        applications = session.scalar(select(func.count()).select_from(Application))
        consular = session.scalars(select(User).where(User.role == "consular_officer")).one()
    assert (programme.programme_id, programme.jurisdiction_code) == ("col-etpv-2021", "COL")
    assert len(applicant_users) == 4 and linked_cases == 4
    assert all(verify_password(u.password_hash, "demo-password-123") for u in applicant_users)
    assert consular.consular_state == "VEN"
    assert applications == certificates == 61  # the main demo applicant and the 60 synthetic ones
    assert any(any("\u0600" <= ch <= "\u06ff" for ch in name) for name in names) or any(ch in "ãõçé" for name in names for ch in name)

    before = counts(fresh_engine)
    with session_scope(fresh_engine) as session:
        again = demo.seed(session, settings, "another-password-456")
    rerun = demo.seed_applicants(fresh_engine, settings, 60, batch_size=25)
    assert (rerun.filed, rerun.already_imported) == (0, 60)
    assert counts(fresh_engine) == before
    assert {login.password for login in again} == {"another-password-456"}
