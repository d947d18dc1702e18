"""EVTX ingestion: each sample gives exactly the records the ``evtx`` parser reads; damage is counted."""

from __future__ import annotations

import random
from pathlib import Path

import duckdb
import pytest
from evtx import PyEvtxParser

from hygie.core.settings import Settings
from hygie.detect.events import dataset_glob, read_manifest
from hygie.detect.ingest import ingest_file, ingest_paths
from hygie.detect.ingest.common import ReadContext
from hygie.detect.ingest.evtx import RecordNumbers, flatten_record, read


def parser_count(path: Path) -> int:
    """What the parser alone reads: the records it yields without an error."""
    count = 0
    records = iter(PyEvtxParser(str(path)).records_json())
    while True:
        try:
            next(records)
        except StopIteration:
            return count
        except RuntimeError:
            continue
        count += 1


def evtx_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.evtx"))


def test_every_attack_sample_ingests_with_the_parser_count(
    store_settings: Settings, shared_data: Path
) -> None:
    files = evtx_files(shared_data / "evtx-attack-samples")
    assert len(files) == 277
    report = ingest_paths(store_settings, 1, files)
    by_file = {f.file: f for f in report.files}
    for path in files:
        result = by_file[str(path)]
        assert result.source == "evtx"
        assert result.events == parser_count(path), path
    assert sum(f.events for f in report.files) == 8255  # what the parser reads, file by file
    duplicates = [f for f in report.files if f.already_ingested]
    assert [Path(f.file).name for f in duplicates] == ["UACME_59_Sysmon.evtx"]  # same bytes as another file
    assert report.events == 8255 - duplicates[0].events
    with duckdb.connect() as db:
        stored = db.execute(
            "SELECT file, count(*) FROM read_parquet(?, hive_partitioning = true) GROUP BY file",
            [dataset_glob(store_settings, 1)],
        ).fetchall()
        assert dict(stored) == {f.file: f.events for f in report.files if f.events and not f.already_ingested}
        distinct = db.execute(
            "SELECT count(DISTINCT event_id), count(*) FROM read_parquet(?)",
            [dataset_glob(store_settings, 1)],
        ).fetchone()
    assert distinct == (report.events, report.events)


def test_two_processes_store_the_same_events(store_settings: Settings, shared_data: Path) -> None:
    files = evtx_files(shared_data / "evtx-attack-samples" / "Lateral Movement")
    serial = ingest_paths(store_settings, 7, files)
    parallel = ingest_paths(store_settings, 8, files, workers=2)
    assert sorted((Path(f.file).name, f.events) for f in parallel.files) == sorted(
        (Path(f.file).name, f.events) for f in serial.files
    )
    query = "SELECT event_id, ts, fields FROM read_parquet(?) ORDER BY event_id"
    with duckdb.connect() as db:
        assert (
            db.execute(query, [dataset_glob(store_settings, 7)]).fetchall()
            == db.execute(query, [dataset_glob(store_settings, 8)]).fetchall()
        )
    assert read_manifest(store_settings, 8).keys() == read_manifest(store_settings, 7).keys()


def test_sigma_regression_evtx_files_ingest(store_settings: Settings, shared_data: Path) -> None:
    files = evtx_files(shared_data / "sigma" / "regression_data")
    assert len(files) > 100
    report = ingest_paths(store_settings, 2, files)
    assert not report.skipped
    for path, result in zip(files, report.files, strict=True):
        if result.already_ingested:  # two cases can share one sample file
            continue
        assert result.events == parser_count(path) > 0, path


def test_system_eventdata_and_userdata_are_flattened(shared_data: Path) -> None:
    record = {
        "Event": {
            "System": {
                "Provider": {"#attributes": {"Name": "Microsoft-Windows-Eventlog", "Guid": "{fc65}"}},
                "EventID": {"#attributes": {"Qualifiers": 16384}, "#text": 104},
                "Channel": "System",
                "Computer": "SRV-DPI01",
                "TimeCreated": {"#attributes": {"SystemTime": "2024-01-15T10:00:00.1234567Z"}},
            },
            "UserData": {"LogFileCleared": {"SubjectUserName": "admin", "Channel": "Security"}},
        }
    }
    fields = flatten_record(record)
    assert fields["Provider_Name"] == "Microsoft-Windows-Eventlog"
    assert fields["EventID"] == "104" and fields["EventID_Qualifiers"] == "16384"
    assert fields["Channel"] == "System"  # the System channel wins over UserData's
    assert fields["UserData_Channel"] == "Security"
    assert fields["SubjectUserName"] == "admin"
    unnamed = flatten_record({"Event": {"System": {}, "EventData": {"Data": {"#text": ["a", "b", 3]}}}})
    assert unnamed["Data"] == "a\nb\n3"


