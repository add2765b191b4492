"""No web view works the database on the event loop.

A worker process serves all its requests from one event loop. A view that queried the database
there, or hashed a password (a sign-in costs ~100 ms of CPU), would hold up every other page of that
worker meanwhile, and on SQLite a view waiting on the write lock would stall them all. Views that
read a form take it as a `PostedForm` parameter and are plain functions, run in the thread pool.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

from sqlalchemy import event

from amparo.web.templating import on_event_loop
from tests.web.test_csrf import _routes
from tests.web.web_support import client_for, csrf, make_app, sign_in


def test_no_view_queries_the_database_on_the_event_loop(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    on_loop: list[str] = []
    in_threads: list[int] = []

    def watch(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ARG001
        if on_event_loop():
            on_loop.append(statement[:80])
        else:
            in_threads.append(threading.get_ident())

    event.listen(app.state.engine, "before_cursor_execute", watch)
    try:
        with client_for(app) as client:
            sign_in(client, "caseworker@arg.example")  # the sign-in itself is checked here too
            token = csrf(client.get("/staff/cases").text)
            unsafe = sorted(
                {
                    re.sub(r"\{[^}]+\}", "x", path)
                    for path, methods in _routes(app.router.routes)
                    if not path.startswith("/api/") and "POST" in methods and path != "/sign-out"
                }
            )
            assert "/staff/cases/x/decision" in unsafe and "/sign-in" in unsafe
            answered = {}
            for path in unsafe:
                answered[path] = client.post(path, data={"csrf_token": token, "anything": "1"}, follow_redirects=False).status_code
    finally:
        event.remove(app.state.engine, "before_cursor_execute", watch)
    # Every route answered with a page (none crashed), and the database was really asked.
    assert all(status < 500 for status in answered.values()), answered
    assert len(in_threads) > len(answered)
    assert not on_loop, f"statements ran on the event loop: {on_loop[:5]}"
