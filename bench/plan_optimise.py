"""Benchmark of the plan optimiser: 500 synthetic actions over 60 controls, five budgets.

Prints, for each budget, the HiGHS solve time, the objective against the greedy baseline, and the
peak Python memory (tracemalloc) and the process's peak resident memory.
Run: ``.venv/bin/python bench/plan_optimise.py [--actions 500] [--controls 60] [--seed 7]``
"""

from __future__ import annotations

import argparse
import random
import resource
import time
import tracemalloc

from hygie.frameworks.schema import Dimension, Text
from hygie.plan.optimise import greedy, optimise
from hygie.plan.priority import find_candidates
from hygie.plan.schemas import ActionCatalogue, ActionCategory, ActionTemplate, ControlState, OwnerRole

BUDGETS = [50_000, 150_000, 300_000, 600_000, 1_200_000]


def synthetic(n_actions: int, n_controls: int, seed: int) -> tuple[dict[str, ControlState], ActionCatalogue]:
    rng = random.Random(seed)
    dims = list(Dimension)
    states = {
        f"C-{k:03d}": ControlState(
            control_id=f"C-{k:03d}",
            dimension=dims[k % len(dims)],
            weight=rng.randint(1, 3),
            target=rng.choice([3, 3, 4]),
            level=rng.choice([0, 1, 1, 2, 2, 3, 4]),
        )
        for k in range(n_controls)
    }
    controls = list(states)
    actions = []
    for i in range(n_actions):
        cost_min = rng.choice([0, 1_000, 5_000, 10_000, 20_000, 50_000, 100_000])
        # Prerequisites only point backwards, so the graph has no cycle.
        prerequisites = sorted(
            {f"ACT-{rng.randrange(i):04d}" for _ in range(rng.choice([0, 0, 0, 1, 2])) if i}
        )
        actions.append(
            ActionTemplate(
                id=f"ACT-{i:04d}",
                title=Text(fr=f"Action {i}", en=f"Action {i}"),
                description=Text(fr="Synthétique", en="Synthetic"),
                category=rng.choice(list(ActionCategory)),
                owner_role=rng.choice(list(OwnerRole)),
                effort_days=float(rng.randint(1, 40)),
                cost_min=cost_min,
                cost_max=int(cost_min * rng.uniform(1.0, 3.0)) + rng.choice([0, 2_000]),
                raises={c: rng.randint(1, 3) for c in rng.sample(controls, rng.randint(1, 3))},
                prerequisites=prerequisites,
            )
        )
    return states, ActionCatalogue(kind="actions", version="bench", actions=actions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--actions", type=int, default=500)
    parser.add_argument("--controls", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()

    states, catalogue = synthetic(args.actions, args.controls, args.seed)
    candidates = find_candidates(catalogue, states)
    print(f"{len(candidates)} candidate actions over {len(states)} controls")
    print(f"{'budget':>10} {'days':>6} {'solve s':>8} {'chosen':>6} {'MILP obj':>9} {'greedy':>8} "
          f"{'gain %':>7} {'index':>13} {'py peak MB':>10} {'optimal':>7}")  # fmt: skip
    for budget in BUDGETS:
        days = budget / 1_500  # about one person-day per 1.5 k€ of budget
        tracemalloc.start()
        started = time.perf_counter()
        result = optimise(states, candidates, budget, days, time_limit=args.time_limit)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        baseline = greedy(states, candidates, budget, days)
        better = (
            100 * (result.objective - baseline.objective) / baseline.objective if baseline.objective else 0.0
        )
        print(
            f"{budget:>10,} {days:>6.0f} {elapsed:>8.3f} {len(result.chosen):>6} {result.objective:>9.3f} "
            f"{baseline.objective:>8.3f} {better:>+7.2f} "
            f"{result.index_before:>5.1f} → {result.index_after:>5.1f} "
            f"{peak / 1e6:>10.2f} {result.optimal!s:>7}"
        )
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports kilobytes
    print(f"peak resident memory of the process: {rss_mb:.0f} MB")


if __name__ == "__main__":
    main()
