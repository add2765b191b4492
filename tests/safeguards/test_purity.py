"""The engines are pure libraries: importing and using them loads no web or database code."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import datetime, sys
import amparo.safeguards, amparo.programmes
amparo.safeguards.evaluate("decision:refuse", "ARG", datetime.date(2008, 1, 1))
amparo.programmes.check_programme(amparo.programmes.load_example("col-etpv-2021"))
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {"fastapi", "starlette", "sqlalchemy", "alembic", "psycopg", "jinja2"}
                or m.startswith(("amparo.db", "amparo.api", "amparo.web")))
print(",".join(loaded))
"""


def test_engines_import_no_web_or_database_modules() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
