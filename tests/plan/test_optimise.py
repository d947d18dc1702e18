from __future__ import annotations

import itertools
from collections.abc import Mapping

import pytest

from hygie.core.errors import ValidationError
from hygie.frameworks.schema import Dimension
from hygie.plan.optimise import greedy, optimise
from hygie.plan.priority import find_candidates, open_prerequisites
from hygie.plan.schemas import Candidate, ControlState, CostBasis
from tests.plan.builders import catalogue, random_case, state, states, template


def oracle_value(st: Mapping[str, ControlState], chosen: list[Candidate]) -> float:
    """Objective written independently of the module: index points, above-target gains at 1/4."""
    totals: dict[Dimension, int] = {}
    for s in st.values():
        totals[s.dimension] = totals.get(s.dimension, 0) + s.weight
    raised: dict[str, int] = {}
    for c in chosen:
        for cid, r in c.template.raises.items():
            raised[cid] = raised.get(cid, 0) + r
    value = 0.0
    for cid, s in st.items():
        gain = min(raised.get(cid, 0), 5 - s.level)
        gap = max(0, s.target - s.level)
        below = min(gain, gap)
        value += 100 * s.weight / (5 * totals[s.dimension] * len(totals)) * (below + 0.25 * (gain - below))
    return value


def feasible(
    subset: list[Candidate], budget: int, days: float | None, basis: CostBasis = CostBasis.MID
) -> bool:
    ids = {c.template.id for c in subset}
    if sum(c.template.cost(basis) for c in subset) > budget:
        return False
    if days is not None and sum(c.template.effort_days for c in subset) > days + 1e-9:
        return False
    return all(p in ids for c in subset for p in open_prerequisites(c))


@pytest.mark.parametrize("seed", range(40))
def test_milp_matches_brute_force_and_respects_every_constraint(seed: int) -> None:
    st, candidates, budget, days = random_case(seed)
    best = max(
        oracle_value(st, list(subset))
        for size in range(len(candidates) + 1)
        for subset in itertools.combinations(candidates, size)
        if feasible(list(subset), budget, days)
    )
    result = optimise(st, candidates, budget, days)
    chosen = [c for c in candidates if c.template.id in {a.template_id for a in result.chosen}]
    assert result.optimal
    assert feasible(chosen, budget, days)
    assert result.total_cost <= budget and result.total_days <= days
    assert oracle_value(st, chosen) == pytest.approx(best, abs=1e-6)
    assert result.objective == pytest.approx(best, abs=1e-6)
    # Greedy is feasible too, and never better than the optimum.
    baseline = greedy(st, candidates, budget, days)
    chosen_g = [c for c in candidates if c.template.id in {a.template_id for a in baseline.chosen}]
    assert feasible(chosen_g, budget, days)
    assert baseline.objective <= result.objective + 1e-9


def test_greedy_is_strictly_worse_when_a_high_ratio_action_blocks_two_better_ones() -> None:
    # Budget 100 k€. BIG has the best ratio but eats 60 k€; SMALL1 + SMALL2 cost 50 k€ each and
    # together close more gap than BIG. Greedy takes BIG first, then nothing else fits.
    st = states(state("C1", 0, target=5), state("C2", 0, target=5), state("C3", 0, target=5))
    big = template("A-BIG", {"C1": 4}, cost=60_000, days=1)
    small1 = template("A-SMALL1", {"C2": 3}, cost=50_000, days=10)
    small2 = template("A-SMALL2", {"C3": 3}, cost=50_000, days=10)
    candidates = find_candidates(catalogue(big, small1, small2), st)
    assert candidates[0].template.id == "A-BIG"
    milp = optimise(st, candidates, budget=100_000)
    gr = greedy(st, candidates, budget=100_000)
    assert {a.template_id for a in gr.chosen} == {"A-BIG"}
    assert {a.template_id for a in milp.chosen} == {"A-SMALL1", "A-SMALL2"}
    # One dimension, weights 1: each level is 100 / (5·3) index points.
    assert gr.objective == pytest.approx(4 * 100 / 15)
    assert milp.objective == pytest.approx(6 * 100 / 15)
    assert milp.index_before == 0.0
    assert milp.index_after == pytest.approx(6 * 100 / 15)


