"""Regularization benchmark (issue 4): bulk import with pre-assessment, and filing and deciding through the API.

Run:
    .venv/bin/python bench/regularization_bench.py bulk --backend sqlite --rows 20000
    .venv/bin/python bench/regularization_bench.py bulk --backend postgresql --rows 5000
    .venv/bin/python bench/regularization_bench.py api --backend sqlite       # the goal as written: 100/s for 5 minutes
    .venv/bin/python bench/regularization_bench.py api --backend postgresql
    .venv/bin/python bench/regularization_bench.py api --rate 40 --seconds 15 --decisions 100   # a short check
    .venv/bin/python bench/regularization_bench.py api --back-to-back --seconds 60 --applicants 12000   # saturation

`bulk` writes a synthetic intake CSV (Colombia's `col-etpv-2021`, names from several locales), imports
it with `amparo.intake.import_file` into a fresh, migrated database (each batch filed by
`amparo.regularization.batch.file_applications`: persons, cases, journal, applications,
pre-assessment, consents, signed certificates and audit entries, one statement per table per batch
plus the audit chain's three per batch), and reports rows/s over the run, SQL statements per batch
(an executemany counts once), and what the per-row work costs without the database (CSV parse +
validation; pre-assessment alone). `--repeat N` runs it N times on fresh databases and adds the median.

`api` measures issue 4's goal: "Through the API at 20 concurrent applicants: >= 100 filings per second
sustained for 5 minutes, filing p95 <= 150 ms, decision with safeguard evaluation p95 <= 100 ms." It
starts the real server (`amparo serve --workers N`, default 2: one per core) on 127.0.0.1 on a fresh
SQLite or PostgreSQL database with a programme of Argentina open today. Setup (timed, not part of the
load) creates one applicant account per filing (one pending application per person), sharing one
password hash, with API tokens written directly in the token table (argon2 logins would measure the
password hash, not filing), a chunk of rows per statement.

Filing is paced: `--rate` filings/s offered in all for `--seconds`, from `--clients` threads (one
`bench/lightclient.py` keep-alive connection each: stdlib http.client, a third of httpx's client CPU,
which the load generator would otherwise take from the server on this 2-core machine). Thread k's
i-th filing is due at start + (k + i*clients)/rate, and its latency counts from that scheduled time,
so a server that falls behind shows as growing latency and a lower achieved rate rather than as a
quietly lower offered rate ("coordinated omission"). `--back-to-back` instead sends as fast as
answers come, for the saturation throughput (it stops when the prepared `--applicants` run out).

Then a supervisor assigns filed cases to the caseworkers (not timed) and they grant them (safeguards
evaluated): `--decisions` back to back by all caseworkers at once, then paced at `--decision-rate`
for `--decision-seconds` (shorter when too few cases were filed), then SOLO by one caseworker alone
(the service time without queueing). Each phase reports offered and achieved rates, p50/p95/p99 from
the scheduled time, errors with a sample, requests left unsent when the schedule overran, and CPU per
request of the server (uvicorn's parent and all its workers, from /proc), of the PostgreSQL backends
serving the database, and of this load generator. The filing verdict is the goal's: achieved >= 100/s
and p95 <= 150 ms; a paced filing and decision run also reports each fifth of the run, to show
whether the rate and p95 held throughout.

Every result states the machine (nproc, CPU model, load average at start and end) and the date,
because the 2-core machine is shared and its load changes the numbers several-fold. Results are
appended as JSON lines to $TMPDIR/amparo-regularization-bench/results.jsonl.
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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, event, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from amparo.config import Settings
from amparo.db.engine import make_engine
from amparo.db.migrations import upgrade
from amparo.db.session import session_scope

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lightclient import Client, Response  # noqa: E402  (stdlib http.client: a third of httpx's client CPU)

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


def bulk(backend: str, rows: int, batch: int, workers: int | None = None) -> dict[str, Any]:
    import resource

    from amparo.intake.parse import Context, Source, validate
    from amparo.intake.pipeline import default_workers
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
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    summary = import_file(engine, settings_for(url), csv_path, programme.id, report_path=WORK / "bulk-rejected.csv", batch_size=batch,
                          progress=progress, workers=workers)
    cpu_ms = (time.process_time() - cpu0) / max(summary.rows, 1) * 1000
    # The checking processes have ended (the import waits for them), so their CPU is counted here.
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    workers_cpu_ms = ((children.ru_utime - children0.ru_utime) + (children.ru_stime - children0.ru_stime)) / max(summary.rows, 1) * 1000
    engine.dispose()
    rate = summary.rows / summary.seconds
    half = len(curve) // 2
    late_rate = ((curve[-1][0] - curve[half][0]) / (curve[-1][1] - curve[half][1])) if len(curve) > 3 else rate
    return {
        "benchmark": "bulk import + pre-assessment", "backend": backend, "rows": summary.rows, "filed": summary.filed,
        "rejected": summary.rejected, "batch": batch, "workers": workers or default_workers(), "seconds": round(summary.seconds, 1), "rows_per_s": round(rate, 1),
        "rows_per_s_second_half": round(late_rate, 1), "statements_per_batch": round(statements[0] / max(summary.batches, 1), 1),
        # CPU time of this process per row: far less sensitive than wall time to other work on the
        # shared machine; 1000 / cpu_ms is the rate of one uncontended core.
        # CPU of the writing process per row; the checking processes' CPU separately (the writer is the limit
        # while it has the larger share).
        "cpu_ms_per_row": round(cpu_ms, 2), "one_core_rows_per_s": round(1000 / cpu_ms, 1) if cpu_ms else None,
        "workers_cpu_ms_per_row": round(workers_cpu_ms, 2),
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

#: The goal of issue 4, through the API at 20 concurrent applicants.
GOAL_FILINGS_PER_S = 100
GOAL_FILING_P95_MS = 150
GOAL_DECISION_P95_MS = 100
#: Decisions made by one caseworker alone after the concurrent runs, for the service time without queueing.
SOLO = 40
#: Applicants inserted per round trip in setup: one statement per table per chunk instead of five per applicant.
SETUP_CHUNK = 1000
FILING = {
    "programme_id": "arg-bench", "arrived_on": "2024-03-01", "declares_no_disqualifying_record": True,
    "identity_document": {"kind": "passport", "expires_on": "2027-01-01"},
    "evidence": [{"kind": "rental_contract", "dated": "2025-02-01"}, {"kind": "utility_bill", "dated": "2025-11-03"}],
}
GRANT = {"outcome": "grant", "reasons": "Presence before the cut-off shown by a rental contract; nationality in the list.", "language": "es"}
console = Console(width=220)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _setup_api(url: str, applicants: int, caseworkers: int) -> dict[str, list[tuple[int, str]]]:
    """Publish the programme and create the accounts, each with an API token: (user id, token) per role."""
    from amparo.auth import repository as users
    from amparo.auth.models import AuthToken
    from amparo.auth.passwords import hash_password
    from amparo.auth.policy import Role
    from amparo.auth.tokens import new_token, token_hash
    from amparo.regularization import service

    engine = make_engine(url)
    upgrade(engine)
    # One hash for everyone: argon2 per account would make setup take minutes and is never used (tokens are).
    digest = hash_password(secrets.token_urlsafe(12))
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(hours=6)
    tokens: dict[str, list[tuple[int, str]]] = {"applicants": [], "caseworkers": [], "supervisor": []}
    with session_scope(engine) as session:
        service.publish_programme(session, None, BENCH_PROGRAMME)
        tokens["applicants"] = _add_applicants(session, applicants, digest, expires)
        for role, count, key in ((Role.CASEWORKER, caseworkers, "caseworkers"), (Role.SUPERVISOR, 1, "supervisor")):
            for i in range(count):
                user = users.create_user(session, f"bench-{role.value}-{i}", None, role, "ARG", password_hash=digest)
                token = new_token()
                session.add(AuthToken(token_hash=token_hash(token), user_id=user.id, kind="api", expires_at=expires))
                tokens[key].append((user.id, token))
    engine.dispose()
    return tokens


def _add_applicants(session: Any, count: int, digest: str, expires: dt.datetime) -> list[tuple[int, str]]:
    """Applicant accounts of ARG persons of Bolivian nationality, with an API token each.

    The rows are those `people.add` + `users.create_user` + an `AuthToken` write (person, nationality,
    name keys, user, token), inserted a chunk at a time: the per-applicant ORM path flushed five times
    per applicant, which for the 30,000 accounts of a 5-minute run took minutes.
    """
    from amparo.auth.models import AuthToken, User
    from amparo.auth.policy import Role
    from amparo.auth.tokens import new_token, token_hash
    from amparo.people.models import Person, PersonNameKey, PersonNationality
    from amparo.people.names import search_keys

    made: list[tuple[int, str]] = []
    for first in range(0, count, SETUP_CHUNK):
        numbers = range(first, min(count, first + SETUP_CHUNK))
        persons = [{"given_names": f"Persona {i}", "family_names": "Bench Quispe", "date_of_birth": dt.date(1990, 1, 1) + dt.timedelta(days=i % 5000),
                    "sex": "female" if i % 2 else "male", "languages": ["es"], "jurisdiction_code": "ARG"} for i in numbers]
        person_ids = session.scalars(insert(Person).returning(Person.id, sort_by_parameter_order=True), persons).all()
        session.execute(insert(PersonNationality), [{"person_id": p, "country_code": "BOL"} for p in person_ids])
        keys = [{"person_id": p, "key": key} for p, row in zip(person_ids, persons, strict=True)
                for key in search_keys(row["given_names"], row["family_names"])]
        if keys:
            session.execute(insert(PersonNameKey), keys)
        accounts = [{"username": f"bench-applicant-{i}", "password_hash": digest, "role": Role.APPLICANT.value, "jurisdiction_code": "ARG",
                     "person_id": p, "active": True} for i, p in zip(numbers, person_ids, strict=True)]
        user_ids = session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), accounts).all()
        issued = [new_token() for _ in user_ids]
        session.execute(insert(AuthToken), [{"token_hash": token_hash(t), "user_id": u, "kind": "api", "expires_at": expires}
                                            for u, t in zip(user_ids, issued, strict=True)])
        made += zip(user_ids, issued, strict=True)
    return made


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _tree_cpu_seconds(root: int) -> float:
    """CPU seconds of `root` and all its descendants: uvicorn's workers are child processes, and a
    process's own counters never include a living child's CPU."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # exited while we listed /proc
        parents.setdefault(ppid, []).append(int(stat.parent.name))
    total, pending = 0.0, [root]
    while pending:
        pid = pending.pop()
        try:
            total += _cpu_seconds(pid)
        except OSError:
            continue
        pending += parents.get(pid, [])
    return total


