"""The ASGI application: the JSON API under /api/v1 and, when installed, the web pages."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from amparo import __version__
from amparo.api.errors import install_error_handlers
from amparo.api.limits import BodySizeLimit
from amparo.api.timing import ServerTiming
from amparo.audit.group import read_sessionmaker
from amparo.auth.passwords import configure_from as configure_passwords
from amparo.config import Settings, get_settings
from amparo.db.engine import lock_on_first_write, make_engine
from amparo.web import install as install_web

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """Build the application. Everything a process needs lives on `app.state`; nothing is global,
    so several processes behind a load balancer need agree only on the database."""
    settings = settings or get_settings()
    engine = engine or make_engine(settings.effective_database_url)

    app = FastAPI(
        title="Amparo",
        version=__version__,
        description="Rights-based migration case management. Every error has the shape "
        '`{"error": "<code>", "message": "...", "details": [...]}`.',
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    configure_passwords(settings)
    app.state.engine = engine
    # Requests that may write take SQLite's write lock at their first write, not at sign-in.
    app.state.sessionmaker = sessionmaker(lock_on_first_write(engine), expire_on_commit=False)
    app.state.read_sessionmaker = read_sessionmaker(engine)
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes, overrides=_upload_limits(settings))

    from amparo.api.routes import router

    app.include_router(router, prefix=API_PREFIX)
    install_web(app)
    if settings.server_timing:
        app.add_middleware(ServerTiming)  # added last, so outermost: it times every other layer
    return app


def _upload_limits(settings: Settings) -> dict[str, int]:
    upload_limit = getattr(settings, "max_upload_bytes", None)
    if not upload_limit:
        return {}
    return {f"{API_PREFIX}/cases/": upload_limit + 64 * 1024}
