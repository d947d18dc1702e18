"""REST routes of the action plan: findings, the adopted plan's actions, candidates, optimisation,
roadmap and budget position.

Levels come from the latest assessment moved by the actions done since it was opened, exactly as
``hygie plan`` and the reports take them (``service.levels_from_assessment`` + ``since``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated, TypeVar

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from hygie.core.time import today
from hygie.frameworks.loader import Library
from hygie.frameworks.service import get_library
from hygie.org import audit
from hygie.org.access import Action, require
from hygie.plan import service
from hygie.plan.catalogue import check_against_library, default_actions
from hygie.plan.models import ActionStatus, Finding, FindingSource, FindingStatus, PlanAction, Severity
from hygie.plan.optimise import greedy, optimise
from hygie.plan.priority import maturity_index
from hygie.plan.roadmap import DEFAULT_QUARTERS, next_quarter_start, roadmap_for
from hygie.plan.schemas import (
    BudgetPosition,
    Candidate,
    CostBasis,
    FindingOut,
    OptimisationResult,
    PlanActionOut,
    Roadmap,
)
from hygie.web.deps import EstablishmentScope, ReadScope, WriteScope
from hygie.web.errors import API_ERRORS
from hygie.web.pagination import Page, PageParams, Pagination

router = APIRouter(prefix="/api/v1", tags=["plan"], responses=API_ERRORS)

T = TypeVar("T")
MAX_BUDGET = 1_000_000_000  # euros: a typo, not a hospital's budget


# --- Shapes ----------------------------------------------------------------------------------


class ActionPatch(BaseModel):
    """The fields to change (those left out stay as they are); checked by ``service.update_action``."""

    model_config = ConfigDict(extra="forbid")

    status: ActionStatus | None = Field(
        default=None, description="todo, in_progress, done or cancelled; done raises the levels"
    )
    owner: str | None = Field(default=None, description="A person or a role (rssi, dsi ...), 100 characters")
    due_date: date | None = Field(
        default=None, description="Not in the past when it changes; sets the quarter"
    )
    notes: str | None = Field(
        default=None, description="Free text, 4000 characters; an empty text removes them"
    )


class CandidatesOut(BaseModel):
    index: float = Field(description="Global maturity index now (answers + actions done since)")
    candidates: list[Candidate] = Field(description="Best priority first")
    quick_wins: list[str] = Field(description="Template ids of the quick wins")


class OptimiseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    budget: int = Field(ge=0, le=MAX_BUDGET, description="Euros")
    days: float | None = Field(default=None, ge=0, description="Staff capacity, person-days")
    cost_basis: CostBasis = CostBasis.MID
    start: date | None = Field(default=None, description="First day of the roadmap (default: next quarter)")
    quarters: int = Field(default=DEFAULT_QUARTERS, ge=1, le=40)
    adopt: bool = Field(default=False, description="Make this the establishment's plan (needs write)")


class OptimiseOut(BaseModel):
    result: OptimisationResult
    greedy: OptimisationResult = Field(description="The greedy baseline on the same inputs")
    roadmap: Roadmap
    adopted: list[PlanActionOut] | None = None


class QuarterOut(BaseModel):
    quarter: str
    cost: int
    effort_days: float
    actions: list[PlanActionOut]


# --- Shared with the pages -------------------------------------------------------------------


def page_of(items: Sequence[T], pages: PageParams) -> Page[T]:
    """A page of an already filtered and ordered list (the service returns lists, sorted its way)."""
    window = list(items[pages.offset : pages.offset + pages.limit])
    return Page[T](items=window, total=len(items), limit=pages.limit, offset=pages.offset)


def library() -> Library:
    found = get_library()
    check_against_library(default_actions(), found)
    return found


def refreshed_findings(
    scope: EstablishmentScope,
    source: FindingSource | None = None,
    severity: Severity | None = None,
    status: FindingStatus | None = None,
) -> list[Finding]:
    """The findings, the assessment's brought up to date first (as ``hygie plan findings`` does)."""
    service.refresh_from_assessment(scope.db, scope.id, library())
    rows = service.list_findings(scope.db, scope.id, status=status, source=source)
    return [f for f in rows if severity is None or f.severity == severity]


