"""Person input and output shapes (the API uses them as request and response models)."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from amparo.jurisdictions.schemas import Alpha3

_LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


class Sex(StrEnum):
    """As recorded in ICAO Doc 9303 travel documents (F, M, X), plus unknown."""

    FEMALE = "female"
    MALE = "male"
    X = "x"
    UNKNOWN = "unknown"


def _language_tag(value: str) -> str:
    if not _LANGUAGE_TAG.match(value):
        raise ValueError("a BCP 47 language tag such as 'es', 'ar' or 'pt-BR'")
    return value


def _not_in_future(value: date | None) -> date | None:
    if value is not None and value > date.today():
        raise ValueError("a date of birth that is not in the future")
    return value


def _names(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("a name as written in the person's document (not blank)")
    return value


LanguageTag = Annotated[str, AfterValidator(_language_tag)]
Name = Annotated[str, AfterValidator(_names), Field(max_length=200)]


class PersonCreate(BaseModel):
    """A person as their documents describe them."""

    model_config = ConfigDict(extra="forbid")

    given_names: Name = Field(description="Given names exactly as written in the document.", examples=["José María"])
    family_names: Name = Field(description="Family names exactly as written in the document.", examples=["García López"])
    date_of_birth: Annotated[date | None, AfterValidator(_not_in_future)] = Field(
        None, description="Leave empty when unknown; never guess.", examples=["1990-04-17"]
    )
    sex: Sex = Field(Sex.UNKNOWN, description="As in the travel document: female, male, x; or unknown.")
    nationalities: list[Alpha3] = Field(
        default_factory=list,
        max_length=10,
        description="Every nationality (ISO 3166-1 alpha-3); empty for a stateless person.",
        examples=[["VEN", "COL"]],
    )
    languages: list[LanguageTag] = Field(
        default_factory=list, max_length=10, description="Languages understood, preferred first.", examples=[["es", "en"]]
    )
    email: str | None = Field(None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$", examples=["jose@example.org"])
    phone: str | None = Field(None, max_length=32, pattern=r"^\+?[0-9 ()./-]{4,31}$", examples=["+54 11 5555 0101"])
    address: str | None = Field(None, max_length=500, examples=["Av. Corrientes 1234, Buenos Aires"])
    jurisdiction_code: Alpha3 = Field(description="The jurisdiction whose programme holds this record.")

    @field_validator("nationalities")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("each nationality once")
        return sorted(value)


class PersonRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int = Field(examples=[42])
    given_names: str = Field(examples=["José María"])
    family_names: str = Field(examples=["García López"])
    date_of_birth: date | None = Field(examples=["1990-04-17"])
    sex: Sex
    nationalities: list[str] = Field(examples=[["COL", "VEN"]])
    languages: list[str] = Field(examples=[["es"]])
    email: str | None
    phone: str | None
    address: str | None
    jurisdiction_code: str = Field(examples=["ARG"])
    created_at: datetime

    @field_validator("nationalities", mode="before")
    @classmethod
    def _codes(cls, value: Any) -> Any:
        return [getattr(item, "country_code", item) for item in value]


class PersonFilters(BaseModel):
    """Filters for listing persons; all optional and combined with AND."""

    model_config = ConfigDict(extra="forbid")

    q: str | None = Field(None, max_length=120, description="Prefix of any of the person's names (accents and case ignored).", examples=["garcia lo"])
    jurisdiction: Alpha3 | None = Field(None, description="Only persons of this jurisdiction.")
    nationality: Alpha3 | None = Field(None, description="Only persons holding this nationality.")
