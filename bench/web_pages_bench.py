"""Server time of the caseworker's queue page and case page on the benchmark database, at 20
concurrent users, through a real server (uvicorn, `--workers` processes, 2 by default: one per core)
over loopback.

Run: .venv/bin/python bench/web_pages_bench.py [--source /tmp/amparo-bench/amparo.db] [--filings 300] [--requests 600]

The server runs in its own process (the 20 client threads would otherwise share its GIL) with
`AMPARO_SERVER_TIMING=1`, so each page is reported twice: the server's own time (its `Server-Timing`
header, which is what the goal names) and what the client measured over loopback.

The 1,000,000-case database from `bench/seed.py` is copied first (SQLite's backup API gives a
consistent snapshot even while another benchmark reads it), so this benchmark never changes
another's data. Into the copy it publishes a programme and files `--filings` applications through
`amparo.regularization.flows.file_application` (the regularization queue lists filed applications;
the seeded cases have none), and has the bench supervisor assign them to the bench caseworker, whose
case page then has its decision and request-information forms. Then 20 threads, each with a signed-in caseworker's session cookie,
request in turn: the queue searched by a name, the queue searched by a case number, a case page
(timeline, evidence, pre-assessment, safeguards panel), the queue's first page, and its first page
filtered by programme. Latency is measured
by the client, so it includes loopback and HTTP parsing: an upper bound of the server's time.

Those back-to-back runs are the goal's harshest reading: 20 users who never stop to read a page keep
~20 requests in the server at every moment. `--capacity` (on by default) then asks what load each
page holds within the goal: the same 20 users send on a fixed schedule (`foundation_bench.paced`),
the offered rate rising step by step (`--capacity-seconds` each) until a step's p95, counted by the
client from each request's scheduled time (so a server falling behind shows as latency, not as a
quietly lower rate), passes 80 ms. The server's own p95 of each step is reported beside it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from foundation_bench import paced  # noqa: E402
from lightclient import Client  # noqa: E402  (stdlib http.client: a third of httpx's client CPU)

from amparo.auth import repository as users  # noqa: E402
from amparo.auth.models import AuthToken  # noqa: E402
from amparo.auth.tokens import new_token, token_hash  # noqa: E402
from amparo.config import Settings  # noqa: E402
from amparo.db.engine import make_engine  # noqa: E402
from amparo.db.migrations import upgrade  # noqa: E402
from amparo.regularization import flows, service  # noqa: E402
from tests.web.web_support import PROGRAMME  # noqa: E402

SECRET = "web-bench-secret-key-that-is-long-enough-0123456789"
GOAL_MS = 80
#: Page views per second offered, from all users together, in turn by `--capacity`.
RATES = (25, 50, 75, 100, 125, 150, 175, 200, 250, 300)


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def _prepare(url: str, filings: int) -> tuple[str, list[str], list[str]]:
    """Publish the programme, file applications; returns (session token, case numbers, names)."""
    engine = make_engine(url)
    upgrade(engine)
    from sqlalchemy.orm import Session

    settings = Settings(environment="development", secret_key=SECRET, data_dir=Path(tempfile.mkdtemp()))
    rng = random.Random(5)
    numbers, names = [], []
    with Session(engine) as db:
        from amparo.regularization import repository

        service.publish_programme(db, None, PROGRAMME)
        worker = users.get_user_by_username(db, "bench-caseworker-0") or next(
            u for u in [users.get_user(db, i) for i in range(1, 200)] if u is not None and u.role == "caseworker")
        supervisor = users.actor_for(users.get_user_by_username(db, "bench-supervisor"))  # type: ignore[arg-type]
        from amparo.cases import repository as case_rows
        from amparo.cases import service as cases
        for index in range(filings):
            family = rng.choice(["Quispe", "Mamani", "Rojas", "Pérez", "González", "Benítez", "Villca"])
            person = {"given_names": rng.choice(["Ana", "Luis", "Wendy", "Jorge", "María"]), "family_names": f"{family} {index}",
                      "date_of_birth": "1990-01-01", "nationalities": [rng.choice(["BOL", "PRY", "VEN"])], "languages": ["es"], "jurisdiction_code": "ARG"}
            body = {"programme_id": "arg-web-2026", "arrived_on": "2024-01-01", "declares_no_disqualifying_record": True,
                    "identity_document": {"kind": "passport"}, "evidence": [{"kind": "rental_contract", "dated": "2025-01-01"}],
                    "on_behalf_of": {"person": person, "consent": {"organisation": "Bench NGO", "method": "signed_form",
                                                                   "statement": "I agree that they file for me.", "given_on": dt.date.today().isoformat()}}}
            existing = repository.application_by_intake_key(db, f"bench-web-{index}")
            if existing is not None:
                case = case_rows.get(db, existing.case_id)
            else:
                case = flows.file_application(db, settings, None, body, "benchmark intake", filed_on=dt.date.today(),
                                              intake_key=f"bench-web-{index}").case
            if case.assigned_user_id != worker.id:  # the caseworker's own cases: the page with its decision forms
                cases.append_action(db, supervisor, case.id, case.version, {"type": "assign", "payload": {"user_id": worker.id}},
                                    "benchmark assigns the case")
            numbers.append(case.number)
            names.append(family.lower())
        token = new_token()
        db.add(AuthToken(token_hash=token_hash(token), user_id=worker.id, kind="web", expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)))
        db.commit()
    engine.dispose()
    return token, numbers, names


def _serve(url: str, workers: int) -> tuple[subprocess.Popen, str]:
    """`uvicorn amparo.api.app:create_app --factory` in its own process (the clients' threads must not
    share the server's GIL), with `Server-Timing` on so the server's own time can be read."""
    from tests.web.browser.conftest import _free_port

    port = _free_port()
    env = {**os.environ, "AMPARO_DATABASE_URL": url, "AMPARO_SECRET_KEY": SECRET, "AMPARO_ENVIRONMENT": "development",
           "AMPARO_DATA_DIR": tempfile.mkdtemp(), "AMPARO_SERVER_TIMING": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "amparo.api.app:create_app", "--factory", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers), "--log-level", "warning", "--no-access-log"], env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not start within 60 s")


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", type=Path, default=Path("/tmp/amparo-bench/amparo.db"))
    parser.add_argument("--copy", type=Path, default=Path("/tmp/amparo-web-bench/amparo.db"))
    parser.add_argument("--filings", type=int, default=300)
    parser.add_argument("--requests", type=int, default=600, help="requests per page kind")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (one per core)")
    parser.add_argument("--capacity", action=argparse.BooleanOptionalAction, default=True,
                        help="after the back-to-back runs, the highest paced rate per page within the goal")
    parser.add_argument("--capacity-seconds", type=float, default=5, help="seconds per offered rate")
    parser.add_argument("--pages", default=None, help="page kinds to run, separated by | (default: all)")
    args = parser.parse_args()
    started = time.perf_counter()
    if not args.copy.exists():  # a previous run's copy is reused (its filings too)
        _copy(args.source, args.copy)
    url = f"sqlite:///{args.copy}"
    with sqlite3.connect(args.copy) as c:
        cases = c.execute("SELECT count(*) FROM cases").fetchone()[0]
    token, numbers, names = _prepare(url, args.filings)
    print(f"database: {cases:,} cases (+{args.filings} filed applications); ready in {time.perf_counter() - started:.0f} s")
    server, base = _serve(url, args.workers)
    # (page, path). The unfiltered queue reads applications in key order a chunk at a time (a first
    # page reads about a page of rows), so it runs at full concurrency too.
    kinds = {
        "queue, name search": lambda i: f"/staff/queue?q={quote(names[i % len(names)])}",
        "queue, case number": lambda i: f"/staff/queue?q={numbers[i % len(numbers)]}",
        "case page": lambda i: f"/staff/cases/{numbers[i % len(numbers)]}",
        "queue, unfiltered": lambda i: "/staff/queue",
        "queue, by programme": lambda i: "/staff/queue?programme=arg-web-2026",
    }
    if args.pages:
        kinds = {kind: path for kind, path in kinds.items() if kind in args.pages.split("|")}
    local = threading.local()
    results: dict[tuple[str, int], tuple[list[float], list[float]]] = {}
    sizes: dict[str, int] = {}
    capacities: dict[str, list[dict[str, float]]] = {}
    try:
        for kind, path in kinds.items():
            for users_now in (1, args.users):
                client_ms: list[float] = []
                server_ms: list[float] = []

                def one(i: int, path=path, kind=kind, client_ms=client_ms, server_ms=server_ms) -> None:
                    if not hasattr(local, "client"):  # one keep-alive connection per simulated user
                        local.client = Client(base, timeout=120)
                    t = time.perf_counter()
                    response = local.client.get(path(i), headers={"cookie": f"amparo_session={token}", "accept": "text/html"})
                    elapsed = time.perf_counter() - t
                    assert response.status_code == 200, (path(i), response.status_code, response.text[-300:])
                    sizes[kind] = len(response.body)
                    client_ms.append(elapsed * 1000)
                    server_ms.append(float(response.headers["server-timing"].split("dur=")[1]))

                one(0)  # warm the caches once
                client_ms.clear()
                server_ms.clear()
                count = args.requests if users_now > 1 else min(args.requests, 100)
                with ThreadPoolExecutor(max_workers=users_now) as pool:
                    list(pool.map(one, range(count)))
                results[(kind, users_now)] = (client_ms, server_ms)
        if args.capacity:
            for kind, path in kinds.items():
                capacities[kind] = _capacity(base, token, path, args.users, args.capacity_seconds)
    finally:
        server.terminate()
        server.wait(15)
    print(f"machine: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; "
          f"server: {args.workers} worker process(es); up to {args.users} concurrent users, {args.requests} requests per page at {args.users}")
    print("| page | users | server median ms | server p95 ms | client median ms | client p95 ms | HTML KB |")
    print("|---|---|---|---|---|---|---|")
    for (kind, users_now), (client_ms, server_ms) in results.items():
        print(f"| {kind} | {users_now} | {statistics.median(server_ms):.1f} | {_p(server_ms, 0.95):.1f} | "
              f"{statistics.median(client_ms):.1f} | {_p(client_ms, 0.95):.1f} | {sizes[kind] / 1024:.1f} |")
    if capacities:
        print(f"\nCapacity at the goal: {args.users} users on a fixed schedule, {args.capacity_seconds:.0f} s a step; p95 from each "
              f"request's scheduled time (client) and the server's own p95, ms.")
        print("| page | highest rate within 80 ms | steps (offered/s → client p95 / server p95) |")
        print("|---|---|---|")
        for kind, steps in capacities.items():
            within = [s["rate"] for s in steps if not s["errors"] and s["p95"] <= GOAL_MS]
            shown = ", ".join(f"{s['rate']:.0f} → {s['p95']:.0f} / {s['server_p95']:.0f}" for s in steps)
            print(f"| {kind} | {max(within) if within else 0:.0f}/s | {shown} |")


def _capacity(base: str, token: str, path: Any, users: int, seconds: float) -> list[dict[str, float]]:
    """Paced steps of rising offered rate until one misses the goal (or errs); every step is kept."""
    steps: list[dict[str, float]] = []
    for rate in RATES:
        clients: dict[int, Client] = {}
        server_ms: list[float] = []

        def one(client: int, i: int) -> None:
            if client not in clients:
                clients[client] = Client(base, timeout=120)
            response = clients[client].get(path(client * 1000 + i), headers={"cookie": f"amparo_session={token}", "accept": "text/html"})
            if response.status_code != 200:
                raise RuntimeError(f"{path(i)}: {response.status_code}")
            server_ms.append(float(response.headers["server-timing"].split("dur=")[1]))

        samples, errors, achieved = paced(one, users, rate, seconds)
        for client in clients.values():
            client.close()
        step = {"rate": rate, "achieved": achieved, "p95": _p(samples, 0.95) if samples else float("inf"),
                "server_p95": _p(server_ms, 0.95) if server_ms else float("inf"), "errors": errors}
        steps.append(step)
        print(f"capacity {path(0)[:40]:40s} offered {rate:4d}/s achieved {achieved:6.1f}/s p95 {step['p95']:7.1f} ms "
              f"(server {step['server_p95']:6.1f}) errors={errors}", flush=True)
        if errors or step["p95"] > GOAL_MS:
            break
    return steps


if __name__ == "__main__":
    main()
