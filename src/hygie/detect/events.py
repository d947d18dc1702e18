"""The event store: one Parquet dataset per establishment, the contract between ingestion and detection.

Layout (Hive partitioning, read by DuckDB's ``read_parquet(..., hive_partitioning=true)`` and by Spark)::

    HYGIE_HOME/events/establishment=<id>/source=<source>/day=<YYYY-MM-DD>/part-<sha256 prefix>.parquet
    HYGIE_HOME/events/establishment=<id>/_ingested.json      (manifest of the ingested files)

One input file gives one ``part-`` file per day it covers, named after the first 16 hex digits of the input
file's SHA-256: re-ingesting a file rewrites the same names, never a second copy. Several files ingested
together share their day files (fewer, larger files), then named after the SHA-256 of their sorted SHA-256s:
the same files ingested together again give the same names (the manifest is saved as soon as they are
renamed, so a file is not read twice into two different names). A writer keeps at most
:data:`MAX_OPEN_DAYS` day files open: when a day it closed gets events again, they go into a next part of
that day, ``part-<name>-1.parquet``, ``part-<name>-2.parquet``... numbered in the order written, so the same
input gives the same names again; a commit removes the higher-numbered parts of the same name that an
earlier ingestion (with other bounds) may have left. Files whose name starts
with ``_`` or ``.`` (manifest, files being written) are skipped by Spark and not matched by ``*.parquet``.

Columns (:data:`EVENT_SCHEMA`); the partition columns ``source`` and ``day`` are also in the files, so one
file read alone is complete:

- ``event_id`` int64: stable, a hash of the input file's SHA-256 and the record's key (EVTX record number,
  byte offset of a line, CSV row number): re-ingesting gives the same ids.
- ``ts`` timestamp[us, UTC]: when the event happened (EVTX ``TimeCreated``, syslog header, CSV time...).
- ``host``: computer name (EVTX ``Computer``, syslog host, Winlogbeat ``host.name``, Wazuh ``agent.name``).
- ``source``: one of :data:`SOURCES`.
- ``channel``: Windows channel (``Security``, ``Microsoft-Windows-Sysmon/Operational``); for syslog and
  Postfix the program (``sshd``, ``postfix/smtpd``); ``messagetrace`` for M365; ``metrics`` for metrics.
- ``provider``: Windows provider name; syslog program; ``postfix``; ``exchange-online``; the metric name.
- ``event_code`` int32: Windows EventID; null elsewhere.
- ``record_id`` int64: EVTX ``EventRecordID``, Winlogbeat/Wazuh record id; the line or row number elsewhere.
- ``user``: the account the event is about (TargetUserName, then SubjectUserName, then User; the syslog
  user of ``sshd``/``sudo``; the SASL user of Postfix; the sender of a message trace).
- ``message``: the raw record text (EVTX record as JSON, the line as read), for keyword rules.
- ``fields`` map<string,string>: every field flattened under its original name. EVTX: ``EventData`` and
  ``UserData`` leaves by name (``CommandLine``, ``Image``, ``TargetUserName``), unnamed ``<Data>`` items
  joined by newlines as ``Data``, and ``System`` as ``Channel``, ``EventID``, ``Computer``,
  ``Provider_Name``, ``Provider_Guid``, ``EventRecordID``, ``Level``, ``Task``, ``Keywords``,
  ``TimeCreated_SystemTime``, ``Security_UserID``, ``Execution_ProcessID``... A ``UserData`` leaf whose
  name is a System field is kept as ``UserData_<name>`` (System wins: Sigma rules mean the System one).
  NDJSON keys flattened with dots (``winlog.event_data.CommandLine``); a Winlogbeat or Wazuh Windows event
  also carries the Windows names (``CommandLine``, ``EventID``, ``Channel``...). Values are text; absent
  or null values are absent keys.
- ``file``: path of the input file as given; ``offset`` int64: byte offset of the line in the (decompressed)
  input, the record's position for EVTX, the row number for CSV.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from datetime import date, datetime
from functools import cache
from hashlib import blake2b
from itertools import accumulate
from pathlib import Path
from typing import Any, NamedTuple

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from hygie.core.settings import Settings

SOURCES = ("evtx", "ndjson", "syslog", "postfix", "m365", "backup", "metrics")
"""Every value of the ``source`` column (``backup`` is written by the continuity domain)."""

EVENT_SCHEMA = pa.schema(
    [
        pa.field("event_id", pa.int64(), nullable=False),
        pa.field("ts", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("host", pa.string()),
        pa.field("source", pa.string(), nullable=False),
        pa.field("channel", pa.string()),
        pa.field("provider", pa.string()),
        pa.field("event_code", pa.int32()),
        pa.field("record_id", pa.int64()),
        pa.field("user", pa.string()),
        pa.field("message", pa.string()),
        pa.field("fields", pa.map_(pa.string(), pa.string())),
        pa.field("file", pa.string()),
        pa.field("offset", pa.int64()),
    ]
)
"""Arrow schema of every event file; see the module docstring for the meaning of each column."""

BATCH_EVENTS = 20_000
"""Events an ingestion writer buffers before writing them (memory in ingestion is mostly this batch and the
one being written; a batch gives one row group per day it covers). 50,000 held about 150 MB more per
process. 10,000 held 60 MB less than 20,000 but its smaller row groups cost the evaluation 20 to 25% more
CPU; at 20,000 the bench's whole run peaks at 817 MB for 256,000 events and 864 MB for a million."""
SMALL_PART_ROWS = 1000
MAX_DAY_RUNS = 2000
"""Runs of one day in a batch above which it is sorted by day rather than sliced."""
CHUNK_ROWS = 10_000
MAX_OPEN_DAYS = 64
"""Day files a writer keeps open at most; past it, the least recently written one is closed. Each open
Parquet writer holds 0.1 to 0.2 MB: a million events over 1,600 days, two processes, took 70 MB more per
process without the bound, and more as the days covered grow. Logs come in time order, so a closed day
seldom gets events again (when it does, they go into a next part of the day)."""
STATISTICS_COLUMNS = ["event_id", "ts", "host", "source", "channel", "provider", "event_code", "record_id"]
"""Columns whose min/max go into the files: those queries filter on (the raw text and map would only cost)."""
MANIFEST_NAME = "_ingested.json"
PART_PREFIX_LEN = 16


