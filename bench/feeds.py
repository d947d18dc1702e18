"""Benchmark of the NVD feed parser: the 10 real NVD records of ../shared/data/nvd, then the same
records repeated (new CVE ids) into one gzip-compressed NVD 2.0 feed file, as ``hygie feeds update``
reads the yearly files. Each run parses the file and writes its three Parquet tables.

Prints, per volume: records, table rows, seconds, records/s and rows/s, and the peak memory: Python
allocations (tracemalloc) for the sample, the peak resident memory of a fresh process for the large
file (it must not grow with the file: records are read one at a time and rows written in batches).
Run: ``.venv/bin/python bench/feeds.py [--copies 3000]``
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

from hygie.vulns.feeds.catalogue import FEEDS
from hygie.vulns.feeds.report import FeedReport
from hygie.vulns.feeds.service import build_feed

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "data" / "nvd"


def parse(files: list[Path], out: Path) -> tuple[int, int, float]:
    """(records, rows of all tables, seconds) for parsing ``files`` into Parquet under ``out``."""
    report = FeedReport("nvd")
    started = time.perf_counter()
    entry = build_feed(FEEDS["nvd"], files, out, report, [])
    elapsed = time.perf_counter() - started
    assert report.skipped == 0, report.problems
    return entry.rows, sum(t.rows for t in entry.tables.values()), elapsed


def write_feed(path: Path, copies: int) -> int:
    """One NVD 2.0 feed file of ``copies`` × the samples, written as a stream."""
    records = [json.loads(p.read_bytes()) for p in sorted(SAMPLES.glob("CVE-*.json"))]
    count = 0
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as out:
        header = {"format": "NVD_CVE", "version": "2.0", "timestamp": "2025-10-25T00:00:00.000"}
        out.write(json.dumps(header)[:-1] + ', "vulnerabilities": [')
        for _ in range(copies):
            for record in records:
                record = {**record, "id": f"CVE-2099-{count + 100000}"}
                out.write(("," if count else "") + json.dumps({"cve": record}))
                count += 1
        out.write("]}")
    return count


def _large(path: str, out: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    records, rows, elapsed = parse([Path(path)], Path(out))
    queue.put((records, rows, elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def _rates(records: int, rows: int, elapsed: float) -> str:
    return (
        f"{records:>7} records {rows:>9} rows {elapsed:7.2f} s "
        f"{records / elapsed:>7.0f} records/s {rows / elapsed:>8.0f} rows/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=3000, help="times the 10 samples are repeated")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        tracemalloc.start()
        records, rows, elapsed = parse(sorted(SAMPLES.glob("CVE-*.json")), folder / "sample")
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        print(f"sample : {_rates(records, rows, elapsed)}  peak Python memory {peak:.1f} MB")
        feed = folder / "nvdcve-2.0-2099.json.gz"
        started = time.perf_counter()
        count = write_feed(feed, args.copies)
        size = feed.stat().st_size / 1e6
        print(
            f"generated {count} records in {time.perf_counter() - started:.1f} s ({size:.0f} MB compressed)"
        )
        context = multiprocessing.get_context("spawn")
        queue = context.Queue()
        process = context.Process(target=_large, args=(str(feed), str(folder / "large"), queue))
        process.start()
        records, rows, elapsed, rss = queue.get()
        process.join()
        print(f"large  : {_rates(records, rows, elapsed)}  peak resident memory {rss:.0f} MB")
        parquet = sum(p.stat().st_size for p in (folder / "large").rglob("*.parquet")) / 1e6
        print(f"Parquet written: {parquet:.1f} MB")


if __name__ == "__main__":
    main()
