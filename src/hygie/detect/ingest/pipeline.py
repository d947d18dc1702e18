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
from hygie.detect.events import Event, EventWriter, read_manifest, write_manifest
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


def store_file(
    settings: Settings,
    establishment_id: int,
    path: Path,
    source: str,
    digest: str,
    *,
    timezone: tzinfo = UTC,
    batch_size: int = 50_000,
    progress: ProgressCallback | None = None,
) -> FileResult:
    """Reads one file into the store, without looking at the manifest (see :func:`ingest_file`).

    A file of unknown format gives a result with ``skipped`` set. Runs in a worker process too.
    """
    try:
        kind = detect_source(path) if source == "auto" else source
    except ValidationError as exc:
        return FileResult(str(path), digest, "unknown", skipped=str(exc))
    reference = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    context = ReadContext(str(path), path, timezone=timezone, reference=reference)
    with EventWriter(settings, establishment_id, kind, digest, str(path), batch_size) as writer:
        for count, event in enumerate(READERS[kind](context), 1):
            writer.add(event)
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(count)
    return FileResult(
        str(path),
        digest,
        kind,
        events=writer.written,
        corrupt=context.corrupt,
        truncated=context.truncated,
        problems=context.problems,
        days={day.isoformat(): n for day, n in sorted(writer.days.items())},
    )


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
    batch_size: int = 50_000,
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
    batch_size: int = 50_000,
    workers: int = 1,
    on_file: Callable[[Path], None] | None = None,
    progress: ProgressCallback | None = None,
) -> IngestReport:
    """Ingests every file (folders recursively); a file of unknown format is reported, the others go on.

    With ``workers`` > 1, files are read in that many processes at once (one file stays in one process).
    The manifest is saved every few seconds and at the end: a crash in between only means re-reading files
    whose Parquet parts are then rewritten under the same names, never duplicated.
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
            write_manifest(settings, establishment_id, manifest)
            state["saved_at"], state["dirty"] = time.monotonic(), False

    options: dict[str, Any] = {"timezone": timezone, "batch_size": batch_size}
    try:
        if workers > 1 and len(files) > 1:
            _in_processes(
                settings, establishment_id, files, source, options, workers, manifest, record, on_file
            )
        else:
            for path in files:
                if on_file is not None:
                    on_file(path)
                digest = file_sha256(path)
                known = _known(manifest, path, digest)
                result = known or store_file(
                    settings, establishment_id, path, source, digest, progress=progress, **options
                )
                record(path, result)
    finally:
        if state["dirty"]:
            write_manifest(settings, establishment_id, manifest)
    return report


def _in_processes(
    settings: Settings,
    establishment_id: int,
    files: list[Path],
    source: str,
    options: dict[str, Any],
    workers: int,
    manifest: dict[str, dict[str, Any]],
    record: Callable[[Path, FileResult], None],
    on_file: Callable[[Path], None] | None,
) -> None:
    # "spawn": the evtx parser and DuckDB run threads, which a forked child must not inherit.
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        pending: dict[Future[FileResult], Path] = {}
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
            future = pool.submit(store_file, settings, establishment_id, path, source, digest, **options)
            pending[future] = path
        for future in as_completed(pending):
            path = pending[future]
            if on_file is not None:
                on_file(path)
            record(path, future.result())
