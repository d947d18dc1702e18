"""Ingestion: recognise each file's format, read it as a stream, write its events once into the store.

The manifest of ingested files (``_ingested.json`` beside the establishment's Parquet folders, by SHA-256)
lives with the data rather than in the database: the store is a plain Parquet dataset that can be copied,
backed up or handed to a Spark cluster with its manifest, and wiping it cannot leave the database claiming
files that are no longer there. A file whose SHA-256 is in the manifest is not read again, whatever its name.
"""

from __future__ import annotations

import csv
import hashlib
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import orjson

from hygie.core.errors import ValidationError
from hygie.core.settings import Settings
from hygie.detect.events import BATCH_EVENTS, Event, EventWriter, read_manifest, write_manifest
from hygie.detect.heap import writing_pool
from hygie.detect.ingest import evtx, m365, metrics, ndjson, postfix, syslog
from hygie.detect.ingest.common import Problem, ReadContext, head

Reader = Callable[[ReadContext], Iterator[Event]]
READERS: dict[str, Reader] = {
    "evtx": evtx.read,
    "ndjson": ndjson.read,
    "syslog": syslog.read,
    "postfix": postfix.read,
    "m365": m365.read,
    "metrics": metrics.read,
}
"""One reader per format; the keys are the values of ``--source`` (and of the ``source`` column)."""

ProgressCallback = Callable[[int], None]
"""Called with the number of events written so far in the current file, every few thousand events."""
PROGRESS_EVERY = 5000
MANIFEST_SAVE_SECONDS = 5.0


@dataclass
class FileResult:
    """What became of one input file."""

    file: str
    sha256: str
    source: str
    events: int = 0
    corrupt: int = 0
    truncated: int = 0
    problems: list[Problem] = field(default_factory=list)
    already_ingested: bool = False
    skipped: str | None = None
    """Why the file was not read (format not recognised), or None."""
    days: dict[str, int] = field(default_factory=dict)


@dataclass
class IngestReport:
    files: list[FileResult] = field(default_factory=list)

    @property
    def events(self) -> int:
        """Events stored by this run (files already ingested left out)."""
        return sum(f.events for f in self.files if not f.already_ingested)

    @property
    def corrupt(self) -> int:
        return sum(f.corrupt for f in self.files)

    @property
    def skipped(self) -> list[FileResult]:
        return [f for f in self.files if f.skipped]

    @property
    def truncated(self) -> int:
        return sum(f.truncated for f in self.files)


def _first_lines(data: bytes, count: int = 20) -> list[str]:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        text = data.decode("utf-16", errors="replace")
    else:
        text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#TYPE")]
    if len(data) >= 65536 and lines:
        lines = lines[:-1]  # the last one may be cut by the probe
    return lines[:count]


