"""Browser harness: the real app served by uvicorn on a free localhost port, driven by Playwright in
Debian's Chromium (browser downloads do not work here, so Playwright's own browsers are never used).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from amparo.config import Settings
from tests.web.conftest import TEST_SECRET, build_app

CHROMIUM = Path(os.environ.get("AMPARO_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of the application served by uvicorn in a thread, on a migrated SQLite file."""
    import uvicorn

    folder = tmp_path_factory.mktemp("live")
    app = build_app(Settings(environment="development", secret_key=TEST_SECRET, data_dir=folder), folder / "live.db")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"uvicorn did not start on port {port}")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless; skips with the reason when it is not installed."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package (`apt-get install chromium`)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install '.[test]')")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    """A fresh page in its own context (no cookies shared between tests); CSP violations recorded."""
    context = browser.new_context(locale="en-GB")
    new_page = context.new_page()
    new_page.csp_violations = []  # type: ignore[attr-defined]
    new_page.on(
        "console",
        lambda message: new_page.csp_violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    yield new_page
    context.close()


@pytest.fixture
def no_js_page(browser) -> Iterator[object]:
    """A page with JavaScript turned off, as on a locked-down or very cheap phone."""
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    new_page = context.new_page()
    yield new_page
    context.close()
