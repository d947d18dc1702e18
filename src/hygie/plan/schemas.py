"""Shapes of the action plan at the edges: findings in, the action catalogue, priorities, results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hygie.frameworks.schema import Dimension, Text
from hygie.plan.models import ActionStatus, FindingSource, FindingStatus, Severity

MAX_LEVEL = 5


class FindingIn(BaseModel):
    """What a domain reports: one weakness, keyed so that the next refresh finds it again."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=300)
    title: str = Field(min_length=1, max_length=500)
    severity: Severity
    control_ids: list[str] = Field(default_factory=list)
    asset_refs: list[str] = Field(default_factory=list)
    care_services: list[str] = Field(default_factory=list)
    evidence: dict[str, Any] = Field(default_factory=dict)


class FindingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    establishment_id: int
    source: FindingSource
    key: str
    title: str
    severity: Severity
    control_ids: list[str]
    asset_refs: list[str]
    care_services: list[str]
    evidence: dict[str, Any]
    first_seen: datetime
    last_seen: datetime
    status: FindingStatus


class OwnerRole(StrEnum):
    RSSI = "rssi"
    DSI = "dsi"
    DIRECTION = "direction"
    BIOMEDICAL = "biomedical"
    DPO = "dpo"
    IT_TECHNICIAN = "it_technician"


class ActionCategory(StrEnum):
    GOVERNANCE = "governance"
    IDENTITY = "identity"
    PATCHING = "patching"
    NETWORK = "network"
    BACKUP = "backup"
    DETECTION = "detection"
    CONTINUITY = "continuity"
    AWARENESS = "awareness"
    INCIDENT = "incident"
    INVENTORY = "inventory"
    MEDICAL_DEVICES = "medical_devices"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ActionTemplate(_Strict):
    """A typical action of a hospital's security plan, with what it costs and what it improves."""

    id: str = Field(pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$", description="e.g. ACT-MFA-REMOTE")
    title: Text
    description: Text
    category: ActionCategory
    owner_role: OwnerRole
    effort_days: float = Field(gt=0, description="Internal person-days")
    cost_min: int = Field(ge=0, description="Euros, external spending, low estimate")
    cost_max: int = Field(ge=0, description="Euros, external spending, high estimate")
    raises: dict[str, int] = Field(min_length=1, description="Control id -> maturity levels gained")
    prerequisites: list[str] = Field(default_factory=list, description="Template ids to do first")

    @model_validator(mode="after")
    def _check(self) -> ActionTemplate:
        if self.cost_min > self.cost_max:
            raise ValueError(f"cost_min {self.cost_min} is above cost_max {self.cost_max}")
        for control_id, levels in self.raises.items():
            if not 1 <= levels <= MAX_LEVEL:
                raise ValueError(f"raises.{control_id}: {levels} levels, expected 1 to {MAX_LEVEL}")
        if self.id in self.prerequisites:
            raise ValueError("an action cannot be its own prerequisite")
        return self

    def cost(self, basis: CostBasis) -> int:
        if basis is CostBasis.LOW:
            return self.cost_min
        if basis is CostBasis.HIGH:
            return self.cost_max
        return (self.cost_min + self.cost_max) // 2


class ActionCatalogue(_Strict):
    kind: str = Field(pattern="^actions$")
    version: str
    actions: list[ActionTemplate] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_references(self) -> ActionCatalogue:
        ids: set[str] = set()
        for index, action in enumerate(self.actions):
            if action.id in ids:
                raise ValueError(f"actions[{index}]: duplicate action id {action.id!r}")
            ids.add(action.id)
        for index, action in enumerate(self.actions):
            for prerequisite in action.prerequisites:
                if prerequisite not in ids:
                    raise ValueError(f"actions[{index}]: unknown prerequisite {prerequisite!r}")
        cycle = _find_cycle({a.id: a.prerequisites for a in self.actions})
        if cycle:
            raise ValueError(f"prerequisites form a cycle: {' -> '.join(cycle)}")
        return self

    def by_id(self) -> dict[str, ActionTemplate]:
        return {a.id: a for a in self.actions}


def _find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """One cycle of the prerequisite graph, or None (depth-first search, white/grey/black)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in graph:
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


class CostBasis(StrEnum):
    LOW = "low"
    MID = "mid"
    HIGH = "high"


@dataclass(frozen=True, slots=True)
class ControlState:
    """What the plan needs to know of one control in scope: where it stands and what it weighs."""

    control_id: str
    dimension: Dimension
    weight: int
    target: int
    level: int  # 0..5, current (answered level plus the raises of done actions)
    assessed: bool = True  # False: no answer yet, counted as level 0


class Priority(BaseModel):
    template_id: str
    reduction: float = Field(description="Weighted levels gained, over 5 (gain above target counted 1/4)")
    per_keur: float = Field(description="Reduction per thousand euros (cost midpoint)")
    per_day: float = Field(description="Reduction per person-day")
    score: float = Field(description="Geometric mean of per_keur and per_day; ranks the candidates")
    rank: int
    quick_win: bool
    explanation: Text


class Candidate(BaseModel):
    template: ActionTemplate
    priority: Priority
    satisfied_prerequisites: list[str] = Field(
        default_factory=list, description="Prerequisites already done or whose controls are at target"
    )


class ChosenAction(BaseModel):
    template_id: str
    title: Text
    cost: int
    effort_days: float
    owner_role: OwnerRole
    prerequisites: list[str]
    rank: int


class DimensionScore(BaseModel):
    dimension: Dimension
    before: float
    after: float


class OptimisationResult(BaseModel):
    method: str = Field(description="'milp' (HiGHS) or 'greedy'")
    optimal: bool = Field(default=True, description="False when the solver stopped on its time limit")
    cost_basis: CostBasis
    budget: int
    days: float | None
    chosen: list[ChosenAction]
    total_cost: int
    total_days: float
    objective: float = Field(description="Weighted index gain the optimiser maximised")
    index_before: float
    index_after: float
    dimensions: list[DimensionScore]
    levels_after: dict[str, int]


class RoadmapItem(BaseModel):
    template_id: str
    title: Text
    quarter: str
    due_date: date
    owner: str
    cost: int
    effort_days: float
    prerequisites: list[str]


class Roadmap(BaseModel):
    start: date
    capacity_per_quarter: float
    items: list[RoadmapItem]
    over_capacity: list[str] = Field(
        default_factory=list, description="Quarters where one action alone exceeds the capacity"
    )


class PlanActionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    establishment_id: int
    template_id: str
    title: str
    status: ActionStatus
    owner: str
    quarter: str
    due_date: date
    cost: int
    effort_days: float
    created_at: datetime
    done_at: datetime | None
    notes: str | None = None


class BudgetPosition(BaseModel):
    security_spending: int | None
    spending_source: str = Field(description="'security_budget', 'plan' or 'unknown'")
    it_budget: int
    share: float | None = Field(description="Security spending / IT budget, 0..1")
    reference_min: float
    reference_max: float
    reference_source: str
    reference_verified: bool
    peer_median: float | None
    peer_count: int
    peer_note: Text | None
    verdict: Text
