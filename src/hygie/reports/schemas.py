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


# --- The management report ------------------------------------------------------------------------


class DimensionStanding(_Model):
    dimension: Dimension
    declared: Score | None = Field(ge=0, le=100, description="From the answers (and the actions done since)")
    measured: Score | None = Field(
        ge=0, le=100, description="The same, measured levels in place where facts exist"
    )


class Standing(_Model):
    """Where we stand: the index as declared, and as measured from the facts."""

    campaign: str | None = Field(default=None, description="The latest assessment campaign; None before any")
    campaign_date: dt.date | None = None
    completion: Score | None = Field(default=None, ge=0, le=100)
    declared_index: Score | None = Field(default=None, ge=0, le=100)
    measured_index: Score | None = Field(default=None, ge=0, le=100)
    measured_controls: int = Field(default=0, ge=0, description="Controls whose level the facts measure")
    evidence_gaps: int = Field(default=0, ge=0, description="Measured two levels or more below declared")
    dimensions: list[DimensionStanding] = Field(default_factory=list)


class ThreatKind(StrEnum):
    CRITICAL_FINDINGS = "critical_findings"
    EXPOSED_VULNERABLE = "exposed_vulnerable_systems"
    KEV = "kev_open"
    OBSOLETE = "obsolete_systems"
    CARE_NOT_READY = "services_not_ready"
    CRITICAL_ALERTS = "critical_alerts_open"
    INCIDENTS = "incidents_open"
    DEADLINES_OVERDUE = "deadlines_overdue"


class Threat(_Model):
    """One risk to care in plain words: what, how many, and the names behind it."""

    kind: ThreatKind
    count: int = Field(ge=1)
    severity: Severity
    names: list[str] = Field(default_factory=list, description="The first few things concerned")


class Threats(_Model):
    critical_findings: int = Field(ge=0, description="Open weaknesses of critical severity, every source")
    high_findings: int = Field(ge=0)
    exposed_vulnerable_systems: int = Field(
        ge=0, description="Systems exposed to the internet with an urgent or known-exploited vulnerability"
    )
    kev_open: int = Field(ge=0, description="Known exploited vulnerabilities (CISA KEV) present")
    obsolete_systems: int = Field(ge=0, description="Systems past or near their end of life")
    services_not_ready: int = Field(
        ge=0, description="Care services whose tested restores do not fit the RTO"
    )
    critical_alerts_open: int = Field(ge=0, description="Critical alerts new or in progress")
    incidents_open: int = Field(ge=0, description="Incidents not closed")
    deadlines_overdue: int = Field(ge=0, description="Regulatory notifications past their deadline")
    top: list[Threat] = Field(default_factory=list, description="The risks to tell, worst first")


class PlanFigures(_Model):
    """What the plan costs and what it buys."""

    adopted: bool
    actions: int = Field(ge=0)
    done: int = Field(ge=0)
    in_progress: int = Field(ge=0)
    cost: int = Field(ge=0, description="Euros, every action of the plan")
    days: float = Field(ge=0)
    budget: int = Field(ge=0, description="The budget the plan was built for")
    index_before: Score = Field(ge=0, le=100)
    index_after: Score = Field(ge=0, le=100)
    budget_position: BudgetIndicator


class ReferentialFigure(_Model):
    id: str
    name: str
    percent: Score | None = Field(ge=0, le=100, description="Declared compliance; None when nothing assessed")
    measured_percent: Score | None = Field(default=None, ge=0, le=100)
    compliant: int = Field(ge=0)
    partial: int = Field(ge=0)
    non_compliant: int = Field(ge=0)
    not_assessed: int = Field(ge=0)


class DomainProgress(_Model):
    """A section of a referential (a CaRE domain) and the share of its requirements met."""

    id: str
    title: str
    percent: Score | None = Field(ge=0, le=100)
    requirements: int = Field(ge=0)
    compliant: int = Field(ge=0)


class Regulatory(_Model):
    nis2_category: Nis2Category
    nis2_reasons: list[str] = Field(default_factory=list)
    nis2: ReferentialFigure | None = Field(default=None, description="NIS2 article 21 compliance")
    care: ReferentialFigure | None = Field(default=None, description="CaRE programme compliance")
    care_domains: list[DomainProgress] = Field(default_factory=list)
    referentials: list[ReferentialFigure] = Field(default_factory=list, description="Every referential")


class TrendLine(_Model):
    key: str = Field(description="A headline figure's key")
    before: float | None
    now: float | None
    delta: float | None = Field(description="now − before; None when either is missing")
    better: bool | None = Field(description="Whether the change is good news; None when unchanged or neutral")