def detect_source(path: Path) -> str:
    """The format of a file, from its content (never its name). Raises ValidationError when unknown."""
    data = head(path)
    if data.startswith(evtx.MAGIC):
        return "evtx"
    lines = _first_lines(data)
    if not lines:
        raise ValidationError(f"{path}: empty file, or no line in its first 64 KB")
    if lines[0].lstrip().startswith("{"):
        try:
            if isinstance(orjson.loads(lines[0]), dict):
                return "ndjson"
        except orjson.JSONDecodeError:
            pass
    header = next(csv.reader([lines[0]], delimiter=";" if lines[0].count(";") > lines[0].count(",") else ","))
    if metrics.is_metrics(header):
        return "metrics"
    if m365.is_message_trace(header):
        return "m365"
    context = ReadContext(str(path), path, reference=datetime.now(UTC))
    parsed = [p for p in (syslog.parse_line(line, context) for line in lines) if p is not None]
    if parsed and len(parsed) * 2 >= len(lines):
        mail = sum(1 for _, fields, _ in parsed if postfix.is_postfix(fields.get("program")))
        return "postfix" if mail * 2 >= len(parsed) else "syslog"
    raise ValidationError(
        f"{path}: format not recognised (EVTX, NDJSON, syslog, Postfix, M365 CSV, metrics CSV)"
    )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def expand(paths: Iterable[Path]) -> list[Path]:
    """The files named, and those under the folders named (recursively, hidden files left out)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
                )
            )
        elif path.is_file():
            found.append(path)
        else:
            raise ValidationError(f"{path}: no such file or folder")
    return found


class _Group:
    """Files read one after the other into shared day files (one writer per format), committed together.

    Each small Parquet file costs about a millisecond to write: a folder of EVTX exports spread over
    hundreds of days, written file by file, would spend most of its time opening and closing them.
    """

    def __init__(self, settings: Settings, establishment_id: int, options: dict[str, Any]) -> None:
        self.settings = settings
        self.establishment_id = establishment_id
        self.timezone: tzinfo = options.get("timezone", UTC)
        self.batch_size: int = options.get("batch_size", BATCH_EVENTS)
        self.writers: dict[str, EventWriter] = {}
        self.results: list[tuple[Path, FileResult]] = []
        self.stored: dict[str, FileResult] = {}
        self.events = 0

    def read(self, path: Path, source: str, digest: str, progress: ProgressCallback | None) -> FileResult:
        """Reads one file into the group's writers; a file of unknown format gives ``skipped``."""
        try:
            kind = detect_source(path) if source == "auto" else source
        except ValidationError as exc:
            return FileResult(str(path), digest, "unknown", skipped=str(exc))
        reference = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        context = ReadContext(str(path), path, timezone=self.timezone, reference=reference)
        writer = self.writers.get(kind)
        if writer is None:
            writer = EventWriter(
                self.settings, self.establishment_id, kind, digest, str(path), self.batch_size
            )
            self.writers[kind] = writer
        else:
            writer.start_file(digest, str(path))
        count = 0
        add = writer.add
        for count, event in enumerate(READERS[kind](context), 1):
            add(event)
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(count)
        self.events += count
        result = FileResult(
            str(path),
            digest,
            kind,
            events=count,
            corrupt=context.corrupt,
            truncated=context.truncated,
            problems=context.problems,
            days={day.isoformat(): n for day, n in writer.file_days(digest).items()},
        )
        self.stored[digest] = result
        return result

    def add(self, path: Path, result: FileResult) -> None:
        self.results.append((path, result))

    def commit(self) -> list[tuple[Path, FileResult]]:
        """Gives the day files their names; the results of the group's files, in their order."""
        try:
            for writer in self.writers.values():
                writer.commit()
        except BaseException:
            self.abort()
            raise
        results, self.results = self.results, []
        self.writers, self.stored, self.events = {}, {}, 0
        return results

    def abort(self) -> None:
        for writer in self.writers.values():
            writer.abort()
        self.writers, self.stored, self.results, self.events = {}, {}, [], 0


GROUP_EVENTS = 2_000_000
"""Events of the files sharing their day files, at most: then they are committed and the manifest saved."""
GROUP_FILES = 1000
GROUP_BYTES = 1 << 30
"""Input bytes of a worker's task, at most (a task is a group: see :func:`store_files`)."""


def store_file(
    settings: Settings,
    establishment_id: int,
    path: Path,
    source: str,
    digest: str,
    *,
    timezone: tzinfo = UTC,
    batch_size: int = BATCH_EVENTS,
    progress: ProgressCallback | None = None,
) -> FileResult:
    """Reads one file into the store, without looking at the manifest (see :func:`ingest_file`).

    A file of unknown format gives a result with ``skipped`` set. Runs in a worker process too.
    """
    group = _Group(settings, establishment_id, {"timezone": timezone, "batch_size": batch_size})
    with writing_pool():
        try:
            result = group.read(path, source, digest, progress)
        except BaseException:
            group.abort()
            raise
        group.commit()
    return result