def filtered_actions(
    scope: EstablishmentScope,
    status: ActionStatus | None = None,
    quarter: str | None = None,
    owner: str | None = None,
) -> list[PlanAction]:
    rows = service.list_actions(scope.db, scope.id, include_cancelled=True)
    if status is None:
        rows = [a for a in rows if a.status != ActionStatus.CANCELLED]
    return [
        a
        for a in rows
        if (status is None or a.status == status)
        and (quarter is None or a.quarter == quarter)
        and (owner is None or a.owner == owner)
    ]


def move_action(scope: EstablishmentScope, action_id: int, status: ActionStatus) -> PlanAction:
    """Moves an action of the plan (the board's form) and records it in the audit trail."""
    return edit_action(scope, action_id, ActionPatch(status=status))


def edit_action(scope: EstablishmentScope, action_id: int, data: ActionPatch) -> PlanAction:
    """Changes an action (the API's PATCH, the action's page) and records it in the audit trail.

    A change of the status alone is recorded as the board records it (``plan_action.status``); any
    other change as ``plan_action.update`` with every field changed, before and after. A request
    that changes nothing records nothing.
    """
    action, changes = service.update_action(
        scope.db,
        scope.id,
        action_id,
        status=data.status,
        owner=data.owner,
        due_date=data.due_date,
        notes=data.notes,
    )
    if not changes:
        return action
    verb, details = service.audit_of_changes(changes)
    audit.record_for(
        scope.db,
        scope.principal,
        action=verb,
        object_type="plan_action",
        object_id=action.id,
        establishment_id=scope.id,
        details=details,
    )
    return action


def candidates_of(scope: EstablishmentScope, basis: CostBasis = CostBasis.MID) -> CandidatesOut:
    lib = library()
    since, levels = service.levels_from_assessment(scope.db, scope.id, lib)
    states, found = service.plan_inputs(scope.db, scope.id, lib, levels, basis=basis, since=since)
    return CandidatesOut(
        index=maturity_index(states),
        candidates=found,
        quick_wins=[c.template.id for c in found if c.priority.quick_win],
    )


def run_optimisation(scope: EstablishmentScope, data: OptimiseIn) -> OptimiseOut:
    """The best plan for the budget and days, the greedy beside it; adopted (and audited) if asked."""
    if data.adopt:
        require(scope.principal, scope.id, Action.WRITE)
    lib = library()
    since, levels = service.levels_from_assessment(scope.db, scope.id, lib)
    states, found = service.plan_inputs(scope.db, scope.id, lib, levels, basis=data.cost_basis, since=since)
    result = optimise(states, found, data.budget, data.days, data.cost_basis)
    baseline = greedy(states, found, data.budget, data.days, data.cost_basis)
    plan = roadmap_for(result, data.start or next_quarter_start(today()), data.quarters)
    adopted = None
    if data.adopt:
        rows = service.adopt_plan(scope.db, scope.id, result, plan)
        adopted = [PlanActionOut.model_validate(a) for a in rows]
        audit.record_for(
            scope.db,
            scope.principal,
            action="plan.adopt",
            object_type="plan",
            object_id=scope.id,
            establishment_id=scope.id,
            details={
                "budget": data.budget,
                "days": data.days,
                "cost_basis": data.cost_basis.value,
                "actions": [a.template_id for a in adopted],
                "total_cost": result.total_cost,
                "index_before": round(result.index_before, 2),
                "index_after": round(result.index_after, 2),
            },
        )
    return OptimiseOut(result=result, greedy=baseline, roadmap=plan, adopted=adopted)


