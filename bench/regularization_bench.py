"""Regularization benchmark (issue 4): bulk import with pre-assessment, and filing and deciding through the API.

Run:
    .venv/bin/python bench/regularization_bench.py bulk --backend sqlite --rows 20000
    .venv/bin/python bench/regularization_bench.py bulk --backend postgresql --rows 5000
    .venv/bin/python bench/regularization_bench.py api --seconds 60 --clients 20

`bulk` writes a synthetic intake CSV (Colombia's `col-etpv-2021`, names from several locales), imports
it with `amparo.intake.import_file` into a fresh, migrated database (each batch filed by
`amparo.regularization.batch.file_applications`: persons, cases, journal, applications,
pre-assessment, consents, signed certificates and audit entries, one statement per table per batch
plus the audit chain's three per entry), and reports rows/s over the run, SQL statements per filed
row, and what the per-row work costs without the database (CSV parse + validation; pre-assessment
alone). `--repeat N` runs it N times on fresh databases and adds the median.

`api` starts the real server (`amparo serve`, uvicorn) on 127.0.0.1 as a subprocess on a fresh SQLite
database, with a programme of Argentina open today. Setup (not timed) creates applicant accounts with
one shared password hash and issues their API tokens directly in the token table, because 20 x N
argon2 logins would measure the password hash, not filing. Then `clients` threads, one applicant
each at a time, `POST /api/v1/applications` for `--seconds` (bounded), and afterwards assigned
caseworkers `POST /api/v1/cases/{id}/decision` (grant; safeguards evaluated) for a bounded number of
cases. Reports throughput, median and p95 latency.

Every result line states the machine (nproc, CPU model, load average) and the date, because the
2-core machine is shared and its load changes the numbers several-fold.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from amparo.config import Settings
from amparo.db.engine import make_engine
from amparo.db.migrations import upgrade
from amparo.db.session import session_scope

ROOT = Path(__file__).resolve().parents[1]
WORK = Path(tempfile.gettempdir()) / "amparo-regularization-bench"
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/amparo_regularization_bench_intake"
SECRET = "regularization-bench-secret-key-0123456789-abcdefghij"
#: A programme of Argentina open on the day the benchmark runs (design modelled on Patria Grande:
#: the migrant files, any one document shows presence, no fee, no employer). A benchmark fixture,
#: not a statement of Argentine law.
BENCH_PROGRAMME = """\
id: arg-bench
version: 1
jurisdiction: ARG
title: Benchmark programme of Argentina (fixture)
legal_basis:
  - title: Benchmark fixture modelled on Ley 25.871 and Decreto 836/2004
window:
  opens: 2026-01-01
  closes: 2035-12-31
eligibility:
  presence:
    before: 2026-06-01
    evidence_any_of: [rental_contract, utility_bill, medical_record, school_enrolment]
  nationality:
    any_of: [BOL, PRY, VEN, PER]
  no_disqualifying_record:
    description: a conviction for a serious crime
  identity_document:
    required: true
    accepted: [passport, national_id_card]
    expired_accepted: true
filing:
  by: [applicant, assisting_organisation]
fee:
  amount: 0
  currency: ARS
permit:
  name: Residencia temporaria
  length:
    months: 24
