"""Shapes of the assessment at the edges: answers given, scores computed, comparisons.

These are plain Pydantic models with no database behind them: ``scoring`` computes them from a
``Mapping[str, AnswerValue]``, the CLI, the web pages, the reports and the action plan read them.
Scores and percentages are on a 0–100 scale.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hygie.frameworks.schema import Dimension, Text

MIN_LEVEL = 0
MAX_LEVEL = 5


class CampaignPath(StrEnum):
    SHORT = "short"  # the essential controls, most urgent first: small clinics
    FULL = "full"  # every control of the catalogue


class CampaignStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class AnswerStatus(StrEnum):
    LEVEL = "level"  # a maturity level 0..5 is given
    ALTERNATIVE = "alternative"  # a justified compensating measure: counts as reaching the target
    NOT_APPLICABLE = "not_applicable"  # justified: excluded from every score
    UNKNOWN = "unknown"  # "I don't know": excluded, listed as a knowledge gap


# Statuses that must come with a justification.
JUSTIFIED_STATUSES = frozenset({AnswerStatus.ALTERNATIVE, AnswerStatus.NOT_APPLICABLE})


class RequirementStatus(StrEnum):
    COMPLIANT = "compliant"
    PARTIAL = "partial"
    NON_COMPLIANT = "non_compliant"
    NOT_APPLICABLE = "not_applicable"
    NOT_ASSESSED = "not_assessed"


class EvidenceKind(StrEnum):
    LINK = "link"
    FILE = "file"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AnswerValue(_Frozen):
    """What scoring needs of an answer: its status and, for ``level``, the level 0..5."""

    status: AnswerStatus
    level: int | None = Field(default=None, ge=MIN_LEVEL, le=MAX_LEVEL)

    @model_validator(mode="after")
    def _level_only_with_status_level(self) -> AnswerValue:
        if self.status == AnswerStatus.LEVEL and self.level is None:
            raise ValueError("status 'level' needs a level 0..5")
        if self.status != AnswerStatus.LEVEL and self.level is not None:
            raise ValueError(f"a level is given only with status 'level', not {self.status.value!r}")
        return self

    @classmethod
    def of_level(cls, level: int) -> AnswerValue:
        return cls(status=AnswerStatus.LEVEL, level=level)


class AnswerIn(AnswerValue):
    """An answer as a user gives it. Alternative and not-applicable answers must be justified."""

    justification: str | None = Field(default=None, max_length=4000)
    comment: str | None = Field(default=None, max_length=4000)

    @field_validator("justification", "comment", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    @model_validator(mode="after")
    def _justified(self) -> AnswerIn:
        if self.status in JUSTIFIED_STATUSES and self.justification is None:
            raise ValueError(f"a justification is mandatory for status {self.status.value!r}")
        return self

    def value(self) -> AnswerValue:
        return AnswerValue(status=self.status, level=self.level)


class CampaignOut(_Frozen):
    model_config = ConfigDict(extra="forbid", frozen=True, from_attributes=True)

    id: int
    establishment_id: int
    name: str
    assessed_on: dt.date
    path: CampaignPath
    status: CampaignStatus
    created_at: dt.datetime


class EvidenceOut(_Frozen):
    model_config = ConfigDict(extra="forbid", frozen=True, from_attributes=True)

    id: int
    kind: EvidenceKind
    url: str | None
    name: str | None
    size: int | None
    sha256: str | None
    content_type: str | None
    added_by: str
    added_at: dt.datetime


class AnswerOut(_Frozen):
    model_config = ConfigDict(extra="forbid", frozen=True, from_attributes=True)

    control_id: str
    status: AnswerStatus
    level: int | None
    justification: str | None
    comment: str | None
    answered_by: str
    answered_at: dt.datetime
    evidence: list[EvidenceOut] = Field(default_factory=list)


# --- Scores -------------------------------------------------------------------------------------


class DimensionResult(_Frozen):
    dimension: Dimension
    score: float | None = Field(ge=0, le=100, description="None when no control of the dimension is scored")
    scored: int = Field(ge=0, description="Controls that count in the score")
    total: int = Field(ge=0, description="Controls of the dimension in scope")


class RequirementResult(_Frozen):
    id: str
    status: RequirementStatus
    degree: float | None = Field(ge=0, le=1, description="None when not applicable or not assessed")


class TierCompliance(_Frozen):
    tier: str
    name: Text
    percent: float | None = Field(ge=0, le=100)
    compliant: int = Field(ge=0)
    partial: int = Field(ge=0)
    non_compliant: int = Field(ge=0)
    not_applicable: int = Field(ge=0)
    not_assessed: int = Field(ge=0)


class ReferentialResult(_Frozen):
    id: str
    short_name: str
    name: Text
    percent: float | None = Field(ge=0, le=100, description="None when no requirement is assessed")
    compliant: int = Field(ge=0)
    partial: int = Field(ge=0)
    non_compliant: int = Field(ge=0)
    not_applicable: int = Field(ge=0)
    not_assessed: int = Field(ge=0)
    not_assessed_ids: list[str] = Field(default_factory=list)
    per_tier: list[TierCompliance] = Field(default_factory=list)
    requirements: list[RequirementResult] = Field(default_factory=list)
    rule: Text


class MaturityScore(_Frozen):
    dimensions: list[DimensionResult]
    global_index: float | None = Field(ge=0, le=100, description="Mean of the dimension scores")
    referentials: list[ReferentialResult]
    knowledge_gaps: list[str] = Field(description="Controls answered 'I don't know'")
    levels: dict[str, int] = Field(description="Level used for each scored control")
    answered: int = Field(ge=0)
    in_scope: int = Field(ge=0)
    completion: float = Field(ge=0, le=100, description="Percent of the controls in scope answered")

    def dimension(self, dimension: Dimension) -> DimensionResult:
        return next(d for d in self.dimensions if d.dimension == dimension)

    def referential(self, referential_id: str) -> ReferentialResult:
        return next(r for r in self.referentials if r.id == referential_id)


class MeasuredScore(_Frozen):
    """The maturity with the measured levels in place of the declared ones wherever evidence exists,
    shown beside the declared index (which it never replaces)."""

    dimensions: list[DimensionResult]
    global_index: float | None = Field(ge=0, le=100, description="Mean of the dimension scores")
    levels: dict[str, int] = Field(description="Level used for each scored control, measured where possible")
    measured: list[str] = Field(description="Controls whose level comes from the evidence")


class MeasuredOut(_Frozen):
    """A control the evidence speaks to: what was declared, what the data show, and why."""

    control_id: str
    title: Text | None = Field(default=None, description="The control's title")
    declared: int | None = Field(
        description="Declared level (latest campaign, actions done since); None: not scored"
    )
    measured: int = Field(ge=0, le=5, description="Level measured from the data, staleness counted")
    gap: bool = Field(description="The declaration is at least 2 levels above the measure")
    rule_level: int | None = Field(description="Level the thresholds give, before staleness")
    metric: str | None = Field(description="The metric read (controls.yaml, metrics)")
    value: float | None = Field(description="Its value (a share between 0 and 1, days or a count)")
    basis: Text = Field(description="Why, in words")
    rule: Text | None = Field(description="The rule of the control catalogue that maps the metric to a level")
    items: list[Text] = Field(description="The evidence listed")
    source: str = Field(description="The domain the facts come from")
    measured_at: dt.date = Field(description="The date of the facts")
    stale: bool = Field(description="Older than the rule's fresh_days: counts for less")


class EvidenceReport(_Frozen):
    """Declared and measured, side by side: the indices and every control the evidence speaks to."""

    campaign_id: int | None = Field(description="The campaign declared (None: no campaign yet)")
    declared_index: float | None = Field(description="Global index of the declared levels")
    measured_index: float | None = Field(description="Global index with the measured levels in place")
    measured_dimensions: list[DimensionResult]
    controls: list[MeasuredOut]


class Delta(_Frozen):
    before: float | None
    after: float | None
    delta: float | None = Field(description="after − before; None when either is missing")


class DimensionDelta(Delta):
    dimension: Dimension


class ReferentialDelta(Delta):
    id: str
    short_name: str


class LevelChange(_Frozen):
    control_id: str
    before: int | None
    after: int | None


class ScoreComparison(_Frozen):
    global_index: Delta
    dimensions: list[DimensionDelta]
    referentials: list[ReferentialDelta]
    completion: Delta
    raised: list[LevelChange] = Field(description="Controls scored in both whose level rose")
    lowered: list[LevelChange] = Field(description="Controls scored in both whose level fell")
    newly_scored: list[LevelChange] = Field(description="Controls scored after only")
    no_longer_scored: list[LevelChange] = Field(description="Controls scored before only")


class ImportResult(_Frozen):
    recorded: int = Field(ge=0, description="Answers created or changed")
    unchanged: int = Field(ge=0)
    blank: int = Field(ge=0, description="Rows left without an answer")