class Trend(_Model):
    previous_day: dt.date | None = Field(
        default=None, description="Day of the last report; None: first report"
    )
    lines: list[TrendLine] = Field(default_factory=list)


class InventoryFigures(_Model):
    assets: int = Field(ge=0)
    by_kind: dict[str, int] = Field(default_factory=dict)
    medical_devices: int = Field(ge=0)
    exposed_systems: int = Field(ge=0, description="Assets the inventory says are exposed to the internet")
    vulnerabilities: int = Field(ge=0, description="Vulnerability results, end-of-life ones aside")
    by_priority: dict[str, int] = Field(default_factory=dict, description="SSVC priority → results")
    kev_systems: int = Field(ge=0)
    last_scan: dt.datetime | None = None


class NetworkFigures(_Model):
    zones: int = Field(ge=0)
    firewalls: int = Field(ge=0)
    exposed_ports: int = Field(ge=0, description="Ports open from the internet, as scanned")
    policy_violations: int = Field(ge=0, description="Flows the segmentation policy forbids")
    exposures: int = Field(ge=0, description="Exposed services rated high or critical")
    findings: dict[str, int] = Field(default_factory=dict, description="Open network findings by severity")


class SignalFigure(_Model):
    signal: str
    label: str
    open: int = Field(ge=0)
    this_week: int = Field(ge=0)
    week_before: int = Field(ge=0)


class DetectionFigures(_Model):
    alerts: int = Field(ge=0)
    open_by_level: dict[str, int] = Field(default_factory=dict, description="New or in progress, by level")
    signals: list[SignalFigure] = Field(default_factory=list)


class ContinuityFigures(_Model):
    services: list[ServiceReadiness] = Field(default_factory=list)
    ready: int = Field(ge=0, description="Care services whose tested restores fit their RTO")
    policies: int = Field(ge=0)
    policies_full: int = Field(ge=0, description="Backup policies meeting all of 3-2-1-1-0")
    last_exercise: dt.date | None = None
    last_crisis_cell: dt.date | None = None
    overdue: list[str] = Field(default_factory=list)


class CaseFigure(_Model):
    title: str
    severity: str
    status: str
    aware_at: dt.datetime


class DeadlineFigure(_Model):
    case: str
    notification: str = Field(description="The report due, in the report's language")
    authority: str
    deadline: dt.datetime | None
    when: str = Field(description="The deadline in Paris time, as the report writes it")
    status: str = Field(description="due, soon or overdue")


class IncidentFigures(_Model):
    open: int = Field(ge=0)
    cases: list[CaseFigure] = Field(default_factory=list)
    deadlines: list[DeadlineFigure] = Field(default_factory=list, description="Notifications still to send")
    overdue: int = Field(ge=0)


class AwarenessFigures(_Model):
    campaigns: int = Field(ge=0)
    last_campaign: str | None = None
    last_campaign_on: dt.date | None = None
    click_rate: float | None = Field(default=None, description="Percent of the recipients who clicked")
    report_rate: float | None = None
    training_completion: float | None = Field(default=None, description="Percent, over twelve months")


class PlanDetail(_Model):
    by_status: dict[str, int] = Field(default_factory=dict, description="'proposed' before adoption")
    next_actions: list[PlannedAction] = Field(default_factory=list)
    roadmap: list[RoadmapQuarter] = Field(default_factory=list)


class AssessmentFigures(_Model):
    knowledge_gaps: int = Field(default=0, ge=0)
    weaknesses: list[Weakness] = Field(default_factory=list, description="Top weaknesses, worst first")
    measured: list[MeasuredControl] = Field(default_factory=list, description="Declared and measured levels")


class ManagementSummary(_Model):
    """Every figure of the management report: the API's JSON, the HTML, the PDF and the CLI show these."""

    establishment_id: int
    generated_on: dt.date
    lang: str
    establishment: EstablishmentInfo
    standing: Standing
    threats: Threats
    plan: PlanFigures | None = Field(description="None before the first assessment")
    regulatory: Regulatory
    trend: Trend
    headline: dict[str, float | None] = Field(description="The figures stored for the next report's trend")
    assessment: AssessmentFigures
    inventory: InventoryFigures
    network: NetworkFigures
    detection: DetectionFigures
    continuity: ContinuityFigures
    incidents: IncidentFigures
    awareness: AwarenessFigures
    plan_detail: PlanDetail
