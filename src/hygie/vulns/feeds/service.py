"""The operations on the feeds: update (download or local files), status; ``bundle`` and
``import_bundle`` are in :mod:`hygie.vulns.feeds.bundle`. Each update builds a whole new snapshot:
the feeds asked for are downloaded and parsed, the others are carried over from the current snapshot
(hard links), and the new snapshot replaces the current one only once it passed every check.

A feed that fails (download, unreadable file, too large a loss of rows) keeps its previous data and
is reported; the others go on. When no feed could be updated, nothing changes and the error says why.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import httpx
from pydantic import BaseModel

from hygie import __version__
from hygie.core.i18n import N_, gettext
from hygie.core.settings import Settings, get_settings
from hygie.core.time import utcnow
from hygie.vulns.feeds import incremental
from hygie.vulns.feeds.catalogue import (
    FEEDS,
    FeedSpec,
    FetchContext,
    fetch_nvd_modified,
    resolve_urls,
    select,
)
from hygie.vulns.feeds.download import Fetcher, make_client
from hygie.vulns.feeds.errors import FeedError, RowLossError
from hygie.vulns.feeds.report import FeedReport
from hygie.vulns.feeds.snapshot import (
    FeedEntry,
    FeedStore,
    Manifest,
    Snapshot,
    SourceFile,
    TableFile,
    new_snapshot_id,
    refuse_losses,
    row_losses,
)
from hygie.vulns.feeds.tables import SCHEMAS, TableWriter, file_sha256

# Called with (feed, stage) as an update goes: "download", "parse", "merge", "done", "failed".
Progress = Callable[[str, str], None]
# Gets a feed's files into a folder: (files to parse, what they came from).
Obtain = Callable[[FeedSpec, Path, FeedReport], tuple[list[Path], list[SourceFile]]]


@dataclass(frozen=True)
class FeedFailure:
    feed: str
    error: FeedError


@dataclass(frozen=True)
class UpdateResult:
    snapshot: Snapshot
    updated: list[str]
    failures: list[FeedFailure] = field(default_factory=list)


class NothingUpdatedError(FeedError):
    """Every feed asked for failed; the current snapshot is unchanged."""

    def __init__(self, failures: list[FeedFailure]) -> None:
        self.failures = failures
        super().__init__(N_("no feed was updated; the current snapshot is unchanged:"))

    def __str__(self) -> str:
        return self.localized("en")

    def localized(self, lang: str = "fr") -> str:
        lines = [f"  - {f.feed}: {f.error.localized(lang)}" for f in self.failures]
        return "\n".join([gettext(self.template, lang), *lines])


def store_of(settings: Settings | None = None) -> FeedStore:
    return FeedStore((settings or get_settings()).feeds_dir)


def current_snapshot(settings: Settings | None = None) -> Snapshot | None:
    """The snapshot the other stages read, or None before the first update or import."""
    return store_of(settings).current()


def update(
    only: Sequence[str] | None = None,
    *,
    client: httpx.Client | None = None,
    settings: Settings | None = None,
    progress: Progress | None = None,
    today: date | None = None,
    full: bool = False,
) -> UpdateResult:
    """Downloads the feeds named in ``only`` (all when empty) and installs the new snapshot. The NVD
    is updated from its ``modified`` file when the snapshot's yearly files are recent enough
    (:mod:`hygie.vulns.feeds.incremental`); ``full`` downloads the yearly files again."""
    settings = settings or get_settings()
    specs = select(only)
    urls = resolve_urls(settings.feeds_urls)
    own_client = client is None
    http = client or make_client(settings.feeds_timeout_seconds)
    fetcher = Fetcher(http, settings.feeds_max_file_mb * 1024 * 1024)
    day = today or utcnow().date()
    store = store_of(settings)
    deltas: set[str] = set()

    def obtain(spec: FeedSpec, folder: Path, report: FeedReport) -> tuple[list[Path], list[SourceFile]]:
        before = len(fetcher.downloads)
        ctx = FetchContext(fetcher, folder, urls, report, day)
        current = store.current()  # read under the update's lock
        previous = current.manifest.feeds.get(spec.name) if current else None
        if spec.name == "nvd" and not full and incremental.can_continue(previous, urls, utcnow()):
            files = fetch_nvd_modified(ctx)
            deltas.add(spec.name)
        else:
            files = spec.fetch(ctx)
        sources = [
            SourceFile(url=d.url, sha256=d.sha256, size=d.size, fetched_at=d.fetched_at)
            for d in fetcher.downloads[before:]
        ]
        return files, sources

    try:
        return _refresh(specs, obtain, settings, progress, deltas)
    finally:
        if own_client:
            http.close()


def ingest(
    files: Mapping[str, Sequence[Path]],
    *,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> UpdateResult:
    """Installs feeds from files already on disk (``{"kev": [path]}``), with the same checks."""
    settings = settings or get_settings()
    specs = select(list(files))

    def obtain(spec: FeedSpec, folder: Path, report: FeedReport) -> tuple[list[Path], list[SourceFile]]:
        paths = [Path(p) for p in files[spec.name]]
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise FeedError(N_("%(files)s: no such file or folder"), files=", ".join(missing))
        return paths, [_local_source(p) for p in paths]

    return _refresh(specs, obtain, settings, progress)


def _local_source(path: Path) -> SourceFile:
    if path.is_file():
        return SourceFile(
            url=path.resolve().as_uri(),
            sha256=file_sha256(path),
            size=path.stat().st_size,
            fetched_at=utcnow(),
        )
    digest, size = hashlib.sha256(), 0
    for member in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(member.relative_to(path).as_posix().encode() + b"\0" + file_sha256(member).encode())
        size += member.stat().st_size
    return SourceFile(url=path.resolve().as_uri(), sha256=digest.hexdigest(), size=size, fetched_at=utcnow())


def _refresh(
    specs: list[FeedSpec],
    obtain: Obtain,
    settings: Settings,
    progress: Progress | None,
    deltas: Collection[str] = (),
) -> UpdateResult:
    """``deltas``: the feeds whose files, once obtained, are changes to merge into the current data."""
    store = store_of(settings)
    say = progress or (lambda feed, stage: None)
    with store.lock():
        shutil.rmtree(store.staging, ignore_errors=True)  # left by an interrupted run
        current = store.current()
        staging, work = store.new_staging(), store.new_staging()
        try:
            entries: dict[str, FeedEntry] = {}
            updated: list[str] = []
            failures: list[FeedFailure] = []
            for spec in specs:
                try:
                    say(spec.name, "download")
                    report = FeedReport(spec.name)
                    files, sources = obtain(spec, work / spec.name, report)
                    say(spec.name, "parse")
                    entry = build_feed(spec, files, staging, report, sources)
                    previous = current.manifest.feeds.get(spec.name) if current else None
                    if spec.name in deltas and current is not None and previous is not None:
                        say(spec.name, "merge")
                        entry = incremental.merge(spec, current, previous, entry, staging)
                    if previous is not None:
                        losses = row_losses(
                            {spec.name: entry}, {spec.name: previous}, settings.feeds_max_row_loss
                        )
                        refuse_losses(losses, settings.feeds_max_row_loss)
                except FeedError as exc:
                    shutil.rmtree(staging / spec.name, ignore_errors=True)
                    failures.append(FeedFailure(spec.name, exc))
                    say(spec.name, "failed")
                    continue
                finally:
                    shutil.rmtree(work / spec.name, ignore_errors=True)  # downloads are not kept
                entries[spec.name] = entry
                updated.append(spec.name)
                say(spec.name, "done")
            if not entries:
                if len(failures) == 1:
                    raise failures[0].error
                raise NothingUpdatedError(failures)
            if current is not None:
                for name, entry in current.manifest.feeds.items():
                    if name not in entries:
                        _carry_over(current, entry, staging)
                        entries[name] = entry
            created = utcnow()
            manifest = Manifest(
                snapshot_id=new_snapshot_id(created),
                created_at=created,
                hygie_version=__version__,
                feeds={name: entries[name] for name in FEEDS if name in entries},
            )
            snapshot = store.commit(staging, manifest, settings.feeds_keep)
        except BaseException:
            store.discard(staging)
            raise
        finally:
            store.discard(work)
    return UpdateResult(snapshot, updated, failures)


def build_feed(
    spec: FeedSpec, files: Sequence[Path], folder: Path, report: FeedReport, sources: list[SourceFile]
) -> FeedEntry:
    """Parses a feed's files into its Parquet tables under ``folder/<feed>/``."""
    writers = {table: TableWriter(folder / spec.file_of(table), SCHEMAS[table]) for table in spec.tables}
    try:
        for table, row in spec.parse(files, report):
            writers[table].add(row)
    except BaseException:
        for writer in writers.values():
            writer.abort()
        raise
    written = {table: writer.close() for table, writer in writers.items()}
    tables = {
        table: TableFile(file=spec.file_of(table), rows=w.rows, sha256=w.sha256, size=w.size)
        for table, w in written.items()
    }
    return FeedEntry(
        feed=spec.name,
        version=report.version,
        published=report.published,
        fetched_at=min((s.fetched_at for s in sources), default=utcnow()),
        rows=tables[spec.primary].rows,
        sources=sources,
        tables=tables,
        skipped=report.skipped,
        flawed=report.flawed,
        problems=report.problems,
    )


