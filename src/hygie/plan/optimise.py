"""The best set of actions for a budget: an integer program solved by HiGHS, and a greedy baseline.

Model (one binary ``x_i`` per candidate action, for each control ``c`` raised by a candidate a gain
``b_c`` that closes the gap to target and a gain ``a_c`` above target)::

    maximise   Σ_c k_c · (b_c + ¼ a_c)           k_c = 100·w_c / (5 · W_dim(c) · n_dims)
    subject to b_c + a_c ≤ Σ_i raise_ic · x_i     (a control gains what the chosen actions give ...)
               0 ≤ b_c ≤ max(0, target_c − level_c),  0 ≤ a_c ≤ 5 − max(level_c, target_c)  (... up to 5)
               Σ_i cost_i · x_i ≤ budget,  Σ_i days_i · x_i ≤ days
               x_i ≤ x_j  for each open prerequisite j of i

so the objective is the gain of the global maturity index, with gains above target worth a quarter.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import highspy
import numpy as np

from hygie.core.errors import HygieError, ValidationError
from hygie.plan.priority import (
    ABOVE_TARGET_CREDIT,
    dimension_scores,
    index_coefficients,
    levels_after,
    maturity_index,
    open_prerequisites,
    split_gain,
)
from hygie.plan.schemas import (
    MAX_LEVEL,
    Candidate,
    ChosenAction,
    ControlState,
    CostBasis,
    DimensionScore,
    OptimisationResult,
)


def weighted_gain(states: Mapping[str, ControlState], levels: Mapping[str, int]) -> float:
    """The objective of the model for given final levels: index points, above-target gains at ¼."""
    coefficients = index_coefficients(states)
    total = 0.0
    for cid, state in states.items():
        below, above = split_gain(state, levels.get(cid, state.level) - state.level)
        total += coefficients[cid] * (below + ABOVE_TARGET_CREDIT * above)
    return total


def _result(
    method: str,
    states: Mapping[str, ControlState],
    candidates: Sequence[Candidate],
    chosen_ids: set[str],
    budget: int,
    days: float | None,
    basis: CostBasis,
    optimal: bool = True,
) -> OptimisationResult:
    chosen = [c for c in candidates if c.template.id in chosen_ids]
    chosen.sort(key=lambda c: c.priority.rank)
    after = levels_after(states, (c.template for c in chosen))
    before_dims = dimension_scores(states, {})
    after_dims = dimension_scores(states, after)
    return OptimisationResult(
        method=method,
        optimal=optimal,
        cost_basis=basis,
        budget=budget,
        days=days,
        chosen=[
            ChosenAction(
                template_id=c.template.id,
                title=c.template.title,
                cost=c.template.cost(basis),
                effort_days=c.template.effort_days,
                owner_role=c.template.owner_role,
                prerequisites=open_prerequisites(c),
                rank=c.priority.rank,
            )
            for c in chosen
        ],
        total_cost=sum(c.template.cost(basis) for c in chosen),
        total_days=sum(c.template.effort_days for c in chosen),
        objective=weighted_gain(states, after),
        index_before=maturity_index(states),
        index_after=maturity_index(states, after),
        dimensions=[
            DimensionScore(dimension=d, before=v, after=after_dims[d]) for d, v in before_dims.items()
        ],
        levels_after=after,
    )


def _check_limits(budget: int, days: float | None) -> None:
    if budget < 0:
        raise ValidationError(f"the budget must be positive or zero, not {budget}")
    if days is not None and days < 0:
        raise ValidationError(f"the staff days must be positive or zero, not {days}")


@contextmanager
def _quiet_stdout() -> Iterator[None]:
    """HiGHS prints a banner from C on its first use: keep it out of the CLI's (JSON) output."""
    sys.stdout.flush()
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # stdout replaced by a Python object (tests)
        yield
        return
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as devnull:  # noqa: PTH123 -- a raw file descriptor is needed
            os.dup2(devnull.fileno(), fd)
            try:
                yield
            finally:
                os.dup2(saved, fd)
    finally:
        os.close(saved)


def _new_highs(time_limit: float | None, gap: float) -> highspy.Highs:
    with _quiet_stdout():
        h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", gap)
    h.setOptionValue("threads", 1)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    return h


