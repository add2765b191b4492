"""`amparo serve` keeps request lines (with their search terms) out of its log unless asked.

A real server process on a migrated SQLite file: a name search is sent, the process is stopped and
its output read. With `--access-log` the request line is there (so the search would have been seen),
without it the name appears nowhere.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from amparo.db.engine import make_engine
from amparo.db.migrations import upgrade

NAME = "Quispezzyx"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve_and_search(tmp_path: Path, *flags: str) -> str:
    """Start `amparo serve`, search cases by NAME (unauthenticated: a 401 is still a logged request),
    stop the server and return everything it printed."""
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    if not (tmp_path / "serve.db").exists():
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
    port = _free_port()
    env = {**os.environ, "AMPARO_DATABASE_URL": url, "AMPARO_DATA_DIR": str(tmp_path / "data"), "AMPARO_ENVIRONMENT": "test",
           "AMPARO_SECRET_KEY": "serve-log-test-secret-" + "x" * 24}
    process = subprocess.Popen([sys.executable, "-m", "amparo", "serve", "--host", "127.0.0.1", "--port", str(port), *flags],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start: {process.stdout.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/cases", params={"q": NAME}, timeout=5).status_code == 401
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
    return output.decode()


def test_a_searched_name_is_not_in_the_server_log_unless_the_access_log_is_asked_for(tmp_path: Path) -> None:
    with_log = _serve_and_search(tmp_path, "--access-log")
    assert f"q={NAME}" in with_log, with_log[-2000:]
    without = _serve_and_search(tmp_path)
    assert "Application startup complete" in without, without[-2000:]
    assert NAME not in without, without[-2000:]
