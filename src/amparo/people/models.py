"""Person, their nationalities and the keys under which their name is found."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from amparo.db.base import Base
from amparo.jurisdictions import models as _jurisdictions  # noqa: F401  (foreign-key target must be mapped)
from amparo.db.compat import BigIntId, JSONDocument, UTCDateTime, search_key_type, utcnow
from amparo.people.names import KEY_LENGTH


class Person(Base):
    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    #: Names exactly as written in the person's documents (no splitting, no transliteration).
    given_names: Mapped[str] = mapped_column(String(200))
    family_names: Mapped[str] = mapped_column(String(200))
    #: Unknown for many people without documents: never invent one.
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    #: As in ICAO Doc 9303 travel documents: female, male, x; or unknown.
    sex: Mapped[str] = mapped_column(String(16))
    #: Languages the person understands (BCP 47 tags), first preferred: decisions must reach them.
    languages: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(500))
    jurisdiction_code: Mapped[str] = mapped_column(ForeignKey("jurisdictions.code"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    nationalities: Mapped[list[PersonNationality]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="PersonNationality.country_code"
    )

    @property
    def nationality_codes(self) -> list[str]:
        return [n.country_code for n in self.nationalities]


class PersonNationality(Base):
    """One nationality of a person (several are common; none means stateless)."""

    __tablename__ = "person_nationalities"
    __table_args__ = (
        # Consular scoping and queue filters look persons up by nationality.
        Index("ix_person_nationalities_country_code_person_id", "country_code", "person_id"),
    )

    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True)
    country_code: Mapped[str] = mapped_column(String(3), primary_key=True)


class PersonNameKey(Base):
    """One search key of a person's name (see `amparo.people.names`)."""

    __tablename__ = "person_name_keys"
    __table_args__ = (Index("ix_person_name_keys_key_person_id", "key", "person_id"),)

    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(search_key_type(KEY_LENGTH), primary_key=True)
