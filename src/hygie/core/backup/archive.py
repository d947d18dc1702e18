"""The archive: a gzip-compressed tar, optionally encrypted, whose last member is the manifest.

Members are ``db/<table>.jsonl`` (the logical dump), ``files/<path>`` (the files of HYGIE_HOME) and
``manifest.json``, written last so that each checksum is that of the bytes actually written. Reading
is one streaming pass that trusts nothing: only regular files with plain relative names are accepted
(no absolute path, no ``..``, no link, no device), no name twice, nothing after the manifest; then every
member's checksum, size and row count must match the manifest, and every manifest entry must be there.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import tarfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Literal

from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError

from hygie.core.backup.crypto import (
    DecryptingReader,
    EncryptedDataError,
    EncryptingWriter,
    is_encrypted,
)
from hygie.core.errors import ContentError, Location

MANIFEST = "manifest.json"
FORMAT = "hygie-backup"
FORMAT_VERSION = 1
_READ = 1024 * 1024
_MAX_MANIFEST = 256 * 1024 * 1024
_TABLE_MEMBER = re.compile(r"db/[A-Za-z0-9_]+\.jsonl")


class CorruptArchiveError(ContentError):
    """The archive is damaged, incomplete, forged or not a Hygie backup; nothing was changed."""

    def __init__(self, archive: Path, message: str, member: str | None = None) -> None:
        super().__init__(message, Location(archive, None, member))
        self.member = member


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MemberInfo(_Strict):
    sha256: str
    size: int


class ColumnInfo(_Strict):
    name: str
    kind: str


class TableInfo(_Strict):
    name: str
    rows: int
    columns: list[ColumnInfo]

    @property
    def member(self) -> str:
        return table_member(self.name)


class Manifest(_Strict):
    format: Literal["hygie-backup"] = "hygie-backup"
    format_version: int = FORMAT_VERSION
    hygie_version: str
    created_at: datetime
    source_dialect: str
    alembic_revision: str
    tables: list[TableInfo]
    members: dict[str, MemberInfo]


def table_member(table: str) -> str:
    return f"db/{table}.jsonl"


def file_member(relative: Path) -> str:
    return "files/" + relative.as_posix()


def member_name_problem(name: str) -> str | None:
    """Why a member's name is refused, or None when it is one this format writes."""
    if name == MANIFEST or _TABLE_MEMBER.fullmatch(name):
        return None
    if not name.startswith("files/"):
        return "not a member a Hygie backup holds"
    if "\\" in name or "\x00" in name:
        return "backslash or NUL in the name"
    parts = name.split("/")[1:]
    if any(part in ("", ".", "..") for part in parts):
        return "empty, '.' or '..' path component"
    return None


class _HashingReader:
    """Reads ``source`` while hashing and counting what went through."""

    def __init__(self, source: IO[bytes], size: int) -> None:
        self._source = source
        self._left = size
        self.digest = hashlib.sha256()
        self.size = 0
        self.lines = 0

    def read(self, n: int = -1) -> bytes:
        n = self._left if n < 0 else min(n, self._left)
        data = self._source.read(n)
        self._left -= len(data)
        self.size += len(data)
        self.lines += data.count(b"\n")
        self.digest.update(data)
        return data

    def drain(self) -> None:
        while self.read(_READ):
            pass