def test_sysmon_record_has_its_columns(shared_data: Path) -> None:
    path = next(p for p in evtx_files(shared_data / "evtx-attack-samples") if "1102" in p.name)
    event = next(read(ReadContext(str(path), path)))
    assert (event.channel, event.event_code, event.host) == ("Security", 1102, "PC01.example.corp")
    assert event.provider == "Microsoft-Windows-Eventlog" and event.user == "user01"
    assert event.ts.isoformat() == "2019-03-19T23:35:07.524202+00:00"
    assert event.record_id == 452811 and event.message is not None and '"SubjectUserName"' in event.message


@pytest.fixture(scope="module")
def largest_sample(shared_data: Path) -> Path:
    return max(evtx_files(shared_data / "evtx-attack-samples"), key=lambda p: p.stat().st_size)


def test_truncated_evtx_gives_what_can_be_read(
    store_settings: Settings, largest_sample: Path, tmp_path: Path
) -> None:
    data = largest_sample.read_bytes()
    cut = tmp_path / "cut.evtx"
    cut.write_bytes(data[: 4096 + 65536 + 30000])  # the header, one chunk and part of the second
    result = ingest_file(store_settings, 1, cut)
    assert result.source == "evtx"
    assert 0 < result.events < parser_count(largest_sample)
    assert result.events == parser_count(cut)
    header_only = tmp_path / "header.evtx"
    header_only.write_bytes(data[:4096])
    assert ingest_file(store_settings, 1, header_only).events == 0


def test_bit_flipped_evtx_counts_bad_records_and_goes_on(
    store_settings: Settings, largest_sample: Path, tmp_path: Path
) -> None:
    damaged = bytearray(largest_sample.read_bytes())
    rng = random.Random(7)  # noqa: S311 -- reproducible damage, not a secret
    for _ in range(200):
        damaged[rng.randrange(4096, len(damaged))] ^= 1 << rng.randrange(8)
    path = tmp_path / "flipped.evtx"
    path.write_bytes(bytes(damaged))
    result = ingest_file(store_settings, 1, path)
    assert result.corrupt > 0 and result.events > 0
    assert result.events == parser_count(path)
    assert all(p.file == str(path) and p.offset >= 0 for p in result.problems)
    garbage = tmp_path / "garbage.evtx"
    garbage.write_bytes(b"ElfFile\x00" + bytes(rng.randrange(256) for _ in range(70000)))
    broken = ingest_file(store_settings, 1, garbage)
    assert (broken.source, broken.events) == ("evtx", 0) and broken.corrupt >= 1


def test_record_numbers_tell_repeats_in_bounded_memory() -> None:
    seen = RecordNumbers()
    numbers = [5, 6, 7, 10, 11, 6, 3, 3, 12, 6, 4, 4]
    assert [seen.add(n) for n in numbers] == [0, 0, 0, 0, 0, 1, 0, 1, 0, 2, 0, 1]
    # Runs 5-7 and 10-12, 3 and 4 read out of order, 6 read three times, 3 and 4 twice.
    assert (seen.starts, seen.ends, seen.scattered) == ([5, 10], [7, 12], {3, 4})
    assert seen.repeats == {6: 2, 3: 1, 4: 1}
    sound = RecordNumbers()
    assert not any(sound.add(n) for n in range(1, 1_000_001))
    assert len(sound) == 1  # a million records in order: one range, not a million numbers
    copies = RecordNumbers()  # the bench's copies: runs of a chunk each, far apart
    assert not any(copies.add(c * 10_000_000 + n) for c in range(3) for n in range(100))
    assert len(copies) == 3 and copies.add(10_000_050) == 1


def test_record_numbers_count_like_a_dict_of_every_number() -> None:
    rng = random.Random(11)  # noqa: S311 -- reproducible order, not a secret
    numbers = [
        n for start in rng.sample(range(0, 5000, 50), 60) for n in range(start, start + rng.randrange(80))
    ]
    numbers += rng.choices(numbers, k=500)
    tail = numbers[-800:]
    rng.shuffle(tail)
    numbers[-800:] = tail
    seen, counted = RecordNumbers(), dict[int, int]()
    for number in numbers:
        expected = counted.get(number, 0)
        counted[number] = expected + 1
        assert seen.add(number) == expected, number
