"""Benchmark the platform foundation through the real HTTP server, against the same work in plain SQL.

Run (both backends, 1,000,000 persons and cases, 20 clients, 3 rounds, then rewrite the docs table):

    .venv/bin/python bench/seed.py --backend both --persons 1000000          # once, ~5-10 min each
    .venv/bin/python bench/foundation_bench.py --backend both --write-docs

For each backend: seeds (or reuses) the database with `bench/seed.py`, starts
`uvicorn amparo.api.app:create_app --factory` on a free 127.0.0.1 port, signs 20 caseworkers in, then
per round and per operation drives 20 concurrent clients (threads, one keep-alive
`bench/lightclient.py` connection each: the standard library's http.client, a third of httpx's CPU)
for a bounded number of requests and measures client-side latency; right after, the nearest
hand-written SQL through the same driver (SQLAlchemy `text()`, same engine settings) at the same
concurrency. Reported: medians over rounds of each round's p50/p95/p99, and the ratio HTTP p95 / SQL
p95. Nothing here is asserted: speed is measured, not tested. Only 127.0.0.1 is contacted.

Server workers: 2 on both backends, one per core: the stack is CPU-bound Python. PostgreSQL
serialises the writers itself (the audit head row lock); SQLite writers of the two processes queue on
the database's advisory lock file (`amparo.db.engine`), and each process group-commits its reads'
audit entries. Measured on 2026-11-30 (1 round, 1,500 requests an operation), SQLite 1 → 2 workers, p95
ms: open a case 125 → 114, append 145 → 152, search by name 516 → 334, by case number 152 → 79.

Besides the back-to-back rounds, `--capacity` (on by default) finds for each operation the highest
offered rate whose p95 meets the goal, with every client sending on a fixed schedule.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lightclient import Client, Response  # noqa: E402
from seed import PASSWORD, POSTGRES_URL, SQLITE_PATH, Seeded, ensure_seeded, url_for  # noqa: E402

from amparo.auth.passwords import verify_password  # noqa: E402
from amparo.db.engine import make_engine, read_only  # noqa: E402
from amparo.people.names import normalise, prefix_upper_bound  # noqa: E402

GOALS_MS = {"open a case": 50, "append an action": 100, "search by name": 60, "search by case number": 60, "token login": 200}
RESULTS_DIR = Path("/tmp/amparo-bench")
DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
START, END = "<!-- foundation-bench:start -->", "<!-- foundation-bench:end -->"
console = Console(width=200)


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`uvicorn amparo.api.app:create_app --factory` in a subprocess, stopped on exit."""

    def __init__(self, url: str, workers: int, environment: dict[str, str] | None = None) -> None:
        self.url, self.workers, self.port = url, workers, free_port()
        self.environment = environment or {}
        self.base = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        env = {**os.environ, "AMPARO_DATABASE_URL": self.url, "AMPARO_DATA_DIR": str(RESULTS_DIR / "data"),
               "AMPARO_SERVER_TIMING": "1", **self.environment}
        self.log = open(RESULTS_DIR / f"server-{self.port}.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "amparo.api.app:create_app", "--factory", "--host", "127.0.0.1",
             "--port", str(self.port), "--workers", str(self.workers), "--log-level", "warning", "--no-access-log"],
            env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited with {self.process.returncode}; see {self.log.name}")
            try:
                if httpx.get(f"{self.base}/api/v1/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        self.__exit__()
        raise SystemExit(f"the server did not answer /api/v1/health within 90 s; see {self.log.name}")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def drive(operation: Callable[[int, int], None], clients: int, requests: int, time_limit: float) -> tuple[list[float], int]:
    """Run `operation(client, i)` from `clients` threads, `requests` calls in all, within `time_limit` s,
    each client sending its next call as soon as the last one is answered.

    Returns the latencies (ms) of the calls that succeeded and the number of errors.
    """
    def now_unless_late(_client: int, _i: int, start: float) -> float | None:
        moment = time.perf_counter()
        return None if moment > start + time_limit else moment

    samples, errors, _rate = _run_clients(operation, clients, max(1, requests // clients), now_unless_late)
    return samples, errors


def paced(operation: Callable[[int, int], None], clients: int, rate: float, seconds: float) -> tuple[list[float], int, float]:
    """Offer `rate` requests/s in all from `clients` threads for `seconds`, each client on its own fixed
    schedule (client k starts k/rate s in, then every clients/rate s), whatever the answers' speed.

    A latency counts from the request's scheduled time, not from when a late client got round to
    sending it, so a server falling behind shows as growing latency instead of as a quietly lower
    offered rate ("coordinated omission"). Returns the latencies (ms), the errors and the rate achieved.
    """
    interval = clients / rate

    def scheduled(client: int, i: int, start: float) -> float:
        return start + client / rate + i * interval

    return _run_clients(operation, clients, max(1, int(seconds / interval)), scheduled)


def _run_clients(
    operation: Callable[[int, int], None], clients: int, per_client: int, due: Callable[[int, int, float], float | None],
) -> tuple[list[float], int, float]:
    """`per_client` calls of `operation(client, i)` from each of `clients` threads started together.

    `due(client, i, start)` says when call i is due (a `perf_counter` time; the thread sleeps until
    then) or None to stop that client; its latency counts from that time. Returns the latencies (ms)
    of the calls that succeeded, the number of errors and the calls answered per second.
    """
    samples: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    barrier = threading.Barrier(clients + 1)
    start = [0.0]

    def run(client: int) -> None:
        barrier.wait()
        for i in range(per_client):
            when = due(client, i, start[0])
            if when is None:
                return
            delay = when - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            try:
                operation(client, i)
            except Exception as exc:  # noqa: BLE001  (counted and shown, never hidden)
                errors[client] += 1
                if errors[client] == 1:
                    console.print(f"[red]client {client}: {type(exc).__name__}: {str(exc)[:300]}")
                continue
            samples[client].append((time.perf_counter() - when) * 1000)

    threads = [threading.Thread(target=run, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    start[0] = time.perf_counter() + 0.05
    barrier.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start[0]
    answered = sum(len(chunk) for chunk in samples)
    return [s for chunk in samples for s in chunk], sum(errors), answered / elapsed if elapsed > 0 else 0.0


#: argon2id settings the server may run with (`amparo.config.Settings.password_*`). A stored hash keeps
#: the parameters it was made with and is re-made with the server's at its next sign-in, so the first
#: (warm-up) sign-ins of a run move the bench users onto the profile measured.
PASSWORD_PROFILES: dict[str, dict[str, str]] = {
    # Amparo's default: RFC 9106's second recommendation (64 MiB, 3 passes, 4 lanes).
    "rfc9106": {"AMPARO_PASSWORD_MEMORY_KIB": "65536", "AMPARO_PASSWORD_TIME_COST": "3", "AMPARO_PASSWORD_PARALLELISM": "4"},
    # OWASP Password Storage Cheat Sheet's first argon2id option: 19 MiB, 2 passes, 1 lane.
    "owasp-minimum": {"AMPARO_PASSWORD_MEMORY_KIB": "19456", "AMPARO_PASSWORD_TIME_COST": "2", "AMPARO_PASSWORD_PARALLELISM": "1"},
}

#: Offered rates (requests/s from all clients) tried in turn by the capacity measurement.
RATES = {"token login": (5, 10, 15, 20, 30, 40, 60), "default": (50, 100, 150, 200, 250, 300, 400, 500, 600, 800)}


def capacity(load: Workload, method: str, goal: str, clients: int, seconds: float) -> dict[str, Any]:
    """The highest offered rate at which the operation's p95 stays within its goal: rates rise until a
    step misses it (or errs), and every step is kept."""
    steps = []
    for rate in RATES.get(goal, RATES["default"]):
        SERVER_MS.clear()
        samples, errors, achieved = paced(getattr(load, method), clients, rate, seconds)
        stats = percentiles(samples)
        server = percentiles(list(SERVER_MS))
        steps.append({"rate": rate, "achieved": achieved, "p50": stats["p50"], "p95": stats["p95"],
                      "server_p95": server["p95"], "n": stats["n"], "errors": errors})
        console.print(f"capacity {goal:22s} offered {rate:4d}/s achieved {achieved:6.1f}/s  p50 {stats['p50']:7.1f}  "
                      f"p95 {stats['p95']:7.1f} ms (server {server['p95']:6.1f})  errors={errors}")
        if errors or stats["p95"] > GOALS_MS[goal]:
            break
    within = [s["rate"] for s in steps if not s["errors"] and s["p95"] <= GOALS_MS[goal]]
    return {"goal_ms": GOALS_MS[goal], "max_rate": max(within) if within else 0, "steps": steps}


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    if not ordered:
        return {"p50": float("nan"), "p95": float("nan"), "p99": float("nan"), "n": 0}

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return {"p50": statistics.median(ordered), "p95": at(0.95), "p99": at(0.99), "n": len(ordered)}


class Workload:
    """The operations, over HTTP and in SQL, for one seeded database."""

    def __init__(self, seeded: Seeded, base: str, engine: Engine, clients: int) -> None:
        self.seeded, self.base, self.engine, self.reader = seeded, base, engine, read_only(engine)
        self.clients = clients
        self.workers = seeded.caseworkers[:clients]
        if len(self.workers) < clients:
            raise SystemExit(f"{clients} clients need {clients} seeded caseworkers; the database has {len(self.workers)}")
        self.rng = random.Random(31)
        self.http = [Client(base, timeout=30) for _ in range(clients)]
        self.tokens: list[str] = []
        self.terms, self.numbers = self._samples()
        self.versions: list[dict[int, int]] = []

    def close(self) -> None:
        for client in self.http:
            client.close()

    def _samples(self) -> tuple[list[str], list[str]]:
        """Search terms as a caseworker types them, drawn from the data: a family name, two family
        names, or the first four letters of one; and existing case numbers."""
        ids = [self.rng.randint(1, self.seeded.persons) for _ in range(400)]
        with self.reader.connect() as c:
            names = [r[0] for r in c.execute(text("SELECT family_names FROM persons WHERE id IN :ids").bindparams(
                _expanding("ids")), {"ids": ids})]
            numbers = [r[0] for r in c.execute(text("SELECT number FROM cases WHERE id IN :ids").bindparams(
                _expanding("ids")), {"ids": ids})]
        terms = []
        for i, name in enumerate(names):
            key = normalise(name)
            words = key.split(" ")
            terms.append(key if i % 4 == 1 else words[0][:4] if i % 4 == 3 else words[0])
        return [t for t in terms if t], numbers

    def sign_in(self) -> None:
        self.tokens = []
        for client, (_uid, username) in enumerate(self.workers):
            response = self.http[client].post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
            response.raise_for_status()
            self.tokens.append(response.json()["access_token"])

    def load_versions(self) -> None:
        """Each client appends only to its own caseworker's cases, so appends never conflict."""
        with self.reader.connect() as c:
            self.versions = []
            for uid, _ in self.workers:
                rows = c.execute(text("SELECT id, version FROM cases WHERE assigned_user_id = :u"), {"u": uid}).all()
                self.versions.append({r.id: r.version for r in rows})

    def _headers(self, client: int) -> dict[str, str]:
        return {"authorization": f"Bearer {self.tokens[client]}"}

    def _case(self) -> int:
        return self.rng.randint(1, self.seeded.cases)

    def _own_case(self, client: int, i: int) -> int:
        own = list(self.versions[client])
        return own[i % len(own)]

    # --- over HTTP -------------------------------------------------------------------------------

    def http_open(self, client: int, i: int) -> None:
        r = self.http[client].get(f"/api/v1/cases/{self._case()}", headers=self._headers(client))
        _ok(r, 200)

    def http_append(self, client: int, i: int) -> None:
        case_id = self._own_case(client, i)
        body = {"expected_version": self.versions[client][case_id],
                "action": {"type": "note", "payload": {"text": f"Called the applicant ({i}); documents arrive Monday."}}}
        r = self.http[client].post(f"/api/v1/cases/{case_id}/actions", json=body, headers=self._headers(client))
        _ok(r, 201)
        self.versions[client][case_id] = r.json()["seq"]

    def http_search_name(self, client: int, i: int) -> None:
        r = self.http[client].get("/api/v1/cases", params={"q": self.rng.choice(self.terms)}, headers=self._headers(client))
        _ok(r, 200)

    def http_search_number(self, client: int, i: int) -> None:
        r = self.http[client].get("/api/v1/cases", params={"q": self.rng.choice(self.numbers)}, headers=self._headers(client))
        _ok(r, 200)

    def http_login(self, client: int, i: int) -> None:
        r = self.http[client].post("/api/v1/auth/token", data={"username": self.workers[client][1], "password": PASSWORD})
        _ok(r, 200)

    # --- the same in SQL, through the same driver ---------------------------------------------------

    def sql_open(self, client: int, i: int) -> None:
        case_id = self._case()
        with self.reader.begin() as c:  # the case row (its state is a column) and what scoping needs
            row = c.execute(text("SELECT * FROM cases WHERE id = :i"), {"i": case_id}).one()
            c.execute(text("SELECT country_code FROM person_nationalities WHERE person_id = :p"), {"p": row.person_id}).all()

    def sql_open_audited(self, client: int, i: int) -> None:
        case_id = self._case()
        with self.engine.begin() as c:
            row = c.execute(text("SELECT * FROM cases WHERE id = :i"), {"i": case_id}).one()
            c.execute(text("SELECT country_code FROM person_nationalities WHERE person_id = :p"), {"p": row.person_id}).all()
            _audit(c, self.workers[client], "case:read", case_id)

    def sql_append(self, client: int, i: int) -> None:
        case_id = self._own_case(client, i)
        now = dt.datetime.now(dt.UTC)
        with self.engine.begin() as c:
            row = c.execute(text("SELECT version, state FROM cases WHERE id = :i"), {"i": case_id}).one()
            state = row.state if isinstance(row.state, dict) else json.loads(row.state)
            state = {**state, "version": row.version + 1, "notes": state.get("notes", 0) + 1}
            moved = c.execute(text("UPDATE cases SET version = version + 1, state = :s, updated_at = :t "
                                   "WHERE id = :i AND version = :v"),
                              {"s": json.dumps(state), "t": _stamp(self.engine, now), "i": case_id, "v": row.version}).rowcount
            if moved != 1:
                raise RuntimeError(f"case {case_id} moved under the SQL append")
            c.execute(text("INSERT INTO actions (case_id, seq, type, payload, actor_user_id, actor_role, server_time) "
                           "VALUES (:i, :s, 'note', :p, :u, 'caseworker', :t)"),
                      {"i": case_id, "s": row.version + 1, "p": json.dumps({"text": f"sql {i}"}), "u": self.workers[client][0],
                       "t": _stamp(self.engine, now)})

    @staticmethod
    def _search_sql(where: str) -> str:
        """The shape `amparo.cases.repository.list_page` gives a caseworker's search: jurisdiction scope,
        the filter, newest first, one row more than the default page of 50."""
        return f"SELECT {SUMMARY_COLUMNS} FROM cases WHERE jurisdiction_code = 'ARG' AND {where} ORDER BY id DESC LIMIT 51"

    def sql_search_name(self, client: int, i: int, audited: bool = False) -> None:
        # The repository's plan (amparo.cases.repository.list_page_by_name), one round.
        prefix = normalise(self.rng.choice(self.terms))
        params = {"lo": prefix, "hi": prefix_upper_bound(prefix)}
        with (self.engine if audited else self.reader).begin() as c:
            ids = [r.person_id for r in c.execute(text(NAME_KEYS_SQL), params)]
            rows = c.execute(text(NAME_CASES_SQL).bindparams(_expanding("ids")), {"ids": ids or [0]}).all()
            if audited:
                _audit(c, self.workers[client], "case:list", None, {"ids": [r.id for r in rows]})

    def sql_search_number(self, client: int, i: int) -> None:
        # As amparo.cases.repository._number_filter: the ids by the unique number index, then the rows.
        prefix = self.rng.choice(self.numbers)
        with self.reader.begin() as c:
            ids = [r[0] for r in c.execute(text("SELECT id FROM cases WHERE number >= :lo AND number < :hi LIMIT 1001"),
                                           {"lo": prefix, "hi": prefix_upper_bound(prefix)})]
            c.execute(text(self._search_sql("id IN :ids")).bindparams(_expanding("ids")), {"ids": ids or [0]}).all()

    def sql_login(self, client: int, i: int) -> None:
        with self.reader.begin() as c:
            c.execute(text("SELECT * FROM users WHERE username = :u"), {"u": self.workers[client][1]}).one()

    def sql_login_argon2(self, client: int, i: int) -> None:
        with self.reader.begin() as c:
            row = c.execute(text("SELECT * FROM users WHERE username = :u"), {"u": self.workers[client][1]}).one()
        if not verify_password(row.password_hash, PASSWORD):
            raise RuntimeError("argon2 verification failed")


#: The name search as `amparo.cases.repository.list_page_by_name` runs it for a caseworker of ARG:
#: the next 51 matching keys in index order, then those persons' cases in scope (one round fills the
#: page when, as here, every person is in the caseworker's jurisdiction).
NAME_KEYS_SQL = (
    "SELECT k.key, k.person_id FROM person_name_keys k WHERE k.key >= :lo AND k.key < :hi AND NOT EXISTS ("
    "SELECT 1 FROM person_name_keys o WHERE o.person_id = k.person_id AND o.key >= :lo AND o.key < k.key) "
    "ORDER BY k.key, k.person_id LIMIT 51"
)
#: What a listing reads of each case since 2026-11-30 14:40: every column but the state document
#: (`amparo.cases.repository.SUMMARY_COLUMNS`; the API's list items are `CaseSummary`).
SUMMARY_COLUMNS = "id, number, kind, jurisdiction_code, person_id, version, status, assigned_user_id, deadline, created_at, updated_at"
NAME_CASES_SQL = f"SELECT {SUMMARY_COLUMNS} FROM cases WHERE jurisdiction_code = 'ARG' AND person_id IN :ids ORDER BY id DESC"


def explain(url: str, seeded: Seeded) -> None:
    """Print the query plans of the searches (the shapes the repository runs), for a rare and a
    common name and for a case number."""
    engine = make_engine(url, pool_size=1, max_overflow=0)
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    with read_only(engine).connect() as c:
        number = c.scalar(text("SELECT number FROM cases WHERE id = :i"), {"i": seeded.cases // 2})
        common = c.execute(text("SELECT key, count(*) AS n FROM person_name_keys WHERE person_id < 2000 GROUP BY key "
                                "ORDER BY n DESC LIMIT 1")).one()[0]
        rare = c.execute(text("SELECT key FROM person_name_keys WHERE person_id = :p"), {"p": seeded.persons // 3}).first()[0]
        cases = [("name (common), next keys in name order", NAME_KEYS_SQL, common),
                 ("name (rare), next keys in name order", NAME_KEYS_SQL, rare),
                 ("case number", Workload._search_sql("number >= :lo AND number < :hi"), number)]
        for label, query, term in cases:
            params = {"lo": term, "hi": prefix_upper_bound(term)}
            console.print(f"[bold]{label}: {term!r}")
            started = time.perf_counter()
            c.execute(text(query), params).all()
            console.print(f"  one run: {(time.perf_counter() - started) * 1000:.1f} ms")
            for row in c.execute(text(prefix + query), params):
                console.print("  " + " | ".join(str(v) for v in row))
    engine.dispose()


def _expanding(name: str) -> Any:
    from sqlalchemy import bindparam

    return bindparam(name, expanding=True)


def _stamp(engine: Engine, moment: dt.datetime) -> Any:
    # SQLite stores naive UTC text (as amparo.db.compat.UTCDateTime does); PostgreSQL takes the aware value.
    return moment.replace(tzinfo=None).isoformat(sep=" ") if engine.dialect.name == "sqlite" else moment


def _audit(c: Any, worker: tuple[int, str], action: str, object_id: int | None, detail: dict | None = None) -> None:
    """One audit-chain entry as `amparo.audit.service.record` writes it: lock the head, insert, move the head."""
    import hashlib

    head = c.execute(text("SELECT last_id, last_hash FROM audit_head WHERE id = 1"
                          + ("" if c.dialect.name == "sqlite" else " FOR UPDATE"))).one()
    at = dt.datetime.now(dt.UTC)
    document = json.dumps({"id": head.last_id + 1, "at": at.isoformat(), "user": worker[0], "action": action,
                           "object_id": object_id, "detail": detail, "prev": head.last_hash}, sort_keys=True)
    digest = hashlib.sha256(document.encode()).hexdigest()
    c.execute(text("INSERT INTO audit_entries (id, at, user_id, username, role, action, object_type, object_id, purpose, "
                   "detail, prev_hash, hash) VALUES (:id, :at, :u, :n, 'caseworker', :a, 'case', :o, 'benchmark', :d, :p, :h)"),
              {"id": head.last_id + 1, "at": _stamp(c.engine, at), "u": worker[0], "n": worker[1], "a": action,
               "o": None if object_id is None else str(object_id), "d": json.dumps(detail) if detail else None,
               "p": head.last_hash, "h": digest})
    c.execute(text("UPDATE audit_head SET last_id = :i, last_hash = :h WHERE id = 1"), {"i": head.last_id + 1, "h": digest})


#: Server time (ms) of each HTTP response, from its `Server-Timing: app;dur=` header (the server runs
#: with AMPARO_SERVER_TIMING=1); list.append is atomic, so client threads share it.
SERVER_MS: list[float] = []


def _ok(response: Response, status: int) -> None:
    if response.status_code != status:
        raise RuntimeError(f"{response.method} {response.path}: {response.status_code} {response.text[:200]}")
    timing = response.headers.get("server-timing", "")
    if timing.startswith("app;dur="):
        SERVER_MS.append(float(timing[len("app;dur="):]))


OPERATIONS: list[tuple[str, str, list[tuple[str, str]]]] = [
    # (goal name, HTTP method of Workload, [(SQL label, SQL method)])
    ("open a case", "http_open", [("SQL", "sql_open"), ("SQL + audit entry", "sql_open_audited")]),
    ("append an action", "http_append", [("SQL", "sql_append")]),
    ("search by name", "http_search_name", [("SQL", "sql_search_name"), ("SQL + audit entry", "sql_search_name_audited")]),
    ("search by case number", "http_search_number", [("SQL", "sql_search_number")]),
    ("token login", "http_login", [("SQL", "sql_login"), ("SQL + argon2 verify", "sql_login_argon2")]),
]


def bench_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    url = url_for(backend, args.sqlite, args.postgres)
    seeded = ensure_seeded(url, args.persons, caseworkers=max(20, args.clients), console=console)
    workers = args.workers or 2
    engine = make_engine(url, pool_size=args.clients + 2, max_overflow=4)
    load_before = os.getloadavg()
    started = dt.datetime.now(dt.UTC)
    results: dict[str, dict[str, list[dict[str, float]]]] = {}
    capacities: dict[str, dict[str, Any]] = {}
    console.rule(f"{backend}: {seeded.persons:,} persons, {seeded.cases:,} cases; {workers} uvicorn worker(s); "
                 f"{args.clients} clients; {args.rounds} rounds")
    with Server(url, workers, PASSWORD_PROFILES[args.password_profile]) as server:
        load = Workload(seeded, server.base, engine, args.clients)
        load.sql_search_name_audited = lambda c, i: load.sql_search_name(c, i, audited=True)  # type: ignore[attr-defined]
        try:
            load.sign_in()
            load.load_versions()
            for goal, method, sqls in OPERATIONS:  # warm-up, unmeasured: caches, pools, compiled statements
                for name in [method] + [m for _, m in sqls]:
                    drive(getattr(load, name), args.clients, 4 if goal == "token login" else args.clients, 60)
            for round_no in range(args.rounds):
                load.load_versions()
                for goal, method, sqls in OPERATIONS:
                    requests = args.login_requests if goal == "token login" else args.requests
                    plan = [("HTTP", method, args.clients)] + [(label, name, args.clients) for label, name in sqls]
                    # The uncontended floor: one request at a time, nothing queued in front of it.
                    plan.insert(1, ("HTTP, 1 client", method, 1))
                    for label, name, clients in plan:
                        count = requests if clients > 1 else min(requests, 10 if goal == "token login" else 100)
                        SERVER_MS.clear()
                        samples, errors = drive(getattr(load, name), clients, count, args.time_limit)
                        measured = [(label, {**percentiles(samples), "errors": errors})]
                        if label == "HTTP" and SERVER_MS:
                            measured.append(("HTTP, server time", {**percentiles(list(SERVER_MS)), "errors": 0}))
                        for row_label, stats in measured:
                            results.setdefault(goal, {}).setdefault(row_label, []).append(stats)
                            console.print(f"round {round_no + 1} {goal:22s} {row_label:20s} p50 {stats['p50']:8.1f}  p95 "
                                          f"{stats['p95']:8.1f}  p99 {stats['p99']:8.1f} ms  n={stats['n']} errors={stats['errors']}")
            if args.capacity:
                load.load_versions()
                for goal, method, _sqls in OPERATIONS:
                    capacities[goal] = capacity(load, method, goal, args.clients, args.capacity_seconds)
        finally:
            load.close()
    engine.dispose()
    argon = []
    for _ in range(10):
        t = time.perf_counter()
        verify_password(seeded_hash(url, seeded), PASSWORD)
        argon.append((time.perf_counter() - t) * 1000)
    return {
        "backend": backend, "url": url, "workers": workers, "clients": args.clients, "rounds": args.rounds,
        "persons": seeded.persons, "cases": seeded.cases, "load_seconds": seeded.load_seconds,
        "started": started.isoformat(timespec="seconds"), "load_avg_before": load_before, "load_avg_after": os.getloadavg(),
        "argon2_verify_ms_alone": statistics.median(argon), "results": results,
        "capacity": capacities, "capacity_seconds": args.capacity_seconds, "password_profile": args.password_profile,
    }


def seeded_hash(url: str, seeded: Seeded) -> str:
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as c:
            return str(c.scalar(text("SELECT password_hash FROM users WHERE id = :i"), {"i": seeded.caseworkers[0][0]}))
    finally:
        engine.dispose()


def summary(run: dict[str, Any]) -> list[dict[str, Any]]:
    """Per goal and label: medians over rounds of each round's p50/p95/p99."""
    rows = []
    for goal, labels in run["results"].items():
        http_p95 = statistics.median(r["p95"] for r in labels["HTTP"])
        http_p50 = statistics.median(r["p50"] for r in labels["HTTP"])
        for label, rounds in labels.items():
            med = {k: statistics.median(r[k] for r in rounds) for k in ("p50", "p95", "p99")}
            spread = (min(r["p95"] for r in rounds), max(r["p95"] for r in rounds))
            rows.append({"goal": goal, "label": label, **med, "p95_range": spread, "n": sum(r["n"] for r in rounds),
                         "errors": sum(r["errors"] for r in rounds),
                         "ratio": None if label.startswith("HTTP") else http_p95 / med["p95"] if med["p95"] else None,
                         "ratio50": None if label.startswith("HTTP") else http_p50 / med["p50"] if med["p50"] else None})
    return rows


def show(run: dict[str, Any]) -> None:
    table = Table(title=f"{run['backend']}: {run['persons']:,} persons and cases, {run['clients']} clients, "
                        f"{run['workers']} worker(s), median of {run['rounds']} rounds (ms)")
    for column in ("operation", "measured", "p50", "p95", "p99", "p95 range", "HTTP p95 ÷ this p95", "goal p95", "n", "errors"):
        table.add_column(column)
    for row in summary(run):
        goal = GOALS_MS[row["goal"]]
        met = "" if row["label"] not in GOAL_ROWS else ("✓ " if row["p95"] <= goal else "✗ ") + f"≤ {goal}"
        table.add_row(row["goal"], row["label"], f"{row['p50']:.1f}", f"{row['p95']:.1f}", f"{row['p99']:.1f}",
                      f"{row['p95_range'][0]:.0f}-{row['p95_range'][1]:.0f}", "" if row["ratio"] is None else f"{row['ratio']:.1f}x",
                      met, str(row["n"]), str(row["errors"]))
    console.print(table)


def markdown(runs: list[dict[str, Any]]) -> str:
    first = runs[0]
    lines = [
        START,
        f"{os.cpu_count()} CPUs ({cpu_model()}), Python {platform.python_version()}, {first['started'][:10]}; "
        f"{first['clients']} concurrent clients (threads with keep-alive http.client connections, on the same machine); "
        "each figure is the median over rounds of that round's percentile, client side, "
        "milliseconds, except \"HTTP, server time\": the same requests timed inside the server (its "
        "`Server-Timing` header: from the request reaching the application to its response headers, so "
        "queueing for a worker thread is in, HTTP parsing and the client's own threads are out). \"SQL\" is the nearest hand-written SQL through the same driver and engine settings, at the "
        "same concurrency, from the same client process; the ratios divide the HTTP figure by that row's. "
        "Bare-SQL p95s include the client threads' own scheduling delays on the loaded machine, so the p50 ratio "
        "is the cleaner measure of the stack's cost.",
        "",
    ]
    for run in runs:
        load = f"{run['load_avg_before'][0]:.1f} before, {run['load_avg_after'][0]:.1f} after"
        seeded = f"loaded in {run['load_seconds']:.0f} s by bench/seed.py" if run["load_seconds"] else "seeded by bench/seed.py"
        lines += [
            f"**{run['backend']}** — {run['persons']:,} persons and {run['cases']:,} cases ({seeded}); "
            f"{run['workers']} uvicorn worker(s); {run['rounds']} rounds; argon2id profile "
            f"`{run.get('password_profile', 'rfc9106')}`; 1-minute load average {load}; one argon2id "
            f"verification alone (wall clock, same load) {run['argon2_verify_ms_alone']:.0f} ms.",
            "",
            "| operation | measured | p50 | p95 | p99 | p95 over rounds | HTTP ÷ this, p50 | HTTP ÷ this, p95 | goal (p95) |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for row in summary(run):
            goal = GOALS_MS[row["goal"]]
            verdict = "" if row["label"] not in GOAL_ROWS else f"≤ {goal}: " + ("met" if row["p95"] <= goal else "**missed**")
            errors = f" ({row['errors']} errors)" if row["errors"] else ""
            lines.append(f"| {row['goal']} | {row['label']}{errors} | {row['p50']:.1f} | {row['p95']:.1f} | {row['p99']:.1f} | "
                         f"{row['p95_range'][0]:.0f}–{row['p95_range'][1]:.0f} | "
                         f"{_times(row['ratio50'])} | {_times(row['ratio'])} | {verdict} |")
        lines.append("")
        if run.get("capacity"):
            lines += [
                f"Capacity at the goal ({run['backend']}): the same {run['clients']} clients, each sending on a fixed "
                f"schedule instead of back to back; the offered rate rises ({run['capacity_seconds']:.0f} s a step) "
                "until a step's p95, counted from each request's scheduled time, misses the goal.",
                "",
                "| operation | goal (p95) | highest rate within it | steps (offered/s → p95 ms) |",
                "|---|---|---|---|",
            ]
            for goal, found in run["capacity"].items():
                steps = ", ".join(f"{s['rate']} → {s['p95']:.0f}" + (f" ({s['errors']} errors)" if s["errors"] else "")
                                  for s in found["steps"])
                lines.append(f"| {goal} | ≤ {found['goal_ms']} | {found['max_rate']}/s | {steps} |")
            lines.append("")
    lines.append(END)
    return "\n".join(lines)


#: Rows judged against the goal: what the clients measured, and the server's own time.
GOAL_ROWS = ("HTTP", "HTTP, server time")


def _times(ratio: float | None) -> str:
    if ratio is None:
        return ""
    return f"{ratio:,.0f}×" if ratio >= 10 else f"{ratio:.1f}×"


def write_docs(runs: list[dict[str, Any]]) -> None:
    document = DOCS.read_text()
    block = markdown(runs)
    if START in document and END in document:
        head, rest = document.split(START, 1)
        document = head + block + rest.split(END, 1)[1]
    else:
        heading = "## Platform foundation (`bench/foundation_bench.py`)"
        head, rest = document.split(heading, 1)
        following = rest.find("\n## ")
        tail = rest[following:] if following >= 0 else "\n"
        document = f"{head}{heading}\n\n{block}\n{tail}"
    DOCS.write_text(document)
    console.print(f"[green]wrote the table into {DOCS}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=1500, help="requests per operation per round (all clients)")
    parser.add_argument("--login-requests", type=int, default=60)
    parser.add_argument("--time-limit", type=float, default=60, help="seconds per operation per round, at most")
    parser.add_argument("--capacity", action=argparse.BooleanOptionalAction, default=True,
                        help="also find, per operation, the highest paced rate whose p95 meets the goal")
    parser.add_argument("--capacity-seconds", type=float, default=5, help="seconds per offered rate")
    parser.add_argument("--operations", nargs="+", choices=sorted(GOALS_MS), metavar="OPERATION",
                        help="only these operations (default: all), e.g. --operations 'token login'")
    parser.add_argument("--password-profile", choices=sorted(PASSWORD_PROFILES), default="rfc9106",
                        help="the server's argon2id settings (see PASSWORD_PROFILES)")
    parser.add_argument("--workers", type=int, help="uvicorn workers (default: 2, one per core)")
    parser.add_argument("--sqlite", type=Path, default=SQLITE_PATH)
    parser.add_argument("--postgres", default=POSTGRES_URL)
    parser.add_argument("--write-docs", action="store_true", help="rewrite the table in docs/benchmarks.md")
    parser.add_argument("--docs-from", nargs="+", type=Path, help="only write the docs table from saved result files")
    parser.add_argument("--explain", action="store_true", help="only print the search query plans")
    args = parser.parse_args()
    if args.explain:
        for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):
            url = url_for(backend, args.sqlite, args.postgres)
            explain(url, ensure_seeded(url, args.persons, console=console))
        return
    if args.docs_from:
        write_docs([json.loads(p.read_text()) for p in args.docs_from])
        return
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    runs = []
    if args.operations:
        OPERATIONS[:] = [op for op in OPERATIONS if op[0] in args.operations]
    for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):
        run = bench_backend(backend, args)
        path = RESULTS_DIR / f"foundation-{backend}-{run['workers']}w-{args.password_profile}.json"
        path.write_text(json.dumps(run, indent=1))
        console.print(f"results saved to {path}")
        show(run)
        runs.append(run)
    if args.write_docs:
        write_docs(runs)


if __name__ == "__main__":
    main()
