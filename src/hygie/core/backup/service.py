"""Back up the whole of Hygie's state to one archive, check an archive, restore it into an empty home.

``create_backup`` dumps every table of the database (a logical dump, so an archive made on SQLite
restores into PostgreSQL and back) and every file of HYGIE_HOME except the embedded database itself and
its transient files. ``verify_backup`` reads an archive through without restoring it. ``restore_backup``
extracts into a staging folder beside the target home, checks everything, then loads the database in
one transaction and moves the files into place: a bad archive leaves the target as it was.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

import hygie.models  # noqa: F401  (registers every table on Base.metadata)
from hygie import __version__
from hygie.core.backup import dump
from hygie.core.backup.archive import (
    MANIFEST,
    ArchiveWriter,
    ColumnInfo,
    CorruptArchiveError,
    Manifest,
    TableInfo,
    file_member,
    read_archive,
    table_member,
)
from hygie.core.backup.archive import _HashingReader as MemberReader
from hygie.core.db import Base, make_engine
from hygie.core.errors import HygieError, ValidationError
from hygie.core.migrate import MIGRATIONS, upgrade
from hygie.core.settings import Settings
from hygie.core.time import utcnow

DATABASE_FILE = "hygie.db"
_TRANSIENT_SUFFIXES = ("-wal", "-shm", "-journal")
_STAGING_PREFIX = ".hygie-restore-"
_COPY = 1024 * 1024


class RestoreTargetError(ValidationError):
    """The restore target is not empty, or its database cannot take this archive."""


class BackupReport(BaseModel):
    path: Path
    size: int
    encrypted: bool
    alembic_revision: str
    tables: dict[str, int]
    files: int
    files_size: int
    skipped: list[str]


class VerifyReport(BaseModel):
    path: Path
    encrypted: bool
    hygie_version: str
    created_at: datetime
    source_dialect: str
    alembic_revision: str
    tables: dict[str, int]
    files: int
    files_size: int


class RestoreReport(BaseModel):
    home: Path
    database: str
    alembic_revision: str
    tables: dict[str, int]
    files: int


# ---------------------------------------------------------------------------------------------- create


def _excluded(settings: Settings, engine: Engine, out_path: Path, include_reports: bool) -> set[Path]:
    home = settings.home.resolve()
    excluded = {
        home / DATABASE_FILE,
        out_path.resolve(),
        out_path.resolve().with_name(out_path.name + ".partial"),
    }
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        excluded.add(Path(engine.url.database).resolve())
    if not include_reports:
        excluded.add(settings.reports_dir.resolve())
    return excluded


def _home_files(home: Path, excluded: set[Path], skipped: list[str]) -> Iterator[Path]:
    """Regular files under home, sorted; links and special files are listed as skipped, not followed."""
    if not home.is_dir():
        return
    for path in sorted(home.rglob("*")):
        relative = path.relative_to(home)
        if path in excluded or any(parent in excluded for parent in path.parents):
            continue
        if relative.parts[0].startswith(_STAGING_PREFIX):
            continue
        if path.is_symlink() or not (path.is_file() or path.is_dir()):
            skipped.append(relative.as_posix())
            continue
        if path.is_dir():
            continue
        if (
            path.name.endswith(_TRANSIENT_SUFFIXES)
            and path.with_name(path.name.rsplit("-", 1)[0]) in excluded
        ):
            continue
        yield path


def _dump_database(engine: Engine, writer: ArchiveWriter) -> tuple[str, list[TableInfo]]:
    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    # One transaction, so one consistent view of every table (hygie.core.db begins it on SQLite too).
    with engine.connect().execution_options(**options) as connection:
        revision = dump.current_revision(connection)
        if revision is None:
            raise HygieError("the database has no migration revision: run any hygie command to set it up")
        present = dump.database_tables(connection)
        known = {t.name for t in Base.metadata.sorted_tables}
        unknown = sorted(present - known)
        if unknown:
            raise HygieError(
                f"the database has tables this version of Hygie does not know: {', '.join(unknown)}; "
                "a backup would lose them"
            )
        tables = []
        for model in Base.metadata.sorted_tables:
            if model.name not in present:
                continue
            reflected = dump.reflect(connection, model.name)
            columns = dump.table_columns(model, reflected)
            kinds = [kind for _, kind in columns]
            rows = 0
            with tempfile.TemporaryFile() as spool:
                for line in dump.dump_rows(connection, reflected, kinds):
                    spool.write(line.encode("utf-8"))
                    rows += 1
                size = spool.tell()
                spool.seek(0)
                writer.add(table_member(model.name), spool, size)
            tables.append(
                TableInfo(
                    name=model.name,
                    rows=rows,
                    columns=[ColumnInfo(name=n, kind=k) for n, k in columns],
                )
            )
        connection.rollback()
    return revision, tables


def create_backup(
    settings: Settings,
    engine: Engine,
    out_path: Path,
    passphrase: str | None = None,
    include_reports: bool = True,
) -> BackupReport:
    """Writes the database and the files of ``settings.home`` to ``out_path`` (mode 0600).

    The archive appears only when complete. With a passphrase it is encrypted (scrypt, AES-256-GCM).
    """
    out_path = out_path.absolute()
    if out_path.exists():
        raise ValidationError(f"{out_path} already exists; choose another name")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    home = settings.home.resolve()
    skipped: list[str] = []
    files = files_size = 0
    with ArchiveWriter(out_path, passphrase) as writer:
        revision, tables = _dump_database(engine, writer)
        for path in _home_files(home, _excluded(settings, engine, out_path, include_reports), skipped):
            with path.open("rb") as source:
                stat = path.stat()
                member = writer.add(file_member(path.relative_to(home)), source, stat.st_size, stat.st_mtime)
            files += 1
            files_size += member.size
        manifest = Manifest(
            hygie_version=__version__,
            created_at=utcnow(),
            source_dialect=engine.dialect.name,
            alembic_revision=revision,
            tables=tables,
            members=dict(writer.members),
        )
        writer.finish(manifest)
    return BackupReport(
        path=out_path,
        size=out_path.stat().st_size,
        encrypted=passphrase is not None,
        alembic_revision=revision,
        tables={t.name: t.rows for t in tables},
        files=files,
        files_size=files_size,
        skipped=skipped,
    )


# ---------------------------------------------------------------------------------------------- verify


def _is_encrypted(path: Path) -> bool:
    from hygie.core.backup.crypto import is_encrypted

    try:
        with path.open("rb") as raw:
            return is_encrypted(raw.read(8))
    except OSError as exc:
        raise ValidationError(f"cannot read {path}: {exc}") from exc


def _file_stats(manifest: Manifest) -> tuple[int, int]:
    sizes = [m.size for name, m in manifest.members.items() if name.startswith("files/")]
    return len(sizes), sum(sizes)


def verify_backup(path: Path, passphrase: str | None = None) -> VerifyReport:
    """Reads the archive through and checks every checksum and row count; restores nothing."""
    encrypted = _is_encrypted(path)
    manifest = read_archive(path, passphrase)
    files, files_size = _file_stats(manifest)
    return VerifyReport(
        path=path,
        encrypted=encrypted,
        hygie_version=manifest.hygie_version,
        created_at=manifest.created_at,
        source_dialect=manifest.source_dialect,
        alembic_revision=manifest.alembic_revision,
        tables={t.name: t.rows for t in manifest.tables},
        files=files,
        files_size=files_size,
    )


# ---------------------------------------------------------------------------------------------- restore


def _check_empty_home(home: Path) -> None:
    if home.exists() and (not home.is_dir() or any(home.iterdir())):
        raise RestoreTargetError(f"{home} is not empty: a backup is restored into an empty home only")


def _check_empty_database(engine: Engine) -> None:
    try:
        with engine.connect() as connection:
            for name in sorted(dump.database_tables(connection)):
                if dump.count_rows(connection, dump.reflect(connection, name)):
                    raise RestoreTargetError(
                        f"the target database is not empty (table {name} has rows): "
                        "a backup is restored into an empty database only"
                    )
    except SQLAlchemyError as exc:
        raise RestoreTargetError(f"cannot read the target database: {exc}") from exc


def _check_revision(path: Path, manifest: Manifest) -> None:
    script = ScriptDirectory(str(MIGRATIONS))
    try:
        known = script.get_revision(manifest.alembic_revision) is not None
    except CommandError:
        known = False
    if not known:
        raise CorruptArchiveError(
            path,
            f"database revision {manifest.alembic_revision} is unknown to this version of Hygie "
            f"({__version__}); restore with the version that made the backup ({manifest.hygie_version})",
            MANIFEST,
        )


def _stage(path: Path, passphrase: str | None, staging: Path) -> Manifest:
    """Extracts every member under ``staging`` (tables in db/, files in home/) and checks them all."""

    def store(name: str, content: MemberReader) -> None:
        target = staging / ("home/" + name[len("files/") :] if name.startswith("files/") else name)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with target.open("xb") as out:
            target.chmod(0o600)
            while chunk := content.read(_COPY):
                out.write(chunk)

    return read_archive(path, passphrase, store)


def _table_lines(path: Path, staged: Path, table: TableInfo) -> Iterator[list[object]]:
    kinds = [c.kind for c in table.columns]
    with staged.open("r", encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            try:
                yield dump.decode_row(line, kinds)
            except (ValueError, TypeError, KeyError) as exc:
                raise CorruptArchiveError(path, f"line {number}: {exc}", table.member) from exc


def _load_database(path: Path, manifest: Manifest, staging: Path, engine: Engine) -> None:
    """Migrates the target to the archive's revision, loads every table in one transaction."""
    try:
        upgrade(engine, manifest.alembic_revision)
    except HygieError as exc:
        raise RestoreTargetError(
            f"the target database cannot be brought to revision {manifest.alembic_revision}: {exc}"
        ) from exc
    by_name = {t.name: t for t in manifest.tables}
    order = [t.name for t in Base.metadata.sorted_tables if t.name in by_name]
    unknown = sorted(set(by_name) - set(order))
    if unknown:
        raise CorruptArchiveError(
            path, f"tables unknown to this version of Hygie: {', '.join(unknown)}", MANIFEST
        )
    with engine.begin() as connection:
        present = dump.database_tables(connection)
        for name in order:
            table = by_name[name]
            if name not in present:
                raise RestoreTargetError(
                    f"table {name} does not exist at revision {manifest.alembic_revision}"
                )
            target = dump.reflect(connection, name)
            names = [c.name for c in table.columns]
            missing = [n for n in names if n not in target.columns]
            if missing:
                raise RestoreTargetError(f"table {name} has no column {', '.join(missing)} in this database")
            rows = _table_lines(path, staging / table.member, table)
            loaded = dump.load_rows(connection, target, names, rows)
            if loaded != table.rows:  # pragma: no cover - the row count was checked while staging
                raise CorruptArchiveError(path, f"{loaded} rows loaded, {table.rows} expected", table.member)
            dump.reset_sequences(connection, target)
    upgrade(engine)


