"""Bulk seeder for benchmarks: N persons, each with one case, on SQLite or PostgreSQL.

Run: ``.venv/bin/python bench/seed.py --backend both --persons 1000000 [--reset]``.

The schema comes from the real migrations (`amparo.db.migrations.upgrade`); the rows are shaped by the
application's own helpers (`amparo.people.names.search_keys` for the name keys, `amparo.cases.reducer`
for the state snapshot, `amparo.auth.repository.create_user` for the users) but inserted in bulk
(`executemany` on SQLite, `COPY` on PostgreSQL), because a million requests through the API would take
hours. Secondary indexes are dropped during the load and recreated from their own stored definitions,
so the schema after seeding is exactly the migrated one.

What is seeded, in jurisdiction ARG:
  * persons with multi-locale names (Faker name pools), dates of birth, one or two nationalities;
  * one case per person (`ARG-<year>-<7 digits>`), journal starting with `case_opened`;
  * `caseworkers` caseworkers, each assigned `per_worker` cases (an `assign` action by the supervisor,
    so those journals are `case_opened, assign` and their snapshot says `in_progress`);
  * one supervisor and one applicant (linked to person 1). Every bench user has the password PASSWORD.

Other benchmarks can `from seed import ensure_seeded` (with `bench/` on `sys.path`) and get a
`Seeded` description back, whether the database was just loaded or already there.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import multiprocessing
import random
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from amparo.auth import repository as users
from amparo.auth.passwords import hash_password
from amparo.auth.policy import Role
from amparo.cases import actions as types
from amparo.cases import reducer
from amparo.db.engine import make_engine
from amparo.db.migrations import upgrade
from amparo.db.session import session_scope
from amparo.jurisdictions.models import Jurisdiction
from amparo.people.names import search_keys

SQLITE_PATH = Path("/tmp/amparo-bench/amparo.db")
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/amparo_foundation_bench"
JURISDICTION = "ARG"
PASSWORD = "bench-password-2026"
CASEWORKER = "bench-caseworker-{}"
SUPERVISOR = "bench-supervisor"
APPLICANT = "bench-applicant"
BATCH = 20_000
TABLES = ("persons", "person_nationalities", "person_name_keys", "cases", "actions")

#: Faker locale -> (nationalities drawn from, languages, weight). Mostly Spanish-speaking, as in the
#: region's regularisation programmes, with the scripts a name search must cope with.
LOCALES: dict[str, tuple[tuple[str, ...], tuple[str, ...], int]] = {
    "es_CO": (("VEN", "COL"), ("es",), 30),
    "es_AR": (("PRY", "BOL"), ("es", "gn"), 15),
    "es_MX": (("PER", "BOL", "MEX"), ("es", "qu"), 15),
    "pt_BR": (("BRA",), ("pt",), 8),
    "fr_FR": (("HTI", "SEN"), ("fr", "ht"), 8),
    "uk_UA": (("UKR",), ("uk", "ru"), 6),
    "vi_VN": (("VNM",), ("vi",), 4),
    "hi_IN": (("IND",), ("hi", "en"), 5),
    "ar_AA": (("SYR", "LBN"), ("ar",), 5),
    "zh_CN": (("CHN",), ("zh",), 4),
}
KINDS = (("regularization", 70), ("appeal", 10), ("consular", 10), ("complaint", 10))
SEXES = (("female", 48), ("male", 48), ("x", 1), ("unknown", 3))
_JSON_TIME = TypeAdapter(dt.datetime)


@dataclass
class Seeded:
    """What a seeded benchmark database holds (read back from the database itself)."""

    url: str
    persons: int
    cases: int
    password: str
    caseworkers: list[tuple[int, str]]  # (user id, username)
    assigned: dict[int, list[int]]  # caseworker id -> ids of the cases assigned to them
    supervisor: tuple[int, str]
    applicant: tuple[int, str, int]  # (user id, username, person id)
    load_seconds: float | None = None  # None when the database was already seeded
    counts: dict[str, int] = field(default_factory=dict)


def url_for(backend: str, sqlite_path: Path = SQLITE_PATH, postgres_url: str = POSTGRES_URL) -> str:
    return f"sqlite:///{sqlite_path}" if backend == "sqlite" else postgres_url


def reset(url: str) -> None:
    """Remove the benchmark database entirely (SQLite file and its WAL; or DROP/CREATE DATABASE)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
        return
    name = parsed.database
    if not name or not name.replace("_", "").isalnum():
        raise SystemExit(f"refusing to drop database {name!r}: expected a plain name such as amparo_bench")
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def _create_database_if_missing(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}) is None:
            connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def describe(engine: Engine) -> Seeded | None:
    """The seeded contents, or None when the database holds no bench users."""
    with engine.connect() as c:
        rows = c.execute(text("SELECT id, username, role, person_id FROM users WHERE username LIKE 'bench-%' ORDER BY id")).all()
        if not rows:
            return None
        workers = [(r.id, r.username) for r in rows if r.role == "caseworker"]
        assigned: dict[int, list[int]] = {uid: [] for uid, _ in workers}
        for case_id, uid in c.execute(text("SELECT id, assigned_user_id FROM cases WHERE assigned_user_id IS NOT NULL")):
            if uid in assigned:
                assigned[uid].append(case_id)
        supervisor = next((r.id, r.username) for r in rows if r.role == "supervisor")
        applicant = next((r.id, r.username, r.person_id) for r in rows if r.role == "applicant")
        counts = {t: int(c.scalar(text(f"SELECT max(id) FROM {t}")) or 0) for t in ("persons", "cases", "actions", "audit_entries")}
    return Seeded(str(engine.url.render_as_string(hide_password=False)), counts["persons"], counts["cases"], PASSWORD,
                  workers, assigned, supervisor, applicant, None, counts)