class Meter:
    """CPU seconds so far of the server (uvicorn and its workers) and, on PostgreSQL, of the database
    backends serving the bench database (children of the postmaster, not of the server)."""

    def __init__(self, server: int, url: str) -> None:
        self.server = server
        database = make_url(url)
        self.database = database.database if database.get_backend_name() == "postgresql" else None
        # Asked from the admin database, so that the asking connection is not counted.
        self.admin = create_engine(database.set(database="postgres"), poolclass=NullPool) if self.database else None

    def read(self) -> tuple[float, float | None]:
        if self.admin is None:
            return _tree_cpu_seconds(self.server), None
        with self.admin.connect() as connection:
            pids = connection.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = :d"), {"d": self.database}).all()
        total = 0.0
        for pid in pids:
            try:
                total += _cpu_seconds(pid)
            except OSError:
                continue  # a connection closed meanwhile (its CPU is lost to the count: the pool keeps most open)
        return _tree_cpu_seconds(self.server), total

    def close(self) -> None:
        if self.admin is not None:
            self.admin.dispose()


def _server(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    """`amparo serve --workers N` on a fresh port, returned once every worker has started."""
    env = {**os.environ, "AMPARO_DATABASE_URL": url, "AMPARO_SECRET_KEY": SECRET, "AMPARO_ENVIRONMENT": "development",
           "AMPARO_DATA_DIR": str(WORK / "var")}
    log = WORK / "server.log"
    process = subprocess.Popen([sys.executable, "-m", "amparo", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
                               env=env, stdout=subprocess.DEVNULL, stderr=open(log, "wb"))  # noqa: SIM115
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}; see {log}")
        # The port answers as soon as the first worker is up; the others would still be importing
        # during the first seconds of load. Each worker logs its own startup.
        started = log.read_text(errors="replace").count("Application startup complete")
        try:
            if started >= workers and httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    _stop(process)
    raise RuntimeError(f"the server did not start {workers} worker(s) within 90 s; see {log}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


@dataclass
class Load:
    """What one run of requests gave: per success its scheduled offset in the run (s) and latency (s)."""

    offered_per_s: float | None  # None: back to back
    samples: list[tuple[float, float]] = field(default_factory=list)
    results: list[tuple[Any, Any]] = field(default_factory=list)  # (item, what `keep` took of the answer) per success
    errors: list[str] = field(default_factory=list)
    unsent: int = 0
    elapsed_s: float = 0.0
    server_cpu_s: float = 0.0
    database_cpu_s: float | None = None  # PostgreSQL only
    client_cpu_s: float = 0.0


def _load(base: str, work: list[list[Any]], send: Callable[[Client, Any], Response], *, rate: float | None, seconds: float,
          meter: Meter, keep: Callable[[Response], Any] | None = None) -> Load:
    """Send `send(client, item)` for each item of `work[k]` from thread k (one keep-alive connection each);
    `keep(answer)` says what to keep of each successful answer (only what is needed: 30,000 of them).

    Paced (`rate` requests/s in all): thread k's i-th request is due at start + (k + i*threads)/rate,
    whatever the answers' speed, and its latency counts from that due time, so a server falling behind
    shows as growing latency instead of as a quietly lower offered rate ("coordinated omission").
    Requests still unsent when the schedule has overrun by a fifth (plus 5 s) are counted as unsent,
    which bounds the run. Back to back (`rate` None): each thread sends its next request when the last
    one answered, for `seconds` or until its items run out; latency counts from sending.
    """
    threads = len(work)
    out = Load(offered_per_s=rate)
    lock = threading.Lock()
    ready = threading.Barrier(threads + 1)
    start = [0.0]
    stop_after = seconds * 1.2 + 5 if rate else seconds

    def worker(k: int) -> None:
        client = Client(base)
        ready.wait()
        for i, item in enumerate(work[k]):
            now = time.perf_counter()
            if now - start[0] > stop_after:
                if rate:  # the schedule overran (back to back, what is left is only accounts not needed)
                    with lock:
                        out.unsent += len(work[k]) - i
                break
            due = start[0] + (k + i * threads) / rate if rate else now
            if due > now:
                time.sleep(due - now)
            try:
                response = send(client, item)
            except Exception as exc:  # noqa: BLE001  (counted and shown, never hidden)
                with lock:
                    out.errors.append(f"{type(exc).__name__}: {exc}"[:200])
                client.close()
                continue
            latency = time.perf_counter() - due
            ok = response.status_code in (200, 201)
            kept = keep(response) if ok and keep else None
            with lock:
                if ok:
                    out.samples.append((due - start[0], latency))
                    out.results.append((item, kept))
                else:
                    out.errors.append(f"{response.status_code} {response.text[:200]}")
        client.close()

    pool = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in pool:
        t.start()
    (server0, database0), client0 = meter.read(), time.process_time()
    start[0] = time.perf_counter() + 0.05  # every thread is waiting at the barrier by then
    ready.wait()
    for t in pool:
        t.join()
    out.elapsed_s = time.perf_counter() - start[0]
    (server1, database1), out.client_cpu_s = meter.read(), time.process_time() - client0
    out.server_cpu_s = server1 - server0
    out.database_cpu_s = None if database0 is None or database1 is None else database1 - database0
    return out


def _ms(values: list[float], q: float) -> float | None:
    return round(percentile(values, q) * 1000, 1) if values else None


def _report(load: Load, goal_p95_ms: float, slices: int = 1) -> dict[str, Any]:
    """Rates, percentiles (ms), errors and CPU per success of one run; with `slices`, also each equal
    part of the run by scheduled time, to show whether the rate and p95 were sustained."""
    latencies = [lat for _, lat in load.samples]
    done = len(latencies)
    report: dict[str, Any] = {
        "mode": "paced" if load.offered_per_s else "back to back",
        "offered_per_s": load.offered_per_s, "achieved_per_s": round(done / load.elapsed_s, 1) if load.elapsed_s else 0.0,
        "n": done, "errors": len(load.errors), "error_sample": load.errors[:3], "unsent": load.unsent, "elapsed_s": round(load.elapsed_s, 1),
        "p50_ms": _ms(latencies, 0.50), "p95_ms": _ms(latencies, 0.95), "p99_ms": _ms(latencies, 0.99), "max_ms": _ms(latencies, 1.0),
        "p95_goal_ms": goal_p95_ms, "p95_within_goal": bool(latencies) and percentile(latencies, 0.95) * 1000 <= goal_p95_ms,
        # CPU time per successful request: far less sensitive than latency to other work on the shared machine.
        "server_cpu_ms": round(load.server_cpu_s / max(done, 1) * 1000, 2), "client_cpu_ms": round(load.client_cpu_s / max(done, 1) * 1000, 2),
        "database_cpu_ms": None if load.database_cpu_s is None else round(load.database_cpu_s / max(done, 1) * 1000, 2),
    }
    if slices > 1 and load.samples:
        span = max(offset for offset, _ in load.samples) / slices + 1e-9
        parts: list[list[float]] = [[] for _ in range(slices)]
        for offset, latency in load.samples:
            parts[min(slices - 1, int(offset / span))].append(latency)
        report["slices"] = [{"from_s": round(n * span), "n": len(p), "per_s": round(len(p) / span, 1), "p95_ms": _ms(p, 0.95)} for n, p in enumerate(parts)]
    return report


def _deal(items: list[Any], threads: int) -> list[list[Any]]:
    """Item n to thread n % threads: with the paced schedule, item n is then due at start + n/rate."""
    return [items[k::threads] for k in range(threads)]


def _file(client: Client, item: tuple[int, str]) -> Response:
    return client.post("/api/v1/applications", json=FILING, headers={"Authorization": f"Bearer {item[1]}"})


def _case_id(answer: Response) -> int:
    return answer.json()["case_id"]


def _decide(client: Client, item: tuple[int, str]) -> Response:
    return client.post(f"/api/v1/cases/{item[0]}/decision", json=GRANT, headers={"Authorization": f"Bearer {item[1]}"})


def _assign(base: str, filed: list[int], tokens: dict[str, list[tuple[int, str]]], meter: Meter) -> list[tuple[int, str]]:
    """Assign filed cases round-robin to the caseworkers through the API (not timed; only the assigned
    caseworker may decide); returns (case id, that caseworker's token) for those assigned, in order."""
    caseworkers, supervisor = tokens["caseworkers"], {"Authorization": f"Bearer {tokens['supervisor'][0][1]}"}
    chosen = list(enumerate(filed))

    def assign(client: Client, item: tuple[int, int]) -> Response:
        n, case_id = item
        body = {"expected_version": 2, "action": {"type": "assign", "payload": {"user_id": caseworkers[n % len(caseworkers)][0]}}}
        return client.post(f"/api/v1/cases/{case_id}/actions", json=body, headers=supervisor)

    load = _load(base, _deal(chosen, len(caseworkers)), assign, rate=None, seconds=600, meter=meter)
    if load.errors:
        console.print(f"[red]{len(load.errors)} assignment(s) failed, e.g. {load.errors[0]}")
    done = sorted(item for item, _ in load.results)
    return [(case_id, caseworkers[n % len(caseworkers)][1]) for n, case_id in done]


def api(backend: str, workers: int, rate: float, seconds: float, clients: int, applicants: int | None, back_to_back: bool,
        decisions: int, decision_rate: float, decision_seconds: float) -> dict[str, Any]:
    at_start = machine()
    per_client = max(1, round(rate * seconds / clients))
    # Each filing needs its own applicant (one pending application per person under a programme):
    # the schedule's filings, plus one per client for the warm-up.
    needed = applicants or per_client * clients + clients
    url = fresh_database(backend, "api")
    t0 = time.perf_counter()
    tokens = _setup_api(url, needed, clients)
    setup_s = time.perf_counter() - t0
    console.print(f"setup: {needed:,} applicants and {clients} caseworkers with tokens in {setup_s:.1f} s ({backend})")
    port = _free_port()
    process = _server(url, port, workers)
    base = f"http://127.0.0.1:{port}"
    meter = Meter(process.pid, url)
    try:
        # Warm-up, not measured: each worker's first requests import and cache (programme, keys).
        warm, pool = tokens["applicants"][:clients], tokens["applicants"][clients:]
        warmed = _load(base, _deal(warm, clients), _file, rate=None, seconds=30, meter=meter, keep=_case_id)
        if back_to_back:
            filing = _load(base, _deal(pool, clients), _file, rate=None, seconds=seconds, meter=meter, keep=_case_id)
            if len(filing.samples) + len(filing.errors) == len(pool) and filing.elapsed_s < seconds:
                console.print(f"[yellow]back to back: the {len(pool):,} prepared applicants ran out after {filing.elapsed_s:.0f} s; pass a larger --applicants")
        else:
            filing = _load(base, _deal(pool[: per_client * clients], clients), _file, rate=rate, seconds=seconds, meter=meter, keep=_case_id)
        filings = _report(filing, GOAL_FILING_P95_MS, slices=5)
        filings["goal_met"] = filings["achieved_per_s"] >= GOAL_FILINGS_PER_S and filings["p95_within_goal"]
        filed = [case_id for _, case_id in warmed.results + filing.results]
        decided = _decisions(base, filed, tokens, clients, decisions, decision_rate, decision_seconds, meter)
    finally:
        meter.close()
        _stop(process)
    return {
        "benchmark": "API filing and decisions", "backend": backend, "workers": workers, "clients": clients,
        "rate": None if back_to_back else rate, "seconds": seconds, "applicants_prepared": needed, "setup_s": round(setup_s, 1),
        "filing": filings, **decided, "load_average_at_start": at_start["load_average"], "machine_at_start": at_start, "machine": machine(),
    }


def _decisions(base: str, filed: list[int], tokens: dict[str, list[tuple[int, str]]], clients: int, decisions: int,
               rate: float, seconds: float, meter: Meter) -> dict[str, Any]:
    """Grant filed cases (ids): `decisions` back to back from the caseworkers at once, then paced at `rate`
    for `seconds` (fewer when too few cases were filed), then SOLO by one caseworker alone."""
    paced_n = max(0, min(round(rate * seconds), len(filed) - decisions - SOLO)) if rate else 0
    assigned = _assign(base, filed[: decisions + paced_n + SOLO], tokens, meter)
    concurrent, paced, solo = assigned[:decisions], assigned[decisions: decisions + paced_n], assigned[decisions + paced_n:]
    out: dict[str, Any] = {"cases_assigned": len(assigned)}
    out["decision_concurrent"] = _report(_load(base, _deal(concurrent, clients), _decide, rate=None, seconds=120, meter=meter), GOAL_DECISION_P95_MS)
    if paced:
        if paced_n < round(rate * seconds):
            console.print(f"[yellow]only {paced_n} cases left for the paced decisions: a {paced_n / rate:.0f} s window, not {seconds:.0f} s")
        load = _load(base, _deal(paced, clients), _decide, rate=rate, seconds=len(paced) / rate, meter=meter)
        out["decision_paced"] = _report(load, GOAL_DECISION_P95_MS, slices=5)
    # One caseworker alone (no queueing behind 19 others): the service time of a decision.
    out["decision_solo"] = _report(_load(base, [solo], _decide, rate=None, seconds=60, meter=meter), GOAL_DECISION_P95_MS)
    return out


def show(result: dict[str, Any]) -> None:
    """The run as one table: a row per phase, the goal's verdict where the goal applies."""
    table = Table(title=f"{result['backend']}, {result['workers']} worker(s), {result['clients']} clients, "
                        f"load {result['load_average_at_start'][0]} at start ({result['machine']['nproc']} CPUs)")
    for column in ("phase", "offered/s", "achieved/s", "n", "errors", "unsent", "p50 ms", "p95 ms", "p99 ms", "goal", "server CPU ms", "DB CPU ms", "client CPU ms"):
        table.add_column(column, justify="left" if column in ("phase", "goal") else "right")
    rows = [("filing", "filing"), ("decision, 20 at once", "decision_concurrent"), ("decision, paced", "decision_paced"), ("decision, alone", "decision_solo")]
    for label, key in rows:
        r = result.get(key)
        if r is None:
            continue
        if key == "filing":
            verdict = f"{'✓' if r['goal_met'] else '✗'} ≥ {GOAL_FILINGS_PER_S}/s, p95 ≤ {GOAL_FILING_P95_MS}"
        elif key == "decision_paced":
            verdict = f"{'✓' if r['p95_within_goal'] else '✗'} p95 ≤ {GOAL_DECISION_P95_MS}"
        else:
            verdict = ""
        table.add_row(label, "-" if r["offered_per_s"] is None else f"{r['offered_per_s']:g}", f"{r['achieved_per_s']:.1f}", str(r["n"]),
                      str(r["errors"]), str(r["unsent"]), *(str(r[k]) for k in ("p50_ms", "p95_ms", "p99_ms")), verdict,
                      f"{r['server_cpu_ms']:.1f}", "-" if r["database_cpu_ms"] is None else f"{r['database_cpu_ms']:.1f}", f"{r['client_cpu_ms']:.1f}")
    console.print(table)
    for key in ("filing", "decision_paced"):
        if result.get(key, {}).get("slices"):
            parts = ", ".join(f"{s['from_s']} s: {s['per_s']}/s p95 {s['p95_ms']}" for s in result[key]["slices"])
            console.print(f"{key} by fifth of the run: {parts}")
    for _, key in rows:
        if result.get(key, {}).get("error_sample"):
            console.print(f"[red]{key} errors, e.g.: {result[key]['error_sample'][0]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("bulk")
    b.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    b.add_argument("--rows", type=int, default=20_000)
    b.add_argument("--batch", type=int, default=1000, help="rows per transaction (the import's default, amparo.intake.service.DEFAULT_BATCH)")
    b.add_argument("--repeat", type=int, default=1, help="runs on fresh databases; the result adds their medians")
    b.add_argument("--workers", type=int, default=None, help="processes of the import (1: check and write in one); default one per CPU")
    a = sub.add_parser("api")
    a.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    a.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (one per core)")
    a.add_argument("--rate", type=float, default=100.0, help="filings per second offered, from all clients together")
    a.add_argument("--seconds", type=float, default=300, help="length of the filing run (the goal's 5 minutes)")
    a.add_argument("--clients", type=int, default=20, help="concurrent applicants, and caseworkers")
    a.add_argument("--back-to-back", action="store_true", help="file as fast as answers come (saturation), not at --rate")
    a.add_argument("--applicants", type=int, default=None,
                   help="accounts prepared (default: the paced schedule's filings + one per client); back to back stops when they run out")
    a.add_argument("--decisions", type=int, default=400, help="cases granted back to back by the caseworkers at once")
    a.add_argument("--decision-rate", type=float, default=50.0, help="decisions per second offered in the paced decision run (0: none)")
    a.add_argument("--decision-seconds", type=float, default=60.0, help="length of the paced decision run (shorter when too few cases were filed)")
    args = parser.parse_args()
    if args.command == "bulk":
        runs = []
        for _ in range(args.repeat):
            runs.append(bulk(args.backend, args.rows, args.batch, args.workers))
            print(json.dumps(runs[-1], ensure_ascii=False), flush=True)
        result = runs[-1] if len(runs) == 1 else {
            "benchmark": "bulk import + pre-assessment (median of runs)", "backend": args.backend, "rows": args.rows, "batch": args.batch,
            "runs": len(runs), "rows_per_s_each": [r["rows_per_s"] for r in runs],
            "rows_per_s_median": statistics.median(r["rows_per_s"] for r in runs),
            "cpu_ms_per_row_median": statistics.median(r["cpu_ms_per_row"] for r in runs),
            "workers_cpu_ms_per_row_median": statistics.median(r["workers_cpu_ms_per_row"] for r in runs), "workers": runs[-1]["workers"],
            "load_average_each": [r["machine"]["load_average"] for r in runs],
            "statements_per_batch": runs[-1]["statements_per_batch"],
            "extrapolated_2_5M_minutes": round(2_500_000 / statistics.median(r["rows_per_s"] for r in runs) / 60, 1),
            "machine": machine(),
        }
    else:
        result = api(args.backend, args.workers, args.rate, args.seconds, args.clients, args.applicants, args.back_to_back,
                     args.decisions, args.decision_rate, args.decision_seconds)
        show(result)
    print(json.dumps(result, ensure_ascii=False))
    with (WORK / "results.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(result, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
