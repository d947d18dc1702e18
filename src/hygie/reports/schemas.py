"""The data a maturity report is rendered from.

``MaturityReport`` is a plain snapshot: every figure is already computed (by ``hygie.assess.scoring``
and ``hygie.plan``) and every free text is already in the report's language. The templates only lay it
out and translate the fixed vocabulary (dimensions, statuses, severities, NIS2 categories), so the same
snapshot renders in French and in English. Scores and percentages are on a 0–100 scale, amounts in
whole euros, workloads in person-days.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from hygie.frameworks.schema import Dimension
from hygie.org.schemas import Nis2Category
from hygie.plan.models import ActionStatus, Severity

Score = float  # 0–100


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AnswerStatus(StrEnum):
    ANSWERED = "answered"
    UNKNOWN = "unknown"  # "I don't know": a knowledge gap
    NOT_APPLICABLE = "not_applicable"
    NOT_ASSESSED = "not_assessed"


class RequirementStatus(StrEnum):
    COMPLIANT = "compliant"
    PARTIAL = "partial"
    NON_COMPLIANT = "non_compliant"
    NOT_ASSESSED = "not_assessed"


class BudgetVerdict(StrEnum):
    BELOW = "below"
    WITHIN = "within"
    ABOVE = "above"
    UNKNOWN = "unknown"


class EstablishmentInfo(_Model):
    name: str
    finess: str
    kind: str = Field(description="EstablishmentKind value (chu, ch, clinic, ...)")
    beds: int = Field(ge=0)
    nis2_category: Nis2Category
    nis2_reasons: list[str] = Field(default_factory=list)


class CampaignInfo(_Model):
    name: str
    date: dt.date
    path: str = Field(description="'full' questionnaire or 'short' essential path")
    completion: Score = Field(ge=0, le=100, description="Share of controls answered")


class CampaignPoint(_Model):
    """One past (or the current) campaign on the trend line of the global index."""

    name: str
    date: dt.date
    global_index: Score = Field(ge=0, le=100)


class DimensionScore(_Model):
    dimension: Dimension
    label: str | None = Field(default=None, description="Overrides the translated dimension name")
    score: Score | None = Field(ge=0, le=100, description="None when no control of the dimension is scored")
    previous_score: Score | None = Field(default=None, ge=0, le=100)


class ReferentialCompliance(_Model):
    id: str
    name: str
    percent: Score = Field(ge=0, le=100)
    previous_percent: Score | None = Field(default=None, ge=0, le=100)
    compliant: int = Field(ge=0)
    partial: int = Field(ge=0)
    non_compliant: int = Field(ge=0)
    not_assessed: int = Field(ge=0)
    rule: str = Field(description="How a requirement is judged compliant, in the report's language")

    @property
    def total(self) -> int:
        return self.compliant + self.partial + self.non_compliant + self.not_assessed


class Weakness(_Model):
    title: str
    control: str
    dimension: Dimension
    severity: Severity
    level: int | None = Field(ge=0, le=5, description="Current maturity level; None when unknown")
    target: int = Field(ge=0, le=5)


class PlannedAction(_Model):
    title: str
    quarter: str = Field(description="e.g. '2025-Q3'")
    owner: str | None = None
    cost: int = Field(ge=0, description="Euros, the figure the optimiser used")
    cost_low: int | None = Field(default=None, ge=0)
    cost_high: int | None = Field(default=None, ge=0)
    days: float = Field(ge=0, description="Person-days")
    controls: list[str] = Field(default_factory=list, description="Controls the action raises")
    status: ActionStatus | None = Field(default=None, description="Where an adopted action stands")


class OptimisedPlan(_Model):
    budget: int = Field(ge=0)
    days_available: float | None = Field(default=None, ge=0)
    actions: list[PlannedAction]
    total_cost: int = Field(ge=0)
    total_days: float = Field(ge=0)
    index_before: Score = Field(ge=0, le=100)
    index_after: Score = Field(ge=0, le=100)
    candidates: int | None = Field(default=None, ge=0, description="Actions the optimiser chose from")
    adopted: bool = Field(default=False, description="The establishment's adopted plan, not a fresh proposal")
    done: int = Field(default=0, ge=0, description="Adopted actions already done")


class GreedyComparison(_Model):
    """What picking the best gain-per-euro first would have bought with the same budget."""

    actions: int = Field(ge=0)
    total_cost: int = Field(ge=0)
    index_after: Score = Field(ge=0, le=100)


class RoadmapQuarter(_Model):
    quarter: str
    actions: list[str] = Field(default_factory=list)
    cost: int = Field(ge=0)
    days: float = Field(ge=0)


class BudgetIndicator(_Model):
    security_budget: int | None = Field(default=None, ge=0)
    it_budget: int | None = Field(default=None, ge=0)
    share: float | None = Field(default=None, ge=0, description="Security share of the IT budget, percent")
    reference_low: float = Field(ge=0, description="Low end of the reference range, percent")
    reference_high: float = Field(ge=0)
    verdict: BudgetVerdict
    source: str | None = Field(default=None, description="Where the reference range comes from")


class KnowledgeGap(_Model):
    control: str
    title: str
    dimension: Dimension


class ControlDetail(_Model):
    control: str
    title: str
    dimension: Dimension
    level: int | None = Field(ge=0, le=5)
    target: int = Field(ge=0, le=5)
    status: AnswerStatus
    justification: str | None = None
    comment: str | None = None


class RequirementDetail(_Model):
    id: str
    title: str
    status: RequirementStatus
    controls: list[str] = Field(default_factory=list)


class ReferentialDetail(_Model):
    id: str
    name: str
    requirements: list[RequirementDetail]


class ServiceReadiness(_Model):
    name: str
    rto_hours: float = Field(ge=0)
    restore_hours: float | None = Field(default=None, description="Tested restore estimate; None: untested")
    verdict: str = Field(description="within (green), unknown (amber) or over (red)")


class PolicyScore(_Model):
    application: str
    met: int = Field(ge=0, le=5, description="Rules of 3-2-1-1-0 met")
    missed: list[str] = Field(default_factory=list, description="The rules missed, in words")


class MeasuredControl(_Model):
    control: str
    title: str
    declared: int | None = Field(default=None, ge=0, le=5)
    measured: int = Field(ge=0, le=5)
    basis: str
    gap: bool = False


class ContinuitySection(_Model):
    """Continuity of care: restores against RTOs, backups, exercises and awareness."""

    services: list[ServiceReadiness] = Field(default_factory=list)
    policies: list[PolicyScore] = Field(default_factory=list)
    last_exercise: dt.date | None = None
    last_crisis_cell: dt.date | None = None
    overdue: list[str] = Field(default_factory=list, description="What is overdue, in words")
    phishing_campaign: str | None = None
    phishing_on: dt.date | None = None
    click_rate: float | None = None
    report_rate: float | None = None
    training_completion: float | None = None
    measured: list[MeasuredControl] = Field(default_factory=list, description="Declared and measured levels")


class MaturityReport(_Model):
    generated_on: dt.date
    establishment: EstablishmentInfo
    campaign: CampaignInfo
    actions_done_since: int = Field(
        default=0, ge=0, description="Actions done since the campaign, already counted in the scores"
    )
    history: list[CampaignPoint] = Field(
        default_factory=list, description="Campaigns in date order, the current one last, for the trend"
    )
    dimensions: list[DimensionScore] = Field(min_length=5, max_length=5)
    global_index: Score = Field(ge=0, le=100)
    previous_global_index: Score | None = Field(default=None, ge=0, le=100)
    target_index: Score = Field(default=60, ge=0, le=100, description="The target ring of the radar")
    referentials: list[ReferentialCompliance] = Field(default_factory=list)
    weaknesses: list[Weakness] = Field(default_factory=list, description="Top weaknesses, worst first")
    plan: OptimisedPlan | None = None
    greedy: GreedyComparison | None = None
    roadmap: list[RoadmapQuarter] = Field(default_factory=list)
    budget: BudgetIndicator | None = None
    knowledge_gaps: list[KnowledgeGap] = Field(default_factory=list)
    controls: list[ControlDetail] = Field(default_factory=list)
    referential_details: list[ReferentialDetail] = Field(default_factory=list)
    continuity: ContinuitySection | None = None