def ensure_seeded(url: str, persons: int, *, caseworkers: int = 20, per_worker: int = 500, fresh: bool = False,
                  console: Console | None = None) -> Seeded:
    """Seed `url` with `persons` persons and cases unless it already holds exactly that many.

    Refuses (SystemExit) when the database holds a different number of persons, or data that is not a
    benchmark seed, unless `fresh` is set, which drops it first.
    """
    console = console or Console()
    if fresh:
        reset(url)
    _create_database_if_missing(url)
    engine = make_engine(url, pool_size=2, max_overflow=2)
    try:
        upgrade(engine)
        with engine.connect() as c:
            existing = int(c.scalar(text("SELECT count(*) FROM persons WHERE id <= 1")) or 0)
        if existing:
            seeded = describe(engine)
            if seeded is None or seeded.persons != persons:
                found = "no benchmark users" if seeded is None else f"{seeded.persons:,} persons"
                raise SystemExit(
                    f"{url} is already seeded with {found}, not {persons:,} benchmark persons; "
                    "pass --reset (fresh=True) to drop and reload it"
                )
            console.print(f"[green]{url}: already seeded with {seeded.persons:,} persons and {seeded.cases:,} cases; reusing it")
            return seeded
        started = time.perf_counter()
        _load(engine, persons, caseworkers, per_worker, console)
        seconds = time.perf_counter() - started
        console.print(f"[bold green]{engine.dialect.name}: loaded {persons:,} persons and cases in {seconds:.0f} s")
        seeded = describe(engine)
        assert seeded is not None
        seeded.load_seconds = seconds
        _check_sample(engine, seeded)
        return seeded
    finally:
        engine.dispose()


def _weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([value for value, _ in pairs], [weight for _, weight in pairs])[0]


def _name_pools(rng: random.Random, size: int = 400) -> dict[str, tuple[list[str], list[str]]]:
    from faker import Faker

    pools = {}
    for locale in LOCALES:
        fake = Faker(locale)
        fake.seed_instance(rng.randrange(2**31))
        given = sorted({fake.first_name() for _ in range(size)})
        family = sorted({fake.last_name() for _ in range(size)})
        pools[locale] = (given, family)
    return pools


