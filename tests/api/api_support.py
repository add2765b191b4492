"""Helpers for API tests: an app on a real, committed database and token sign-in."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from amparo.api.app import create_app
from amparo.config import Settings
from builders import PASSWORD


def make_client(engine: Engine, data_dir: Path, **settings: object) -> TestClient:
    url = engine.url.render_as_string(hide_password=False)
    app = create_app(Settings(database_url=url, data_dir=data_dir, environment="test", secret_key="t" * 40, **settings), engine)
    return TestClient(app, raise_server_exceptions=False)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
