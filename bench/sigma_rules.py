"""Sigma compiler benchmark: compile time of SigmaHQ's Windows rules (cold and warm cache) and
evaluation throughput on the regression EVTX events repeated to about one million rows.

Run: PYTHONPATH=src:. .venv/bin/python bench/sigma_rules.py [--rows 1000000]
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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        cache = Path(scratch) / "cache"
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
        connection.execute(f"CREATE TABLE events AS SELECT * FROM read_parquet('{parquet}')")  # noqa: S608
        for label, source in (("DuckDB table", "events"), ("Parquet file", str(parquet))):
            started = time.perf_counter()
            hits = run(connection, source, compiled)
            elapsed = time.perf_counter() - started
            print(
                f"evaluate ({label}): {rows} events x {len(compiled.rules)} rules in {elapsed:.1f} s "
                f"= {rows / elapsed:,.0f} events/s; {len(hits)} hits"
            )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory: {peak:.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