def _carry_over(current: Snapshot, entry: FeedEntry, staging: Path) -> None:
    """An untouched feed goes into the new snapshot as it was (hard links: no copy, no change)."""
    for info in entry.tables.values():
        source, target = current.path / info.file, staging / info.file
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, target)
        except OSError:  # another file system, or links not supported
            shutil.copy2(source, target)


class FeedStatus(BaseModel):
    feed: str
    title: str
    state: str  # ok | stale | missing
    version: str | None = None
    published: datetime | None = None
    fetched_at: datetime | None = None
    age_days: int | None = None
    rows: int | None = None
    tables: dict[str, int] = {}
    skipped: int = 0
    flawed: int = 0


class StatusReport(BaseModel):
    snapshot_id: str | None
    created_at: datetime | None
    previous_id: str | None
    max_age_days: int
    feeds: list[FeedStatus]

    @property
    def warnings(self) -> list[FeedStatus]:
        return [f for f in self.feeds if f.state != "ok"]


def status(settings: Settings | None = None, now: datetime | None = None) -> StatusReport:
    """Per feed: version, date, age, rows; stale when older than HYGIE_FEEDS_MAX_AGE_DAYS."""
    settings = settings or get_settings()
    store = store_of(settings)
    current = store.current()
    previous = store.previous() if current else None
    moment = now or utcnow()
    feeds = []
    for spec in FEEDS.values():
        entry = current.manifest.feeds.get(spec.name) if current else None
        if entry is None:
            feeds.append(FeedStatus(feed=spec.name, title=spec.title, state="missing"))
            continue
        age = (moment - entry.fetched_at).days
        feeds.append(
            FeedStatus(
                feed=spec.name,
                title=spec.title,
                state="stale" if age > settings.feeds_max_age_days else "ok",
                version=entry.version,
                published=entry.published,
                fetched_at=entry.fetched_at,
                age_days=age,
                rows=entry.rows,
                tables={table: info.rows for table, info in entry.tables.items()},
                skipped=entry.skipped,
                flawed=entry.flawed,
            )
        )
    return StatusReport(
        snapshot_id=current.id if current else None,
        created_at=current.manifest.created_at if current else None,
        previous_id=previous.id if previous else None,
        max_age_days=settings.feeds_max_age_days,
        feeds=feeds,
    )


__all__ = [
    "FeedFailure",
    "FeedStatus",
    "NothingUpdatedError",
    "RowLossError",
    "StatusReport",
    "UpdateResult",
    "build_feed",
    "current_snapshot",
    "ingest",
    "status",
    "update",
]
