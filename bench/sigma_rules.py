"""Sigma compiler benchmark: compile time of SigmaHQ's Windows rules (cold and warm cache) and
evaluation throughput on the regression EVTX events repeated to about one million rows.

Run: PYTHONPATH=src:. .venv/bin/python bench/sigma_rules.py [--rows 1000000] [--cache DIR]

``--cache DIR`` keeps the compiled rules between runs (the cold compile takes minutes); without it a fresh
temporary cache is used, so "cold" is really cold. Peak memory is the process's maximum resident size.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from tests.detect import evtx_events

from hygie.detect.sigma.compiler import compile_paths
from hygie.detect.sigma.engine import run, scan_groups

SIGMA = Path("/work/shared/data/sigma")


def windows_rule_dirs() -> list[Path]:
    return [
        d
        for d in (
            SIGMA / "rules" / "windows",
            SIGMA / "rules-emerging-threats",
            SIGMA / "rules-threat-hunting" / "windows",
        )
        if d.is_dir()
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cache", type=Path, default=None, help="compiled-rule cache kept between runs")
    parser.add_argument("--only", choices=("table", "parquet"), default=None, help="one source only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        cache = args.cache or Path(scratch) / "cache"
        started = time.perf_counter()
        compiled = compile_paths(windows_rule_dirs(), cache)
        cold = time.perf_counter() - started
        started = time.perf_counter()
        compile_paths(windows_rule_dirs(), cache)
        warm = time.perf_counter() - started
        print(
            f"rules: {len(compiled.rules)} compiled, {len(compiled.correlations)} correlations, "
            f"{len(compiled.unconvertible)} not convertible, {len(compiled.problems)} files refused"
        )
        print(
            f"compile: cold {cold:.1f} s, warm (cache) {warm:.2f} s; {len(scan_groups(compiled.rules))} scans per run"  # noqa: E501
        )

        files = sorted((SIGMA / "regression_data").rglob("*.evtx"))
        started = time.perf_counter()
        base = evtx_events.table(files)
        parse = time.perf_counter() - started
        print(f"events: {base.num_rows} from {len(files)} EVTX files (parsed and flattened in {parse:.2f} s)")
        copies = max(1, args.rows // base.num_rows)
        parquet = Path(scratch) / "events.parquet"
        with pq.ParquetWriter(parquet, base.schema) as writer:
            for copy in range(copies):
                shifted = base.set_column(
                    0, "event_id", pc.add(base["event_id"], pa.scalar(copy * base.num_rows, pa.int64()))
                )
                writer.write_table(shifted, row_group_size=100_000)
        rows = copies * base.num_rows
        connection = duckdb.connect()
        sources = [("DuckDB table", "events"), ("Parquet file", str(parquet))]
        if args.only:
            sources = [sources[0] if args.only == "table" else sources[1]]
        if any(source == "events" for _, source in sources):
            connection.execute(f"CREATE TABLE events AS SELECT * FROM read_parquet('{parquet}')")  # noqa: S608
        connection.register("events_once", base)
        started = time.perf_counter()
        once = run(connection, "events_once", compiled)
        fixed = time.perf_counter() - started
        print(
            f"fixed cost per run (planning, prefilter set-up), measured on the {base.num_rows} events once: "
            f"{fixed:.1f} s, {len(once)} hits; peak memory before evaluation: {_peak_mb():.0f} MB"
        )
        for label, source in sources:
            started = time.perf_counter()
            hits = run(connection, source, compiled)
            elapsed = time.perf_counter() - started
            print(
                f"evaluate ({label}): {rows} events x {len(compiled.rules)} rules in {elapsed:.1f} s "
                f"= {rows / elapsed:,.0f} events/s; {len(hits)} hits; peak memory {_peak_mb():.0f} MB"
            )
        print(f"peak memory: {_peak_mb():.0f} MB")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    sys.exit(main())
