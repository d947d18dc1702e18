"""Benchmark of detection end to end: ingestion plus every SigmaHQ Windows rule, as issue 4 asks.

Two runs, each in a fresh process (so its peak memory is its own):

1. The 277 EVTX files of ../shared/data/evtx-attack-samples as they are (8,255 records, 29 MB): ingested
   into a throwaway store through the EVTX reader, then every rule of SigmaHQ's ``rules/windows``,
   ``rules-emerging-threats`` and ``rules-threat-hunting/windows`` evaluated over it with DuckDB
   (:func:`hygie.detect.sigma.engine.run`). Alerts are reported per ATT&CK tactic folder of the samples.
2. The same events repeated to at least ``--rows`` (one million by default), each copy with its times moved
   by one more day and its record ids by ten million, written once as NDJSON files before the run
   (``TimeCreated_SystemTime``, ``EventRecordID`` and every field of the stored events, one JSON object a
   line, in time order as a log export is) and then ingested and evaluated like the samples.

   Why NDJSON rather than EVTX copies: the times and record ids an EVTX record carries are inside its
   binary XML (the template's substitution values), which cannot be shifted without re-encoding the
   record; moving the record header alone (what bench/ingest.py does to time the EVTX reader at volume)
   leaves ``ts`` and ``record_id`` unchanged, so every copy would fall on the same instants and the
   correlation rules would see one giant burst. NDJSON goes through the same pipeline (format detection,
   flattening, Parquet store by day, manifest); its fields are the EVTX names, so the rules match the
   same events.

For each run it prints the events, the ingestion and evaluation times and events/s separately, the whole
run (rules loaded from the warm cache + ingestion + evaluation) in events/s, the peak resident memory
of the run's processes together (during ingestion, during evaluation), the time the ``evtx`` parser
alone takes to read the same records (records as JSON strings, nothing else; for run 2 the samples read
``copies`` times, measured on a few reads) and the ratio of the whole run to it. Targets of the issue on
this 2-core machine: 25,000 events/s end to end on the million-event set, within 2x of the parse time,
peak memory flat in input size (under 1.5 GB).

The rules are compiled once into a cache (``--cache``, kept between runs): the first run of the bench
compiles them (minutes), later ones load them (about a second).

The data are read from ../shared/data beside the checkout (``HYGIE_SHARED_DATA`` to read them elsewhere).

Run: ``PYTHONPATH=src .venv/bin/python bench/detect.py [--rows 1000000] [--quick] [--workers 1]``
(``--quick``: 50,000 repeated events, a smoke run of a minute or two).
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from contextlib import suppress
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import duckdb
from evtx import PyEvtxParser

from hygie.core.settings import Settings
from hygie.detect.events import dataset_glob
from hygie.detect.ingest import ingest_paths
from hygie.detect.sigma.compiler import compile_paths
from hygie.detect.sigma.engine import run, scan_groups

SHARED = Path(os.environ.get("HYGIE_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
SAMPLES = SHARED / "evtx-attack-samples"
SIGMA = SHARED / "sigma"
RULE_DIRS = [
    SIGMA / "rules" / "windows",
    SIGMA / "rules-emerging-threats",
    SIGMA / "rules-threat-hunting" / "windows",
]
RECORD_SHIFT = 10_000_000
QUICK_ROWS = 50_000
PARSE_READS = 3


class TreeMemory:
    """The peak resident memory of this process and its direct children (the ingestion workers) together,
    sampled every 0.1 s.

    ``ru_maxrss`` would not do: it is the peak of one process, not of the workers running at the same
    time, and Linux keeps it across fork and exec, so a process spawned by a big one starts at its peak.
    """

    def __init__(self) -> None:
        self.peak_mb = 0.0
        self._lock = threading.Lock()  # a sample taken before a reset must not land after it
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def reset(self) -> float:
        """The peak so far; sampling starts again from the current figure."""
        with self._lock:
            peak, self.peak_mb = self.peak_mb, self._now_mb()
        return max(peak, self.peak_mb)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_mb

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            with self._lock:
                self.peak_mb = max(self.peak_mb, self._now_mb())

    @staticmethod
    def _now_mb() -> float:
        pids = [os.getpid()]
        with suppress(OSError):
            children = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read_text().split()
            pids += [int(pid) for pid in children]
        total = 0
        for pid in pids:
            with suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        return total / 1024


def _cpu_s() -> float:
    """CPU seconds of this process (all its threads: DuckDB's too) and of its ended children (the
    ingestion workers): the machine is shared, so wall times alone say little."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def parser_alone(files: list[Path]) -> tuple[int, float]:
    """Records the ``evtx`` parser yields (as JSON strings) from these files, and the seconds it takes."""
    started = time.perf_counter()
    count = 0
    for path in files:
        records = iter(PyEvtxParser(str(path)).records_json())
        while True:
            try:
                next(records)
            except StopIteration:
                break
            except RuntimeError:
                continue
            count += 1
    return count, time.perf_counter() - started


