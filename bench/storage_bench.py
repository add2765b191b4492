"""Benchmark the storage and domain services (no HTTP) against the same work done in plain SQL.

Run: ``.venv/bin/python bench/storage_bench.py --persons 1000000 [--postgres URL] [--clients 20]``.
Loads N persons, each with one case (bulk, through Core), then measures p50/p95 in milliseconds of
the services the API calls — each one transaction, committed, audit entry included — and of the
nearest hand-written SQL through the same driver, so the cost of the stack is visible. Nothing here
is asserted: speed is measured, not tested.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import random
import statistics
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import Engine, select, text

from amparo.auth.models import User
from amparo.auth.passwords import hash_password
from amparo.auth.policy import Actor, Role
from amparo.cases import service as cases
from amparo.cases.models import Action, Case, CaseNumberCounter
from amparo.cases.reducer import ActionEvent, apply
from amparo.db.engine import make_engine
from amparo.db.migrations import upgrade
from amparo.db.session import session_scope
from amparo.jurisdictions.models import Jurisdiction
from amparo.people.models import Person, PersonNameKey, PersonNationality
from amparo.people.names import search_keys

GIVEN = ["María", "José", "Ana", "Luis", "Carmen", "Juan", "Rosa", "Pedro", "Lucía", "Jorge", "Fátima", "Omar",
         "Yesenia", "Wilmer", "Aïcha", "Mamadou", "Nguyễn", "Thị", "Oksana", "Dmytro", "Priya", "Ravi", "Kofi", "Ama"]
FAMILY = ["García", "Rodríguez", "Martínez", "Hernández", "López", "González", "Pérez", "Sánchez", "Ramírez", "Torres",
          "Flores", "Rivera", "Gómez", "Díaz", "Quispe", "Mamani", "Choque", "Huanca", "Condori", "Vargas", "Rojas",
          "Castillo", "Benítez", "Ortiz", "Diallo", "Traoré", "Coulibaly", "Shevchenko", "Kovalenko", "Sharma", "Mensah"]
NATIONALITIES = ["VEN", "COL", "BOL", "PER", "PRY", "HTI", "UKR", "SEN", "MLI", "IND", "GHA"]
WORKERS = 20


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def seed(engine: Engine, persons: int, batch: int = 20_000) -> list[Actor]:
    """N persons with one case each, every case assigned to one of the workers."""
    rng = random.Random(7)
    now = datetime.datetime.now(datetime.UTC)
    with session_scope(engine) as session:
        session.add(Jurisdiction(code="ARG", name="Argentina"))
        # Cases opened by the plain-SQL comparison go to another jurisdiction, out of the services' way.
        session.add(Jurisdiction(code="CHL", name="Chile"))
        session.flush()
        hashed = hash_password("benchmark password")
        users = [User(username=f"worker{i}@bench", password_hash=hashed, role="caseworker", jurisdiction_code="ARG", active=True) for i in range(WORKERS)]
        session.add_all(users)
        session.flush()
        actors = [Actor(u.id, u.username, Role.CASEWORKER, "ARG") for u in users]
    opened = apply(None, ActionEvent("case_opened", {"kind": "regularization", "jurisdiction_code": "ARG", "person_id": 0}, 1, now))
    state_template = opened.model_dump(mode="json")
    started = time.perf_counter()
    for start in range(0, persons, batch):
        ids = range(start + 1, min(start + batch, persons) + 1)
        people, nats, keys, case_rows, actions = [], [], [], [], []
        for pid in ids:
            given, family = rng.choice(GIVEN), f"{rng.choice(FAMILY)} {rng.choice(FAMILY)}"
            people.append({"id": pid, "given_names": given, "family_names": family, "sex": "female", "languages": ["es"],
                           "jurisdiction_code": "ARG", "created_at": now, "date_of_birth": None})
            nats.append({"person_id": pid, "country_code": rng.choice(NATIONALITIES)})
            keys += [{"person_id": pid, "key": k} for k in search_keys(given, family)]
            worker = actors[pid % WORKERS].user_id
            state = {**state_template, "person_id": pid, "assigned_user_id": worker, "status": "in_progress"}
            case_rows.append({"id": pid, "number": f"ARG-{now.year}-{pid:07d}", "kind": "regularization", "jurisdiction_code": "ARG",
                              "person_id": pid, "version": 1, "status": "in_progress", "assigned_user_id": worker,
                              "deadline": None, "state": state, "created_at": now, "updated_at": now})
            actions.append({"case_id": pid, "seq": 1, "type": "case_opened", "actor_user_id": None, "actor_role": None,
                            "payload": {"kind": "regularization", "jurisdiction_code": "ARG", "person_id": pid}, "server_time": now})
        with engine.begin() as connection:
            connection.execute(Person.__table__.insert(), people)
            connection.execute(PersonNationality.__table__.insert(), nats)
            connection.execute(PersonNameKey.__table__.insert(), keys)
            connection.execute(Case.__table__.insert(), case_rows)
            connection.execute(Action.__table__.insert(), actions)
    with engine.begin() as connection:
        connection.execute(CaseNumberCounter.__table__.insert(), [{"jurisdiction_code": "ARG", "year": now.year, "last_value": persons}])
        if engine.dialect.name == "postgresql":
            for table in ("persons", "cases", "actions"):
                connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
            connection.execute(text("ANALYZE"))
        else:
            connection.execute(text("ANALYZE"))
    print(f"seeded {persons:,} persons and cases in {time.perf_counter() - started:.0f} s")
    return actors


def percentiles(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


def run(engine: Engine, actors: list[Actor], persons: int, clients: int, per_client: int) -> dict[str, tuple[float, float]]:
    rng_lock = threading.Lock()
    rng = random.Random(11)

    def pick() -> int:
        with rng_lock:
            return rng.randint(1, persons)

    def prefix() -> str:
        with rng_lock:
            return rng.choice(FAMILY)[:4]

    def owner(case_id: int) -> Actor:
        return actors[case_id % WORKERS]

    def svc_open(_: int) -> None:
        pid = pick()
        with session_scope(engine) as s:
            cases.create_case(s, owner(pid), {"person_id": pid, "kind": "complaint"}, "bench")

    def svc_append(_: int) -> None:
        cid = pick()
        for _attempt in range(5):
            try:
                with session_scope(engine) as s:
                    version = s.scalar(text("SELECT version FROM cases WHERE id = :i"), {"i": cid})
                    cases.append_action(s, owner(cid), cid, version, {"type": "note", "payload": {"text": "bench"}}, "bench")
                return
            except Exception as exc:  # a 409 from another client on the same case: reload and retry
                if getattr(exc, "status_code", None) != 409:
                    raise

    def svc_name(_: int) -> None:
        with session_scope(engine) as s:
            cases.list_cases(s, actors[0], {"q": prefix()}, limit=20, purpose="bench")

    def svc_number(_: int) -> None:
        pid = pick()
        with session_scope(engine) as s:
            cases.list_cases(s, owner(pid), {"q": f"ARG-{datetime.date.today().year}-{pid:07d}"}, limit=20, purpose="bench")

    def svc_get(_: int) -> None:
        pid = pick()
        with session_scope(engine) as s:
            cases.get_case(s, owner(pid), pid, "bench")

    def sql_append(_: int) -> None:
        cid = pick()
        with engine.begin() as c:
            v = c.execute(text("UPDATE cases SET version = version + 1 WHERE id = :i RETURNING version"), {"i": cid}).scalar()
            c.execute(text("INSERT INTO actions (case_id, seq, type, payload, server_time) VALUES (:i, :v, 'note', '{}', CURRENT_TIMESTAMP)"), {"i": cid, "v": v})

    def sql_open(_: int) -> None:
        pid = pick()
        with engine.begin() as c:
            n = c.execute(text("UPDATE case_number_counters SET last_value = last_value + 1 WHERE jurisdiction_code = 'ARG' RETURNING last_value")).scalar()
            cid = c.execute(text("INSERT INTO cases (number, kind, jurisdiction_code, person_id, version, status, state, created_at, updated_at) "
                                 "VALUES (:n, 'complaint', 'CHL', :p, 1, 'open', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP) RETURNING id"),
                            {"n": f"SQL-{n:09d}", "p": pid}).scalar()
            c.execute(text("INSERT INTO actions (case_id, seq, type, payload, server_time) VALUES (:i, 1, 'case_opened', '{}', CURRENT_TIMESTAMP)"), {"i": cid})

    def sql_name(_: int) -> None:
        p = prefix().lower()
        with engine.begin() as c:
            # The better of the two plans for a common prefix (the service chooses per query).
            c.execute(text("SELECT * FROM cases WHERE jurisdiction_code = 'ARG' AND EXISTS (SELECT 1 FROM person_name_keys k "
                           "WHERE k.person_id = cases.person_id AND k.key >= :a AND k.key < :b) ORDER BY id DESC LIMIT 21"),
                      {"a": p, "b": p[:-1] + chr(ord(p[-1]) + 1)}).all()

    def sql_number(_: int) -> None:
        pid = pick()
        with engine.begin() as c:
            c.execute(text("SELECT * FROM cases WHERE number = :n"), {"n": f"ARG-{datetime.date.today().year}-{pid:07d}"}).all()

    def sql_get(_: int) -> None:
        pid = pick()
        with engine.begin() as c:
            c.execute(text("SELECT * FROM cases WHERE id = :i"), {"i": pid}).one()

    operations: dict[str, Callable[[int], None]] = {
        "open a case (service)": svc_open, "open a case (SQL)": sql_open,
        "append an action (service)": svc_append, "append an action (SQL)": sql_append,
        "search by name prefix (service)": svc_name, "search by name prefix (SQL)": sql_name,
        "search by case number (service)": svc_number, "search by case number (SQL)": sql_number,
        "read a case (service)": svc_get, "read a case (SQL)": sql_get,
    }
    results = {}
    for name, operation in operations.items():
        def client(_: int, operation=operation) -> list[float]:
            samples = []
            for i in range(per_client):
                start = time.perf_counter()
                operation(i)
                samples.append((time.perf_counter() - start) * 1000)
            return samples

        with ThreadPoolExecutor(clients) as pool:
            samples = [s for chunk in pool.map(client, range(clients)) for s in chunk]
        results[name] = percentiles(samples)
        print(f"{name:36s} p50 {results[name][0]:7.2f} ms   p95 {results[name][1]:7.2f} ms", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--per-client", type=int, default=25)
    parser.add_argument("--postgres", help="postgresql+psycopg://... of an EMPTY database to use instead of SQLite")
    parser.add_argument("--sqlite", default="/tmp/amparo-bench.db")
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database (migrated to head first)")
    args = parser.parse_args()
    if args.postgres:
        url = args.postgres
    elif not args.reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(args.sqlite + suffix).unlink(missing_ok=True)
    if not args.postgres:
        url = f"sqlite:///{args.sqlite}"
    engine = make_engine(url, pool_size=args.clients + 2)
    upgrade(engine)
    print(f"{engine.dialect.name}; {os.cpu_count()} CPUs, {_cpu()}; Python {platform.python_version()}; {datetime.date.today()}; "
          f"load average {os.getloadavg()[0]:.1f}; {args.clients} concurrent clients x {args.per_client} operations")
    with engine.connect() as connection:
        seeded = connection.execute(text("SELECT count(*) FROM users")).scalar()
    if args.reuse and seeded:
        with session_scope(engine) as session:
            users = session.scalars(select(User).where(User.username.like("worker%@bench")).order_by(User.id)).all()
            actors = [Actor(u.id, u.username, Role.CASEWORKER, "ARG") for u in users]
    else:
        actors = seed(engine, args.persons)
    run(engine, actors, args.persons, args.clients, args.per_client)
    engine.dispose()


if __name__ == "__main__":
    main()
