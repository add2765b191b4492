"""Suite-wide rules.

* `AMPARO_TEST_REQUIRE_ALL=1` (set by `.ci/run`) turns every skip into a failure, so CI always runs
  the PostgreSQL, browser and shared-data tests that a user's machine may skip.
* `shared_data` is the path to `../shared/data` beside the checkout; tests that use it skip when it is
  absent (the project itself never reads it at run time).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Database fixtures (backend, engine, session, fresh_engine) for SQLite and PostgreSQL.
pytest_plugins = ["db_support"]

REQUIRE_ALL = os.environ.get("AMPARO_TEST_REQUIRE_ALL") == "1"
REPO_ROOT = Path(__file__).resolve().parent.parent


def _find_shared() -> Path | None:
    env = os.environ.get("AMPARO_SHARED_DATA")
    candidates = [Path(env)] if env else []
    candidates += [REPO_ROOT.parent / "shared" / "data", REPO_ROOT / ".." / ".." / "shared" / "data"]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate.resolve()
    return None


SHARED_DATA = _find_shared()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if SHARED_DATA is None:
        pytest.skip("../shared/data is not beside this checkout (set AMPARO_SHARED_DATA to point at it)")
    return SHARED_DATA


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_ALL and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.longrepr = f"skipped, but AMPARO_TEST_REQUIRE_ALL=1 forbids skips: {reason}"
