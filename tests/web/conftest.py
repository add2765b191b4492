"""Fixtures for the web pages: the real application (`create_app`) on a migrated SQLite file, and
an HTML parser."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from lxml import html as lxml_html

from amparo.config import Settings

TEST_SECRET = "web-tests-secret-key-that-is-long-enough-0123456789"


def build_app(settings: Settings, database: Path | str) -> FastAPI:
    """The application under test on a fresh database (a SQLite file's path, or a database URL),
    migrated as in production."""
    from amparo.db.engine import make_engine
    from amparo.db.migrations import upgrade

    engine = make_engine(database if isinstance(database, str) else f"sqlite:///{database}")
    upgrade(engine)
    from amparo.api.app import create_app

    return create_app(settings, engine=engine)


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """One app for the whole session (its pages only read); each test gets its own client and cookies."""
    folder = tmp_path_factory.mktemp("web")
    return build_app(Settings(environment="development", secret_key=TEST_SECRET, data_dir=folder), folder / "web.db")


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, headers={"accept": "text/html"}, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def production_client(tmp_path: Path) -> Iterator[TestClient]:
    """A client of an app configured for production (HTTPS-only cookies, HSTS)."""
    settings = Settings(environment="production", secret_key=TEST_SECRET, data_dir=tmp_path)
    app = build_app(settings, tmp_path / "prod.db")
    with TestClient(app, base_url="https://testserver", headers={"accept": "text/html"}) as test_client:
        yield test_client


def parse(text: str) -> Any:
    """The page as an lxml tree."""
    return lxml_html.document_fromstring(text)


def csrf_from(page_text: str) -> str:
    """The CSRF token of the first form on a page."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', page_text)
    assert match, "the page has no CSRF field"
    return match.group(1)
