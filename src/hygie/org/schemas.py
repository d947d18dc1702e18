"""Shapes of establishments and groups at the edges (CLI, API, demo)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hygie.org.finess import finess_problem
from hygie.org.models import EstablishmentKind


class EstablishmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    finess: str
    kind: EstablishmentKind
    beds: int = Field(default=0, ge=0)
    staff: int = Field(default=0, ge=0)
    annual_budget: int = Field(default=0, ge=0, description="Euros per year")
    it_budget: int = Field(default=0, ge=0, description="Euros per year")
    security_budget: int | None = Field(default=None, ge=0, description="Euros per year spent on security")
    balance_sheet_total: int | None = Field(default=None, ge=0)
    nis2_designated: bool = False
    group: str | None = Field(default=None, description="Name of the GHT, created if new")

    @field_validator("finess")
    @classmethod
    def _check_finess(cls, value: str) -> str:
        value = value.strip().upper()
        problem = finess_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class EstablishmentUpdate(BaseModel):
    """The fields to change; those left out keep their value."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: EstablishmentKind | None = None
    beds: int | None = Field(default=None, ge=0)
    staff: int | None = Field(default=None, ge=0)
    annual_budget: int | None = Field(default=None, ge=0)
    it_budget: int | None = Field(default=None, ge=0)
    security_budget: int | None = Field(default=None, ge=0)
    balance_sheet_total: int | None = Field(default=None, ge=0)
    nis2_designated: bool | None = None
    group: str | None = None


class Nis2Category(StrEnum):
    ESSENTIAL = "essential"
    IMPORTANT = "important"
    OUT_OF_SCOPE = "out_of_scope"


class Nis2Status(BaseModel):
    category: Nis2Category
    reasons: list[str]


class EstablishmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    finess: str
    kind: EstablishmentKind
    beds: int
    staff: int
    annual_budget: int
    it_budget: int
    security_budget: int | None
    group_id: int | None