def optimise(
    states: Mapping[str, ControlState],
    candidates: Sequence[Candidate],
    budget: int,
    days: float | None = None,
    basis: CostBasis = CostBasis.MID,
    time_limit: float | None = 60.0,
    gap: float = 1e-7,
) -> OptimisationResult:
    """The set of candidates that raises the maturity index most within the budget (and the days)."""
    _check_limits(budget, days)
    if not candidates:
        return _result("milp", states, candidates, set(), budget, days, basis)
    index = {c.template.id: i for i, c in enumerate(candidates)}
    coefficients = index_coefficients(states)
    controls = sorted({cid for c in candidates for cid in c.template.raises if cid in states})
    n, m = len(candidates), len(controls)

    # Columns: x_0..x_{n-1}, then b_c for each control, then a_c for each control.
    costs = np.zeros(n + 2 * m)
    lower = np.zeros(n + 2 * m)
    upper = np.ones(n + 2 * m)
    for j, cid in enumerate(controls):
        state = states[cid]
        costs[n + j] = coefficients[cid]
        costs[n + m + j] = ABOVE_TARGET_CREDIT * coefficients[cid]
        upper[n + j] = max(0, state.target - state.level)
        upper[n + m + j] = MAX_LEVEL - max(state.level, state.target)

    rows_lower: list[float] = []
    rows_upper: list[float] = []
    starts: list[int] = []
    indices: list[int] = []
    values: list[float] = []

    def add_row(entries: list[tuple[int, float]], lo: float, hi: float) -> None:
        starts.append(len(indices))
        for column, value in entries:
            indices.append(column)
            values.append(value)
        rows_lower.append(lo)
        rows_upper.append(hi)

    raised_by: dict[str, list[tuple[int, float]]] = {cid: [] for cid in controls}
    for i, candidate in enumerate(candidates):
        for cid, raise_ in candidate.template.raises.items():
            if cid in raised_by:
                raised_by[cid].append((i, -float(raise_)))
    for j, cid in enumerate(controls):
        add_row([(n + j, 1.0), (n + m + j, 1.0), *raised_by[cid]], -highspy.kHighsInf, 0.0)
    add_row(
        [(i, float(c.template.cost(basis))) for i, c in enumerate(candidates)], -highspy.kHighsInf, budget
    )
    if days is not None:
        add_row([(i, c.template.effort_days) for i, c in enumerate(candidates)], -highspy.kHighsInf, days)
    for i, candidate in enumerate(candidates):
        for prerequisite in open_prerequisites(candidate):
            add_row([(i, 1.0), (index[prerequisite], -1.0)], -highspy.kHighsInf, 0.0)

    h = _new_highs(time_limit, gap)
    h.addCols(n + 2 * m, costs, lower, upper, 0, np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
    h.addRows(
        len(rows_lower),
        np.array(rows_lower),
        np.array(rows_upper),
        len(indices),
        np.array(starts, dtype=np.int32),
        np.array(indices, dtype=np.int32),
        np.array(values),
    )
    h.changeColsIntegrality(
        n, np.arange(n, dtype=np.int32), np.full(n, highspy.HighsVarType.kInteger.value, dtype=np.uint8)
    )
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    h.run()
    status = h.getModelStatus()
    solved = status == highspy.HighsModelStatus.kOptimal
    if not solved and h.getInfo().primal_solution_status != 2:  # 2 = feasible solution available
        raise HygieError(f"the optimiser found no plan: {h.modelStatusToString(status)}")
    x = h.getSolution().col_value
    chosen = {c.template.id for i, c in enumerate(candidates) if x[i] > 0.5}
    return _result("milp", states, candidates, chosen, budget, days, basis, optimal=solved)


def _closure(candidate: Candidate, by_id: Mapping[str, Candidate], taken: set[str]) -> list[Candidate]:
    """The candidate and every open prerequisite not taken yet, prerequisites first."""
    order: list[Candidate] = []
    seen: set[str] = set()

    def visit(c: Candidate) -> None:
        if c.template.id in seen or c.template.id in taken:
            return
        seen.add(c.template.id)
        for prerequisite in open_prerequisites(c):
            visit(by_id[prerequisite])
        order.append(c)

    visit(candidate)
    return order


def greedy(
    states: Mapping[str, ControlState],
    candidates: Sequence[Candidate],
    budget: int,
    days: float | None = None,
    basis: CostBasis = CostBasis.MID,
) -> OptimisationResult:
    """By priority rank, take each action (with its open prerequisites) while the whole fits."""
    _check_limits(budget, days)
    by_id = {c.template.id: c for c in candidates}
    taken: set[str] = set()
    spent, used = 0, 0.0
    for candidate in sorted(candidates, key=lambda c: c.priority.rank):
        bundle = _closure(candidate, by_id, taken)
        if not bundle:
            continue
        cost = sum(c.template.cost(basis) for c in bundle)
        effort = sum(c.template.effort_days for c in bundle)
        if spent + cost <= budget and (days is None or used + effort <= days + 1e-9):
            taken.update(c.template.id for c in bundle)
            spent += cost
            used += effort
    return _result("greedy", states, candidates, taken, budget, days, basis)
