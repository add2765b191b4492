"""A command whose database is down, unreachable or not migrated says so in one line and exits 1.

These are an operator's conditions to fix, not defects of Amparo: no "Unexpected error ... report it",
no traceback, and no empty SQLite file left where a mistyped path pointed.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

UNREACHABLE = "postgresql+psycopg://amparo@127.0.0.1:1/amparo?connect_timeout=2"


def amparo(*args: str, url: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AMPARO_ENVIRONMENT": "development", "AMPARO_DATABASE_URL": url}
    env.pop("AMPARO_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "amparo", *args], capture_output=True, text=True, env=env, input=stdin, timeout=120)


def _refused_plainly(result: subprocess.CompletedProcess[str], reason: str) -> None:
    assert result.returncode == 1, result
    assert result.stderr.startswith("Error: the database could not do it ("), result.stderr
    assert reason in result.stderr
    assert "Unexpected error" not in result.stderr and "Traceback" not in result.stderr
    assert "amparo db upgrade" in result.stderr


def test_a_user_cannot_be_created_while_the_database_server_is_unreachable() -> None:
    result = amparo("users", "create", "--username", "ana", "--role", "caseworker", "--jurisdiction", "ARG",
                    "--password-stdin", url=UNREACHABLE, stdin="a-long-enough-password-1\n")
    _refused_plainly(result, "127.0.0.1")


def test_the_audit_chain_of_a_database_never_migrated_is_refused_plainly(tmp_path: Path) -> None:
    database = tmp_path / "empty.db"
    sqlite3.connect(database).close()  # exists, but has no tables
    _refused_plainly(amparo("audit", "verify", url=f"sqlite:///{database}"), "no such table")


def test_db_current_does_not_create_a_file_where_a_mistyped_path_points(tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "amparo.db"
    missing.parent.mkdir()
    result = amparo("db", "current", url=f"sqlite:///{missing}")
    assert result.returncode == 1
    assert "no database there" in result.stdout and "amparo db upgrade" in result.stdout
    assert not missing.exists()