class Event(NamedTuple):
    """One event as a reader produces it; ``key`` makes ``event_id`` (see :func:`event_id`)."""

    ts: datetime
    host: str | None
    channel: str | None
    provider: str | None
    event_code: int | None
    record_id: int | None
    user: str | None
    message: str | None
    fields: dict[str, str]
    offset: int
    key: int


def events_dir(settings: Settings) -> Path:
    """Root of the event store: ``HYGIE_HOME/events``."""
    return settings.home / "events"


def establishment_dir(settings: Settings, establishment_id: int) -> Path:
    """The folder of one establishment's events (exists only once something was ingested)."""
    return events_dir(settings) / f"establishment={int(establishment_id)}"


def dataset_glob(settings: Settings, establishment_id: int) -> str:
    """The glob of an establishment's Parquet files, for ``read_parquet(glob, hive_partitioning=true)``.

    DuckDB raises when a glob matches nothing: check :func:`has_events` first.
    """
    return str(establishment_dir(settings, establishment_id) / "**" / "*.parquet")


def has_events(settings: Settings, establishment_id: int) -> bool:
    root = establishment_dir(settings, establishment_id)
    return root.is_dir() and next(root.glob("source=*/day=*/*.parquet"), None) is not None


def read_spark(spark: Any, settings: Settings, establishment_id: int) -> Any:
    """An establishment's events as a Spark DataFrame (``spark`` a SparkSession; call only when
    :func:`has_events`)."""
    # The files carry source and day themselves: read them as plain files, no partition discovery.
    reader = spark.read.option("recursiveFileLookup", "true").option("pathGlobFilter", "*.parquet")
    return reader.parquet(str(establishment_dir(settings, establishment_id)))


def partition_dir(settings: Settings, establishment_id: int, source: str, day: date) -> Path:
    return establishment_dir(settings, establishment_id) / f"source={source}" / f"day={day.isoformat()}"


