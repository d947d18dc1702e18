from __future__ import annotations

from datetime import date

import pytest

from hygie.core.errors import ValidationError
from hygie.frameworks.schema import Text
from hygie.plan.optimise import optimise
from hygie.plan.roadmap import quarter_end, quarter_start, roadmap_for, schedule
from hygie.plan.schemas import ChosenAction, OwnerRole
from tests.plan.builders import random_case


def chosen(
    action_id: str, days: float, rank: int, prerequisites: list[str] | None = None, role: str = "rssi"
) -> ChosenAction:
    return ChosenAction(
        template_id=action_id,
        title=Text(fr=action_id, en=action_id),
        cost=1000,
        effort_days=days,
        owner_role=OwnerRole(role),
        prerequisites=prerequisites or [],
        rank=rank,
    )


def test_quarters() -> None:
    assert quarter_start(date(2027, 2, 15)) == date(2027, 1, 1)
    assert quarter_end(date(2027, 2, 15)) == date(2027, 3, 31)
    assert quarter_start(date(2027, 11, 10), 1) == date(2028, 1, 1)
    assert quarter_end(date(2027, 11, 10), 2) == date(2028, 6, 30)


def test_prerequisite_ends_in_an_earlier_quarter_and_capacity_holds() -> None:
    actions = [chosen("A", 10, 1), chosen("B", 5, 2, ["A"]), chosen("C", 8, 3)]
    plan = schedule(actions, date(2027, 2, 15), capacity_per_quarter=15)
    where = {i.template_id: (i.quarter, i.due_date) for i in plan.items}
    # Q1: A (10 d); C does not fit beside it (18 > 15); B waits for A. Q2: B + C = 13 d.
    assert where == {
        "A": ("2027-Q1", date(2027, 3, 31)),
        "B": ("2027-Q2", date(2027, 6, 30)),
        "C": ("2027-Q2", date(2027, 6, 30)),
    }
    assert plan.over_capacity == []


def test_an_action_larger_than_the_capacity_gets_a_quarter_alone() -> None:
    plan = schedule([chosen("BIG", 40, 1), chosen("S", 2, 2)], date(2027, 1, 1), capacity_per_quarter=15)
    assert [(i.template_id, i.quarter) for i in plan.items] == [("BIG", "2027-Q1"), ("S", "2027-Q2")]
    assert plan.over_capacity == ["2027-Q1"]


def test_owner_from_role_overridable_by_role_or_action() -> None:
    actions = [chosen("A", 1, 1, role="dsi"), chosen("B", 1, 2, role="dsi"), chosen("C", 1, 3)]
    plan = schedule(actions, date(2027, 1, 1), 10, owners={"dsi": "M. Martin", "C": "Mme Durand"})
    assert {i.template_id: i.owner for i in plan.items} == {
        "A": "M. Martin",
        "B": "M. Martin",
        "C": "Mme Durand",
    }
    assert schedule(actions, date(2027, 1, 1), 10).items[0].owner == "dsi"


def test_bad_capacity_is_refused() -> None:
    with pytest.raises(ValidationError):
        schedule([chosen("A", 1, 1)], date(2027, 1, 1), 0)


@pytest.mark.parametrize("seed", range(15))
def test_random_plans_keep_prerequisites_in_earlier_quarters(seed: int) -> None:
    st, candidates, budget, days = random_case(seed)
    result = optimise(st, candidates, budget * 3, days * 3)
    plan = roadmap_for(result, date(2027, 1, 1), quarters=4)
    quarter = {i.template_id: i.quarter for i in plan.items}
    assert set(quarter) == {a.template_id for a in result.chosen}
    for item in plan.items:
        for prerequisite in item.prerequisites:
            assert quarter[prerequisite] < item.quarter
    per_quarter: dict[str, float] = {}
    for item in plan.items:
        per_quarter[item.quarter] = per_quarter.get(item.quarter, 0) + item.effort_days
    for label, load in per_quarter.items():
        assert load <= plan.capacity_per_quarter + 1e-9 or label in plan.over_capacity
