"""Spreads the chosen actions over quarters: prerequisites first, by priority, within staff capacity."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from hygie.core.errors import ValidationError
from hygie.core.time import quarter_of
from hygie.plan.schemas import ChosenAction, OptimisationResult, Roadmap, RoadmapItem

DEFAULT_QUARTERS = 4
_EPSILON = 1e-9


def quarter_start(day: date, offset: int = 0) -> date:
    """First day of the quarter ``offset`` quarters after the one holding ``day``."""
    months = day.year * 12 + (day.month - 1) // 3 * 3 + 3 * offset
    return date(months // 12, months % 12 + 1, 1)


def next_quarter_start(day: date) -> date:
    """Where a new roadmap starts: the next quarter, the current one being under way."""
    return quarter_start(day, 1)


def quarter_end(day: date, offset: int = 0) -> date:
    return quarter_start(day, offset + 1) - timedelta(days=1)


def schedule(
    chosen: Sequence[ChosenAction],
    start: date,
    capacity_per_quarter: float,
    owners: Mapping[str, str] | None = None,
) -> Roadmap:
    """Quarter by quarter from ``start``, the best-ranked actions whose prerequisites ended earlier.

    An action larger than the capacity gets a quarter of its own (noted in ``over_capacity``).
    ``owners`` overrides the template's role, keyed by template id or by role.
    """
    if capacity_per_quarter <= 0:
        raise ValidationError(f"the capacity per quarter must be positive, not {capacity_per_quarter}")
    owners = owners or {}
    ids = {a.template_id for a in chosen}
    pending = sorted(chosen, key=lambda a: (a.rank, a.template_id))
    finished: set[str] = set()  # placed in an earlier quarter
    items: list[RoadmapItem] = []
    over: list[str] = []
    offset = 0
    while pending:
        load = 0.0
        placed: list[ChosenAction] = []
        label = quarter_of(quarter_start(start, offset))
        for action in pending:
            ready = all(p in finished or p not in ids for p in action.prerequisites)
            if not ready:
                continue
            if load + action.effort_days <= capacity_per_quarter + _EPSILON or not placed:
                if action.effort_days > capacity_per_quarter + _EPSILON:
                    over.append(label)
                placed.append(action)
                load += action.effort_days
        if not placed:  # only possible with a prerequisite cycle, which the catalogue refuses
            raise ValidationError("the chosen actions cannot be ordered: prerequisite cycle")
        for action in placed:
            items.append(
                RoadmapItem(
                    template_id=action.template_id,
                    title=action.title,
                    quarter=label,
                    due_date=quarter_end(start, offset),
                    owner=owners.get(action.template_id, owners.get(action.owner_role, action.owner_role)),
                    cost=action.cost,
                    effort_days=action.effort_days,
                    prerequisites=[p for p in action.prerequisites if p in ids],
                )
            )
        finished.update(a.template_id for a in placed)
        pending = [a for a in pending if a.template_id not in finished]
        offset += 1
    return Roadmap(start=start, capacity_per_quarter=capacity_per_quarter, items=items, over_capacity=over)


def roadmap_for(
    result: OptimisationResult,
    start: date,
    quarters: int = DEFAULT_QUARTERS,
    capacity_per_quarter: float | None = None,
    owners: Mapping[str, str] | None = None,
) -> Roadmap:
    """The roadmap of an optimisation result; capacity defaults to its staff days over ``quarters``."""
    if quarters < 1:
        raise ValidationError(f"the plan needs at least one quarter, not {quarters}")
    if capacity_per_quarter is None:
        days = result.days if result.days is not None else result.total_days
        capacity_per_quarter = max(days / quarters, 1.0)
    return schedule(result.chosen, start, capacity_per_quarter, owners)
