"""Sessions and the transaction edge.

Services flush and never commit; the edge (an HTTP request, a CLI command, a background job) opens one
`session_scope()` and commits once, so one use case is one transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from amparo.db.engine import make_engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to `engine`. Objects stay readable after commit (the edge renders them)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@lru_cache(maxsize=4)
def default_engine(url: str | None = None) -> Engine:
    """The process's engine for `url`, or for the configured database when `url` is None."""
    if url is None:
        from amparo.config import get_settings

        url = get_settings().effective_database_url
    return make_engine(url)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """One transaction: commit when the block ends normally, roll back when it raises.

    Example:
        with session_scope(engine) as session:
            person = people_service.create_person(session, actor, data, purpose="intake")
    """
    session = make_sessionmaker(engine or default_engine())()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