def _remember(manifest: dict[str, dict[str, Any]], path: Path, result: FileResult) -> bool:
    """Records a stored file in the manifest; ``False`` when there is nothing to record."""
    if result.skipped or result.already_ingested or (not result.events and result.corrupt):
        # Nothing readable (a wrong --source, a wrecked file): not recorded, so a later run can try again.
        return False
    manifest[result.sha256] = {
        "file": str(path),
        "source": result.source,
        "size": path.stat().st_size,
        "events": result.events,
        "corrupt": result.corrupt,
        "truncated": result.truncated,
        "days": result.days,
        "ingested_at": datetime.now(UTC).isoformat(),
    }
    return True


def _known(manifest: dict[str, dict[str, Any]], path: Path, digest: str) -> FileResult | None:
    known = manifest.get(digest)
    if known is None:
        return None
    return FileResult(str(path), digest, known["source"], events=known["events"], already_ingested=True)


def _check_source(source: str) -> None:
    if source != "auto" and source not in READERS:
        raise ValidationError(f"unknown source {source!r}: auto, {', '.join(READERS)}")


def ingest_file(
    settings: Settings,
    establishment_id: int,
    path: Path,
    source: str = "auto",
    *,
    timezone: tzinfo = UTC,
    batch_size: int = BATCH_EVENTS,
    progress: ProgressCallback | None = None,
) -> FileResult:
    """Reads one file into the store unless its content (SHA-256) was already ingested; saves the manifest.

    Raises ValidationError when the format is not recognised.
    """
    _check_source(source)
    digest = file_sha256(path)
    manifest = read_manifest(settings, establishment_id)
    known = _known(manifest, path, digest)
    if known is not None:
        return known
    result = store_file(
        settings, establishment_id, path, source, digest, timezone=timezone, batch_size=batch_size,
        progress=progress,
    )  # fmt: skip
    if result.skipped:
        raise ValidationError(result.skipped)
    if _remember(manifest, path, result):
        write_manifest(settings, establishment_id, manifest)
    return result


def ingest_paths(
    settings: Settings,
    establishment_id: int,
    paths: Iterable[Path],
    source: str = "auto",
    *,
    timezone: tzinfo = UTC,
    batch_size: int = BATCH_EVENTS,
    workers: int = 1,
    on_file: Callable[[Path], None] | None = None,
    progress: ProgressCallback | None = None,
) -> IngestReport:
    """Ingests every file (folders recursively); a file of unknown format is reported, the others go on.

    Consecutive files share their day files, by groups of at most ``GROUP_FILES`` files and
    ``GROUP_EVENTS`` events, and the manifest is saved after each group. With ``workers`` > 1, files are
    read in that many processes at once, each reading groups of consecutive files (a file stays in one
    process). A crash before the manifest is saved only means re-reading files whose Parquet parts are
    then rewritten under the same names, never duplicated.
    """
    _check_source(source)
    files = expand(paths)
    report = IngestReport()
    manifest = read_manifest(settings, establishment_id)
    state = {"saved_at": time.monotonic(), "dirty": False}

    def record(path: Path, result: FileResult) -> None:
        report.files.append(result)
        if _remember(manifest, path, result):
            state["dirty"] = True
        if state["dirty"] and time.monotonic() - state["saved_at"] > MANIFEST_SAVE_SECONDS:
            save()

    def save() -> None:
        write_manifest(settings, establishment_id, manifest)
        state["saved_at"], state["dirty"] = time.monotonic(), False

    options: dict[str, Any] = {"timezone": timezone, "batch_size": batch_size}
    try:
        if workers > 1 and len(files) > 1:
            _in_processes(
                settings, establishment_id, files, source, options, workers, manifest, record, save, on_file
            )
        else:
            with writing_pool():
                _in_groups(
                    settings, establishment_id, files, source, options, manifest, record, save, on_file,
                    progress,
                )  # fmt: skip
    finally:
        if state["dirty"]:
            save()
    return report


