"""SigmaHQ's regression cases: the rule named in each info.yml must fire on its EVTX."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import yaml

from hygie.detect.sigma.compiler import CompiledRules, compile_paths
from hygie.detect.sigma.engine import run
from tests.detect import evtx_events

SIGMA = Path("/work/shared/data/sigma")
RULE_DIRS = [SIGMA / "rules", SIGMA / "rules-emerging-threats", SIGMA / "rules-threat-hunting"]


@dataclass
class Outcome:
    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    unconvertible: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def cases() -> list[tuple[str, str, Path]]:
    found = []
    for info in sorted((SIGMA / "regression_data").rglob("info.yml")):
        data = yaml.safe_load(info.read_text(encoding="utf-8"))
        rule = data["rule_metadata"][0]
        for test in data.get("regression_tests_info") or []:
            if test.get("type") == "evtx":
                found.append((str(rule["id"]), str(rule["title"]), SIGMA / test["path"]))
    return found


def replay(cache_dir: Path | None = None, engine: str = "duckdb", spark: object = None) -> Outcome:
    compiled = compile_paths(RULE_DIRS, cache_dir)
    by_id = {r.id: r for r in compiled.rules}
    refused = {u.id: u.reason for u in compiled.unconvertible}
    outcome = Outcome()
    connection = duckdb.connect()
    for rule_id, title, evtx in cases():
        if rule_id in refused:
            outcome.unconvertible.append(f"{rule_id} {title}: {refused[rule_id]}")
            continue
        rule = by_id.get(rule_id)
        if rule is None or not evtx.is_file():
            outcome.missing.append(f"{rule_id} {title}")
            continue
        one = CompiledRules(digest="", rules=[rule])
        events = evtx_events.table([evtx])
        if engine == "spark":
            from hygie.detect.sigma.engine import run_spark

            spark.createDataFrame(events.to_pandas()).createOrReplaceTempView("events")  # type: ignore[attr-defined]
            hits = run_spark(spark, "events", one)
        else:
            connection.register("events", events)
            hits = run(connection, "events", one)
        (outcome.passed if hits else outcome.failed).append(f"{rule_id} {title} ({evtx.name})")
    return outcome


if __name__ == "__main__":
    result = replay(Path("/tmp/hygie-sigma-cache"))  # noqa: S108
    print(
        f"passed {len(result.passed)}, failed {len(result.failed)}, unconvertible {len(result.unconvertible)}, missing {len(result.missing)}"  # noqa: E501
    )
    for line in result.failed + result.unconvertible + result.missing:
        print("  ", line)