def _load(engine: Engine, persons: int, caseworkers: int, per_worker: int, console: Console) -> None:
    rng = random.Random(2026)
    with session_scope(engine) as session:
        session.add(Jurisdiction(code=JURISDICTION, name="Argentina"))
        session.flush()
        hashed = hash_password(PASSWORD)  # one argon2id hash shared by the bench users: login still verifies it
        supervisor = users.create_user(session, SUPERVISOR, None, Role.SUPERVISOR, JURISDICTION, password_hash=hashed)
        workers = [
            users.create_user(session, CASEWORKER.format(i), None, Role.CASEWORKER, JURISDICTION, password_hash=hashed).id
            for i in range(caseworkers)
        ]
        supervisor_id = supervisor.id
    # Every `stride`-th case is assigned, round-robin over the caseworkers, so assigned cases are spread
    # over the whole id range (and over the name and number indexes) rather than packed at one end.
    stride = max(1, persons // max(1, caseworkers * per_worker))
    assignee = {cid: workers[(cid // stride) % len(workers)] for cid in range(stride, persons + 1, stride)}
    assignee = dict(list(assignee.items())[: caseworkers * per_worker])

    pools = _name_pools(rng)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)
    # Cases are opened over the last weeks, within this year, so case number N is the N-th of the year.
    span = min(dt.timedelta(days=60), now - now.replace(month=1, day=1, hour=0, minute=0, second=0))
    context = _Context(pools, now - span, span / max(1, persons), _templates(now, supervisor_id), assignee, supervisor_id,
                       engine.dialect.name)
    loader = _SqliteLoader(engine) if engine.dialect.name == "sqlite" else _PostgresLoader(engine)
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console)
    starts = [(start, min(start + BATCH, persons + 1), context) for start in range(1, persons + 1, BATCH)]
    # Two processes build rows while this one inserts them (the row building is the slower half).
    with progress, loader, multiprocessing.get_context("fork").Pool(2) as pool:
        task = progress.add_task(f"{engine.dialect.name}: persons and cases", total=persons)
        for count, rows in pool.imap(_batch, starts):
            loader.insert(rows)
            progress.advance(task, count)
        task = progress.add_task(f"{engine.dialect.name}: indexes, statistics", total=None)
        loader.finish({now.year: persons})
        progress.update(task, total=1, completed=1)
    with session_scope(engine) as session:
        # The applicant signs in as person 1, whose case is theirs ("self").
        users.create_user(session, APPLICANT, None, Role.APPLICANT, JURISDICTION, person_id=1,
                          password_hash=hash_password(PASSWORD))


def _templates(now: dt.datetime, supervisor_id: int) -> dict[str, Any]:
    """The reducer's snapshots after `case_opened` and after `assign`, to be filled in per case."""
    opened_payload = types.CaseOpened(kind="regularization", jurisdiction_code=JURISDICTION, person_id=0)  # type: ignore[arg-type]
    opened = reducer.apply(None, reducer.ActionEvent("case_opened", types.payload_json(opened_payload), 1, now,
                                                     supervisor_id, "supervisor"), payload=opened_payload)
    assign_payload = types.Assign(user_id=0)
    assigned = reducer.apply(opened, reducer.ActionEvent("assign", types.payload_json(assign_payload), 2, now,
                                                         supervisor_id, "supervisor"), payload=assign_payload)
    return {"opened": opened.model_dump(mode="json"), "assigned": assigned.model_dump(mode="json")}


@dataclass(frozen=True)
class _Context:
    pools: dict[str, tuple[list[str], list[str]]]
    origin: dt.datetime
    step: dt.timedelta
    templates: dict[str, Any]
    assignee: dict[int, int]
    supervisor_id: int
    backend: str


def _batch(job: tuple[int, int, _Context]) -> tuple[int, dict[str, list[tuple[Any, ...]]]]:
    """Rows for persons `start..end-1` (case id = person id), converted for the backend, as tuples in
    `COLUMNS` order. Deterministic: each batch has its own random generator seeded by its start."""
    start, end, ctx = job
    rng = random.Random(start)
    out: dict[str, list[tuple[Any, ...]]] = {t: [] for t in TABLES}
    locales = list(LOCALES)
    weights = [LOCALES[loc][2] for loc in locales]
    templates, supervisor_id = ctx.templates, ctx.supervisor_id
    for pid in range(start, end):
        locale = rng.choices(locales, weights)[0]
        nats, langs, _ = LOCALES[locale]
        given_pool, family_pool = ctx.pools[locale]
        given = " ".join(rng.sample(given_pool, 2 if rng.random() < 0.4 else 1))
        family = " ".join(rng.sample(family_pool, 2 if locale.startswith("es") or rng.random() < 0.2 else 1))
        opened_at = ctx.origin + ctx.step * pid
        born = None if rng.random() < 0.05 else dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(21_000))
        out["persons"].append((pid, given, family, born, _weighted(rng, SEXES), list(langs[: rng.randint(1, len(langs))]),
                               f"p{pid}@example.org" if rng.random() < 0.2 else None,
                               f"+54 9 11 {rng.randrange(10**7, 10**8)}" if rng.random() < 0.6 else None,
                               None, JURISDICTION, opened_at))
        codes = {rng.choice(nats)} | ({rng.choice(("ESP", "ITA", "PRT"))} if rng.random() < 0.08 else set())
        out["person_nationalities"] += [(pid, code) for code in sorted(codes)]
        out["person_name_keys"] += [(pid, key) for key in search_keys(given, family)]
        kind = _weighted(rng, KINDS)
        number = f"{JURISDICTION}-{opened_at.year}-{pid:07d}"
        stamp = _JSON_TIME.dump_python(opened_at, mode="json")
        worker = ctx.assignee.get(pid)
        opened_payload = {"kind": kind, "jurisdiction_code": JURISDICTION, "person_id": pid}
        out["actions"].append((pid, 1, "case_opened", opened_payload, supervisor_id, "supervisor", opened_at))
        if worker is None:
            state = {**templates["opened"], "kind": kind, "person_id": pid, "opened_at": stamp, "last_action_at": stamp}
            out["cases"].append((pid, number, kind, JURISDICTION, pid, 1, state["status"], None, None, state, opened_at, opened_at))
        else:
            at = opened_at + dt.timedelta(minutes=1)
            state = {**templates["assigned"], "kind": kind, "person_id": pid, "opened_at": stamp,
                     "last_action_at": _JSON_TIME.dump_python(at, mode="json"), "assigned_user_id": worker}
            out["cases"].append((pid, number, kind, JURISDICTION, pid, 2, state["status"], worker, None, state, opened_at, at))
            out["actions"].append((pid, 2, "assign", {"user_id": worker}, supervisor_id, "supervisor", at))
    return end - start, _convert(out, ctx.backend)


def _convert(rows: dict[str, list[tuple[Any, ...]]], backend: str) -> dict[str, list[tuple[Any, ...]]]:
    """SQLite: each value through its column's own bind processor (stored exactly as the ORM stores it).
    PostgreSQL: JSON documents as text for COPY; psycopg adapts the rest."""
    if backend == "postgresql":
        return {t: [tuple(json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v for v in row)
                    for row in table_rows] for t, table_rows in rows.items()}
    procs = _sqlite_processors()
    return {t: [tuple(v if p is None or v is None else p(v) for p, v in zip(procs[t], row, strict=True))
                for row in table_rows] for t, table_rows in rows.items()}


@functools.cache
def _sqlite_processors() -> dict[str, list[Any]]:
    from amparo.cases import models as _cases  # noqa: F401  (registers every table on Base.metadata)
    from amparo.db.base import Base

    dialect = create_engine("sqlite://").dialect
    return {t: [Base.metadata.tables[t].c[col].type.dialect_impl(dialect).bind_processor(dialect) for col in COLUMNS[t]]
            for t in TABLES}


COLUMNS = {
    "persons": ("id", "given_names", "family_names", "date_of_birth", "sex", "languages", "email", "phone", "address",
                "jurisdiction_code", "created_at"),
    "person_nationalities": ("person_id", "country_code"),
    "person_name_keys": ("person_id", "key"),
    "cases": ("id", "number", "kind", "jurisdiction_code", "person_id", "version", "status", "assigned_user_id",
              "deadline", "state", "created_at", "updated_at"),
    "actions": ("case_id", "seq", "type", "payload", "actor_user_id", "actor_role", "server_time"),
}


class _Loader:
    """Drops the loaded tables' secondary indexes, inserts batches, recreates the indexes."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.indexes: list[tuple[str, str]] = []

    def __enter__(self) -> _Loader:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def finish(self, counters: dict[int, int]) -> None:
        with self.engine.begin() as c:
            for year, last in counters.items():
                c.execute(text("INSERT INTO case_number_counters (jurisdiction_code, year, last_value) VALUES (:j, :y, :v)"),
                          {"j": JURISDICTION, "y": year, "v": last})


class _SqliteLoader(_Loader):
    """Raw `sqlite3` executemany with the columns' own bind processors (so values are stored exactly as
    the ORM stores them), durability relaxed only for the load."""

    def __enter__(self) -> _SqliteLoader:
        self.raw = sqlite3.connect(self.engine.url.database, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=OFF", "cache_size=-1000000", "temp_store=MEMORY", "foreign_keys=OFF"):
            self.raw.execute(f"PRAGMA {pragma}")
        names = ",".join(f"'{t}'" for t in TABLES)
        self.indexes = self.raw.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL AND tbl_name IN ({names})"
        ).fetchall()
        for name, _ in self.indexes:
            self.raw.execute(f'DROP INDEX "{name}"')
        return self

    def insert(self, rows: dict[str, list[tuple[Any, ...]]]) -> None:
        self.raw.execute("BEGIN")
        for table in TABLES:
            columns = COLUMNS[table]
            self.raw.executemany(f"INSERT INTO {table} ({','.join(columns)}) VALUES ({','.join('?' * len(columns))})", rows[table])
        self.raw.execute("COMMIT")

    def finish(self, counters: dict[int, int]) -> None:
        for _name, sql in self.indexes:
            self.raw.execute(sql)
        self.raw.execute("ANALYZE")
        self.raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.raw.close()
        super().finish(counters)


class _PostgresLoader(_Loader):
    """COPY through psycopg 3 (the application's driver), foreign-key triggers off for the load only."""

    def __enter__(self) -> _PostgresLoader:
        self.connection = self.engine.raw_connection()
        self.pg = self.connection.driver_connection
        with self.pg.cursor() as cur:
            cur.execute("SET session_replication_role = replica")  # no per-row FK trigger; rows are consistent by construction
            cur.execute("SET maintenance_work_mem = '1GB'")
            cur.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY(%s) "
                "AND indexname NOT IN (SELECT conname FROM pg_constraint)", [list(TABLES)],
            )
            self.indexes = cur.fetchall()
            for name, _ in self.indexes:
                cur.execute(f'DROP INDEX "{name}"')
        self.pg.commit()
        return self

    def insert(self, rows: dict[str, list[tuple[Any, ...]]]) -> None:
        with self.pg.cursor() as cur:
            for table in TABLES:
                with cur.copy(f"COPY {table} ({','.join(COLUMNS[table])}) FROM STDIN") as copy:
                    for row in rows[table]:
                        copy.write_row(row)
        self.pg.commit()

    def finish(self, counters: dict[int, int]) -> None:
        with self.pg.cursor() as cur:
            for _name, sql in self.indexes:
                cur.execute(sql)
            cur.execute("SET session_replication_role = DEFAULT")
            for table in ("persons", "cases", "actions", "users"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        self.pg.commit()
        self.pg.autocommit = True
        with self.pg.cursor() as cur:
            cur.execute("VACUUM (ANALYZE)")  # visibility map and statistics, as a settled database would have
        self.pg.autocommit = False
        self.connection.close()
        super().finish(counters)


def _check_sample(engine: Engine, seeded: Seeded, size: int = 50) -> None:
    """Replay a sample of journals with the reducer and compare with the stored snapshots."""
    from amparo.cases.schemas import CaseState

    rng = random.Random(5)
    ids = [rng.randint(1, seeded.cases) for _ in range(size)] + [ids[0] for ids in seeded.assigned.values() if ids]
    with engine.connect() as c:
        for cid in ids:
            actions = c.execute(text("SELECT type, payload, seq, server_time, actor_user_id, actor_role FROM actions "
                                     "WHERE case_id = :i ORDER BY seq"), {"i": cid}).all()
            events = [reducer.ActionEvent(a.type, _json(a.payload), a.seq, _aware(a.server_time), a.actor_user_id, a.actor_role)
                      for a in actions]
            stored = c.execute(text("SELECT state FROM cases WHERE id = :i"), {"i": cid}).scalar_one()
            if reducer.replay(events) != CaseState.model_validate(_json(stored)):
                raise SystemExit(f"seed inconsistent: case {cid}'s snapshot differs from its replayed journal")


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _aware(value: Any) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--caseworkers", type=int, default=20)
    parser.add_argument("--per-worker", type=int, default=500, help="cases assigned to each caseworker")
    parser.add_argument("--sqlite", type=Path, default=SQLITE_PATH)
    parser.add_argument("--postgres", default=POSTGRES_URL)
    parser.add_argument("--reset", action="store_true", help="drop the database first")
    args = parser.parse_args(argv)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    for backend in backends:
        ensure_seeded(url_for(backend, args.sqlite, args.postgres), args.persons, caseworkers=args.caseworkers,
                      per_worker=args.per_worker, fresh=args.reset)


if __name__ == "__main__":
    main()
