"""`amparo db prune`, run as cron runs it: `python -m amparo ...` in a subprocess, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from amparo.audit import service as audit
from amparo.audit.models import AuditEntry
from amparo.auth.models import LoginAttempt, RegistrationAddress
from amparo.db.compat import utcnow
from amparo.db.engine import make_engine
from amparo.db.migrations import head_revision

#: Not the default (300 s): the command must take its cutoffs from the setting.
WINDOW_SECONDS = 900


def amparo(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AMPARO_ENVIRONMENT": "development", "AMPARO_LOGIN_WINDOW_SECONDS": str(WINDOW_SECONDS)}
    return subprocess.run([sys.executable, "-m", "amparo", *args], capture_output=True, text=True, env=env, timeout=120)


def _seed(engine: Engine, *, old_attempts: int, old_addresses: int) -> None:
    """Rows from long before the window, and one of each inside it (192.0.2.200, "recent@example.org")."""
    long_ago, recent = utcnow() - dt.timedelta(days=3), utcnow() - dt.timedelta(seconds=60)
    with Session(engine) as session:
        for n in range(old_attempts):
            session.add(LoginAttempt(username=f"old-{n}@example.org", remote_addr=f"192.0.2.{n}", at=long_ago, succeeded=False))
        session.add(LoginAttempt(username="recent@example.org", remote_addr="192.0.2.200", at=recent, succeeded=False))
        for n in range(old_addresses):
            session.add(RegistrationAddress(remote_addr=f"192.0.2.{100 + n}", last_registered_at=long_ago))
        session.add(RegistrationAddress(remote_addr="192.0.2.200", last_registered_at=recent))
        session.commit()


def _left(engine: Engine) -> tuple[set[str], set[str]]:
    with Session(engine) as session:
        return (set(session.scalars(select(LoginAttempt.username))),
                set(session.scalars(select(RegistrationAddress.remote_addr))))


def _journal(engine: Engine) -> list[AuditEntry]:
    with Session(engine) as session:
        assert audit.verify(session).ok
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == "retention:prune").order_by(AuditEntry.id)))


def test_prune_prints_what_it_removed_and_a_second_run_removes_nothing(fresh_engine, fresh_database_url) -> None:
    _seed(fresh_engine, old_attempts=2, old_addresses=1)

    started = utcnow()
    first = amparo("db", "prune", "--url", fresh_database_url)
    ended = utcnow()

    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines[0].startswith("login_attempts: removed 2 rows recorded before "), first.stdout
    assert lines[1].startswith("registration_addresses: removed 1 row last used before "), first.stdout
    assert f"count the last {WINDOW_SECONDS} s" in lines[0]
    printed = [dt.datetime.fromisoformat(found) for found in re.findall(r"before (\S+ \S+) \(", first.stdout)]
    window = dt.timedelta(seconds=WINDOW_SECONDS)
    assert len(printed) == 2
    assert all(started - window - dt.timedelta(seconds=1) <= cutoff <= ended - window for cutoff in printed), printed
    assert _left(fresh_engine) == ({"recent@example.org"}, {"192.0.2.200"})
    [entry] = _journal(fresh_engine)
    assert (entry.detail["login_attempts"], entry.detail["registration_addresses"]) == (2, 1)
    assert entry.username.startswith("cli:") and "192.0.2." not in json.dumps(entry.detail)

    second = amparo("db", "prune", "--url", fresh_database_url, "--json")

    assert second.returncode == 0, second.stderr
    report = json.loads(second.stdout)
    assert (report["login_attempts"], report["registration_addresses"], report["window_seconds"]) == (0, 0, WINDOW_SECONDS)
    assert _left(fresh_engine) == ({"recent@example.org"}, {"192.0.2.200"})
    assert [(e.detail["login_attempts"], e.detail["registration_addresses"]) for e in _journal(fresh_engine)] == [(2, 1), (0, 0)]


def test_prune_removes_a_backlog_a_batch_at_a_time(fresh_engine, fresh_database_url) -> None:
    _seed(fresh_engine, old_attempts=3, old_addresses=2)

    result = amparo("db", "prune", "--url", fresh_database_url, "--batch-size", "2", "--json")

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["login_attempts"], report["registration_addresses"]) == (3, 2)
    assert _left(fresh_engine) == ({"recent@example.org"}, {"192.0.2.200"})
    journaled = [(e.detail["login_attempts"], e.detail["registration_addresses"]) for e in _journal(fresh_engine)]
    assert journaled == [(2, 2), (1, 0)], "one entry per transaction, with that transaction's counts"


def test_prune_refuses_a_database_that_is_not_migrated(fresh_database_url) -> None:
    empty = make_engine(fresh_database_url)
    with empty.connect():  # the database exists (on SQLite: its file), with no tables
        pass
    empty.dispose()

    result = amparo("db", "prune", "--url", fresh_database_url)

    assert result.returncode == 1
    assert result.stdout == ""
    assert "is at revision none (empty), not " + head_revision() in result.stderr
    assert "run `amparo db upgrade` first" in result.stderr and "Traceback" not in result.stderr


def test_prune_names_a_database_it_cannot_reach(tmp_path: Path) -> None:
    unreachable = amparo("db", "prune", "--url", "postgresql+psycopg://amparo@127.0.0.1:1/amparo")
    missing = tmp_path / "nowhere" / "amparo.db"
    absent = amparo("db", "prune", "--url", f"sqlite:///{missing}")

    assert unreachable.returncode == 1 and absent.returncode == 1
    assert unreachable.stderr.startswith("Error: cannot reach the database at postgresql+psycopg://amparo@127.0.0.1:1/amparo (")
    assert absent.stderr.startswith(f"Error: there is no database at sqlite:///{missing};")
    assert "Traceback" not in unreachable.stderr + absent.stderr
    assert not missing.parent.exists(), "the command created the database it was asked to prune"
