"""Latency of one filing and one decision through the application in process (FastAPI TestClient).

Run: .venv/bin/python bench/regularization_latency.py [--filings 200] [--decisions 100] [--backend sqlite|postgresql]

No network and one client at a time: this isolates what the service costs per request (filing:
validation, pre-assessment, case + journal + application rows, certificate signing, audit entries,
commit; decision: the safeguards evaluation for the jurisdiction and date, journal, audit, commit).
Throughput at 20 concurrent clients through a real server is `bench/regularization_bench.py api`.
Accounts and tokens are created directly (argon2 logins would measure the password hash).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "regularization"))

from amparo.auth.models import AuthToken  # noqa: E402
from amparo.auth.policy import Role  # noqa: E402
from amparo.auth.tokens import new_token, token_hash  # noqa: E402
from amparo.db.engine import make_engine  # noqa: E402
from amparo.db.migrations import upgrade  # noqa: E402
from amparo.people import repository as people  # noqa: E402
from amparo.people.models import Person  # noqa: E402
from amparo.regularization import service  # noqa: E402
from builders import make_user  # noqa: E402
from reg_support import ARG_PROGRAMME, application_body, make_client  # noqa: E402


def _token(session: Session, user_id: int) -> dict[str, str]:
    token = new_token()
    session.add(AuthToken(token_hash=token_hash(token), user_id=user_id, kind="api", expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)))
    return {"Authorization": f"Bearer {token}"}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--filings", type=int, default=200)
    parser.add_argument("--decisions", type=int, default=100)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--trace", action="store_true", help="print the SQL statements of the last filing")
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="amparo-latency-"))
    admin_url = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    if args.backend == "sqlite":
        url = f"sqlite:///{directory / 'bench.db'}"
    else:
        name = f"amparo_bench_{uuid.uuid4().hex[:8]}"
        with create_engine(admin_url, isolation_level="AUTOCOMMIT").connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        service.publish_programme(session, None, ARG_PROGRAMME)
        caseworker = make_user(session, Role.CASEWORKER, "ARG")
        applicants = []
        for i in range(args.filings):
            person = people.add(session, Person(given_names=f"Ana {i}", family_names="Choque", date_of_birth=dt.date(1990, 1, 1), sex="female", languages=["es"], jurisdiction_code="ARG"), ["BOL"])
            applicants.append(_token(session, make_user(session, Role.APPLICANT, "ARG", person=person).id))
        staff = _token(session, caseworker.id)
        caseworker_id = caseworker.id
        session.commit()
    client = make_client(engine, directory)
    client.get("/api/v1/programmes")  # warm the app
    statements = {"n": 0}
    counted: dict[str, list[int]] = {"filing": [], "decision": []}

    last: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements["n"] += 1
        if args.trace:
            last.append(" ".join(statement.split())[:110])

    filings, case_ids = [], []
    for headers in applicants:
        start, statements["n"] = time.perf_counter(), 0
        last.clear()
        response = client.post("/api/v1/applications", headers=headers, json=application_body())
        filings.append(time.perf_counter() - start)
        counted["filing"].append(statements["n"])
        assert response.status_code == 201, response.text
        case_ids.append(response.json()["case_id"])
    if args.trace:
        print("statements of the last filing:", *last, sep="\n  ")
    with engine.begin() as connection:  # assign without timing it: the decision is what is measured
        for case_id in case_ids[: args.decisions]:
            connection.execute(text("UPDATE cases SET assigned_user_id = :u WHERE id = :c"), {"u": caseworker_id, "c": case_id})
    decisions = []
    for case_id in case_ids[: args.decisions]:
        start, statements["n"] = time.perf_counter(), 0
        response = client.post(f"/api/v1/cases/{case_id}/decision", headers=staff, json={"outcome": "grant"})
        decisions.append(time.perf_counter() - start)
        counted["decision"].append(statements["n"])
        assert response.status_code == 201, response.text
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), platform.processor())
    print(f"{args.backend}: {os.cpu_count()} CPUs, {cpu}, load {os.getloadavg()[0]:.1f}, {dt.date.today()}")
    for name, values in (("filing", filings), ("decision", decisions)):
        print(f"  {name}: n={len(values)} median {statistics.median(values) * 1000:.1f} ms, p95 {_percentile(values, 0.95) * 1000:.1f} ms, "
              f"{statistics.median(counted[name]):.0f} SQL statements (median, the request's own: sign-in lookup to commit)")
    engine.dispose()
    if args.backend == "postgresql":
        with create_engine(admin_url, isolation_level="AUTOCOMMIT").connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
