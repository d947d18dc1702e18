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

import itertools
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


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


class MetricUnit(StrEnum):
    SHARE = "share"  # 0–1, shown as a percentage
    DAYS = "days"
    COUNT = "count"


class Metric(_Strict):
    """A figure a provider computes from the establishment's data (``<source>.<name>``)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$", description="e.g. vulns.patched_share")
    unit: MetricUnit
    title: Text


class Bound(_Strict):
    """One side of a comparison: ``at_least`` or ``at_most`` (exactly one)."""

    at_least: float | None = None
    at_most: float | None = None

    @model_validator(mode="after")
    def _one_side(self) -> Bound:
        if (self.at_least is None) == (self.at_most is None):
            raise ValueError("give exactly one of at_least and at_most")
        return self

    @property
    def value(self) -> float:
        return self.at_least if self.at_least is not None else self.at_most  # type: ignore[return-value]

    def holds(self, value: float) -> bool:
        if self.at_least is not None:
            return value >= self.at_least
        return value <= self.value


class Threshold(Bound):
    """The level a metric reaches when its bound holds (and every ``also`` bound on other metrics)."""

    level: int = Field(ge=0, le=5)
    also: dict[str, Bound] = Field(default_factory=dict)


class Staleness(_Strict):
    """What evidence older than ``fresh_days`` costs: ``minus`` levels per period of ``every_days``
    (default ``fresh_days``) beyond, and at most level ``cap`` once stale."""

    minus: int = Field(default=1, ge=0, le=5)
    every_days: int | None = Field(default=None, ge=1)
    cap: int | None = Field(default=None, ge=0, le=5)


class EvidenceRule(_Strict):
    """How a control is measured: the first threshold that holds gives the level, else ``otherwise``."""

    metric: str
    thresholds: list[Threshold] = Field(min_length=1)
    otherwise: int = Field(default=0, ge=0, le=5)
    fresh_days: int | None = Field(default=None, ge=1, description="None: the evidence does not age")
    stale: Staleness = Field(default_factory=Staleness)

    @field_validator("thresholds")
    @classmethod
    def _ordered(cls, thresholds: list[Threshold]) -> list[Threshold]:
        """Best first: levels strictly falling, bounds on one side and loosening down the list."""
        first = thresholds[0]
        for index, (before, after) in enumerate(itertools.pairwise(thresholds), start=1):
            if (after.at_least is None) != (first.at_least is None):
                raise ValueError(f"threshold {index}: mixes at_least and at_most (use one side per rule)")
            if after.level >= before.level:
                raise ValueError(
                    f"threshold {index}: level {after.level} after level {before.level} "
                    "(list the thresholds best first, levels falling)"
                )
            looser = (
                after.value <= before.value if first.at_least is not None else after.value >= before.value
            )
            if not looser:
                side = "at_least" if first.at_least is not None else "at_most"
                raise ValueError(
                    f"threshold {index}: {side} {after.value:g} is stricter than {before.value:g} above it, "
                    "so it is never reached"
                )
            if after.value == before.value and not before.also:
                raise ValueError(f"threshold {index}: same bound as the one above it, never reached")
        return thresholds

    @model_validator(mode="after")
    def _otherwise_lowest(self) -> EvidenceRule:
        if self.otherwise >= self.thresholds[-1].level:
            raise ValueError(
                f"otherwise: level {self.otherwise} is not below the last threshold's "
                f"({self.thresholds[-1].level})"
            )
        return self

    def metrics(self) -> list[str]:
        """Every metric the rule reads: its own, then those of the ``also`` bounds."""
        names = [self.metric]
        for threshold in self.thresholds:
            names += [m for m in threshold.also if m not in names]
        return names


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
    evidence: EvidenceRule | None = Field(default=None, description="How the data measure the control")


class ControlCatalogue(_Strict):
    kind: Literal["controls"]
    version: str
    metrics: list[Metric] = Field(default_factory=list, description="Figures the evidence rules may read")
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