def _in_groups(
    settings: Settings,
    establishment_id: int,
    files: list[Path],
    source: str,
    options: dict[str, Any],
    manifest: dict[str, dict[str, Any]],
    record: Callable[[Path, FileResult], None],
    save: Callable[[], None],
    on_file: Callable[[Path], None] | None,
    progress: ProgressCallback | None,
) -> None:
    """Files read in this process, by groups sharing their day files (see :class:`_Group`).

    The manifest is saved as soon as a group's files have their names: read again after a crash, the
    files of a group could form another group, whose day files would have other names.
    """
    group = _Group(settings, establishment_id, options)
    try:
        for path in files:
            if on_file is not None:
                on_file(path)
            digest = file_sha256(path)
            known = _known(manifest, path, digest)
            first = group.stored.get(digest)
            if known is None and first is not None:  # the same content twice in one group
                known = FileResult(
                    str(path), digest, first.source, events=first.events, already_ingested=True
                )
            group.add(path, known or group.read(path, source, digest, progress))
            if group.events >= GROUP_EVENTS or len(group.results) >= GROUP_FILES:
                _record_group(group, record, save)
    except BaseException:
        group.abort()
        raise
    _record_group(group, record, save)


def _record_group(
    group: _Group, record: Callable[[Path, FileResult], None], save: Callable[[], None]
) -> None:
    stored = bool(group.writers)
    for path, result in group.commit():
        record(path, result)
    if stored:
        save()


def store_files(
    settings: Settings,
    establishment_id: int,
    files: list[tuple[Path, str]],
    source: str,
    *,
    timezone: tzinfo = UTC,
    batch_size: int = BATCH_EVENTS,
) -> list[FileResult]:
    """Reads ``(path, SHA-256)`` files (distinct contents) into the store as one group sharing its day
    files, without looking at the manifest; their results in the same order. Runs in a worker process."""
    group = _Group(settings, establishment_id, {"timezone": timezone, "batch_size": batch_size})
    with writing_pool():
        try:
            for path, digest in files:
                group.add(path, group.read(path, source, digest, None))
        except BaseException:
            group.abort()
            raise
        return [result for _, result in group.commit()]


def _tasks(files: list[tuple[Path, str]], workers: int) -> list[list[tuple[Path, str]]]:
    """Consecutive files by tasks of about the same size, two per worker (a worker that ends early takes
    another), at most GROUP_FILES files and GROUP_BYTES bytes each (a larger file is a task alone)."""
    sizes = [path.stat().st_size for path, _ in files]
    share = min(GROUP_BYTES, max(1, sum(sizes) // (2 * workers)))
    tasks: list[list[tuple[Path, str]]] = [[]]
    held = 0
    for item, size in zip(files, sizes, strict=True):
        if tasks[-1] and (held + size > share or len(tasks[-1]) >= GROUP_FILES):
            tasks.append([])
            held = 0
        tasks[-1].append(item)
        held += size
    return tasks


def _in_processes(
    settings: Settings,
    establishment_id: int,
    files: list[Path],
    source: str,
    options: dict[str, Any],
    workers: int,
    manifest: dict[str, dict[str, Any]],
    record: Callable[[Path, FileResult], None],
    save: Callable[[], None],
    on_file: Callable[[Path], None] | None,
) -> None:
    """Files read by ``workers`` processes, by tasks of consecutive files sharing their day files; the
    manifest is saved after each task (see :func:`_in_groups`)."""
    todo: list[tuple[Path, str]] = []
    submitted: set[str] = set()
    for path in files:
        digest = file_sha256(path)
        known = _known(manifest, path, digest)
        if known is None and digest in submitted:  # the same content twice in one run
            known = FileResult(str(path), digest, "", already_ingested=True)
        if known is not None:
            record(path, known)
            continue
        submitted.add(digest)
        todo.append((path, digest))
    if not todo:
        return
    # "spawn": the evtx parser and DuckDB run threads, which a forked child must not inherit.
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        pending: dict[Future[list[FileResult]], list[tuple[Path, str]]] = {}
        for task in _tasks(todo, workers):
            future = pool.submit(store_files, settings, establishment_id, task, source, **options)
            pending[future] = task
        for future in as_completed(pending):
            results = future.result()
            for (path, _), result in zip(pending[future], results, strict=True):
                if on_file is not None:
                    on_file(path)
                record(path, result)
            save()
