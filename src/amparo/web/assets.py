"""Static assets served under versioned URLs, so browsers may cache them for a year.

`static_url("amparo.css")` is `/static/<first 12 hex of its SHA-256>/amparo.css`. A new release changes
the hash and so the URL; a phone on a slow link downloads the stylesheet once, not on every page.
"""

from __future__ import annotations

import hashlib
import os
import re
from functools import lru_cache
from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PREFIX = "/static"
#: Versioned URLs never change content, so they may be kept for a year without revalidation.
IMMUTABLE = "public, max-age=31536000, immutable"
_VERSION = re.compile(r"^[0-9a-f]{12}$")


@lru_cache(maxsize=None)
def asset_version(name: str) -> str:
    """The first 12 hex digits of the SHA-256 of the asset's bytes."""
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]


def static_url(name: str) -> str:
    """The versioned URL of the static file `name` (a path relative to the static folder)."""
    return f"{STATIC_PREFIX}/{asset_version(name)}/{name}"


class VersionedStaticFiles(StaticFiles):
    """Serves `/static/<version>/<name>` from the static folder with year-long cache headers.

    A version that is not the current one still gets the file (a page rendered by an older process
    during a rolling deploy must keep its style), but with a short cache lifetime, so a stale copy
    is never pinned for a year under that URL.
    """

    def get_path(self, scope: Scope) -> str:
        path = super().get_path(scope)
        parts = path.split(os.sep, 1)
        if len(parts) == 2 and _VERSION.match(parts[0]):
            scope["amparo_asset_version"] = parts[0]
            return parts[1]
        return path

    def file_response(self, full_path, stat_result, scope, status_code=200) -> Response:  # type: ignore[no-untyped-def]
        response = super().file_response(full_path, stat_result, scope, status_code)
        requested = scope.get("amparo_asset_version")
        try:
            name = Path(full_path).resolve().relative_to(STATIC_DIR.resolve()).as_posix()
            current = asset_version(name)
        except (ValueError, OSError):
            current = None
        if requested and requested == current:
            response.headers["Cache-Control"] = IMMUTABLE
        else:
            response.headers["Cache-Control"] = "public, max-age=300"
        return response
