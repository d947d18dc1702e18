"""Benchmark of the network analysis: N rules over Z zones, the full zone × zone matrix and the
segmentation policy check.

Prints, for growing rule counts, the time of the matrix and of the policy check, the peak Python
memory (tracemalloc), the atom pairs and the decisions actually computed.
Run: ``.venv/bin/python bench/network.py [--rules 5000] [--zones 300] [--seed 7]``
"""

from __future__ import annotations

import argparse
import random
import resource
import time
import tracemalloc

from hygie.network.reachability import Action, RuleSetSpec, RuleSpec, ZoneSpec, analyse
from hygie.network.services import default_catalogue, parse_service

KINDS = [
    "clinical_workstations",
    "medical_devices",
    "imaging",
    "servers",
    "administration",
    "dmz",
    "backup",
    "guest_wifi",
    "building_management",
    "partners",
]


def synthetic(n_rules: int, n_zones: int, seed: int) -> tuple[list[ZoneSpec], list[RuleSetSpec]]:
    rng = random.Random(seed)
    zones = [ZoneSpec("internet", "internet")]
    for i in range(n_zones - 1):
        # /24s in 10.0.0.0/8, a few with a second network
        networks = [f"10.{i // 250}.{i % 250}.0/24"]
        if rng.random() < 0.1:
            networks.append(f"172.16.{i % 250}.0/25")
        zones.append(ZoneSpec(f"Z{i:03d}", rng.choice(KINDS), tuple(networks)))
    names = [z.name for z in zones]
    catalogue = default_catalogue()
    services = [p for s in catalogue.services for p in s.ports]
    rulesets = []
    per_firewall = n_rules // 4
    for f in range(4):
        rules = []
        for r in range(per_firewall):
            roll = rng.random()
            if roll < 0.7:  # zone to zone, one to three services
                src, dst = (rng.choice(names),), (rng.choice(names),)
            elif roll < 0.9:  # one host to a zone or a host
                zone = rng.randrange(n_zones - 1)
                src = (f"10.{zone // 250}.{zone % 250}.{rng.randrange(1, 254)}",)
                host = f"10.{rng.randrange(2)}.{rng.randrange(250)}.{rng.randrange(1, 254)}"
                dst = (rng.choice(names),) if rng.random() < 0.5 else (host,)
            else:  # broader: several zones, or any
                src = tuple(rng.sample(names, 3)) if rng.random() < 0.7 else ()
                dst = tuple(rng.sample(names, 2))
            picked = tuple(parse_service(s) for s in rng.sample(services, rng.randint(1, 3)))
            action = Action.DENY if rng.random() < 0.15 else Action.ALLOW
            rules.append(RuleSpec(f"fw{f}-{r}", action, src, dst, picked))
        rulesets.append(RuleSetSpec(f"fw{f}", "FORWARD", tuple(rules)))
    return zones, rulesets


def run(n_rules: int, n_zones: int, seed: int) -> None:
    zones, rulesets = synthetic(n_rules, n_zones, seed)
    started = time.perf_counter()
    analysis = analyse(zones, rulesets)
    matrix = time.perf_counter() - started
    started = time.perf_counter()
    violations = policy_check(zones, analysis)
    check = time.perf_counter() - started
    # memory in a second pass: tracemalloc slows Python down about three times
    tracemalloc.start()
    policy_check(zones, analyse(zones, rulesets))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"{n_rules:>6} rules {n_zones:>4} zones: matrix {matrix:5.2f} s + policy {check:5.2f} s "
        f"= {matrix + check:5.2f} s, peak {peak / 2**20:6.1f} MiB; {len(analysis.flows):>6} zone pairs open, "
        f"{analysis.atom_pairs:>7} atom pairs, {analysis.computed:>5} decisions computed, "
        f"{len(analysis.useless):>4} useless rules, {violations:>5} violations"
    )


def policy_check(zones: list[ZoneSpec], analysis: object) -> int:
    from hygie.network.policy import check, default_policy
    from hygie.network.reachability import Analysis

    assert isinstance(analysis, Analysis)
    return len(check(default_policy(), zones, analysis))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rules", type=int, default=5000)
    parser.add_argument("--zones", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    for share in (8, 4, 2, 1):
        run(args.rules // share, args.zones, args.seed)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak resident memory: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
