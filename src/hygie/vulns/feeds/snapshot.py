"""The snapshot store under ``HYGIE_HOME/feeds``:

```
feeds/current.json                 {"current": ID, "previous": ID}, replaced atomically (os.replace)
feeds/snapshots/ID/manifest.json   feeds, versions, source URLs and checksums, tables, row counts
feeds/snapshots/ID/<feed>/<table>.parquet
feeds/staging/…                    a snapshot being built or imported; never read
feeds/.lock                        one update or import at a time
```

A snapshot never changes once committed. A new one is built in ``staging``, verified (every file's
checksum, size, row count and schema against the manifest, nothing else in the folder), checked
against the current one (no feed may lose more than the allowed share of rows), moved into
``snapshots`` and only then pointed at; the previous snapshot stays readable, older ones beyond
``HYGIE_FEEDS_KEEP`` are removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Literal

import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError

from hygie.core.i18n import N_
from hygie.vulns.feeds.catalogue import FEEDS
from hygie.vulns.feeds.errors import FeedError, RowLossError
from hygie.vulns.feeds.report import Problem
from hygie.vulns.feeds.tables import SCHEMAS, file_sha256

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SNAPSHOT_ID = re.compile(r"\d{8}T\d{12}Z-[0-9a-f]{6}")  # UTC time to the microsecond: sorts by age

try:  # POSIX: the lock goes away with the process, even when it is killed
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceFile(_Strict):
    url: str
    sha256: str
    size: int
    fetched_at: datetime


class TableFile(_Strict):
    file: str
    rows: int
    sha256: str
    size: int


class FeedEntry(_Strict):
    feed: str
    version: str | None
    published: datetime | None  # the feed's own date (catalogue release, score date, last change)
    fetched_at: datetime  # when Hygie downloaded (or read) it
    rows: int  # rows of the feed's primary table: what the row-loss guard compares
    sources: list[SourceFile]
    tables: dict[str, TableFile]
    skipped: int  # bad records left out
    flawed: int  # records kept without a faulty field
    problems: list[Problem]  # the first ones, with file and position


class Manifest(_Strict):
    format: Literal["hygie-feeds"] = "hygie-feeds"
    format_version: int = FORMAT_VERSION
    snapshot_id: str
    created_at: datetime
    hygie_version: str
    feeds: dict[str, FeedEntry]


@dataclass(frozen=True)
class Snapshot:
    id: str
    path: Path
    manifest: Manifest

    def table_path(self, table: str) -> Path | None:
        for entry in self.manifest.feeds.values():
            if table in entry.tables:
                return self.path / entry.tables[table].file
        return None


def new_snapshot_id(created: datetime) -> str:
    return f"{created:%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(3)}"


def read_manifest(path: Path, source: str) -> Manifest:
    try:
        manifest = Manifest.model_validate_json(path.read_bytes())
    except (OSError, ValueError, PydanticValidationError) as exc:
        raise FeedError(
            N_("%(source)s: unreadable feed manifest: %(reason)s"), source=source, reason=str(exc)
        ) from exc
    if manifest.format_version != FORMAT_VERSION:
        raise FeedError(
            N_("%(source)s: feed snapshot format %(version)s is not supported"),
            source=source,
            version=manifest.format_version,
        )
    if not SNAPSHOT_ID.fullmatch(manifest.snapshot_id):
        raise FeedError(
            N_("%(source)s: malformed snapshot id %(id)r"), source=source, id=manifest.snapshot_id
        )
    return manifest


def manifest_problems(manifest: Manifest) -> list[str]:
    """What is wrong in a manifest itself: unknown feeds or tables, files not where they belong."""
    problems = []
    for name, entry in manifest.feeds.items():
        spec = FEEDS.get(name)
        if spec is None or entry.feed != name:
            problems.append(f"{name}: unknown feed")
            continue
        if set(entry.tables) != set(spec.tables):
            problems.append(f"{name}: tables {sorted(entry.tables)} instead of {sorted(spec.tables)}")
        for table, info in entry.tables.items():
            if info.file != spec.file_of(table):
                problems.append(f"{name}: table {table} stored as {info.file!r}")
        primary = entry.tables.get(spec.primary)
        if primary is not None and primary.rows != entry.rows:
            problems.append(f"{name}: {entry.rows} rows announced, {primary.rows} in {spec.primary}")
    return problems


def verify_folder(folder: Path, manifest: Manifest) -> list[str]:
    """Every problem of a snapshot folder against its manifest; [] when it is sound."""
    problems = manifest_problems(manifest)
    if problems:
        return problems
    expected = {MANIFEST}
    for entry in manifest.feeds.values():
        for table, info in entry.tables.items():
            expected.add(info.file)
            path = folder / info.file
            if not path.is_file() or path.is_symlink():
                problems.append(f"{info.file}: missing")
                continue
            if path.stat().st_size != info.size or file_sha256(path) != info.sha256:
                problems.append(f"{info.file}: checksum mismatch")
                continue
            try:
                parquet = pq.ParquetFile(path)
                rows, schema = parquet.metadata.num_rows, parquet.schema_arrow
            except Exception as exc:
                problems.append(f"{info.file}: unreadable Parquet ({exc})")
                continue
            if rows != info.rows:
                problems.append(f"{info.file}: {rows} rows, the manifest says {info.rows}")
            if not schema.equals(SCHEMAS[table]):
                problems.append(f"{info.file}: columns differ from the {table} table")
    for path in folder.rglob("*"):
        relative = path.relative_to(folder).as_posix()
        if path.is_symlink() or (path.is_file() and relative not in expected):
            problems.append(f"{relative}: not listed in the manifest")
    return problems


def row_losses(
    new: Mapping[str, FeedEntry], old: Mapping[str, FeedEntry] | None, max_loss: float
) -> list[tuple[str, int, int]]:
    """(feed, rows before, rows now) for each feed of ``old`` losing more than ``max_loss`` of its
    rows in ``new`` (a feed absent from ``new`` has lost them all)."""
    losses = []
    for name, before in (old or {}).items():
        after = new[name].rows if name in new else 0
        if before.rows > 0 and (before.rows - after) / before.rows > max_loss:
            losses.append((name, before.rows, after))
    return losses


def refuse_losses(losses: list[tuple[str, int, int]], max_loss: float) -> None:
    if losses:
        detail = "; ".join(f"{name}: {before} → {after}" for name, before, after in losses)
        raise RowLossError(
            N_(
                "refused: a feed would lose more than %(share)s %% of its rows (%(detail)s). The current "
                "snapshot is kept. If the loss is expected, raise HYGIE_FEEDS_MAX_ROW_LOSS for this run."
            ),
            share=round(max_loss * 100),
            detail=detail,
        )


class FeedStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.snapshots = root / "snapshots"
        self.staging = root / "staging"
        self.pointer = root / "current.json"

    def _pointed(self) -> dict[str, str | None]:
        try:
            data = json.loads(self.pointer.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"current": None, "previous": None}
        except (OSError, ValueError) as exc:
            raise FeedError(
                N_("%(file)s is damaged: %(reason)s"), file=str(self.pointer), reason=str(exc)
            ) from exc
        return {key: data.get(key) if isinstance(data, dict) else None for key in ("current", "previous")}

    def _open(self, snapshot_id: str | None) -> Snapshot | None:
        if snapshot_id is None:
            return None
        if not SNAPSHOT_ID.fullmatch(snapshot_id):
            raise FeedError(N_("%(file)s names a malformed snapshot id"), file=str(self.pointer))
        path = self.snapshots / snapshot_id
        return Snapshot(snapshot_id, path, read_manifest(path / MANIFEST, str(path)))

    def current(self) -> Snapshot | None:
        return self._open(self._pointed()["current"])

    def previous(self) -> Snapshot | None:
        previous = self._pointed()["previous"]
        return self._open(previous) if previous and (self.snapshots / previous).is_dir() else None

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".lock").open("a+") as handle:
            _acquire(handle)
            try:
                yield
            finally:
                _release(handle)

    def new_staging(self) -> Path:
        self.staging.mkdir(parents=True, exist_ok=True)
        path = self.staging / secrets.token_hex(6)
        path.mkdir()
        return path

    def commit(self, staging: Path, manifest: Manifest, keep: int) -> Snapshot:
        """Moves a verified staging folder into place and points ``current`` at it."""
        (staging / MANIFEST).write_text(manifest.model_dump_json(indent=2), encoding="utf-8")
        problems = verify_folder(staging, manifest)
        if problems:
            raise FeedError(
                N_("the new snapshot fails its own checks: %(problems)s"), problems="; ".join(problems)
            )
        target = self.snapshots / manifest.snapshot_id
        if target.exists():
            raise FeedError(N_("snapshot %(id)s is already installed"), id=manifest.snapshot_id)
        self.snapshots.mkdir(parents=True, exist_ok=True)
        staging.replace(target)  # same file system: a rename
        previous = self._pointed()["current"]
        self._point({"current": manifest.snapshot_id, "previous": previous})
        self.prune(keep)
        return Snapshot(manifest.snapshot_id, target, manifest)

    def _point(self, data: dict[str, str | None]) -> None:
        temporary = self.root / f"current.json.{secrets.token_hex(4)}.tmp"
        with temporary.open("w", encoding="utf-8") as handle:
            json.dump(data, handle)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(self.pointer)  # readers see the old pointer or the new one, never half

    def prune(self, keep: int) -> list[str]:
        """Removes the oldest snapshots beyond ``keep``; never the current or the previous one."""
        pointed = {v for v in self._pointed().values() if v}
        ids = sorted(
            (p.name for p in self.snapshots.iterdir() if SNAPSHOT_ID.fullmatch(p.name)), reverse=True
        )
        removed = []
        for snapshot_id in ids[keep:]:
            if snapshot_id not in pointed:
                shutil.rmtree(self.snapshots / snapshot_id, ignore_errors=True)
                removed.append(snapshot_id)
        return removed

    def discard(self, staging: Path) -> None:
        shutil.rmtree(staging, ignore_errors=True)


def _acquire(handle: IO[str]) -> None:
    if fcntl is None:  # pragma: no cover - Windows: no concurrent runs expected there
        return
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        raise FeedError(
            N_("another feed update or import is running; try again when it has finished")
        ) from exc


def _release(handle: IO[str]) -> None:
    if fcntl is not None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