class ArchiveWriter:
    """Writes an archive to ``path`` through ``path.partial``, renamed only when complete."""

    def __init__(self, path: Path, passphrase: str | None = None) -> None:
        self.path = path
        self._partial = path.with_name(path.name + ".partial")
        descriptor = os.open(self._partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self._file: IO[bytes] = os.fdopen(descriptor, "wb")
        self._encrypter = EncryptingWriter(self._file, passphrase) if passphrase is not None else None
        sink: IO[bytes] = self._encrypter if self._encrypter else self._file  # type: ignore[assignment]
        self._gzip = gzip.GzipFile(fileobj=sink, mode="wb", compresslevel=6, mtime=0)
        self._tar = tarfile.open(fileobj=self._gzip, mode="w|", format=tarfile.PAX_FORMAT)  # noqa: SIM115
        self.members: dict[str, MemberInfo] = {}

    def add(self, name: str, source: IO[bytes], size: int, mtime: float = 0.0) -> MemberInfo:
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = size, int(mtime), 0o600
        reader = _HashingReader(source, size)
        self._tar.addfile(info, reader)
        member = MemberInfo(sha256=reader.digest.hexdigest(), size=reader.size)
        self.members[name] = member
        return member

    def add_bytes(self, name: str, data: bytes) -> MemberInfo:
        return self.add(name, io.BytesIO(data), len(data))

    def finish(self, manifest: Manifest) -> None:
        data = manifest.model_dump_json(indent=2).encode("utf-8")
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode = len(data), 0o600
        self._tar.addfile(info, io.BytesIO(data))
        self._close()
        self._partial.replace(self.path)

    def _close(self) -> None:
        self._tar.close()
        self._gzip.close()
        if self._encrypter:
            self._encrypter.close()
        self._file.close()

    def abort(self) -> None:
        try:
            self._close()
        finally:
            self._partial.unlink(missing_ok=True)

    def __enter__(self) -> ArchiveWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is not None:
            self.abort()


@dataclass(frozen=True)
class ReadMember:
    name: str
    sha256: str
    size: int
    lines: int


# Called with each member's name and a reader of its content; what it leaves unread is hashed anyway.
MemberHandler = Callable[[str, "_HashingReader"], None]


def read_archive(path: Path, passphrase: str | None, handler: MemberHandler | None = None) -> Manifest:
    """Reads the whole archive once, checks it against its manifest, returns the manifest.

    Raises CorruptArchiveError on any damage; PassphraseError when the passphrase is missing or wrong.
    """
    try:
        with path.open("rb") as raw:
            head = raw.read(len(b"HYGIEBK1"))
            raw.seek(0)
            source: IO[bytes] = raw
            if is_encrypted(head):
                source = io.BufferedReader(DecryptingReader(raw, passphrase), _READ)
            elif not head.startswith(b"\x1f\x8b"):
                raise CorruptArchiveError(path, "not a Hygie backup (neither gzip nor encrypted)")
            with gzip.GzipFile(fileobj=source, mode="rb") as unzipped:
                seen, manifest_bytes = _read_members(path, unzipped, handler)
                # The tar's end is not the stream's: read on, so a cut or an appendage is noticed.
                while chunk := unzipped.read(_READ):
                    if chunk.strip(b"\x00"):
                        raise CorruptArchiveError(path, "data after the end of the archive")
    except (EncryptedDataError, tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise CorruptArchiveError(path, f"damaged or truncated archive: {exc}") from exc
    if manifest_bytes is None:
        raise CorruptArchiveError(path, "the manifest is missing", MANIFEST)
    manifest = _parse_manifest(path, manifest_bytes)
    _check(path, manifest, seen)
    return manifest


def _read_members(
    path: Path, stream: gzip.GzipFile, handler: MemberHandler | None
) -> tuple[dict[str, ReadMember], bytes | None]:
    seen: dict[str, ReadMember] = {}
    manifest: bytes | None = None
    with tarfile.open(fileobj=stream, mode="r|") as tar:
        for info in tar:
            name = info.name
            if manifest is not None:
                raise CorruptArchiveError(path, "member after the manifest", name)
            if not info.isreg():
                raise CorruptArchiveError(path, "not a regular file (link, folder or device)", name)
            problem = member_name_problem(name)
            if problem:
                raise CorruptArchiveError(path, f"refused member name: {problem}", name)
            if name in seen:
                raise CorruptArchiveError(path, "member present twice", name)
            content = tar.extractfile(info)
            if content is None:  # pragma: no cover - regular files always have content
                raise CorruptArchiveError(path, "member without content", name)
            if name == MANIFEST:
                if info.size > _MAX_MANIFEST:
                    raise CorruptArchiveError(path, "manifest too large", name)
                manifest = content.read()
                if len(manifest) != info.size:
                    raise CorruptArchiveError(path, "manifest cut short", name)
                continue
            reader = _HashingReader(content, info.size)
            if handler is not None:
                handler(name, reader)
            reader.drain()
            if reader.size != info.size:
                raise CorruptArchiveError(path, "member cut short", name)
            seen[name] = ReadMember(name, reader.digest.hexdigest(), reader.size, reader.lines)
    return seen, manifest


def _parse_manifest(path: Path, data: bytes) -> Manifest:
    try:
        manifest = Manifest.model_validate(json.loads(data))
    except (ValueError, PydanticValidationError) as exc:
        raise CorruptArchiveError(path, f"unreadable manifest: {exc}", MANIFEST) from exc
    if manifest.format_version != FORMAT_VERSION:
        raise CorruptArchiveError(path, f"backup format {manifest.format_version} is not supported", MANIFEST)
    return manifest


def _check(path: Path, manifest: Manifest, seen: dict[str, ReadMember]) -> None:
    for name in sorted(set(seen) - set(manifest.members)):
        raise CorruptArchiveError(path, "member not listed in the manifest", name)
    for name, expected in sorted(manifest.members.items()):
        problem = member_name_problem(name)
        if problem or name == MANIFEST:
            raise CorruptArchiveError(path, f"manifest lists a refused name: {problem}", name)
        actual = seen.get(name)
        if actual is None:
            raise CorruptArchiveError(path, "member listed in the manifest is missing", name)
        if (actual.sha256, actual.size) != (expected.sha256, expected.size):
            raise CorruptArchiveError(path, "checksum mismatch", name)
    tables = set()
    for table in manifest.tables:
        if table.name in tables:
            raise CorruptArchiveError(path, "table listed twice", table.member)
        tables.add(table.name)
        actual = seen.get(table.member)
        if actual is None:
            raise CorruptArchiveError(path, "table listed in the manifest is missing", table.member)
        if actual.lines != table.rows:
            raise CorruptArchiveError(
                path, f"row count mismatch: {actual.lines} rows, manifest says {table.rows}", table.member
            )
    for name in seen:
        if name.startswith("db/") and name[3:-6] not in tables:
            raise CorruptArchiveError(path, "table member not described in the manifest", name)