def test_two_actions_on_one_control_do_not_count_beyond_level_5() -> None:
    st = states(state("C1", 2, target=3), state("C2", 0, target=3))
    a = template("A-ONE", {"C1": 3}, cost=10_000)
    b = template("A-TWO", {"C1": 3}, cost=10_000)
    c = template("A-THREE", {"C2": 1}, cost=10_000)
    candidates = find_candidates(catalogue(a, b, c), st)
    # Budget for two: A-ONE already takes C1 to 5, so the second goes to C2, not A-TWO.
    result = optimise(st, candidates, budget=20_000)
    ids = {x.template_id for x in result.chosen}
    assert "A-THREE" in ids and len(ids) == 2
    assert result.levels_after == {"C1": 5, "C2": 1}
    # With all three, C1 stays at 5: 3 levels gained on C1 (1 below target, 2 above), 1 on C2.
    everything = optimise(st, candidates, budget=30_000)
    assert everything.levels_after == {"C1": 5, "C2": 1}
    assert everything.objective == pytest.approx(100 / 10 * (1 + 0.25 * 2 + 1))


def test_prerequisite_is_chosen_with_its_dependant() -> None:
    st = states(state("C1", 0, target=3), state("C2", 0, target=3, weight=5))
    inventory = template("A-INVENTORY", {"C1": 1}, cost=5_000, days=5)
    segment = template("A-SEGMENT", {"C2": 3}, cost=20_000, days=10, prerequisites=["A-INVENTORY"])
    candidates = find_candidates(catalogue(inventory, segment), st)
    # 20 k€ would buy the segmentation alone, worth more, but it needs the inventory first.
    alone = optimise(st, candidates, budget=20_000)
    assert {a.template_id for a in alone.chosen} == {"A-INVENTORY"}
    both = optimise(st, candidates, budget=25_000)
    assert {a.template_id for a in both.chosen} == {"A-INVENTORY", "A-SEGMENT"}
    gr = greedy(st, candidates, budget=25_000)
    assert {a.template_id for a in gr.chosen} == {"A-INVENTORY", "A-SEGMENT"}


def test_prerequisite_at_target_or_done_is_satisfied() -> None:
    st = states(state("C1", 3, target=3), state("C2", 0, target=3))
    inventory = template("A-INVENTORY", {"C1": 1}, cost=5_000)
    segment = template("A-SEGMENT", {"C2": 3}, cost=20_000, prerequisites=["A-INVENTORY"])
    candidates = find_candidates(catalogue(inventory, segment), st)
    result = optimise(st, candidates, budget=20_000)
    assert {a.template_id for a in result.chosen} == {"A-SEGMENT"}
    st2 = states(state("C1", 0, target=3), state("C2", 0, target=3))
    done = find_candidates(catalogue(inventory, segment), st2, done=["A-INVENTORY"])
    assert [c.template.id for c in done] == ["A-SEGMENT"]
    assert {a.template_id for a in optimise(st2, done, budget=20_000).chosen} == {"A-SEGMENT"}


def test_days_and_cost_basis_are_limits() -> None:
    st = states(state("C1", 0, target=5))
    a = template("A-ONE", {"C1": 2}, cost=(10_000, 30_000), days=10)
    candidates = find_candidates(catalogue(a), st)
    assert optimise(st, candidates, budget=100_000, days=9).chosen == []
    assert optimise(st, candidates, budget=15_000, basis=CostBasis.LOW).total_cost == 10_000
    assert optimise(st, candidates, budget=15_000, basis=CostBasis.MID).chosen == []
    assert optimise(st, candidates, budget=30_000, basis=CostBasis.HIGH).total_cost == 30_000


def test_negative_budget_is_refused_and_no_candidates_give_empty_plan() -> None:
    st = states(state("C1", 5))
    with pytest.raises(ValidationError):
        optimise(st, [], budget=-1)
    result = optimise(st, [], budget=1000)
    assert result.chosen == [] and result.index_after == result.index_before == 100.0
