"""Benchmark of log ingestion on the EVTX samples of ../shared/data/evtx-attack-samples.

The 277 sample files are small (8,255 records, 29 MB), unlike a server's Security.evtx: the bench first
ingests them as they are, then builds realistic volumes from them. Each *copy* is one EVTX file made of
every chunk of every sample (what a big log is: a header, then 64 KiB chunks), with the record numbers and
record-header times of the copy shifted, so that every copy has its own content (its own SHA-256, its own
event ids). Copies are added until at least ``--events`` (default one million) events are read.

For each volume it prints: events, seconds, events/s of ``hygie logs ingest`` (reading, flattening,
writing Parquet), the time the ``evtx`` parser alone takes to read the same files (records as JSON
strings, nothing else), the ratio of the two, and the peak resident memory of the process (which must
not grow with the volume: events go to Parquet by batches). The same in CPU time (every thread, and the
worker processes), which a machine loaded by other work leaves unchanged. The copies are written and removed a
round (``--round``, 10 copies, about 290 MB), so the disk never holds them all.

With ``--workers 2`` the copies of a round are ingested two at a time, one process each (``hygie logs ingest
--workers 2``); the peak resident memory printed is then the main process's, the workers' being alike.

Measured 2026-11-29 on the 2-core machine shared with other work (load 10-15, so elapsed times are about
ten times the CPU's), 130 copies, 1,073,150 events, one worker: CPU 133 s (8,041 events/s), 17.2x the
parser's CPU, peak RSS 468 MB (464 MB after the first copy), 87 MB of Parquet. Before files read together
shared their day files: CPU 202 s (5,301 events/s), 26.3x, 253 MB, 423 MB of Parquet. Most of the rest is
Python per record (``orjson.loads`` of the parser's JSON and the flattening cost more than the parse) and
about a millisecond of CPU per Parquet file (one per day: the copies cover 210 days).

Run: ``.venv/bin/python bench/ingest.py [--events 1000000] [--workers 1] [--round 10]``
"""

from __future__ import annotations

import argparse
import os
import resource
import struct
import tempfile
import time
from pathlib import Path

from evtx import PyEvtxParser

from hygie.core.settings import Settings
from hygie.detect.events import count_events
from hygie.detect.ingest import ingest_paths

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "data" / "evtx-attack-samples"
HEADER, CHUNK = 4096, 65536
RECORD_MAGIC = b"\x2a\x2a\x00\x00"
DAY_IN_FILETIME = 86400 * 10**7


def chunks_of(path: Path) -> list[bytes]:
    data = path.read_bytes()
    return [
        data[start : start + CHUNK]
        for start in range(HEADER, len(data) - CHUNK + 1, CHUNK)
        if data[start : start + 8] == b"ElfChnk\x00"
    ]


def shifted(chunk: bytes, copy: int) -> bytes:
    """The chunk with each record's number and header time moved by ``copy`` (records walked by size)."""
    out = bytearray(chunk)
    free = struct.unpack_from("<I", out, 48)[0]
    position = 512
    while position + 24 <= min(free, CHUNK) and out[position : position + 4] == RECORD_MAGIC:
        size, number, filetime = struct.unpack_from("<IQQ", out, position + 4)
        if size < 24 or position + size > CHUNK:
            break
        struct.pack_into(
            "<QQ", out, position + 8, number + copy * 10_000_000, filetime + copy * DAY_IN_FILETIME
        )
        position += size
    return bytes(out)


def write_copy(path: Path, header: bytes, chunks: list[bytes], copy: int) -> None:
    with path.open("wb") as out:
        out.write(header)
        for chunk in chunks:
            out.write(shifted(chunk, copy))


def cpu_seconds() -> float:
    """CPU time of this process (every thread) and of its finished children: what a loaded machine leaves
    unchanged, unlike the elapsed time."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


class Timing:
    """Elapsed and CPU seconds of what ran between :meth:`start` and :meth:`stop`, summed over calls."""

    def __init__(self) -> None:
        self.seconds = self.cpu = 0.0
        self._started = self._cpu = 0.0

    def start(self) -> None:
        self._started, self._cpu = time.perf_counter(), cpu_seconds()

    def stop(self) -> None:
        self.seconds += time.perf_counter() - self._started
        self.cpu += cpu_seconds() - self._cpu


def parser_alone(files: list[Path], timing: Timing) -> int:
    timing.start()
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
    timing.stop()
    return count


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def line(label: str, events: int, ingest: Timing, parse: Timing) -> None:
    print(
        f"{label}\n  {events:>10,} events  "
        f"elapsed: ingestion {ingest.seconds:7.2f} s  {events / ingest.seconds:>9,.0f} events/s  "
        f"parser alone {parse.seconds:6.2f} s  ratio {ingest.seconds / parse.seconds:4.1f}x  "
        f"peak RSS {peak_rss_mb():6.0f} MB\n"
        f"  {'':>10}         CPU:     ingestion {ingest.cpu:7.2f} s  {events / ingest.cpu:>9,.0f} events/s  "
        f"parser alone {parse.cpu:6.2f} s  ratio {ingest.cpu / parse.cpu:4.1f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=1, help="copies ingested at once, one process each")
    parser.add_argument("--round", type=int, default=10, help="copies written, then ingested in one call")
    args = parser.parse_args()
    samples = sorted(SAMPLES.rglob("*.evtx"))
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(home=Path(home))

        parse, ingest = Timing(), Timing()
        count = parser_alone(samples, parse)
        ingest.start()
        report = ingest_paths(settings, 1, samples, workers=args.workers)
        ingest.stop()
        assert sum(f.events for f in report.files) == count  # a file repeated in the set is stored once
        line(f"{len(samples)} sample files, as they are", report.events, ingest, parse)

        header = samples[0].read_bytes()[:HEADER]
        chunks = [chunk for path in samples for chunk in chunks_of(path)]
        work = Path(home) / "copies"
        work.mkdir()
        parse, ingest = Timing(), Timing()
        events = copies = 0
        first_rss = 0.0
        while events < args.events:
            paths = []
            for _ in range(args.round):
                copies += 1
                paths.append(work / f"copy-{copies:04d}.evtx")
                write_copy(paths[-1], header, chunks, copies)
            read = parser_alone(paths, parse)
            ingest.start()
            result = ingest_paths(settings, 2, paths, workers=args.workers)
            ingest.stop()
            assert result.events == read and not any(f.already_ingested for f in result.files)
            events += result.events
            for path in paths:
                path.unlink()
            if copies == args.round:
                first_rss = peak_rss_mb()
                line(f"{copies} copy(ies) (all chunks in one file)", events, ingest, parse)
        line(f"{copies} copies", events, ingest, parse)
        print(
            f"peak RSS after the first copy {first_rss:.0f} MB, after {copies} copies {peak_rss_mb():.0f} MB"
        )
        stored = sum(c.events for c in count_events(settings, 2))  # DuckDB reads the store back
        assert stored == events, (stored, events)
        size = sum(p.stat().st_size for p in (Path(home) / "events").rglob("*.parquet")) / 2**20
        print(f"store: {size:.0f} MB of Parquet for {stored:,} events; cores: {os.cpu_count()}")


if __name__ == "__main__":
    main()
