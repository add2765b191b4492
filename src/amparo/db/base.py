"""The declarative base every model inherits.

Constraint names follow one convention so that Alembic can name, compare and (on SQLite, by copying
the table) alter them; unnamed constraints cannot be dropped portably.
"""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every Amparo model. Relationships are declared `lazy="raise"` so every load is explicit."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def import_all_models() -> MetaData:
    """Import every `amparo.<domain>.models` module so that `Base.metadata` knows every table.

    Alembic's environment and the drift test need the whole schema; discovering the modules keeps a
    new domain from having to register itself anywhere.
    """
    import importlib
    from pathlib import Path

    import amparo

    for root in amparo.__path__:
        for models_file in sorted(Path(root).glob("*/models.py")):
            importlib.import_module(f"amparo.{models_file.parent.name}.models")
    for module in MODELS_ELSEWHERE:
        importlib.import_module(module)
    return Base.metadata


#: Modules that define tables outside a `models.py` (kept beside the one service that uses them).
MODELS_ELSEWHERE = ("amparo.regularization.drafts",)