def tactic_of(file: str) -> str:
    """The ATT&CK tactic folder of a sample file (its first folder under the samples)."""
    parts = Path(file).relative_to(SAMPLES).parts
    return parts[0] if len(parts) > 1 else "(top folder)"


def measure(
    files: list[Path], home: Path, rule_dirs: list[Path], cache: Path, workers: int, tactics: bool
) -> dict[str, Any]:
    """One run in this (fresh) process: rules from the cache, ingestion, evaluation; times and peak memory."""
    settings = Settings(home=home)
    memory = TreeMemory()
    started = time.perf_counter()
    rules = compile_paths(rule_dirs, cache)
    loaded = time.perf_counter()
    cpu_loaded = _cpu_s()
    report = ingest_paths(settings, 1, files, workers=workers)
    ingested = time.perf_counter()
    cpu_ingested = _cpu_s()
    ingest_peak = memory.reset()
    connection = duckdb.connect()
    connection.execute("SET enable_progress_bar = false")
    hits = run(connection, dataset_glob(settings, 1), rules)
    evaluated = time.perf_counter()
    cpu_evaluated = _cpu_s()
    result: dict[str, Any] = {
        "files": len(files),
        "events": report.events,
        "corrupt": report.corrupt,
        "rules": len(rules.rules),
        "correlations": len(rules.correlations),
        "scans": len(scan_groups([r for r in rules.rules if r.emit])),
        "load_s": loaded - started,
        "ingest_s": ingested - loaded,
        "eval_s": evaluated - ingested,
        "ingest_cpu_s": cpu_ingested - cpu_loaded,
        "eval_cpu_s": cpu_evaluated - cpu_ingested,
        "hits": len(hits),
        "rules_fired": len({h.rule_id for h in hits}),
        "ingest_peak_mb": ingest_peak,
        "eval_peak_mb": memory.stop(),
    }
    if tactics:
        result["tactics"] = _by_tactic(connection, dataset_glob(settings, 1), report.files, hits)
    return result


def _by_tactic(connection: Any, glob: str, files: list[Any], hits: list[Any]) -> dict[str, dict[str, int]]:
    """Per tactic folder: files, events, hits (one per rule and event or burst), rules fired, files hit."""
    file_of = dict(connection.execute("SELECT event_id, file FROM read_parquet(?)", [glob]).fetchall())
    table: dict[str, dict[str, int]] = defaultdict(Counter)
    for result in files:
        row = table[tactic_of(result.file)]
        row["files"] += 1
        row["events"] += result.events
    rules: dict[str, set[str]] = defaultdict(set)
    hit_files: dict[str, set[str]] = defaultdict(set)
    for hit in hits:
        file = file_of.get(hit.event_ids[0])
        if file is None:
            continue
        tactic = tactic_of(file)
        table[tactic]["hits"] += 1
        rules[tactic].add(hit.rule_id)
        hit_files[tactic].add(file)
    for tactic, row in table.items():
        row["rules"] = len(rules[tactic])
        row["files_hit"] = len(hit_files[tactic])
    return {k: dict(v) for k, v in sorted(table.items())}


