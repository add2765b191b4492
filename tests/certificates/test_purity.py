"""The certificates and evidence packages are pure libraries: importing them pulls in no web or database code."""

from __future__ import annotations

import subprocess
import sys

import pytest

FORBIDDEN = ("fastapi", "starlette", "sqlalchemy", "alembic", "psycopg", "amparo.db", "amparo.web", "amparo.api")


@pytest.mark.parametrize("package", ["amparo.certificates", "amparo.evidence"])
def test_no_web_or_database_imports(package):
    code = (
        f"import sys, {package}, {package}.{'pdf' if package.endswith('certificates') else 'store'}\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r} or m.startswith({FORBIDDEN!r})))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