def restore_backup(
    path: Path,
    target_home: Path,
    database_url: str | None = None,
    passphrase: str | None = None,
    engine: Engine | None = None,
) -> RestoreReport:
    """Restores an archive into an empty ``target_home`` and an empty database.

    The database is ``engine``, else ``database_url``, else the embedded SQLite file of the target home.
    The archive is extracted and checked in full before the database or the home is touched.
    """
    target_home = target_home.absolute()
    _check_empty_home(target_home)
    embedded = engine is None and database_url is None
    if not embedded:
        engine = engine or make_engine(str(database_url))
        _check_empty_database(engine)
    target_home.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=target_home.parent))
    own_engine: Engine | None = None
    try:
        manifest = _stage(path, passphrase, staging)
        _check_revision(path, manifest)
        staged_home = staging / "home"
        staged_home.mkdir(exist_ok=True, mode=0o700)
        if embedded:
            if (staged_home / DATABASE_FILE).exists():
                raise CorruptArchiveError(
                    path, "the files hold a database file", file_member(Path(DATABASE_FILE))
                )
            own_engine = engine = make_engine(f"sqlite:///{staged_home / DATABASE_FILE}")
        if engine is None:  # pragma: no cover - set on both branches above
            raise HygieError("no target database")
        try:
            _load_database(path, manifest, staging, engine)
        except SQLAlchemyError as exc:
            raise RestoreTargetError(f"the database refused the archive's rows: {exc}") from exc
        if own_engine is not None:
            own_engine.dispose()
            own_engine = None
        _check_empty_home(target_home)
        if target_home.exists():
            target_home.rmdir()
        staged_home.rename(target_home)
    finally:
        if own_engine is not None:
            own_engine.dispose()
        shutil.rmtree(staging, ignore_errors=True)
    files, _ = _file_stats(manifest)
    return RestoreReport(
        home=target_home,
        database=engine.url.render_as_string(hide_password=True),
        alembic_revision=manifest.alembic_revision,
        tables={t.name: t.rows for t in manifest.tables},
        files=files,
    )
