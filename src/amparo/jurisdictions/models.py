"""The jurisdiction table: one row per State running a programme on this deployment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from amparo.db.base import Base
from amparo.db.compat import UTCDateTime, utcnow


class Jurisdiction(Base):
    __tablename__ = "jurisdictions"

    #: ISO 3166-1 alpha-3 code of the State, e.g. "ARG" (validated against pycountry on creation).
    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