def by_quarter(actions: Sequence[PlanAction]) -> list[QuarterOut]:
    """The adopted plan (cancelled actions left out) quarter by quarter, each with its cost and days."""
    quarters: dict[str, list[PlanAction]] = {}
    for action in sorted(actions, key=lambda a: (a.quarter, a.due_date, a.id)):
        if action.status != ActionStatus.CANCELLED:
            quarters.setdefault(action.quarter, []).append(action)
    return [
        QuarterOut(
            quarter=quarter,
            cost=sum(a.cost for a in rows),
            effort_days=sum(a.effort_days for a in rows),
            actions=[PlanActionOut.model_validate(a) for a in rows],
        )
        for quarter, rows in quarters.items()
    ]


# --- Routes ----------------------------------------------------------------------------------


@router.get("/establishments/{establishment_id}/findings", response_model=Page[FindingOut])
def list_findings(
    scope: ReadScope,
    pages: Pagination,
    source: FindingSource | None = None,
    severity: Severity | None = None,
    status: Annotated[FindingStatus | None, Query(description="Default: every status")] = None,
) -> Page[FindingOut]:
    """The weaknesses, most severe first; the assessment's are refreshed from the latest campaign."""
    rows = refreshed_findings(scope, source, severity, status)
    return page_of([FindingOut.model_validate(f) for f in rows], pages)


@router.get("/establishments/{establishment_id}/actions", response_model=Page[PlanActionOut])
def list_actions(
    scope: ReadScope,
    pages: Pagination,
    status: Annotated[ActionStatus | None, Query(description="Default: all but cancelled")] = None,
    quarter: Annotated[str | None, Query(pattern=r"^\d{4}-Q[1-4]$")] = None,
    owner: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[PlanActionOut]:
    """The actions of the adopted plan, by due date."""
    rows = filtered_actions(scope, status, quarter, owner)
    return page_of([PlanActionOut.model_validate(a) for a in rows], pages)


@router.get("/establishments/{establishment_id}/actions/{action_id}", response_model=PlanActionOut)
def get_action(scope: ReadScope, action_id: int) -> PlanActionOut:
    return PlanActionOut.model_validate(service.get_action(scope.db, scope.id, action_id))


@router.patch("/establishments/{establishment_id}/actions/{action_id}", response_model=PlanActionOut)
def patch_action(scope: WriteScope, action_id: int, data: ActionPatch) -> PlanActionOut:
    """Moves an action (a done action raises the levels of its controls from now on), gives it
    another owner or due date, or notes; 422 with every problem when a value is refused (audited)."""
    return PlanActionOut.model_validate(edit_action(scope, action_id, data))


@router.get("/establishments/{establishment_id}/candidates", response_model=CandidatesOut)
def list_candidates(scope: ReadScope, cost_basis: CostBasis = CostBasis.MID) -> CandidatesOut:
    """The candidate actions ranked by priority, with the quick wins and the current index."""
    return candidates_of(scope, cost_basis)


@router.post("/establishments/{establishment_id}/plan/optimise", response_model=OptimiseOut)
def post_optimise(scope: ReadScope, data: OptimiseIn) -> OptimiseOut:
    """The best plan within the budget (and days), with the greedy's for comparison.

    ``adopt: true`` makes it the establishment's plan: that needs the write permission and is
    recorded in the audit trail.
    """
    return run_optimisation(scope, data)


@router.get("/establishments/{establishment_id}/roadmap", response_model=list[QuarterOut])
def get_roadmap(scope: ReadScope) -> list[QuarterOut]:
    """The adopted plan quarter by quarter."""
    return by_quarter(service.list_actions(scope.db, scope.id))


@router.get("/establishments/{establishment_id}/budget", response_model=BudgetPosition)
def get_budget(scope: ReadScope) -> BudgetPosition:
    """Security spending against the IT budget, the national range and similar establishments."""
    return service.budget_position(scope.db, scope.id)
