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
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
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


def ingest_file(
    settings: Settings,
    establishment_id: int,
    path: Path,
    source: str = "auto",
    *,
    timezone: tzinfo = UTC,
    batch_size: int = 50_000,
    progress: ProgressCallback | None = None,
    manifest: dict[str, dict[str, Any]] | None = None,
) -> FileResult:
    """Reads one file into the store unless its content was already ingested.

    Without ``manifest`` the establishment's manifest is read and saved here; with it, the caller saves
    it (:func:`ingest_paths` does, every few seconds: a crash in between only means re-reading files whose
    Parquet parts are then rewritten under the same names, never duplicated).
    """
    if source != "auto" and source not in READERS:
        raise ValidationError(f"unknown source {source!r}: auto, {', '.join(READERS)}")
    digest = file_sha256(path)
    save = manifest is None
    if manifest is None:
        manifest = read_manifest(settings, establishment_id)
    if digest in manifest:
        known = manifest[digest]
        return FileResult(str(path), digest, known["source"], events=known["events"], already_ingested=True)
    kind = detect_source(path) if source == "auto" else source
    reference = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    context = ReadContext(str(path), path, timezone=timezone, reference=reference)
    with EventWriter(settings, establishment_id, kind, digest, str(path), batch_size) as writer:
        for count, event in enumerate(READERS[kind](context), 1):
            writer.add(event)
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(count)
    result = FileResult(
        str(path),
        digest,
        kind,
        events=writer.written,
        corrupt=context.corrupt,
        truncated=context.truncated,
        problems=context.problems,
        days={day.isoformat(): n for day, n in sorted(writer.days.items())},
    )
    if not result.events and result.corrupt:
        # Nothing readable (a wrong --source, a wrecked file): not recorded, so a later run can try again.
        return result
    manifest[digest] = {
        "file": str(path),
        "source": kind,
        "size": path.stat().st_size,
        "events": result.events,
        "corrupt": result.corrupt,
        "truncated": result.truncated,
        "days": result.days,
        "ingested_at": datetime.now(UTC).isoformat(),
    }
    if save:
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
    on_file: Callable[[Path], None] | None = None,
    progress: ProgressCallback | None = None,
) -> IngestReport:
    """Ingests every file (folders recursively). A file of unknown format is reported, the others go on."""
    report = IngestReport()
    manifest = read_manifest(settings, establishment_id)
    saved_at = time.monotonic()
    dirty = False
    try:
        for path in expand(paths):
            if on_file is not None:
                on_file(path)
            try:
                result = ingest_file(
                    settings, establishment_id, path, source, timezone=timezone, batch_size=batch_size,
                    progress=progress, manifest=manifest,
                )  # fmt: skip
            except ValidationError as exc:
                result = FileResult(str(path), "", "unknown", skipped=str(exc))
            report.files.append(result)
            dirty = dirty or not (result.already_ingested or result.skipped)
            if dirty and time.monotonic() - saved_at > MANIFEST_SAVE_SECONDS:
                write_manifest(settings, establishment_id, manifest)
                saved_at, dirty = time.monotonic(), False
    finally:
        if dirty:
            write_manifest(settings, establishment_id, manifest)
    return report
