"""Offline bundles: the current snapshot as one ``.tar.gz`` (its manifest first, then its Parquet
files), made on a connected machine and imported on an isolated one.

Import trusts nothing in the archive: it is read once as a stream; the first member must be the
manifest; every other member must be a regular file with a name of the form ``<feed>/<table>.parquet``
for a known feed and table (so no absolute path, no ``..``, no link, no device can get through),
listed in the manifest with the same size, not larger than HYGIE_FEEDS_MAX_FILE_MB, present once,
and its SHA-256 must match. Then the extracted snapshot is verified like a downloaded one (row counts,
columns), checked for lost rows against the current one, and swapped in. Any problem: nothing changes.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import shutil
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from pydantic import ValidationError as PydanticValidationError

from hygie.core.i18n import N_
from hygie.core.settings import Settings, get_settings
from hygie.vulns.feeds.catalogue import FEEDS
from hygie.vulns.feeds.errors import BundleError, FeedError
from hygie.vulns.feeds.snapshot import (
    MANIFEST,
    SNAPSHOT_ID,
    FeedStore,
    Manifest,
    Snapshot,
    TableFile,
    manifest_problems,
    refuse_losses,
    row_losses,
    verify_folder,
)

_MEMBER = re.compile(r"(?P<feed>[a-z0-9_]+)/(?P<table>[a-z0-9_]+)\.parquet")
_CHUNK = 1024 * 1024
_MAX_MANIFEST = 64 * 1024 * 1024


@dataclass(frozen=True)
class BundleResult:
    path: Path
    snapshot_id: str
    files: int
    size: int


def bundle(out: Path, settings: Settings | None = None) -> BundleResult:
    """Writes the current snapshot, checked first, as one archive at ``out`` (replaced atomically)."""
    store = FeedStore((settings or get_settings()).feeds_dir)
    current = store.current()
    if current is None:
        raise FeedError(N_("no feed snapshot yet: run `hygie feeds update` first"))
    problems = verify_folder(current.path, current.manifest)
    if problems:
        raise FeedError(N_("the current snapshot is damaged: %(problems)s"), problems="; ".join(problems))
    partial = out.with_name(out.name + ".part")
    mtime = current.manifest.created_at.timestamp()
    count = 0
    try:
        with tarfile.open(partial, "w:gz", format=tarfile.PAX_FORMAT) as tar:
            _add(tar, MANIFEST, current.path / MANIFEST, mtime)
            for entry in current.manifest.feeds.values():
                for info in entry.tables.values():
                    _add(tar, info.file, current.path / info.file, mtime)
                    count += 1
        partial.replace(out)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise FeedError(N_("cannot write %(file)s: %(reason)s"), file=str(out), reason=str(exc)) from exc
    return BundleResult(out, current.id, count, out.stat().st_size)


def _add(tar: tarfile.TarFile, name: str, path: Path, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size = path.stat().st_size
    info.mtime = int(mtime)
    info.mode = 0o644
    with path.open("rb") as handle:
        tar.addfile(info, handle)


def member_problem(name: str) -> str | None:
    """Why a member name is refused, or None for the manifest and ``<feed>/<table>.parquet``."""
    if name == MANIFEST:
        return None
    found = _MEMBER.fullmatch(name)
    if found is None:
        return "not of the form <feed>/<table>.parquet"
    spec = FEEDS.get(found.group("feed"))
    if spec is None or found.group("table") not in spec.tables:
        return "unknown feed or table"
    return None


def import_bundle(path: Path, settings: Settings | None = None) -> Snapshot:
    """Checks a bundle through and through, then makes it the current snapshot."""
    settings = settings or get_settings()
    if not path.is_file():
        raise FeedError(N_("%(file)s: no such file"), file=str(path))
    store = FeedStore(settings.feeds_dir)
    with store.lock():
        shutil.rmtree(store.staging, ignore_errors=True)
        current = store.current()
        staging = store.new_staging()
        try:
            manifest = _extract(path, staging, settings.feeds_max_file_mb * 1024 * 1024)
            problems = verify_folder(staging, manifest)
            if problems:
                raise BundleError(
                    N_("%(bundle)s: %(problems)s"), bundle=str(path), problems="; ".join(problems)
                )
            if (store.snapshots / manifest.snapshot_id).exists():
                raise FeedError(N_("snapshot %(id)s is already installed"), id=manifest.snapshot_id)
            losses = row_losses(
                manifest.feeds, current.manifest.feeds if current else None, settings.feeds_max_row_loss
            )
            refuse_losses(losses, settings.feeds_max_row_loss)
            return store.commit(staging, manifest, settings.feeds_keep)
        except BaseException:
            store.discard(staging)
            raise


def _refuse(bundle: Path, member: str, why: str) -> BundleError:
    return BundleError(
        N_("%(bundle)s: member %(member)s refused: %(why)s"), bundle=str(bundle), member=member, why=why
    )


def _extract(bundle: Path, staging: Path, max_bytes: int) -> Manifest:
    manifest: Manifest | None = None
    expected: dict[str, TableFile] = {}
    seen: set[str] = set()
    try:
        with tarfile.open(bundle, "r|gz") as tar:
            for info in tar:
                name = info.name
                if not info.isreg():
                    raise _refuse(bundle, name, "not a regular file (link, folder or device)")
                problem = member_problem(name)
                if problem:
                    raise _refuse(bundle, name, problem)
                if name in seen:
                    raise _refuse(bundle, name, "present twice")
                seen.add(name)
                if info.size > (max_bytes if name != MANIFEST else _MAX_MANIFEST):
                    raise _refuse(
                        bundle, name, f"{info.size} bytes, over the limit (HYGIE_FEEDS_MAX_FILE_MB)"
                    )
                content = tar.extractfile(info)
                if content is None:  # pragma: no cover - regular members always have content
                    raise _refuse(bundle, name, "no content")
                if manifest is None:
                    if name != MANIFEST:
                        raise _refuse(bundle, name, "the manifest must come first")
                    manifest = _manifest(bundle, content.read())
                    expected = {t.file: t for e in manifest.feeds.values() for t in e.tables.values()}
                    continue
                listed = expected.get(name)
                if listed is None:
                    raise _refuse(bundle, name, "not listed in the manifest")
                if info.size != listed.size:
                    raise _refuse(bundle, name, f"{info.size} bytes, the manifest says {listed.size}")
                if _copy(content, staging / name) != listed.sha256:
                    raise _refuse(bundle, name, "checksum mismatch: the file was altered")
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile, OSError) as exc:
        raise BundleError(
            N_("%(bundle)s: damaged, truncated or not a feed bundle: %(reason)s"),
            bundle=str(bundle),
            reason=str(exc),
        ) from exc
    if manifest is None:
        raise BundleError(N_("%(bundle)s: no manifest: not a feed bundle"), bundle=str(bundle))
    missing = sorted(set(expected) - seen)
    if missing:
        raise BundleError(
            N_("%(bundle)s: files listed in the manifest are missing: %(files)s"),
            bundle=str(bundle),
            files=", ".join(missing),
        )
    return manifest


def _manifest(bundle: Path, data: bytes) -> Manifest:
    try:
        manifest = Manifest.model_validate_json(data)
    except (ValueError, PydanticValidationError) as exc:
        raise BundleError(
            N_("%(bundle)s: unreadable manifest: %(reason)s"), bundle=str(bundle), reason=str(exc)
        ) from exc
    problems = manifest_problems(manifest)
    if not SNAPSHOT_ID.fullmatch(manifest.snapshot_id):
        problems.append(f"malformed snapshot id {manifest.snapshot_id!r}")
    if problems:
        raise BundleError(N_("%(bundle)s: %(problems)s"), bundle=str(bundle), problems="; ".join(problems))
    return manifest


def _copy(source: IO[bytes], target: Path) -> str:
    """Copies a member out (its name was checked: two plain components) and returns its SHA-256."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with target.open("xb") as out:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()
