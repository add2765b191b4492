"""The storage commands, run as a user runs them: `python -m amparo ...` in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys

from amparo.auth import repository as users
from amparo.auth.passwords import verify_password
from amparo.db.engine import make_engine
from amparo.db.migrations import current_revision, head_revision
from amparo.db.session import session_scope


def amparo(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AMPARO_ENVIRONMENT": "development"}
    return subprocess.run(
        [sys.executable, "-m", "amparo", *args], input=stdin, capture_output=True, text=True, env=env, timeout=120
    )


def test_db_upgrade_creates_then_reports_up_to_date(fresh_database_url):
    first = amparo("db", "upgrade", "--url", fresh_database_url)
    assert first.returncode == 0, first.stderr
    assert f"migrated from empty to revision {head_revision()}" in first.stdout
    engine = make_engine(fresh_database_url)
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()
    again = amparo("db", "upgrade", "--url", fresh_database_url)
    assert again.returncode == 0 and "already at revision" in again.stdout


def test_users_create_with_password_on_stdin_then_refuses_a_duplicate(fresh_engine, fresh_database_url):
    created = amparo(
        "users", "create", "--role", "caseworker", "--jurisdiction", "ARG", "--username", "Ana@Example.org",
        "--password-stdin", "--url", fresh_database_url, stdin="a long enough password\n",
    )
    assert created.returncode == 0, created.stderr
    assert "Created caseworker 'ana@example.org'" in created.stdout
    with session_scope(fresh_engine) as session:
        user = users.get_user_by_username(session, "ana@example.org")
        assert user is not None and user.role == "caseworker" and user.jurisdiction_code == "ARG"
        assert verify_password(user.password_hash, "a long enough password")
        assert not verify_password(user.password_hash, "a long enough password\n")
    duplicate = amparo(
        "users", "create", "--role", "supervisor", "--jurisdiction", "ARG", "--username", "ana@example.org",
        "--password-stdin", "--url", fresh_database_url, stdin="another long password\n",
    )
    assert duplicate.returncode == 2
    assert duplicate.stderr.strip() == "Error: username 'ana@example.org' is already taken; choose another"


def test_users_create_names_a_bad_role_jurisdiction_or_password(tmp_path):
    # Input checks do not depend on the backend; one SQLite file keeps this test quick.
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert amparo("db", "upgrade", "--url", url).returncode == 0
    base = ["users", "create", "--username", "x@example.org", "--password-stdin", "--url", url]
    cases = [
        (["--role", "boss", "--jurisdiction", "ARG"], "a long enough password", "role 'boss' does not exist; expected one of: applicant"),
        (["--role", "caseworker", "--jurisdiction", "XXA"], "a long enough password", "jurisdiction 'XXA' is not an ISO 3166-1 alpha-3"),
        (["--role", "caseworker", "--jurisdiction", "ARG"], "short", "at least 10 are required"),
        (["--role", "caseworker"], "a long enough password", "needs a jurisdiction"),
    ]
    for extra, password, message in cases:
        result = amparo(*base, *extra, stdin=password + "\n")
        assert result.returncode == 2, (extra, result.stdout)
        assert message in result.stderr and "Traceback" not in result.stderr, result.stderr
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            assert users.get_user_by_username(session, "x@example.org") is None
    finally:
        engine.dispose()


def test_users_create_prompts_twice_and_refuses_a_mismatch(tmp_path):
    url = f"sqlite:///{tmp_path / 'prompt.db'}"
    assert amparo("db", "upgrade", "--url", url).returncode == 0
    args = ["users", "create", "--role", "system_admin", "--username", "root@example.org", "--url", url]
    mismatch = amparo(*args, stdin="first password 1\nsecond password 2\nfirst password 1\nfirst password 1\n")
    # Typer asks again after a mismatch; the second, matching pair is accepted.
    assert mismatch.returncode == 0, mismatch.stderr
    assert "do not match" in (mismatch.stdout + mismatch.stderr).lower()
    assert "Created system_admin 'root@example.org'" in mismatch.stdout
