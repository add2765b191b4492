"""No acknowledged action is lost when the server process is killed with SIGKILL.

A real uvicorn process serves a real database; client threads append actions in a loop and remember
every one answered 201; the process is killed mid-stream with SIGKILL, restarted, and every
acknowledged action must be in the journal, with the sequence number it was acknowledged with.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session

from amparo.auth.policy import Role
from amparo.db.engine import make_engine
from builders import PASSWORD, force_assign, make_case, make_person, make_user

WRITERS = 4
KILL_AFTER_SECONDS = 3.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_server(url: str, data_dir: Path, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "AMPARO_DATABASE_URL": url,
        "AMPARO_DATA_DIR": str(data_dir),
        "AMPARO_ENVIRONMENT": "test",
        "AMPARO_SECRET_KEY": "durability-test-secret-" + "x" * 24,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "amparo.api.app:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {process.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not answer /api/v1/health within 60 s")


def _writer(base: str, headers: dict[str, str], case_id: int, acknowledged: list, stop: threading.Event) -> None:
    with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
        version = client.get(f"/api/v1/cases/{case_id}").json()["version"]
        n = 0
        while not stop.is_set() and n < 100_000:
            n += 1
            text = f"case {case_id} note {n}"
            try:
                response = client.post(
                    f"/api/v1/cases/{case_id}/actions",
                    json={"expected_version": version, "action": {"type": "note", "payload": {"text": text}}},
                )
            except httpx.TransportError:
                return  # the server is gone: whatever was not answered was never acknowledged
            if response.status_code != 201:
                return
            seq = response.json()["seq"]
            acknowledged.append((case_id, seq, text))
            version = seq


@pytest.mark.slow
def test_sigkill_loses_no_acknowledged_action(fresh_engine, fresh_database_url: str, tmp_path: Path) -> None:
    with Session(fresh_engine, expire_on_commit=False) as session:
        worker = make_user(session, Role.CASEWORKER, "ARG")
        cases = [make_case(session, make_person(session, "ARG")) for _ in range(WRITERS)]
        for case in cases:
            force_assign(session, case, worker.id)
        session.commit()
        username, case_ids = worker.username, [case.id for case in cases]
    fresh_engine.dispose()

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _start_server(fresh_database_url, tmp_path, port)
    try:
        token = httpx.post(f"{base}/api/v1/auth/token", data={"username": username, "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        acknowledged: list[tuple[int, int, str]] = []
        stop = threading.Event()
        threads = [
            threading.Thread(target=_writer, args=(base, headers, case_id, acknowledged, stop)) for case_id in case_ids
        ]
        for thread in threads:
            thread.start()
        time.sleep(KILL_AFTER_SECONDS)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
    assert len(acknowledged) >= WRITERS, "the writers were not running when the server was killed"

    restarted = _start_server(fresh_database_url, tmp_path, port)
    try:
        token = httpx.post(f"{base}/api/v1/auth/token", data={"username": username, "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        journal = {}
        for case_id in case_ids:
            for action in httpx.get(f"{base}/api/v1/cases/{case_id}/actions", headers=headers).json():
                if action["type"] == "note":
                    journal[(case_id, action["seq"])] = action["payload"]["text"]
    finally:
        restarted.kill()
        restarted.wait(timeout=30)
    lost = [(case_id, seq, text) for case_id, seq, text in acknowledged if journal.get((case_id, seq)) != text]
    assert lost == [], f"{len(lost)} of {len(acknowledged)} acknowledged actions are missing after SIGKILL"
