"""The event store: partitions, stable ids, idempotence, bounded memory, DuckDB reads, the CLI."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from hygie.cli.main import app
from hygie.core.settings import Settings
from hygie.detect import events as events_module
from hygie.detect.events import (
    EVENT_SCHEMA,
    Event,
    EventWriter,
    count_events,
    dataset_glob,
    establishment_dir,
    event_id,
    has_events,
    read_manifest,
)
from hygie.detect.ingest import ingest_file, ingest_paths, pipeline
from hygie.detect.ingest.common import ReadContext
from hygie.detect.ingest.ndjson import read_stream
from tests.detect.test_readers import AUTH_LOG, WAZUH, WINLOGBEAT

runner = CliRunner()

TWO_DAYS = "\n".join(
    f'{{"@timestamp":"2024-03-{day:02d}T{hour:02d}:00:00Z","winlog":{{"channel":"Security","event_id":4688,'
    f'"event_data":{{"CommandLine":"cmd /c echo {day}-{hour}"}}}}}}'
    for day in (10, 11)
    for hour in range(0, 24, 6)
)


def test_one_file_is_split_by_day_with_stable_ids(store_settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "beats.ndjson"
    path.write_text(TWO_DAYS + "\n", encoding="utf-8")
    result = ingest_file(store_settings, 5, path)
    assert (result.source, result.events, result.days) == ("ndjson", 8, {"2024-03-10": 4, "2024-03-11": 4})
    root = establishment_dir(store_settings, 5)
    name = f"part-{result.sha256[:16]}.parquet"
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.parquet"))
    assert files == [f"source=ndjson/day=2024-03-10/{name}", f"source=ndjson/day=2024-03-11/{name}"]
    table = pq.read_table(root / "source=ndjson/day=2024-03-11" / name)
    assert table.schema.equals(EVENT_SCHEMA, check_metadata=False)
    ids = table.column("event_id").to_pylist()
    offsets = table.column("offset").to_pylist()
    assert ids == [event_id(result.sha256, offset) for offset in offsets] and len(set(ids)) == 4
    first_of_day_11 = TWO_DAYS.index('"2024-03-11T00')
    line_start = TWO_DAYS.rfind("\n", 0, first_of_day_11) + 1
    assert ids[0] == event_id(result.sha256, line_start)
    assert table.column("offset").to_pylist()[0] == line_start


def test_same_file_twice_is_stored_once(store_settings: Settings, tmp_path: Path) -> None:
    first = tmp_path / "auth.log"
    first.write_text(AUTH_LOG, encoding="utf-8")
    copy = tmp_path / "copie" / "auth.log.1"
    copy.parent.mkdir()
    copy.write_bytes(first.read_bytes())
    report = ingest_paths(store_settings, 3, [first, copy, first])
    assert [f.already_ingested for f in report.files] == [False, True, True]
    assert report.events == 7 and report.corrupt == 1
    manifest = read_manifest(store_settings, 3)
    assert list(manifest) == [report.files[0].sha256]
    assert manifest[report.files[0].sha256]["events"] == 7
    assert sum(c.events for c in count_events(store_settings, 3)) == 7
    # The manifest lost (a restored backup, say): re-ingesting rewrites the same files, no duplicates.
    (establishment_dir(store_settings, 3) / "_ingested.json").unlink()
    assert ingest_file(store_settings, 3, copy).events == 7
    assert sum(c.events for c in count_events(store_settings, 3)) == 7


def test_duckdb_reads_partitions_and_the_fields_map(store_settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "mixed.json"
    path.write_text(f"{WINLOGBEAT}\n{WAZUH}\n", encoding="utf-8")
    ingest_file(store_settings, 9, path)
    with duckdb.connect() as db:
        rows = db.execute(
            "SELECT establishment, source, day, event_code, fields['CommandLine'], "
            "fields['TargetUserName'], ts FROM read_parquet(?, hive_partitioning = true) ORDER BY ts",
            [dataset_glob(store_settings, 9)],
        ).fetchall()
    assert [row[:6] for row in rows] == [
        (9, "ndjson", date(2024, 3, 11), 4688, "vssadmin delete shadows /all /quiet", None),
        (9, "ndjson", date(2024, 3, 11), 4625, "-", "admin"),
    ]
    assert str(rows[0][6].tzinfo) in {"UTC", "Etc/UTC"} or rows[0][6].utcoffset().total_seconds() == 0
    assert count_events(store_settings, 9)[0].events == 2
    assert not has_events(store_settings, 10) and count_events(store_settings, 10) == []


class _Generated(io.RawIOBase):
    """A large NDJSON input made on the fly: nothing of it is ever on disk or whole in memory."""

    def __init__(self, lines: int) -> None:
        self._lines = iter(self._make(lines))
        self._pending = b""

    @staticmethod
    def _make(count: int) -> Iterator[bytes]:
        for n in range(count):
            if n == count // 2:
                yield b'{"@timestamp":"2024-03-11T10:00:00Z","blob":"' + b"x" * (3 << 20) + b'"}\n'
            yield (
                b'{"@timestamp":"2024-03-11T%02d:%02d:00Z","host":{"name":"pc-%d"},"message":"event %d",'
                b'"winlog":{"event_id":4624,"channel":"Security","event_data":{"TargetUserName":"u%d"}}}\n'
                % (n // 3600 % 24, n // 60 % 60, n % 50, n, n % 700)
            )

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while len(self._pending) < len(buffer):
            chunk = next(self._lines, None)
            if chunk is None:
                break
            self._pending += chunk
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def _peak_of(settings: Settings, establishment_id: int, count: int) -> tuple[int, int, ReadContext]:
    context = ReadContext("generated.ndjson", Path("generated.ndjson"))
    tracemalloc.start()
    try:
        with EventWriter(
            settings, establishment_id, "ndjson", "ab" * 32, "gen.ndjson", batch_size=5_000
        ) as writer:
            writer.extend(read_stream(context, io.BufferedReader(_Generated(count), 1 << 16)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, writer.written, context


def test_huge_ndjson_streams_in_bounded_memory(store_settings: Settings) -> None:
    small_peak, small_written, _ = _peak_of(store_settings, 4, 20_000)
    peak, written, context = _peak_of(store_settings, 5, 80_000)
    assert (small_written, written) == (20_000, 80_000)
    assert context.truncated == 1 and context.corrupt == 1  # the 3 MB line: cut at 1 MiB, then not JSON
    # Four times the input (about 20 MB of text), the same peak: memory follows the batch, not the input.
    assert peak < small_peak * 1.3, (small_peak, peak)
    assert peak < 40 << 20
    files = list(establishment_dir(store_settings, 5).rglob("*.parquet"))
    assert len(files) == 1
    assert pq.ParquetFile(files[0]).metadata.num_row_groups == 16


def test_cli_ingest_and_status(hygie_home: Path, tmp_path: Path) -> None:
    added = runner.invoke(
        app,
        ["establishments", "add", "--name", "CH Exemple", "--finess", "750803447", "--kind", "ch", "--json"],
    )
    assert added.exit_code == 0, added.output
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "auth.log").write_text(AUTH_LOG, encoding="utf-8")
    written = datetime(2024, 3, 12, tzinfo=UTC).timestamp()  # RFC 3164 lines take the year of the file
    os.utime(logs / "auth.log", (written, written))
    (logs / "beats.json").write_text(TWO_DAYS + "\n", encoding="utf-8")
    (logs / "README.md").write_text("# rien\n", encoding="utf-8")
    outcome = runner.invoke(app, ["logs", "ingest", "750803447", str(logs), "--json"])
    assert outcome.exit_code == 0, outcome.output
    report = json.loads(outcome.output)
    assert (report["events"], report["corrupt"]) == (15, 1)
    assert [f["source"] for f in report["files"]] == ["unknown", "syslog", "ndjson"]
    assert report["files"][0]["skipped"].endswith(
        "format not recognised (EVTX, NDJSON, syslog, Postfix, M365 CSV, metrics CSV)"
    )
    again = runner.invoke(app, ["logs", "ingest", "750803447", str(logs / "auth.log")])
    assert again.exit_code == 0 and "déjà ingéré" in again.output
    status = json.loads(runner.invoke(app, ["logs", "status", "CH Exemple", "--json"]).output)
    assert {(s["source"], s["day"]): s["events"] for s in status} == {
        ("ndjson", "2024-03-10"): 4,
        ("ndjson", "2024-03-11"): 4,
        ("syslog", "2024-03-02"): 1,
        ("syslog", "2024-03-11"): 6,
    }
    table = runner.invoke(app, ["logs", "status", "750803447"]).output
    assert "Événements stockés" in table and "15" in table
    wrong = runner.invoke(app, ["logs", "ingest", "750803447", str(logs), "--source", "pcap"])
    assert wrong.exit_code == 1 and "pcap" in wrong.output


def test_a_wrong_source_is_not_remembered(store_settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "auth.log"
    path.write_text(AUTH_LOG, encoding="utf-8")
    wrong = ingest_file(store_settings, 6, path, "ndjson")
    assert (wrong.events, wrong.corrupt) == (0, 8)
    assert read_manifest(store_settings, 6) == {}
    right = ingest_file(store_settings, 6, path)
    assert (right.source, right.events, right.already_ingested) == ("syslog", 7, False)


def _event(ts: datetime, key: int, **fields: str) -> Event:
    return Event(ts, "pc-1", "Security", None, 4624, key, None, f"line {key}", dict(fields), key, key)


def test_a_batch_over_several_days_keeps_each_day_in_order(store_settings: Settings) -> None:
    # Days interleaved in one batch: each day's file holds its events in input order, the busy day with
    # Zstandard, the quiet ones with Snappy; min/max statistics only on the columns queries filter on.
    busy = [_event(datetime(2024, 3, 10, 8, tzinfo=UTC), n, n=str(n)) for n in range(1200)]
    quiet = [_event(datetime(2024, 3, 9 + 2 * (n % 2), 9, tzinfo=UTC), 5000 + n, q=str(n)) for n in range(6)]
    mixed = busy[:600] + quiet + busy[600:]
    with EventWriter(store_settings, 2, "evtx", "cd" * 32, "mixed.evtx", batch_size=10_000) as writer:
        writer.extend(mixed)
    assert writer.written == 1206
    assert writer.days == {date(2024, 3, 9): 3, date(2024, 3, 10): 1200, date(2024, 3, 11): 3}
    root = establishment_dir(store_settings, 2) / "source=evtx"
    name = "part-" + "cd" * 8 + ".parquet"
    by_day = {
        day: pq.read_table(root / f"day={day}" / name) for day in ("2024-03-09", "2024-03-10", "2024-03-11")
    }
    assert by_day["2024-03-10"].column("offset").to_pylist() == list(range(1200))
    assert by_day["2024-03-09"].column("offset").to_pylist() == [5000, 5002, 5004]
    assert by_day["2024-03-11"].column("offset").to_pylist() == [5001, 5003, 5005]
    assert by_day["2024-03-11"].column("fields").to_pylist()[0] == [("q", "1")]
    assert by_day["2024-03-10"].column("event_id").to_pylist()[:2] == [
        event_id("cd" * 32, 0),
        event_id("cd" * 32, 1),
    ]
    busy_meta = pq.ParquetFile(root / "day=2024-03-10" / name).metadata.row_group(0)
    quiet_meta = pq.ParquetFile(root / "day=2024-03-09" / name).metadata.row_group(0)
    columns = {busy_meta.column(i).path_in_schema: busy_meta.column(i) for i in range(busy_meta.num_columns)}
    assert columns["message"].compression == "ZSTD" and quiet_meta.column(0).compression == "SNAPPY"
    assert columns["ts"].is_stats_set and not columns["message"].is_stats_set
    assert not list(root.rglob(".*"))  # no temporary file left


def test_a_failed_write_leaves_no_file_and_raises(store_settings: Settings) -> None:
    # The Parquet writing runs in a thread: its error reaches the caller, and nothing half-written stays.
    root = establishment_dir(store_settings, 3)
    root.mkdir(parents=True)
    (root / "source=syslog").mkdir()
    (root / "source=syslog" / "day=2024-03-11").write_text("not a folder", encoding="utf-8")
    events = [_event(datetime(2024, 3, day, tzinfo=UTC), day) for day in (10, 11)]
    with (
        pytest.raises(OSError),
        EventWriter(store_settings, 3, "syslog", "ef" * 32, "auth.log", batch_size=1) as writer,
    ):
        writer.extend(events)
    assert sorted(p.name for p in root.rglob("*") if p.is_file()) == ["day=2024-03-11"]


def test_a_batch_converted_in_chunks_is_one_row_group(
    store_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Events go to Arrow every CHUNK_ROWS (to hold fewer Python objects); a batch is still one row group.
    monkeypatch.setattr(events_module, "CHUNK_ROWS", 4)
    events = [_event(datetime(2024, 3, 10, 8, n, tzinfo=UTC), n, n=str(n)) for n in range(25)]
    with EventWriter(store_settings, 4, "evtx", "aa" * 32, "chunks.evtx", batch_size=10) as writer:
        writer.extend(events)
    path = (
        establishment_dir(store_settings, 4)
        / "source=evtx"
        / "day=2024-03-10"
        / ("part-" + "aa" * 8 + ".parquet")
    )
    metadata = pq.ParquetFile(path).metadata
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [10, 10, 5]
    table = pq.read_table(path)
    assert table.column("offset").to_pylist() == list(range(25))
    assert table.column("fields").to_pylist()[13] == [("n", "13")]


def _beats(day: int, hours: range, tag: str) -> str:
    return "".join(
        f'{{"@timestamp":"2024-03-{day:02d}T{hour:02d}:00:00Z","winlog":{{"channel":"Security",'
        f'"event_id":4688,"event_data":{{"CommandLine":"{tag} {hour}"}}}}}}\n'
        for hour in hours
    )


def test_files_ingested_together_share_their_day_files(
    store_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a.json").write_text(_beats(10, range(3), "a") + _beats(11, range(2), "a"), encoding="utf-8")
    (logs / "b.json").write_text(_beats(11, range(4), "b"), encoding="utf-8")
    (logs / "c.json").write_text(_beats(10, range(1), "c") + _beats(12, range(2), "c"), encoding="utf-8")
    (logs / "d.json").write_bytes((logs / "b.json").read_bytes())  # b again: stored once
    report = ingest_paths(store_settings, 9, [logs])
    assert [(Path(f.file).name, f.events, f.already_ingested) for f in report.files] == [
        ("a.json", 5, False),
        ("b.json", 4, False),
        ("c.json", 3, False),
        ("d.json", 4, True),
    ]
    assert [f.days for f in report.files[:3]] == [
        {"2024-03-10": 3, "2024-03-11": 2},
        {"2024-03-11": 4},
        {"2024-03-10": 1, "2024-03-12": 2},
    ]
    shas = {Path(f.file).name: f.sha256 for f in report.files}
    group = hashlib.sha256("\n".join(sorted([shas["a.json"], shas["b.json"], shas["c.json"]])).encode())
    name = f"part-{group.hexdigest()[:16]}.parquet"
    root = establishment_dir(store_settings, 9)
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*.parquet")) == [
        f"source=ndjson/day=2024-03-{day}/{name}" for day in (10, 11, 12)
    ]
    eleventh = pq.read_table(root / "source=ndjson/day=2024-03-11" / name)
    files = [Path(f).name for f in eleventh.column("file").to_pylist()]
    assert files == ["a.json"] * 2 + ["b.json"] * 4  # in the order read
    ids = eleventh.column("event_id").to_pylist()
    offsets = eleventh.column("offset").to_pylist()
    assert ids == [event_id(shas[f], o) for f, o in zip(files, offsets, strict=True)]
    assert set(read_manifest(store_settings, 9)) == {shas["a.json"], shas["b.json"], shas["c.json"]}
    # Files named again are not read again; by groups of two files, each group has its own day files.
    assert ingest_paths(store_settings, 9, [logs]).events == 0
    monkeypatch.setattr(pipeline, "GROUP_FILES", 2)
    ingest_paths(store_settings, 10, [logs])
    tenth = establishment_dir(store_settings, 10) / "source=ndjson/day=2024-03-10"
    pair = hashlib.sha256("\n".join(sorted([shas["a.json"], shas["b.json"]])).encode()).hexdigest()
    assert sorted(p.name for p in tenth.iterdir()) == sorted(
        [f"part-{pair[:16]}.parquet", f"part-{shas['c.json'][:16]}.parquet"]
    )
    assert sum(c.events for c in count_events(store_settings, 10)) == 12


def test_a_writer_refuses_the_same_content_twice(store_settings: Settings) -> None:
    writer = EventWriter(store_settings, 11, "syslog", "12" * 32, "one.log")
    writer.start_file("34" * 32, "two.log")
    with pytest.raises(ValueError, match=r"three\.log"):
        writer.start_file("12" * 32, "three.log")
    writer.abort()


def test_days_alternating_too_often_are_sorted(
    store_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Up to MAX_DAY_RUNS runs of one day, a batch is sliced; beyond, sorted: the same files either way.
    events = [_event(datetime(2024, 3, 10 + n % 3, 8, n, tzinfo=UTC), n, n=str(n)) for n in range(30)]
    stored = {}
    for runs, establishment in ((1000, 12), (5, 13)):
        monkeypatch.setattr(events_module, "MAX_DAY_RUNS", runs)
        with EventWriter(store_settings, establishment, "evtx", "bb" * 32, "alt.evtx") as writer:
            writer.extend(events)
        root = establishment_dir(store_settings, establishment) / "source=evtx"
        stored[runs] = {
            day.name: pq.read_table(day / ("part-" + "bb" * 8 + ".parquet")).column("offset").to_pylist()
            for day in sorted(root.iterdir())
        }
    assert (
        stored[1000]
        == stored[5]
        == {
            "day=2024-03-10": list(range(0, 30, 3)),
            "day=2024-03-11": list(range(1, 30, 3)),
            "day=2024-03-12": list(range(2, 30, 3)),
        }
    )


def test_worker_tasks_are_runs_of_files_of_about_the_same_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = []
    for name, size in (("a", 10), ("b", 10), ("c", 10), ("d", 10), ("e", 100)):
        (tmp_path / name).write_bytes(b"x" * size)
        files.append((tmp_path / name, name))
    # 140 bytes for two workers: tasks of about 35 bytes; the 100-byte file is a task alone.
    assert [[d for _, d in t] for t in pipeline._tasks(files, 2)] == [["a", "b", "c"], ["d"], ["e"]]
    monkeypatch.setattr(pipeline, "GROUP_FILES", 2)
    assert [[d for _, d in t] for t in pipeline._tasks(files, 1)] == [["a", "b"], ["c", "d"], ["e"]]


def test_a_writer_closes_days_past_its_bound_and_names_their_later_parts(
    store_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two day files open at most: the 10th is closed when the 12th opens, then gets events again (a next
    # part, "-1"); the 11th is closed in turn. Every event is stored once, the same names come back when
    # the file is written again, and a later write in one part removes the part it no longer needs.
    monkeypatch.setattr(events_module, "MAX_OPEN_DAYS", 2)
    days = [10, 10, 11, 11, 12, 12, 10, 10, 12]
    events = [_event(datetime(2024, 3, day, 8, n, tzinfo=UTC), n) for n, day in enumerate(days)]
    root = establishment_dir(store_settings, 14) / "source=evtx"
    name = "part-" + "ee" * 8

    def write() -> dict[str, list[int]]:
        with EventWriter(store_settings, 14, "evtx", "ee" * 32, "days.evtx", batch_size=2) as writer:
            writer.extend(events)
        return {
            f"{path.parent.name}/{path.name}": pq.read_table(path).column("offset").to_pylist()
            for path in sorted(root.rglob("*.parquet"))
        }

    first = write()
    assert first == {
        f"day=2024-03-10/{name}-1.parquet": [6, 7],
        f"day=2024-03-10/{name}.parquet": [0, 1],
        f"day=2024-03-11/{name}.parquet": [2, 3],
        f"day=2024-03-12/{name}.parquet": [4, 5, 8],
    }
    assert write() == first
    assert sum(c.events for c in count_events(store_settings, 14)) == 9
    assert not list(root.rglob(".*"))  # no temporary file left
    monkeypatch.setattr(events_module, "MAX_OPEN_DAYS", 64)
    assert write() == {
        f"day=2024-03-10/{name}.parquet": [0, 1, 6, 7],
        f"day=2024-03-11/{name}.parquet": [2, 3],
        f"day=2024-03-12/{name}.parquet": [4, 5, 8],
    }


def test_an_aborted_writer_removes_every_part_of_a_day(
    store_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events_module, "MAX_OPEN_DAYS", 1)
    days = [10, 11, 10, 11]
    writer = EventWriter(store_settings, 15, "evtx", "ff" * 32, "days.evtx", batch_size=1)
    writer.extend(_event(datetime(2024, 3, day, 8, n, tzinfo=UTC), n) for n, day in enumerate(days))
    writer.flush()
    writer._wait()
    root = establishment_dir(store_settings, 15)
    assert len([p for p in root.rglob("*") if p.is_file()]) == 4  # two parts of each day, hidden
    writer.abort()
    assert not [p for p in root.rglob("*") if p.is_file()]