def in_fresh_process(*args: Any) -> dict[str, Any]:
    # "spawn": a clean process whose peak memory is the run's alone (DuckDB and the parser run threads).
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        return pool.submit(measure, *args).result()


def write_repeated(store_home: Path, out: Path, copies: int, parts: int) -> list[Path]:
    """The stored events ``copies`` times, times and record ids shifted per copy, as NDJSON in time order."""
    connection = duckdb.connect()
    connection.execute("SET enable_progress_bar = false")
    glob = dataset_glob(Settings(home=store_home), 1)
    # The shifted time goes into TimeCreated_SystemTime (what the reader takes as the event's time), the
    # shifted record id into EventRecordID; every other field is the stored one.
    query = f"""
        SELECT to_json(map_concat(fields, MAP {{
                   'TimeCreated_SystemTime': strftime(ts + to_days(k::INTEGER), '%Y-%m-%dT%H:%M:%S.%fZ'),
                   'EventRecordID': CAST(coalesce(record_id, 0) + k * {RECORD_SHIFT} AS VARCHAR)}})) AS line
        FROM read_parquet('{glob}') AS e, range({int(copies)}) AS r(k)
        ORDER BY ts + to_days(k::INTEGER), k, event_id
    """  # noqa: S608 -- the glob is ours
    total = connection.execute(f"SELECT count(*) * ? FROM read_parquet('{glob}')", [copies]).fetchall()  # noqa: S608
    per_part = max(1, math.ceil(int(total[0][0]) / parts))
    paths = [out / f"repeated-{n:02d}.ndjson" for n in range(parts)]
    reader = connection.sql(query).to_arrow_reader(50_000)
    written = 0
    stream = paths[0].open("w", encoding="utf-8")
    try:
        for batch in reader:
            for line in batch.column(0).to_pylist():
                if written and written % per_part == 0:
                    stream.close()
                    stream = paths[written // per_part].open("w", encoding="utf-8")
                stream.write(line)
                stream.write("\n")
                written += 1
    finally:
        stream.close()
    return [p for p in paths if p.exists()]


def print_run(label: str, result: dict[str, Any], parse_s: float) -> None:
    events = result["events"]
    whole = result["load_s"] + result["ingest_s"] + result["eval_s"]
    print(f"\n{label}")
    print(
        f"  events {events:,} ({result['files']} files, {result['corrupt']} corrupt records); "
        f"rules {result['rules']} + {result['correlations']} correlations in {result['scans']} scans, "
        f"loaded from the cache in {result['load_s']:.2f} s"
    )
    print(
        f"  ingestion   {result['ingest_s']:8.2f} s  {events / result['ingest_s']:>10,.0f} events/s"
        f"  (CPU {result['ingest_cpu_s']:.2f} s)"
    )
    print(
        f"  evaluation  {result['eval_s']:8.2f} s  {events / result['eval_s']:>10,.0f} events/s"
        f"  (CPU {result['eval_cpu_s']:.2f} s)"
    )
    print(f"  end to end  {whole:8.2f} s  {events / whole:>10,.0f} events/s")
    print(
        f"  evtx parser alone on the same records {parse_s:.2f} s; "
        f"whole run / parse time = {whole / parse_s:.1f}x"
    )
    print(
        f"  hits {result['hits']:,} from {result['rules_fired']} rules; peak memory (the run's processes "
        f"together) {result['ingest_peak_mb']:,.0f} MB during ingestion, "
        f"{result['eval_peak_mb']:,.0f} MB during evaluation"
    )


def print_tactics(tactics: dict[str, dict[str, int]]) -> None:
    print("\nalerts per ATT&CK tactic folder of the samples (hits: one per rule and event, or per burst)")
    print(f"  {'folder':<28} {'files':>5} {'events':>7} {'hits':>6} {'rules':>5} {'files hit':>9}")
    for tactic, row in tactics.items():
        print(
            f"  {tactic:<28} {row['files']:>5} {row['events']:>7} {row.get('hits', 0):>6} "
            f"{row['rules']:>5} {row['files_hit']:>9}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="events of the repeated set (at least)")
    parser.add_argument("--quick", action="store_true", help=f"a smoke run: {QUICK_ROWS:,} repeated events")
    parser.add_argument("--workers", type=int, default=1, help="ingestion processes (the NDJSON is split)")
    parser.add_argument(
        "--rules",
        type=Path,
        action="append",
        help="rule folder instead of SigmaHQ's Windows rules (repeatable; to try the bench itself quickly)",
    )
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "hygie-bench" / "sigma-cache"
    )
    args = parser.parse_args()
    rows = QUICK_ROWS if args.quick else args.rows
    samples = sorted(SAMPLES.rglob("*.evtx"))
    if not samples or not all(d.is_dir() for d in args.rules or RULE_DIRS):
        sys.exit(f"no EVTX samples under {SAMPLES} or no rules: set HYGIE_SHARED_DATA to ../shared/data")

    started = time.perf_counter()
    rule_dirs = args.rules or RULE_DIRS
    compiled = compile_paths(rule_dirs, args.cache)
    print(
        f"rules: {len(compiled.rules)} compiled, {len(compiled.correlations)} correlations, "
        f"{len(compiled.unconvertible)} not convertible, {len(compiled.problems)} files refused "
        f"(cache {args.cache}: {time.perf_counter() - started:.1f} s)"
    )
    reads = [parser_alone(samples) for _ in range(PARSE_READS)]
    records, parse_s = reads[0][0], min(seconds for _, seconds in reads)
    print(
        f"evtx parser alone: {records:,} records of {len(samples)} files in {parse_s:.3f} s "
        f"(best of {PARSE_READS})"
    )

    with tempfile.TemporaryDirectory(prefix="hygie-bench-") as scratch:
        work = Path(scratch)
        first = in_fresh_process(samples, work / "samples", rule_dirs, args.cache, args.workers, True)
        print_run(f"1. the {len(samples)} EVTX samples as they are", first, parse_s)
        print_tactics(first["tactics"])

        copies = max(1, math.ceil(rows / first["events"]))
        generated = time.perf_counter()
        (work / "input").mkdir()
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:  # its memory is not the run's
            paths = pool.submit(
                write_repeated, work / "samples", work / "input", copies, max(1, args.workers)
            ).result()
        size = sum(p.stat().st_size for p in paths) / 2**20
        print(
            f"\nrepeated set: {copies} copies of the {first['events']:,} stored events, "
            f"{size:,.0f} MB of NDJSON "
            f"in {len(paths)} file(s), written in {time.perf_counter() - generated:.1f} s (not timed below)"
        )
        shutil.rmtree(work / "samples")
        second = in_fresh_process(paths, work / "repeated", rule_dirs, args.cache, args.workers, False)
        assert second["events"] == copies * first["events"], (second["events"], copies, first["events"])
        print_run(
            f"2. the samples repeated {copies} times "
            f"(NDJSON; parse time = the EVTX samples read {copies} times)",
            second,
            parse_s * copies,
        )
        first_peak = max(first["ingest_peak_mb"], first["eval_peak_mb"])
        second_peak = max(second["ingest_peak_mb"], second["eval_peak_mb"])
        print(
            f"\npeak memory of the run: {first_peak:,.0f} MB for {first['events']:,} events, "
            f"{second_peak:,.0f} MB for {second['events']:,} events"
        )
        store = sum(p.stat().st_size for p in (work / "repeated" / "events").rglob("*.parquet")) / 2**20
        print(f"store: {store:,.0f} MB of Parquet for {second['events']:,} events")


if __name__ == "__main__":
    sys.exit(main())
