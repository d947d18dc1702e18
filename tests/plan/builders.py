"""Small synthetic controls and action templates for the plan's tests."""

from __future__ import annotations

import random
from collections.abc import Mapping

from hygie.frameworks.loader import Library
from hygie.frameworks.schema import Control, Dimension
from hygie.plan.priority import find_candidates
from hygie.plan.schemas import ActionCatalogue, ActionTemplate, Candidate, ControlState


def template(
    action_id: str,
    raises: Mapping[str, int],
    cost: int | tuple[int, int] = 10_000,
    days: float = 10,
    prerequisites: list[str] | None = None,
    owner_role: str = "rssi",
) -> ActionTemplate:
    cost_min, cost_max = (cost, cost) if isinstance(cost, int) else cost
    return ActionTemplate.model_validate(
        {
            "id": action_id,
            "title": {"fr": f"Action {action_id}", "en": f"Action {action_id}"},
            "description": {"fr": "Description.", "en": "Description."},
            "category": "governance",
            "owner_role": owner_role,
            "effort_days": days,
            "cost_min": cost_min,
            "cost_max": cost_max,
            "raises": dict(raises),
            "prerequisites": prerequisites or [],
        }
    )


def catalogue(*templates: ActionTemplate) -> ActionCatalogue:
    return ActionCatalogue(kind="actions", version="test", actions=list(templates))


def state(
    control_id: str,
    level: int,
    target: int = 3,
    weight: int = 1,
    dimension: Dimension = Dimension.TECHNICAL,
) -> ControlState:
    return ControlState(control_id=control_id, dimension=dimension, weight=weight, target=target, level=level)


def states(*items: ControlState) -> dict[str, ControlState]:
    return {s.control_id: s for s in items}


def random_case(seed: int) -> tuple[dict[str, ControlState], list[Candidate], int, float]:
    rng = random.Random(seed)  # noqa: S311 -- seeded test data, not a secret
    controls = [f"C{k}" for k in range(6)]
    st = states(
        *(
            state(
                cid,
                level=rng.randint(0, 5),
                target=rng.randint(2, 5),
                weight=rng.randint(1, 5),
                dimension=rng.choice(list(Dimension)[:3]),
            )
            for cid in controls
        )
    )
    templates = []
    for i in range(8):
        raises = {cid: rng.randint(1, 3) for cid in rng.sample(controls, rng.randint(1, 3))}
        prerequisites = [f"A-{j}" for j in range(i) if rng.random() < 0.15]
        templates.append(
            template(
                f"A-{i}",
                raises,
                cost=(rng.randint(1, 40) * 1000, rng.randint(40, 80) * 1000),
                days=rng.randint(1, 30),
                prerequisites=prerequisites,
            )
        )
    candidates = find_candidates(catalogue(*templates), st)
    budget = rng.choice([30_000, 80_000, 150_000, 250_000])
    days = float(rng.choice([20, 50, 100]))
    return st, candidates, budget, days


def control(control_id: str, dimension: Dimension, weight: int = 1, target: int = 3) -> Control:
    return Control.model_validate(
        {
            "id": control_id,
            "dimension": dimension,
            "title": {"fr": f"Titre {control_id}", "en": f"Title {control_id}"},
            "question": {"fr": "Question ?", "en": "Question?"},
            "weight": weight,
            "target": target,
        }
    )


def library(*controls: Control) -> Library:
    return Library(controls={c.id: c for c in controls}, referentials={})