def event_id(file_sha256: str, key: int) -> int:
    """Stable signed 64-bit id of record ``key`` of the file with this SHA-256."""
    digest = hashlib.blake2b(f"{file_sha256}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class _Columns:
    """The events not yet written, one list per column, every day together (split by day in Arrow)."""

    __slots__ = (
        "channel",
        "code",
        "event_ids",
        "host",
        "keys",
        "message",
        "offset",
        "provider",
        "record",
        "sizes",
        "ts",
        "user",
        "values",
    )

    def __init__(self) -> None:
        self.event_ids: list[int] = []
        self.ts: list[datetime] = []
        self.host: list[str | None] = []
        self.channel: list[str | None] = []
        self.provider: list[str | None] = []
        self.code: list[int | None] = []
        self.record: list[int | None] = []
        self.user: list[str | None] = []
        self.message: list[str | None] = []
        self.keys: list[str] = []
        self.values: list[str] = []
        self.sizes: list[int] = []
        self.offset: list[int] = []

    def __len__(self) -> int:
        return len(self.ts)

    def table(self, source: str, file: str) -> pa.Table:
        n = len(self.ts)
        fields = pa.MapArray.from_arrays(
            pa.array(list(accumulate(self.sizes, initial=0)), pa.int32()),
            pa.array(self.keys, pa.string()),
            pa.array(self.values, pa.string()),
        )
        columns: list[Any] = [
            pa.array(self.event_ids, pa.int64()),
            pa.array(self.ts, pa.timestamp("us", tz="UTC")),
            pa.array(self.host, pa.string()),
            pa.repeat(pa.scalar(source, pa.string()), n),
            pa.array(self.channel, pa.string()),
            pa.array(self.provider, pa.string()),
            pa.array(self.code, pa.int32()),
            pa.array(self.record, pa.int64()),
            pa.array(self.user, pa.string()),
            pa.array(self.message, pa.string()),
            fields,
            pa.repeat(pa.scalar(file, pa.string()), n),
            pa.array(self.offset, pa.int64()),
        ]
        return pa.Table.from_arrays(columns, schema=EVENT_SCHEMA)


def _by_day(table: pa.Table) -> list[tuple[date, pa.Table]]:
    """The rows of each day, in their order within the day, days in order.

    Rows come in runs of one day (a log file is written in time order; a folder of them is several such
    runs): each day is the list of its runs, sliced without copying. Only a batch whose days alternate too
    often is sorted, which copies it (a stable sort keeps the input order within a day).
    """
    days = pc.cast(table.column("ts"), pa.date32())
    days = days.combine_chunks() if isinstance(days, pa.ChunkedArray) else days
    first, last = pc.min_max(days).values()
    if first == last:  # one day: the common case of a log file read in order
        return [(first.as_py(), table)]
    runs = pc.run_end_encode(days)
    if len(runs.values) > MAX_DAY_RUNS:
        order = pc.sort_indices(days)
        table = table.take(order)
        runs = pc.run_end_encode(days.take(order))
    slices: dict[date, list[pa.Table]] = {}
    start = 0
    for day, end in zip(runs.values.to_pylist(), runs.run_ends.to_pylist(), strict=True):
        slices.setdefault(day, []).append(table.slice(start, end - start))
        start = end
    return [
        (day, parts[0] if len(parts) == 1 else pa.concat_tables(parts))
        for day, parts in sorted(slices.items())
    ]


@cache
def _write_thread() -> ThreadPoolExecutor:
    """The thread that encodes and writes Parquet, one for the process (ingestion reads files one by one)."""
    return ThreadPoolExecutor(1, thread_name_prefix="hygie-parquet")


class EventWriter:
    """Writes the events of one input file, or of several, into the store: a row group per day and batch.

    Memory holds at most ``batch_size`` buffered events (and the batch being written) and
    :data:`MAX_OPEN_DAYS` open day files, whatever the input size. Parquet encoding, compression and
    writing run in a background thread (they release the GIL), so they overlap with the reading and
    flattening of the next batch. Files are written under a hidden name and renamed by :meth:`commit`;
    :meth:`abort` removes them. Use as a context manager.

    :meth:`start_file` hands the next input file to the same writer: its events go into the same day
    files (one part per day for all of them rather than one per file and day; each small Parquet file costs
    about a millisecond to write, and a folder of EVTX exports covers hundreds of days).
    """

    def __init__(
        self,
        settings: Settings,
        establishment_id: int,
        source: str,
        file_sha256: str,
        file_label: str,
        batch_size: int = BATCH_EVENTS,
    ) -> None:
        if source not in SOURCES:
            raise ValueError(f"unknown event source {source!r}")
        self.settings = settings
        self.establishment_id = establishment_id
        self.source = source
        self.batch_size = batch_size
        self._columns = _Columns()
        self._chunks: list[pa.Table] = []  # earlier parts of the batch, already in Arrow
        self._chunked = 0
        self._writers: dict[date, pq.ParquetWriter] = {}  # open, least recently written first
        self._temps: dict[date, list[Path]] = {}  # every part of each day, in the order opened
        self._pending: Future[None] | None = None
        self.written = 0
        self.days: dict[date, int] = {}
        self._temp_prefix = f".part-{file_sha256[:PART_PREFIX_LEN]}.{os.getpid()}"
        self.sha256 = file_sha256
        self.file_label = file_label
        self._id_prefix = f"{file_sha256}:".encode()
        self._files: dict[str, dict[date, int]] = {file_sha256: {}}  # days of each input file

    def start_file(self, file_sha256: str, file_label: str) -> None:
        """The events added from now on come from this input file (its SHA-256 makes their ids).

        Raises ValueError for a content this writer already had: its events would get the same ids.
        """
        if file_sha256 in self._files:
            raise ValueError(f"{file_label}: the same content was already written by this writer")
        self._cut()
        self.sha256 = file_sha256
        self.file_label = file_label
        self._id_prefix = f"{file_sha256}:".encode()
        self._files[file_sha256] = {}

    @property
    def part_name(self) -> str:
        """``part-<first 16 hex digits of the SHA-256>.parquet`` for one input file; for several, of the
        SHA-256 of their sorted SHA-256s (the same files written together give the same names again)."""
        if len(self._files) == 1:
            return f"part-{next(iter(self._files))[:PART_PREFIX_LEN]}.parquet"
        group = hashlib.sha256("\n".join(sorted(self._files)).encode()).hexdigest()
        return f"part-{group[:PART_PREFIX_LEN]}.parquet"

    def file_days(self, file_sha256: str) -> dict[date, int]:
        """Events of one input file per day (those added so far)."""
        if file_sha256 == self.sha256:
            self._cut()
        return dict(sorted(self._files.get(file_sha256, {}).items()))

    def add(self, event: Event) -> None:
        columns = self._columns
        digest = blake2b(self._id_prefix + str(event.key).encode(), digest_size=8).digest()
        columns.event_ids.append(int.from_bytes(digest, "big", signed=True))  # event_id(), inlined
        columns.ts.append(event.ts)
        columns.host.append(event.host)
        columns.channel.append(event.channel)
        columns.provider.append(event.provider)
        columns.code.append(event.event_code)
        columns.record.append(event.record_id)
        columns.user.append(event.user)
        columns.message.append(event.message)
        fields = event.fields
        columns.keys.extend(fields)
        columns.values.extend(fields.values())
        columns.sizes.append(len(fields))
        columns.offset.append(event.offset)
        if self._chunked + len(columns.ts) >= self.batch_size:
            self.flush()
        elif len(columns.ts) >= CHUNK_ROWS:
            # Python objects weigh several times their Arrow form: they are converted every CHUNK_ROWS events.
            self._cut()

    def extend(self, events: Iterable[Event]) -> None:
        for event in events:
            self.add(event)

    def _cut(self) -> None:
        """The buffered events of the current file to Arrow, counted per day for that file."""
        if not len(self._columns):
            return
        table = self._columns.table(self.source, self.file_label)
        self._columns = _Columns()
        self._chunks.append(table)
        self._chunked += table.num_rows
        counts = pc.value_counts(pc.cast(table.column("ts"), pa.date32()))
        file_days = self._files[self.sha256]
        for day, n in zip(
            counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True
        ):
            file_days[day] = file_days.get(day, 0) + n
            self.days[day] = self.days.get(day, 0) + n

    def flush(self) -> None:
        """Hands the buffered events to the writing thread: one row group per day they cover."""
        self._cut()
        if not self._chunks:
            return
        table = pa.concat_tables(self._chunks)
        self._chunks, self._chunked = [], 0
        parts = _by_day(table)
        self.written += table.num_rows
        self._wait()
        self._pending = _write_thread().submit(self._write, parts)

    def _write(self, parts: list[tuple[date, pa.Table]]) -> None:
        for day, part in parts:
            writer = self._writers.pop(day, None)
            if writer is None:
                if len(self._writers) >= MAX_OPEN_DAYS:
                    self._writers.pop(next(iter(self._writers))).close()
                folder = partition_dir(self.settings, self.establishment_id, self.source, day)
                folder.mkdir(parents=True, exist_ok=True)
                temps = self._temps.setdefault(day, [])
                temp = folder / f"{self._temp_prefix}.{len(temps)}.tmp"
                temps.append(temp)
                # Zstandard compresses best but costs about a millisecond per file to set up: a day with few
                # events (a forensic collection spans hundreds of days) is written with Snappy instead.
                compression = "zstd" if part.num_rows >= SMALL_PART_ROWS else "snappy"
                writer = pq.ParquetWriter(
                    temp, EVENT_SCHEMA, compression=compression, write_statistics=STATISTICS_COLUMNS
                )
            self._writers[day] = writer  # (re)inserted last: the most recently written
            writer.write_table(part)

    def _wait(self) -> None:
        """Waits for the batch being written; its error, if any, is raised here."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def commit(self) -> None:
        """Writes what is left and gives the files their final names (replacing an earlier copy)."""
        self.flush()
        self._wait()
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()
        stem = self.part_name.removesuffix(".parquet")
        for temps in self._temps.values():
            folder = temps[0].parent
            for number, temp in enumerate(temps):
                temp.replace(folder / (f"{stem}-{number}.parquet" if number else f"{stem}.parquet"))
            # Parts of an earlier ingestion of the same files that this one did not rewrite (it split the
            # day into fewer parts): their events are in the parts just written.
            for stale in folder.glob(f"{stem}-*.parquet"):
                suffix = stale.name[len(stem) + 1 : -len(".parquet")]
                if suffix.isdigit() and int(suffix) >= len(temps):
                    stale.unlink()
        self._temps.clear()
        _store_changed()

    def abort(self) -> None:
        with suppress(Exception):  # already failing: the files are removed below
            self._wait()
        for writer in self._writers.values():
            with suppress(Exception):
                writer.close()
        for temps in self._temps.values():
            for temp in temps:
                temp.unlink(missing_ok=True)
        self._writers.clear()
        self._temps.clear()
        self._columns = _Columns()
        self._chunks, self._chunked = [], 0

    def __enter__(self) -> EventWriter:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not None:
            self.abort()
            return
        try:
            self.commit()
        except BaseException:  # a write that failed in the thread: no half-written file is left
            self.abort()
            raise


def read_manifest(settings: Settings, establishment_id: int) -> dict[str, dict[str, Any]]:
    """The files already ingested for an establishment, by SHA-256."""
    path = establishment_dir(settings, establishment_id) / MANIFEST_NAME
    if not path.is_file():
        return {}
    data: dict[str, dict[str, Any]] = orjson.loads(path.read_bytes())
    return data


def write_manifest(settings: Settings, establishment_id: int, manifest: dict[str, dict[str, Any]]) -> None:
    """Replaces the manifest atomically (write beside, then rename)."""
    folder = establishment_dir(settings, establishment_id)
    folder.mkdir(parents=True, exist_ok=True)
    temp = folder / f".{MANIFEST_NAME}.{os.getpid()}.tmp"
    temp.write_bytes(orjson.dumps(manifest, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2))
    temp.replace(folder / MANIFEST_NAME)
    _store_changed()  # the files were written by worker processes, whose own signal stays there


STORE_LISTENERS: list[Callable[[], None]] = []
"""Called when this process wrote events into the store: what was read from it earlier is out of date
(``detect.evidence`` drops the coverage the evidence cache kept). The store depends on no domain."""


def _store_changed() -> None:
    for listener in STORE_LISTENERS:
        listener()


class DayCount(NamedTuple):
    source: str
    day: date
    events: int


def count_events(settings: Settings, establishment_id: int) -> list[DayCount]:
    """Events stored per source and day, read from the Parquet files themselves (DuckDB)."""
    import duckdb  # imported here: only the readers of the store need it

    if not has_events(settings, establishment_id):
        return []
    with duckdb.connect() as connection:
        rows = connection.execute(
            "SELECT source, day, count(*) FROM read_parquet(?, hive_partitioning = true) "
            "GROUP BY source, day ORDER BY source, day",
            [dataset_glob(settings, establishment_id)],
        ).fetchall()
    return [DayCount(str(source), day, int(n)) for source, day, n in rows]
