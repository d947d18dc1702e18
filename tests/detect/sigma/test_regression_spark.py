"""SigmaHQ's regression cases on Spark (local[2]): the same rules fire on the same events as on DuckDB.

Every case's EVTX goes into one table (event ids numbered across files) and the cases' rules are evaluated
in one run per engine, many rules per scan (one Spark query per log-source group, not one per case). The hits
must be equal, event for event, and each case's rule must fire on its own file.

All 145 cases took 125 s of Spark time on the shared 2-core machine (load 12; they all passed, 187 equal
hits), more than the minute a test may take: by default a deterministic sample of at least
:data:`SAMPLE_SIZE` cases runs, chosen round-robin over the log-source groups so every group is covered
(66 s under the same load: the time goes mostly to the one query per group, 11 of them, not to the cases).
``HYGIE_SPARK_REGRESSION=all`` replays every case.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from hygie.detect.sigma.compiler import CompiledRules, compile_paths
from hygie.detect.sigma.engine import run, run_spark
from tests.detect import evtx_events
from tests.detect.sigma import regression
from tests.detect.sigma.test_spark import _spark_schema, spark_rows

pytestmark = pytest.mark.skipif(not regression.SIGMA.is_dir(), reason="SigmaHQ data set not present")
CACHE = Path("/tmp/hygie-sigma-test-cache")  # noqa: S108 -- shared with test_regression: compiling takes a minute
SAMPLE_SIZE = 30
Case = tuple[str, str, Path]  # rule id, title, EVTX


def group_of(compiled: CompiledRules, rule_id: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
    rule = next(r for r in compiled.rules if r.id == rule_id)
    return tuple(rule.channels), tuple(rule.event_codes)


def sample(cases: list[Case], compiled: CompiledRules, size: int) -> list[Case]:
    """Round-robin over the log-source groups (sorted), cases in file order within each: every group is
    represented, the same cases every run."""
    by_group: dict[tuple[tuple[str, ...], tuple[int, ...]], list[Case]] = defaultdict(list)
    for case in cases:
        by_group[group_of(compiled, case[0])].append(case)
    queues = [by_group[key] for key in sorted(by_group)]
    chosen: list[Case] = []
    depth = 0
    while len(chosen) < min(size, len(cases)) or depth == 0:
        chosen.extend(queue[depth] for queue in queues if depth < len(queue))
        depth += 1
    return chosen


def _replay_set(everything: bool) -> tuple[CompiledRules, pa.Table, dict[str, tuple[str, range]], int]:
    """The cases' rules, one table of their events, per case its rule id and its file's event ids, and
    the number of log-source groups of all the convertible cases."""
    compiled = compile_paths(regression.RULE_DIRS, CACHE)
    by_id = {r.id: r for r in compiled.rules}
    # Not convertible or not shipped: test_regression lists them.
    cases = [c for c in regression.cases() if c[0] in by_id and c[2].is_file()]
    groups = len({group_of(compiled, c[0]) for c in cases})
    if not everything:
        cases = sample(cases, compiled, SAMPLE_SIZE)
    files: dict[Path, range] = {}
    tables = []
    next_id = 1
    chosen: dict[str, tuple[str, range]] = {}
    for rule_id, title, evtx in cases:
        if evtx not in files:
            part = evtx_events.table([evtx], next_id)
            files[evtx] = range(next_id, next_id + part.num_rows)
            next_id += part.num_rows
            tables.append(part)
        chosen[f"{rule_id} {title} ({evtx.name})"] = (rule_id, files[evtx])
    ids = sorted({rule_id for rule_id, _ in chosen.values()})
    rules = CompiledRules(digest="", rules=[replace(by_id[i], emit=True) for i in ids])
    return rules, pa.concat_tables(tables), chosen, groups


def _pairs(hits: list[Any]) -> set[tuple[str, int]]:
    return {(h.rule_id, event_id) for h in hits for event_id in h.event_ids}


def test_regression_cases_fire_the_same_on_spark_and_duckdb(spark: Any) -> None:
    everything = os.environ.get("HYGIE_SPARK_REGRESSION") == "all"
    rules, events, chosen, all_groups = _replay_set(everything)
    groups = {(tuple(r.channels), tuple(r.event_codes)) for r in rules.rules}
    connection = duckdb.connect()
    connection.register("events", events)
    duck = _pairs(run(connection, "events", rules))

    started = time.monotonic()
    frame = spark.createDataFrame(spark_rows(events), schema=_spark_schema())
    frame.createOrReplaceTempView("regression_events")
    sparked = _pairs(run_spark(spark, "regression_events", rules))
    elapsed = time.monotonic() - started
    print(
        f"SigmaHQ regression on Spark ({'all cases' if everything else 'sample'}): {len(chosen)} cases,"
        f" {len(rules.rules)} rules in {len(groups)} "
        f"log-source groups, {events.num_rows} events, {len(sparked)} hits, {elapsed:.1f} s"
    )
    assert len(chosen) >= (145 if everything else SAMPLE_SIZE)
    assert len(groups) == all_groups  # every log-source group is replayed
    assert sparked == duck
    silent = [
        name for name, (rule_id, own) in chosen.items() if not any((rule_id, i) in sparked for i in own)
    ]
    assert silent == []


def test_the_sample_covers_every_group_and_is_stable() -> None:
    compiled = compile_paths(regression.RULE_DIRS, CACHE)
    by_id = {r.id for r in compiled.rules}
    cases = [c for c in regression.cases() if c[0] in by_id and c[2].is_file()]
    chosen = sample(cases, compiled, SAMPLE_SIZE)
    assert len(chosen) >= SAMPLE_SIZE and len(set(chosen)) == len(chosen)
    assert {group_of(compiled, c[0]) for c in chosen} == {group_of(compiled, c[0]) for c in cases}
    assert sample(list(cases), compiled, SAMPLE_SIZE) == chosen
