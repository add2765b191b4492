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
        programmes = {(p.programme_id, p.jurisdiction_code) for p in session.scalars(select(ProgrammeVersion))}
        applicant_users = session.scalars(select(User).where(User.role == "applicant").order_by(User.username)).all()
        linked_cases = session.scalar(select(func.count()).select_from(Case).where(Case.person_id.in_([u.person_id for u in applicant_users])))
        names = session.scalars(select(Person.given_names)).all()
        certificates = session.scalar(select(func.count()).select_from(Certificate))
        applications = session.scalar(select(func.count()).select_from(Application))
        consular = session.scalars(select(User).where(User.role == "consular_officer")).one()
    assert programmes == {("col-etpv-2021", "COL"), (demo.PRACTICE_PROGRAMME, "COL")}
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


def test_the_practice_copy_keeps_the_rules_and_is_open_today():
    """Someone trying the demo can file today, under the same rules as the real programme."""
    import datetime as dt

    from amparo.programmes import example_paths, load_example, parse_programme

    original = load_example(demo.DEMO_PROGRAMME)
    text = next(p for p in example_paths() if p.stem == demo.DEMO_PROGRAMME).read_text(encoding="utf-8")
    copy = parse_programme(demo.practice_copy(text), "practice copy")
    assert copy.id == demo.PRACTICE_PROGRAMME and copy.id != original.id
    assert "not a real programme" in copy.summary and copy.title.startswith("Demo practice copy")
    for part in ("jurisdiction", "eligibility", "filing", "employer", "family", "fee", "permit", "legal_basis"):
        assert getattr(copy, part) == getattr(original, part), part
    assert copy.window.opens <= dt.date.today() <= copy.window.closes
    assert not (original.window.opens <= dt.date.today() <= original.window.closes)
