from __future__ import annotations

import pytest

from hygie.core.errors import ContentError
from hygie.frameworks.schema import Dimension
from hygie.plan.priority import (
    control_states,
    current_levels,
    find_candidates,
    index_coefficients,
    maturity_index,
    prioritise,
    reduction,
)
from tests.plan.builders import catalogue, control, library, state, states, template


def test_reduction_counts_gap_fully_and_gain_above_target_for_a_quarter() -> None:
    st = states(state("C1", 1, target=3, weight=3))
    # +3 from level 1: 2 levels close the gap, 1 goes above target -> 3 * (2 + 0.25) / 5.
    assert reduction(template("A-X", {"C1": 3}), st) == pytest.approx(1.35)
    # Capped at level 5: +9 is worth +4 -> 3 * (2 + 0.25 * 2) / 5.
    assert reduction(template("A-X", {"C1": 5}), st) == pytest.approx(1.5)
    # A control out of scope counts for nothing.
    assert reduction(template("A-X", {"OUT-SCOPE": 3}), st) == 0.0


def test_priority_ratios_rank_and_explanation() -> None:
    st = states(state("C1", 1, target=3, weight=3), state("C2", 0, target=3, weight=1))
    big = template("A-BIG", {"C1": 3}, cost=(10_000, 30_000), days=10)
    quick = template("A-QUICK", {"C2": 1}, cost=(0, 5_000), days=5)
    not_quick = template("A-NOTQUICK", {"C2": 1}, cost=(0, 5_000), days=6)
    ranked = prioritise([big, quick, not_quick], st)
    by_id = {p.template_id: p for p in ranked}
    assert by_id["A-BIG"].per_keur == pytest.approx(1.35 / 20)
    assert by_id["A-BIG"].per_day == pytest.approx(1.35 / 10)
    assert by_id["A-QUICK"].reduction == pytest.approx(0.2)
    assert by_id["A-QUICK"].per_keur == pytest.approx(0.2 / 2.5)
    assert by_id["A-QUICK"].quick_win and not by_id["A-NOTQUICK"].quick_win
    assert not by_id["A-BIG"].quick_win
    # score = sqrt(per_keur * per_day): BIG 0.0675*0.135 > QUICK 0.08*0.04 > NOTQUICK 0.08*0.0333.
    assert [p.template_id for p in ranked] == ["A-BIG", "A-QUICK", "A-NOTQUICK"]
    assert [p.rank for p in ranked] == [1, 2, 3]
    assert "C1 de 1 à 4 (cible 3)" in by_id["A-BIG"].explanation.fr
    assert "C1 from 1 to 4 (target 3)" in by_id["A-BIG"].explanation.en
    assert "Gain rapide" in by_id["A-QUICK"].explanation.fr
    assert "Quick win" in by_id["A-QUICK"].explanation.en


def test_free_action_ranks_high_but_finite() -> None:
    st = states(state("C1", 0, target=3))
    free = template("A-FREE", {"C1": 1}, cost=0, days=1)
    [p] = prioritise([free], st)
    assert p.per_keur == pytest.approx(0.2 / 0.5)
    assert p.quick_win


def test_candidates_skip_done_maxed_and_out_of_scope_actions() -> None:
    st = states(state("C1", 5), state("C2", 2))
    cat = catalogue(
        template("A-MAXED", {"C1": 1}),
        template("A-OUT", {"ZZ-OTHER": 2}),
        template("A-DONE", {"C2": 1}),
        template("A-OK", {"C1": 1, "C2": 1}),
    )
    assert [c.template.id for c in find_candidates(cat, st, done=["A-DONE"])] == ["A-OK"]


def test_maturity_index_is_the_mean_of_dimension_scores() -> None:
    st = states(
        state("T1", 1, weight=3, dimension=Dimension.TECHNICAL),
        state("T2", 5, weight=1, dimension=Dimension.TECHNICAL),
        state("G1", 0, weight=2, dimension=Dimension.GOVERNANCE),
    )
    # technical 100*(3*1+1*5)/(4*5) = 40, governance 0 -> 20.
    assert maturity_index(st) == pytest.approx(20.0)
    assert maturity_index(st, {"G1": 5}) == pytest.approx(70.0)
    coefficients = index_coefficients(st)
    assert coefficients["T1"] == pytest.approx(100 * 3 / (5 * 4 * 2))
    assert coefficients["G1"] == pytest.approx(100 * 2 / (5 * 2 * 2))


def test_current_levels_add_done_raises_capped_at_5() -> None:
    levels: dict[str, int | None] = {"A": 2, "B": None, "C": None, "D": 4}
    assert current_levels(levels, {"A": 4, "B": 2, "D": 1, "OUT": 3}) == {"A": 5, "B": 2, "C": None, "D": 5}


def test_control_states_take_target_weight_dimension_from_the_library() -> None:
    lib = library(
        control("TEC-ONE", Dimension.TECHNICAL, weight=3, target=4),
        control("GOV-ONE", Dimension.GOVERNANCE),
    )
    st = control_states(lib, {"TEC-ONE": 2, "GOV-ONE": None})
    assert st["TEC-ONE"].weight == 3 and st["TEC-ONE"].target == 4 and st["TEC-ONE"].level == 2
    assert st["GOV-ONE"].level == 0 and not st["GOV-ONE"].assessed
    with pytest.raises(ContentError, match="unknown control"):
        control_states(lib, {"TEC-NOPE": 1})
    with pytest.raises(ContentError, match="outside"):
        control_states(lib, {"TEC-ONE": 6})
