"""The authorization matrix: every role × every API route × every relation to the record.

Generated from the scope table (`amparo.auth.policy.SCOPES`): for each cell the expected answer is
what the table says for the relations that actually hold between the user and the record, and the test
checks the HTTP answer against it. A route added to the API without a row here fails
`test_every_route_is_in_the_matrix`, so nothing reaches production unchecked.

Relations that cannot exist are not invented: only applicants can be linked to a person record
(`self`), only staff of the case's jurisdiction can be assigned (`assigned`), only consular officers
serve a consulate (`consulate_with_consent`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from amparo.auth.policy import Action, Relation, RecordFacts, Role, allows, relations
from amparo.cases.models import Case
from amparo.db.engine import make_engine
from amparo.db.migrations import upgrade
from amparo.people.models import Person
from api_support import make_client, sign_in
from builders import actor_for, grant_consent, make_application, make_case, make_person, make_user
from db_support import create_database, drop_database

HOME, ELSEWHERE = "ARG", "COL"
NATIONALITY, OTHER_NATIONALITY = "BOL", "VEN"
ASSIGNABLE = (Role.CASEWORKER, Role.SUPERVISOR, Role.COMPLAINTS_OFFICER)


@dataclass(frozen=True)
class Cell:
    """One user of `role` standing in `relation` to the world's case."""

    role: Role
    relation: str

    @property
    def id(self) -> str:
        return f"{self.role.value}-{self.relation}"


def _cells() -> list[Cell]:
    cells = []
    for role in Role:
        cells.append(Cell(role, "same_jurisdiction"))
        cells.append(Cell(role, "none"))
        if role is Role.APPLICANT:
            cells.append(Cell(role, "self"))
        if role in ASSIGNABLE:
            cells.append(Cell(role, "assigned"))
        if role is Role.CONSULAR_OFFICER:
            cells.append(Cell(role, "consulate_with_consent"))
            cells.append(Cell(role, "consulate_without_consent"))
    return cells


CELLS = _cells()


@dataclass
class World:
    client: TestClient
    session: Session
    person_id: int
    case_id: int
    names: tuple[str, str]
    headers: dict[str, dict[str, str]]
    held: dict[str, frozenset[Relation]]
    assignee_id: dict[str, int]

    def current(self) -> tuple[int, int | None]:
        """The case's committed version and assignee. The read transaction ends at once (and the ORM
        object is not touched after it): on SQLite every transaction holds the write lock."""
        self.session.expire_all()
        case = self.session.get(Case, self.case_id)
        values = (case.version, case.assigned_user_id)
        self.session.rollback()
        return values

    def version(self) -> int:
        return self.current()[0]


def _build_user(session: Session, cell: Cell, person: Person):
    role = cell.role
    if cell.relation == "self":
        return make_user(session, role, None, person=person)
    if cell.relation in ("same_jurisdiction", "assigned"):
        consular = NATIONALITY if role is Role.CONSULAR_OFFICER else None
        if role is Role.CONSULAR_OFFICER:
            consular = OTHER_NATIONALITY  # serves another State: only the jurisdiction relates it
        return make_user(session, role, HOME, consular_state=consular)
    if cell.relation == "consulate_with_consent":
        return make_user(session, role, None, consular_state=NATIONALITY)
    if cell.relation == "consulate_without_consent":
        return make_user(session, role, None, consular_state=OTHER_NATIONALITY)
    consular = OTHER_NATIONALITY if role is Role.CONSULAR_OFFICER else None
    return make_user(session, role, ELSEWHERE, consular_state=consular)


