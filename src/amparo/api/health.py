"""Liveness and readiness in one: the process answers and the database answers."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text

from amparo import __version__
from amparo.api.deps import Db

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    database: str
    version: str


@router.get("/health", response_model=Health, summary="Is the service up and its database reachable?")
def health(db: Db) -> Health:
    db.execute(text("SELECT 1"))
    return Health(status="ok", database=db.get_bind().dialect.name, version=__version__)
