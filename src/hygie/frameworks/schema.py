"""Schema of the library files, validated on load.

Two kinds of file live in ``frameworks/library/`` (and in the user's library folder):

* ``kind: controls`` -- the common catalogue of Hygie controls. Each control belongs to one of
  the five dimensions and is what an assessment answers.
* ``kind: referential`` -- one referential (ANSSI hygiene guide, NIS2 art. 21, ...): its
  requirements, each mapped onto controls with a NIST OLIR relationship, so that one answer
  counts for every referential. A referential may also bring controls of its own (an imported
  referential whose requirements match nothing in the catalogue does).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Dimension(StrEnum):
    GOVERNANCE = "governance"
    TECHNICAL = "technical"
    AWARENESS = "awareness"
    CONTINUITY = "continuity"
    INCIDENT_RESPONSE = "incident_response"


class Relationship(StrEnum):
    """NIST OLIR set relationships, read as "the requirement <relationship> the control"."""

    EQUAL = "equal"  # the control is the requirement
    SUBSET = "subset"  # the requirement is a part of the control
    SUPERSET = "superset"  # the control is a part of the requirement
    INTERSECT = "intersect"  # they overlap


# A relationship is "full" when fulfilling the control alone fulfils the requirement.
FULL_RELATIONSHIPS = frozenset({Relationship.EQUAL, Relationship.SUBSET})


class Text(BaseModel):
    """A text in French and in English; both are required."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fr: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.fr


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Control(_Strict):
    id: str = Field(pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$", description="e.g. TEC-PATCH")
    dimension: Dimension
    title: Text
    question: Text = Field(description="How the control is asked in the questionnaire")
    description: Text | None = None
    weight: int = Field(default=1, ge=1, le=5, description="Weight in the dimension score")
    target: int = Field(default=3, ge=1, le=5, description="Maturity level a hospital should reach")
    essential_rank: int | None = Field(
        default=None, ge=1, description="Rank in the short path for small clinics (1 = most urgent)"
    )


class ControlCatalogue(_Strict):
    kind: Literal["controls"]
    version: str
    controls: list[Control]


class Mapping(_Strict):
    control: str
    relationship: Relationship = Relationship.EQUAL


class Tier(_Strict):
    id: str
    name: Text


class Section(_Strict):
    id: str
    title: Text


class Requirement(_Strict):
    id: str = Field(description="Official identifier, e.g. '21.2.c' or '34'")
    section: str | None = None
    title: Text
    description: Text | None = None
    tiers: list[str] = Field(default_factory=list, description="Tier ids this requirement belongs to")
    mappings: list[Mapping] = Field(min_length=1)
    unverified: bool = Field(default=False, description="Identifier or wording still to check at the source")


class Referential(_Strict):
    kind: Literal["referential"]
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: Text
    short_name: str
    version: str
    provider: str
    source: str = Field(description="Where the official text is published")
    description: Text | None = None
    tiers: list[Tier] = Field(default_factory=list)
    sections: list[Section] = Field(default_factory=list)
    controls: list[Control] = Field(
        default_factory=list, description="Controls of its own, beyond the catalogue"
    )
    requirements: list[Requirement] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_references(self) -> Referential:
        section_ids = {s.id for s in self.sections}
        tier_ids = {t.id for t in self.tiers}
        seen: set[str] = set()
        for index, requirement in enumerate(self.requirements):
            if requirement.id in seen:
                raise ValueError(f"requirements[{index}]: duplicate requirement id {requirement.id!r}")
            seen.add(requirement.id)
            if requirement.section is not None and requirement.section not in section_ids:
                raise ValueError(f"requirements[{index}]: unknown section {requirement.section!r}")
            for tier in requirement.tiers:
                if tier not in tier_ids:
                    raise ValueError(f"requirements[{index}]: unknown tier {tier!r}")
        return self
