"""Shapes of a group's consolidated view: what the page, the API, the CSV and the report all show.

Scores are maturity scores (0 to 100); a difference is the establishment's score minus the group's
median on the same dimension (positive: ahead of the group). ``None`` is "not measured", never 0.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from hygie.frameworks.schema import Dimension
from hygie.plan.models import ActionStatus, FindingSource, Severity


class GroupSummary(BaseModel):
    """A group in the list of those the caller may open."""

    id: int
    name: str
    establishments: int = Field(description="Number of member establishments")


class DimensionCell(BaseModel):
    dimension: Dimension
    score: float | None = Field(description="The establishment's score on the dimension, 0 to 100")
    difference: float | None = Field(description="Score minus the group's median (None if either is missing)")


class Headline(BaseModel):
    """One figure per domain, as each domain's own pages count it."""

    vulnerabilities_act: int = Field(description="Audit results of SSVC priority 'act' (to fix now)")
    network_violations: int = Field(description="Open findings: flows the segmentation policy forbids")
    network_exposures: int = Field(description="Open findings: services exposed to the internet")
    care_services: int = Field(description="Care services mapped for continuity")
    services_within_rto: int = Field(description="Care services whose tested restores fit their RTO")
    open_alerts: int = Field(description="Detection alerts new or in progress")
    open_incidents: int = Field(description="Incidents not closed")
    phishing_click_rate: float | None = Field(
        description="Percent who clicked in the latest phishing campaign"
    )


class EstablishmentPlan(BaseModel):
    """The establishment's adopted plan: what it costs and what it buys."""

    actions: int
    done: int
    cost: int = Field(description="Euros, every action not cancelled")
    remaining_cost: int = Field(description="Euros, the actions not done yet")
    annual_cost: int | None = Field(description="Euros per year over the years the plan spans")
    index_before: float | None = Field(description="Maturity index now")
    index_after: float | None = Field(description="Maturity index once every action is done")


class EstablishmentColumn(BaseModel):
    id: int
    name: str
    finess: str
    kind: str
    campaign: str | None = Field(description="The latest assessment campaign (None: never assessed)")
    assessed_on: date | None
    global_index: float | None
    global_difference: float | None = Field(description="Index minus the group's median index")
    dimensions: list[DimensionCell]
    headline: Headline
    security_budget: int | None
    it_budget: int
    plan: EstablishmentPlan


class DimensionMedian(BaseModel):
    dimension: Dimension
    median: float | None = Field(description="Median of the scores measured (None: none is)")
    measured: int = Field(description="Establishments with a score on the dimension")


class SharedWeakness(BaseModel):
    """A weakness found in two establishments or more: the same control, vulnerability or rule."""

    key: str
    title: str
    source: FindingSource
    severity: Severity = Field(description="The worst severity among the establishments")
    control: str | None
    establishment_ids: list[int]
    establishments: list[str]


class ConsolidatedAction(BaseModel):
    establishment_id: int
    establishment: str
    title: str
    quarter: str
    status: ActionStatus
    cost: int
    days: float


class GroupBudget(BaseModel):
    """The establishments' security budgets against their plans."""

    security_budgets: int = Field(description="Sum of the security budgets known, euros per year")
    unknown_budgets: list[str] = Field(description="Establishments whose security budget is not known")
    plan_cost: int = Field(description="Every adopted action not cancelled, euros")
    remaining_cost: int = Field(description="The actions not done yet, euros")
    annual_plan_cost: int = Field(description="Sum of the plans' yearly costs, euros per year")
    annual_share: float | None = Field(
        description="Yearly plan cost as a percent of the security budgets known (None: none known)"
    )


class GroupView(BaseModel):
    id: int
    name: str
    generated_on: date
    establishments: list[EstablishmentColumn]
    medians: list[DimensionMedian]
    global_median: float | None
    shared_weaknesses: list[SharedWeakness]
    actions: list[ConsolidatedAction]
    budget: GroupBudget


__all__ = [
    "ConsolidatedAction",
    "DimensionCell",
    "DimensionMedian",
    "EstablishmentColumn",
    "EstablishmentPlan",
    "GroupBudget",
    "GroupSummary",
    "GroupView",
    "Headline",
    "SharedWeakness",
]