@pytest.fixture(scope="module")
def world(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    directory = tmp_path_factory.mktemp("matrix")
    url = create_database(backend, directory)
    engine = make_engine(url)
    upgrade(engine)
    session = Session(engine, expire_on_commit=False)
    names = ("Ana Lucía", "Choque Huarachi")
    person = make_person(session, HOME, nationalities=(NATIONALITY,), given_names=names[0], family_names=names[1])
    case = make_case(session, person)
    evidence_sha = make_application(session, case, directory, MATRIX_PROGRAMME)
    grant_consent(session, case, NATIONALITY)
    person_id, case_id = person.id, case.id
    users = {cell.id: _build_user(session, cell, person) for cell in CELLS}
    session.commit()
    # Plain values from here on: touching an expired ORM object would open a transaction, and on
    # SQLite every transaction holds the write lock the app under test needs.
    actors = {cell_id: actor_for(user) for cell_id, user in users.items()}
    session.rollback()

    client = make_client(engine, directory)
    supervisor_name = make_user(session, Role.SUPERVISOR, HOME).username
    session.commit()
    session.rollback()
    supervisor = sign_in(client, supervisor_name)
    assignee_id: dict[str, int] = {}
    for cell in CELLS:
        if cell.relation == "assigned":
            # Real assignment, through the API, as the journal would record it.
            user_id = actors[cell.id].user_id
            session.expire_all()
            version = session.get(Case, case_id).version
            session.rollback()
            response = client.post(
                f"/api/v1/cases/{case_id}/actions",
                headers=supervisor,
                json={"expected_version": version, "action": {"type": "assign", "payload": {"user_id": user_id}}},
            )
            assert response.status_code == 201, response.text
            assignee_id[cell.id] = user_id
    # The case ends assigned to the last assignable user; each "assigned" cell is reassigned to
    # its user just before its request (see `_as_cell`).
    headers = {cell_id: sign_in(client, actor.username) for cell_id, actor in actors.items()}
    held = {}
    for cell_id, actor in actors.items():
        facts = RecordFacts(
            jurisdiction=HOME,
            person_id=person_id,
            assigned_user_id=actor.user_id if cell_id in assignee_id else None,
            nationalities=frozenset({NATIONALITY}),
            consular_consent=frozenset({NATIONALITY}),
        )
        held[cell_id] = relations(actor, facts)
    world = World(client, session, person_id, case_id, names, headers, held, assignee_id)
    world.supervisor = supervisor
    world.evidence_sha = evidence_sha
    yield world
    session.close()
    engine.dispose()
    drop_database(url)


def _as_cell(world: World, cell: Cell) -> None:
    """Put the case in the state the cell describes: assigned to the cell's user, or to nobody it knows."""
    want = world.assignee_id.get(cell.id)
    current = world.current()[1]
    if want is not None and current != want:
        response = world.client.post(
            f"/api/v1/cases/{world.case_id}/actions",
            headers=world.supervisor,
            json={"expected_version": world.version(), "action": {"type": "assign", "payload": {"user_id": want}}},
        )
        assert response.status_code == 201, response.text


# --- the routes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    """One request against the world, the scope-table action it needs, and how it answers."""

    method: str
    path: str
    action: Action
    call: Callable[[World, dict[str, str]], object]
    kind: str  # "read", "list", "create", "create_case", "append" or "self": how a denial answers
    #: What an allowed request answers: a state-changing route probed with a request the domain
    #: refuses (e.g. a refusal without reasons) answers 409 once authorization let it through.
    allowed_status: tuple[int, ...] = (200, 201)


def _get(path: str) -> Callable[[World, dict[str, str]], object]:
    return lambda w, h: w.client.get(path.format(case=w.case_id, person=w.person_id), headers=h)


def _append(action_type: str, payload: Callable[[World], dict]) -> Callable[[World, dict[str, str]], object]:
    def call(w: World, h: dict[str, str]):
        body = {"expected_version": w.version(), "action": {"type": action_type, "payload": payload(w)}}
        return w.client.post(f"/api/v1/cases/{w.case_id}/actions", headers=h, json=body)

    return call


def _create_person(w: World, h: dict[str, str]):
    body = {"given_names": "Test", "family_names": "Matrix", "nationalities": [NATIONALITY], "jurisdiction_code": HOME}
    return w.client.post("/api/v1/persons", headers=h, json=body)


def _create_case(w: World, h: dict[str, str]):
    return w.client.post("/api/v1/cases", headers=h, json={"person_id": w.person_id, "kind": "consular"})


def _assignee(w: World) -> dict:
    return {"user_id": w.current()[1]}


MATRIX_PROGRAMME = """\
id: arg-matrix
version: 1
jurisdiction: ARG
title: Matrix programme
legal_basis:
  - title: Test basis
window:
  opens: 2026-01-01
  closes: 2035-12-31
eligibility:
  nationality:
    any_of: [BOL]
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
_uploads = itertools.count(1)


def _cell_role(w: World, h: dict[str, str]) -> str:
    return next(cell_id for cell_id, headers in w.headers.items() if headers is h)


def _file(w: World, h: dict[str, str]):
    body: dict = {"programme_id": "arg-matrix"}
    if _cell_role(w, h).startswith(Role.FILING_ASSISTANT.value):
        body["on_behalf_of"] = {
            "person": {"given_names": "Filed", "family_names": "For", "nationalities": [NATIONALITY], "jurisdiction_code": HOME},
            "consent": {"organisation": "Matrix NGO", "method": "signed_form", "statement": "I agree to this filing.", "given_on": "2026-01-02"},
        }
    return w.client.post("/api/v1/applications", headers=h, json=body)


def _upload(w: World, h: dict[str, str]):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (next(_uploads) + 10, 7), "green").save(buffer, format="PNG")  # new bytes each time
    return w.client.post(
        f"/api/v1/cases/{w.case_id}/evidence", headers=h, files={"file": ("a.png", buffer.getvalue(), "image/png")},
        data={"kind": "utility_bill", "document_date": "2025-01-01"},
    )


def _post(route: str, body: dict | None) -> Callable[[World, dict[str, str]], object]:
    return lambda w, h: w.client.post(f"/api/v1/cases/{w.case_id}/{route}", headers=h, json=body)


PROBES = [
    Probe("GET", "/api/v1/persons/{person_id}", Action.PERSON_READ, _get("/api/v1/persons/{person}"), "read"),
    Probe("GET", "/api/v1/persons", Action.PERSON_LIST, _get("/api/v1/persons"), "list"),
    Probe("POST", "/api/v1/persons", Action.PERSON_CREATE, _create_person, "create"),
    Probe("GET", "/api/v1/cases/{case_id}", Action.CASE_READ, _get("/api/v1/cases/{case}"), "read"),
    Probe("GET", "/api/v1/cases", Action.CASE_LIST, _get("/api/v1/cases"), "list"),
    Probe("POST", "/api/v1/cases", Action.CASE_CREATE, _create_case, "create_case"),
    Probe("GET", "/api/v1/cases/{case_id}/actions", Action.JOURNAL_READ, _get("/api/v1/cases/{case}/actions"), "read"),
    Probe("POST", "/api/v1/cases/{case_id}/actions", Action.APPEND_APPLICANT_ACTION,
          _append("consular_consent", lambda w: {"state": NATIONALITY, "granted": True}), "append"),
    Probe("POST", "/api/v1/cases/{case_id}/actions", Action.APPEND_STAFF_ACTION,
          _append("note", lambda w: {"text": "matrix note"}), "append"),
    Probe("POST", "/api/v1/cases/{case_id}/actions", Action.ASSIGN, _append("assign", _assignee), "append"),
    Probe("GET", "/api/v1/me", Action.USER_READ_SELF, _get("/api/v1/me"), "self"),
    # Regularization (issue 4).
    Probe("GET", "/api/v1/queue", Action.QUEUE_READ, _get("/api/v1/queue"), "list"),
    Probe("POST", "/api/v1/applications", Action.APPLICATION_FILE, _file, "create", (201, 409)),
    Probe("POST", "/api/v1/cases/{case_id}/evidence", Action.EVIDENCE_ADD, _upload, "append"),
    Probe("GET", "/api/v1/cases/{case_id}/evidence", Action.EVIDENCE_READ, _get("/api/v1/cases/{case}/evidence"), "append"),
    Probe("GET", "/api/v1/cases/{case_id}/evidence/{sha256}", Action.EVIDENCE_READ,
          lambda w, h: w.client.get(f"/api/v1/cases/{w.case_id}/evidence/{w.evidence_sha}", headers=h), "append"),
    Probe("GET", "/api/v1/cases/{case_id}/certificate.pdf", Action.CERTIFICATE_READ, _get("/api/v1/cases/{case}/certificate.pdf"), "append"),
    Probe("POST", "/api/v1/cases/{case_id}/request-information", Action.APPEND_STAFF_ACTION,
          _post("request-information", {"message": "Send the lease.", "due_date": "2099-12-31"}), "append", (201, 409)),
    Probe("POST", "/api/v1/cases/{case_id}/decision", Action.DECISION_PROPOSE,
          _post("decision", {"outcome": "refuse"}), "append", (409,)),
    Probe("POST", "/api/v1/cases/{case_id}/signoff", Action.DECISION_SIGNOFF, _post("signoff", None), "append", (409,)),
    Probe("POST", "/api/v1/cases/{case_id}/appeal", Action.APPEAL_FILE, _post("appeal", {"grounds": "matrix"}), "append", (409,)),
    Probe("POST", "/api/v1/cases/{case_id}/employer-invitations", Action.EMPLOYER_INVITATION_CREATE,
          _post("employer-invitations", {"employer_name": "Matrix SA", "work_description": "Work", "worked_from": "2024-01-01"}), "append"),
    Probe("POST", "/api/v1/programmes", Action.PROGRAMME_PUBLISH,
          lambda w, h: w.client.post("/api/v1/programmes", headers=h, json={"document": MATRIX_PROGRAMME}), "create"),
]
#: Routes anyone may call: they touch no personal data.
PUBLIC = {
    ("GET", "/api/v1/health"), ("POST", "/api/v1/auth/token"), ("POST", "/api/v1/auth/logout"),
    # Regularization: public programme information and keys, self-registration, and the employer's
    # invitation, reached only through its unguessable token (tests/regularization checks what it shows).
    ("POST", "/api/v1/auth/register"), ("GET", "/api/v1/programmes"), ("GET", "/api/v1/programmes/{programme_id}"),
    ("GET", "/api/v1/certificate-keys"), ("GET", "/api/v1/employer-invitations/{token}"), ("POST", "/api/v1/employer-invitations/{token}"),
}


def test_every_route_is_in_the_matrix(world: World) -> None:
    """Read from the published OpenAPI document, so the matrix covers exactly the API clients see."""
    document = world.client.get("/api/v1/openapi.json").json()
    routes = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        if path.startswith("/api/v1")
        for method in operations
    }
    covered = {(p.method, p.path) for p in PROBES} | PUBLIC
    assert routes - covered == set(), "routes without a row in the authorization matrix"
    assert covered - routes == set(), "matrix rows for routes that no longer exist"
    for probe in PROBES:
        declared = document["paths"][probe.path][probe.method.lower()].get("x-amparo-permission", "")
        assert probe.action.value in declared, f"{probe.method} {probe.path} does not declare {probe.action.value}"


def _expected(world: World, cell: Cell, probe: Probe) -> bool:
    held = world.held[cell.id]
    if probe.action in (Action.PERSON_CREATE, Action.CASE_CREATE, Action.PROGRAMME_PUBLISH):
        # Creating relates the user to the target jurisdiction, not to an existing record.
        held = frozenset({Relation.SAME_JURISDICTION}) if Relation.SAME_JURISDICTION in held else frozenset({Relation.NONE})
    if probe.action is Action.USER_READ_SELF:
        held = frozenset({Relation.NONE})
    return allows(cell.role, probe.action, held)


@pytest.mark.parametrize("probe", PROBES, ids=lambda p: f"{p.method} {p.path} [{p.action.value}]")
@pytest.mark.parametrize("cell", CELLS, ids=lambda c: c.id)
def test_matrix(world: World, cell: Cell, probe: Probe) -> None:
    _as_cell(world, cell)
    assert cell.relation in {r.value for r in world.held[cell.id]} or cell.relation.startswith(("none", "consulate_without")), (
        f"the world did not put {cell.id} in relation {cell.relation}: {world.held[cell.id]}"
    )
    allowed = _expected(world, cell, probe)
    response = probe.call(world, world.headers[cell.id])
    # Evidence files and certificates answer with their bytes; everything else with JSON.
    body = response.json() if response.headers.get("content-type", "").startswith("application/json") else response.headers.get("content-type")
    if probe.kind == "list":
        if allows(cell.role, probe.action, set(Relation)):
            assert response.status_code == 200, body
            ids = {item.get("id", item.get("case_id")) for item in body["items"]}
            target = world.person_id if "persons" in probe.path else world.case_id
            assert (target in ids) == allowed, f"{cell.id}: record {'missing from' if allowed else 'leaked into'} the list"
        else:
            assert not allowed
            assert response.status_code == 403, body
        return
    if allowed:
        assert response.status_code in probe.allowed_status, body
        return
    # A record the user may not know exists answers 404; one they may see but not act on, 403.
    seen_through = {"append": Action.CASE_READ, "create_case": Action.PERSON_READ}.get(probe.kind)
    hidden = probe.kind == "read" or (seen_through is not None and not allows(cell.role, seen_through, world.held[cell.id]))
    assert response.status_code == (404 if hidden else 403), body
    assert world.names[1] not in response.text


@pytest.mark.parametrize("probe", PROBES, ids=lambda p: f"{p.method} {p.path} [{p.action.value}]")
def test_firewall_enforcement_reaches_nothing(world: World, probe: Probe) -> None:
    """Whatever its relation, the enforcement officer gets no personal or case data from any route."""
    for cell in (c for c in CELLS if c.role is Role.ENFORCEMENT_OFFICER):
        response = probe.call(world, world.headers[cell.id])
        if probe.action is Action.USER_READ_SELF:
            assert response.status_code == 200
            continue
        assert response.status_code in (403, 404), response.text
        assert world.names[1] not in response.text
        assert world.names[0] not in response.text
