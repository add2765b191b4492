"""The ASGI application: the JSON API under /api/v1 and, when installed, the web pages."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from amparo import __version__
from amparo.api.errors import install_error_handlers
from amparo.api.limits import BodySizeLimit, RouteLimit
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
    from amparo.web.views.applicant_filing import too_large_message

    app.add_middleware(
        BodySizeLimit, max_bytes=settings.max_body_bytes, routes=upload_limits(settings), explain=too_large_message
    )

    from amparo.api.routes import router

    app.include_router(router, prefix=API_PREFIX)
    install_web(app)
    if settings.server_timing:
        app.add_middleware(ServerTiming)  # added last, so outermost: it times every other layer
    return app


#: Room in an upload's body for the form's other fields and the multipart framing.
FORM_FIELDS_ROOM = 64 * 1024

#: The web forms that carry an evidence file (a photo or a PDF, up to `max_upload_bytes`): the route
#: each is sent to, and the page that shows it (the same path parameters) to show it again when what
#: was sent is too large. `tests/web/test_upload_limits.py` fails if a form with a file is missing.
EVIDENCE_FORMS: dict[str, str] = {
    "/my/cases/{number}/evidence": "/my/cases/{number}",
    "/my/apply": "/my/apply",
    "/my/drafts/{draft_id}/review": "/my/drafts/{draft_id}/review",
}
#: Web forms with a file that is not evidence. A programme document is read up to 200,000 bytes
#: (`web.views.admin.MAX_DOCUMENT`), pasted or as a file: both fit in `max_body_bytes`, which they keep.
DOCUMENT_FORMS: dict[str, str] = {"/admin/programmes": "/admin/programmes"}


def upload_limits(settings: Settings) -> list[RouteLimit]:
    """The routes whose body limit is not `max_body_bytes`, or that show their form again when refused."""
    documents = [RouteLimit(path, settings.max_body_bytes, form_page=page) for path, page in DOCUMENT_FORMS.items()]
    upload_limit = getattr(settings, "max_upload_bytes", None)
    if not upload_limit:
        return documents
    body_limit = upload_limit + FORM_FIELDS_ROOM
    return [
        RouteLimit(f"{API_PREFIX}/cases/{{rest:path}}", body_limit),
        *(RouteLimit(path, body_limit, file_bytes=upload_limit, form_page=page) for path, page in EVIDENCE_FORMS.items()),
        *documents,
    ]
