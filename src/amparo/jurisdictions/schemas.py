"""Jurisdiction input and output shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from amparo.jurisdictions.codes import alpha3_validator

Alpha3 = Annotated[
    str,
    AfterValidator(alpha3_validator),
    Field(min_length=3, max_length=3, description="ISO 3166-1 alpha-3 country code", examples=["ARG"]),
]


class JurisdictionCreate(BaseModel):
    code: Alpha3
    name: str | None = Field(
        None, max_length=200, description="Display name; defaults to the ISO short name", examples=["Argentina"]
    )


class JurisdictionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str = Field(description="ISO 3166-1 alpha-3 country code", examples=["ARG"])
    name: str = Field(examples=["Argentina"])
    created_at: datetime