decision_deadline_days: 90
appeal_period_days: 15
"""


def machine() -> dict[str, Any]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), "nproc": os.cpu_count(), "cpu": model,
        "load_average": [round(x, 2) for x in os.getloadavg()], "python": platform.python_version(),
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


def fresh_database(backend: str, name: str) -> str:
    if backend == "sqlite":
        WORK.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{WORK / name}.db{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{WORK / name}.db"
    url = make_url(POSTGRES)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    return POSTGRES


def settings_for(url: str) -> Settings:
    return Settings(environment="development", secret_key=SECRET, data_dir=WORK / "var", database_url=url)


# --- bulk ----------------------------------------------------------------------------------------


def bulk(backend: str, rows: int, batch: int) -> dict[str, Any]:
    from amparo.intake.parse import Context, Source, validate
    from amparo.intake.service import Summary, import_file
    from amparo.intake.synthetic import write_csv
    from amparo.programmes import Applicant, Evidence, assess, example_paths, load_example
    from amparo.regularization import service

    programme = load_example("col-etpv-2021")
    csv_path = WORK / f"intake-{rows}.csv"
    started = time.perf_counter()
    if not csv_path.exists():
        write_csv(csv_path, programme, rows, seed=11)
    generate_s = time.perf_counter() - started

    # What a row costs before the database: read + validate (the API's request models), and assess.
    sample = min(rows, 5000)
    ctx = Context(programme_id=programme.id, jurisdiction=programme.jurisdiction, today=dt.date.today())
    source = iter(Source(csv_path))
    picked = [next(source) for _ in range(sample)]
    t0 = time.perf_counter()
    checked = [validate(n, cells, ctx) for n, cells in picked]
    validate_us = (time.perf_counter() - t0) / sample * 1e6
    people = [c for c in checked if not isinstance(c, list)]
    t0 = time.perf_counter()
    for c in people:
        person = c.application.on_behalf_of.person  # type: ignore[union-attr]
        assess(programme, Applicant(birth_date=person.date_of_birth, nationalities=tuple(person.nationalities), arrived_on=c.application.arrived_on,
                                    declares_no_disqualifying_record=c.application.declares_no_disqualifying_record,
                                    identity_document=c.application.identity_document.model_dump() if c.application.identity_document else None),
               [Evidence(kind=e.kind, dated=e.dated) for e in c.application.evidence], c.filed_on)
    assess_us = (time.perf_counter() - t0) / max(len(people), 1) * 1e6
    sign_us = _sign_cost(1000)

    url = fresh_database(backend, "bulk")
    engine = make_engine(url)
    upgrade(engine)
    document = next(p for p in example_paths() if p.stem == "col-etpv-2021").read_text(encoding="utf-8")
    with session_scope(engine) as session:
        service.publish_programme(session, None, document)
    statements = [0]

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*_args: Any) -> None:
        statements[0] += 1

    curve: list[tuple[int, float]] = []

    def progress(s: Summary) -> None:
        curve.append((s.rows, s.seconds))
        if len(curve) % 10 == 0:
            print(f"  {s.rows:,} rows in {s.seconds:.0f} s ({s.rows / s.seconds:.0f} rows/s), load {os.getloadavg()[0]:.1f}", flush=True)

    cpu0 = time.process_time()
    summary = import_file(engine, settings_for(url), csv_path, programme.id, report_path=WORK / "bulk-rejected.csv", batch_size=batch, progress=progress)
    cpu_ms = (time.process_time() - cpu0) / max(summary.rows, 1) * 1000
    engine.dispose()
    rate = summary.rows / summary.seconds
    half = len(curve) // 2
    late_rate = ((curve[-1][0] - curve[half][0]) / (curve[-1][1] - curve[half][1])) if len(curve) > 3 else rate
    return {
        "benchmark": "bulk import + pre-assessment", "backend": backend, "rows": summary.rows, "filed": summary.filed,
        "rejected": summary.rejected, "batch": batch, "seconds": round(summary.seconds, 1), "rows_per_s": round(rate, 1),
        "rows_per_s_second_half": round(late_rate, 1), "statements_per_row": round(statements[0] / max(summary.rows, 1), 1),
        # CPU time of this process per row: far less sensitive than wall time to other work on the
        # shared machine; 1000 / cpu_ms is the rate of one uncontended core.
        "cpu_ms_per_row": round(cpu_ms, 2), "one_core_rows_per_s": round(1000 / cpu_ms, 1) if cpu_ms else None,
        "extrapolated_2_5M_minutes": round(2_500_000 / rate / 60, 0), "target_rows_per_s": round(2_500_000 / 900, 0),
        "csv_generation_s": round(generate_s, 1), "validate_us_per_row": round(validate_us), "assess_us_per_row": round(assess_us), "sign_certificate_us": round(sign_us),
        "overall": dict(summary.overall), "machine": machine(),
    }


def _sign_cost(n: int) -> float:
    """Microseconds to build and sign one certificate token (what filing adds besides the database)."""
    import uuid

    from amparo import certificates

    key = certificates.generate_key()
    t0 = time.perf_counter()
    for i in range(n):
        claims = certificates.CertificateClaims(
            certificate_id=uuid.uuid4().hex, case_number=f"COL-2026-{i:07d}", programme_id="col-etpv-2021", programme_title="ETPV",
            jurisdiction="COL", given_names="María José", family_names="Pérez Rangel", date_of_birth=dt.date(1990, 4, 17),
            filed_on=dt.date(2021, 6, 14), issued_at=dt.datetime.now(dt.UTC), status="pending",
        )
        certificates.issue(claims, key)
    return (time.perf_counter() - t0) / n * 1e6


# --- API -----------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _setup_api(url: str, applicants: int, caseworkers: int) -> dict[str, Any]:
    from amparo.auth import repository as users
    from amparo.auth.models import AuthToken
    from amparo.auth.passwords import hash_password
    from amparo.auth.policy import Role
    from amparo.auth.tokens import new_token, token_hash
    from amparo.people import repository as people
    from amparo.people.models import Person
    from amparo.regularization import service

    engine = make_engine(url)
    upgrade(engine)
    digest = hash_password(secrets.token_urlsafe(12))
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(hours=6)
    tokens: dict[str, list[tuple[int, str]]] = {"applicants": [], "caseworkers": [], "supervisor": []}
    with session_scope(engine) as session:
        service.publish_programme(session, None, BENCH_PROGRAMME)
        for i in range(applicants):
            person = Person(given_names=f"Persona {i}", family_names="Bench Quispe", date_of_birth=dt.date(1990, 1, 1) + dt.timedelta(days=i % 5000),
                            sex="female" if i % 2 else "male", languages=["es"], jurisdiction_code="ARG")
            people.add(session, person, ["BOL"])
            user = users.create_user(session, f"bench-applicant-{i}", None, Role.APPLICANT, "ARG", person_id=person.id, password_hash=digest)
            token = new_token()
            session.add(AuthToken(token_hash=token_hash(token), user_id=user.id, kind="api", expires_at=expires))
            tokens["applicants"].append((user.id, token))
        for role, count, key in ((Role.CASEWORKER, caseworkers, "caseworkers"), (Role.SUPERVISOR, 1, "supervisor")):
            for i in range(count):
                user = users.create_user(session, f"bench-{role.value}-{i}", None, role, "ARG", password_hash=digest)
                token = new_token()
                session.add(AuthToken(token_hash=token_hash(token), user_id=user.id, kind="api", expires_at=expires))
                tokens[key].append((user.id, token))
    engine.dispose()
    return tokens


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _server(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "AMPARO_DATABASE_URL": url, "AMPARO_SECRET_KEY": SECRET, "AMPARO_ENVIRONMENT": "development",
           "AMPARO_DATA_DIR": str(WORK / "var")}
    process = subprocess.Popen([sys.executable, "-m", "amparo", "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=open(WORK / "server.log", "wb"))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/programmes", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.3)
    process.terminate()
    raise RuntimeError(f"the server did not start; see {WORK / 'server.log'}")


#: Decisions made by one caseworker alone after the concurrent run, for the service time without queueing.
SOLO = 40
FILING = {
    "programme_id": "arg-bench", "arrived_on": "2024-03-01", "declares_no_disqualifying_record": True,
    "identity_document": {"kind": "passport", "expires_on": "2027-01-01"},
    "evidence": [{"kind": "rental_contract", "dated": "2025-02-01"}, {"kind": "utility_bill", "dated": "2025-11-03"}],
}


def _run_clients(clients: int, work: list[list[Any]], send: Any, seconds: float) -> tuple[list[float], list[str], float, list[Any]]:
    latencies: list[float] = []
    errors: list[str] = []
    results: list[Any] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker(items: list[Any]) -> None:
        with httpx.Client(timeout=30) as client:
            for item in items:
                if time.monotonic() > stop:
                    return
                t0 = time.perf_counter()
                response = send(client, item)
                elapsed = time.perf_counter() - t0
                with lock:
                    if response.status_code in (200, 201):
                        latencies.append(elapsed)
                        results.append(response.json())
                    else:
                        errors.append(f"{response.status_code} {response.text[:200]}")

    threads = [threading.Thread(target=worker, args=(work[i],)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors, time.perf_counter() - started, results


def api(seconds: float, clients: int, applicants: int, decisions: int) -> dict[str, Any]:
    url = fresh_database("sqlite", "api")
    tokens = _setup_api(url, applicants, clients)
    port = _free_port()
    process = _server(url, port)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        per_client = [tokens["applicants"][i::clients] for i in range(clients)]

        def file(client: httpx.Client, item: tuple[int, str]) -> httpx.Response:
            return client.post(f"{base}/applications", json=FILING, headers={"Authorization": f"Bearer {item[1]}"})

        load_before = os.getloadavg()[0]
        cpu0 = _cpu_seconds(process.pid)
        filing_lat, filing_err, filing_s, filed = _run_clients(clients, per_client, file, seconds)
        filing_cpu_ms = (_cpu_seconds(process.pid) - cpu0) / max(len(filing_lat), 1) * 1000

        # Assign cases to the caseworkers through the API (not timed), then decide them concurrently.
        supervisor = {"Authorization": f"Bearer {tokens['supervisor'][0][1]}"}
        chosen = filed[: decisions + SOLO]
        work: list[list[Any]] = [[] for _ in range(clients)]
        solo: list[Any] = []
        with httpx.Client(timeout=30) as client:
            for n, item in enumerate(chosen):
                worker_id, token = tokens["caseworkers"][n % clients]
                body = {"expected_version": 2, "action": {"type": "assign", "payload": {"user_id": worker_id}}}
                response = client.post(f"{base}/cases/{item['case_id']}/actions", json=body, headers=supervisor)
                if response.status_code in (200, 201):
                    (work[n % clients] if n < decisions else solo).append((item["case_id"], token))
                elif n == 0:
                    print("assign failed:", response.status_code, response.text[:300], flush=True)

        def decide(client: httpx.Client, item: tuple[int, str]) -> httpx.Response:
            body = {"outcome": "grant", "reasons": "Presence before the cut-off shown by a rental contract; nationality in the list.", "language": "es"}
            return client.post(f"{base}/cases/{item[0]}/decision", json=body, headers={"Authorization": f"Bearer {item[1]}"})

        cpu0 = _cpu_seconds(process.pid)
        decision_lat, decision_err, decision_s, _ = _run_clients(clients, work, decide, seconds)
        decision_cpu_ms = (_cpu_seconds(process.pid) - cpu0) / max(len(decision_lat), 1) * 1000
        # One caseworker alone (no queueing behind 19 others): the service time of a decision.
        solo_lat, _, _, _ = _run_clients(1, [solo], decide, seconds)
    finally:
        process.terminate()
        process.wait(timeout=30)
    return {
        "benchmark": "API filing and decisions", "backend": "sqlite", "clients": clients, "window_s": seconds,
        "filings": len(filing_lat), "filing_errors": len(filing_err), "filing_error_sample": filing_err[:2],
        "filings_per_s": round(len(filing_lat) / filing_s, 1), "filing_median_ms": round(statistics.median(filing_lat) * 1000, 1) if filing_lat else None,
        "filing_p95_ms": round(percentile(filing_lat, 0.95) * 1000, 1),
        "decisions": len(decision_lat), "decision_errors": len(decision_err), "decision_error_sample": decision_err[:2],
        "decisions_per_s": round(len(decision_lat) / decision_s, 1) if decision_s else None,
        "decision_median_ms": round(statistics.median(decision_lat) * 1000, 1) if decision_lat else None,
        "decision_p95_ms": round(percentile(decision_lat, 0.95) * 1000, 1) if decision_lat else None,
        "server_cpu_ms_per_filing": round(filing_cpu_ms, 1), "server_cpu_ms_per_decision": round(decision_cpu_ms, 1),
        "solo_decisions": len(solo_lat), "solo_decision_median_ms": round(statistics.median(solo_lat) * 1000, 1) if solo_lat else None,
        "solo_decision_p95_ms": round(percentile(solo_lat, 0.95) * 1000, 1) if solo_lat else None,
        "load_average_at_start": round(load_before, 2), "machine": machine(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("bulk")
    b.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    b.add_argument("--rows", type=int, default=20_000)
    b.add_argument("--batch", type=int, default=500)
    b.add_argument("--repeat", type=int, default=1, help="runs on fresh databases; the result adds their medians")
    a = sub.add_parser("api")
    a.add_argument("--seconds", type=float, default=60)
    a.add_argument("--clients", type=int, default=20)
    a.add_argument("--applicants", type=int, default=3000, help="accounts prepared; the filing window stops when they run out")
    a.add_argument("--decisions", type=int, default=400)
    args = parser.parse_args()
    if args.command == "bulk":
        runs = []
        for _ in range(args.repeat):
            runs.append(bulk(args.backend, args.rows, args.batch))
            print(json.dumps(runs[-1], ensure_ascii=False), flush=True)
        result = runs[-1] if len(runs) == 1 else {
            "benchmark": "bulk import + pre-assessment (median of runs)", "backend": args.backend, "rows": args.rows, "batch": args.batch,
            "runs": len(runs), "rows_per_s_each": [r["rows_per_s"] for r in runs],
            "rows_per_s_median": statistics.median(r["rows_per_s"] for r in runs),
            "cpu_ms_per_row_median": statistics.median(r["cpu_ms_per_row"] for r in runs),
            "statements_per_row": runs[-1]["statements_per_row"],
            "extrapolated_2_5M_minutes": round(2_500_000 / statistics.median(r["rows_per_s"] for r in runs) / 60, 1),
            "machine": machine(),
        }
    else:
        result = api(args.seconds, args.clients, args.applicants, args.decisions)
    print(json.dumps(result, ensure_ascii=False))
    with (WORK / "results.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(result, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
