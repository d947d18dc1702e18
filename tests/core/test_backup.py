"""Backup round trips: SQLite and PostgreSQL both ways, files, encryption, refused targets."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select

from hygie.core.backup import (
    PassphraseError,
    RestoreTargetError,
    create_backup,
    restore_backup,
    verify_backup,
)
from hygie.core.backup.crypto import MAGIC
from hygie.core.db import make_engine
from hygie.core.migrate import upgrade
from hygie.core.settings import Settings
from hygie.org.models import Establishment, Group
from tests.core.backup_support import MakeEngine, fill_every_table, make_database, snapshot, tree

__all__ = ["make_database"]  # the fixture, imported for pytest

FILES = {
    "evidence/2026/pv-comite.pdf": bytes(range(256)) * 40,
    "evidence/2026/capture écran.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
    "library/mon-referentiel.yaml": "id: mon-ref\ntitre: Référentiel maison\n".encode(),
    "events/establishment=1/day=2026-03-01/part-0.parquet": b"PAR1" + b"x" * 2000 + b"PAR1",
    "reports/synthese.html": b"<html>rapport</html>",
    "empty.txt": b"",
}


def make_home(home: Path) -> None:
    for name, content in FILES.items():
        path = home / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def files_of(home: Path) -> dict[str, bytes]:
    """The restored files, without the embedded database that opening it creates beside them."""
    return {k: v for k, v in tree(home).items() if not k.startswith("hygie.db")}


def source(tmp_path: Path, engine: Engine) -> Settings:
    home = tmp_path / "source-home"
    make_home(home)
    url = engine.url.render_as_string(hide_password=False)
    return Settings(home=home, database_url=url)


ROUTES = [
    ("sqlite", "sqlite"),
    ("sqlite", "postgresql"),
    ("postgresql", "sqlite"),
    ("postgresql", "postgresql"),
]


@pytest.mark.parametrize(("source_backend", "target_backend"), ROUTES)
def test_round_trip_gives_the_same_rows_and_files(
    tmp_path: Path, make_database: MakeEngine, source_backend: str, target_backend: str
) -> None:
    engine = make_database(source_backend, True)
    counts = fill_every_table(engine)
    assert counts["org_group"] == 3 and counts["org_establishment"] == 3 and counts["plan_finding"] == 3
    settings = source(tmp_path, engine)
    before = snapshot(engine)

    made = create_backup(settings, engine, tmp_path / "backup.tar.gz")
    assert made.tables["org_establishment"] == 3 and not made.encrypted
    assert made.files == len(FILES) and made.files_size == sum(len(c) for c in FILES.values())

    checked = verify_backup(made.path)
    assert checked.tables == made.tables and checked.source_dialect == source_backend

    target_home = tmp_path / "restored" / "home"
    if target_backend == "sqlite":
        report = restore_backup(made.path, target_home)  # the embedded database of the new home
        target = make_engine(f"sqlite:///{target_home / 'hygie.db'}")
        assert tree(target_home).keys() == {*FILES, "hygie.db"}
    else:
        target = make_database("postgresql", False)
        report = restore_backup(made.path, target_home, engine=target)
        assert tree(target_home).keys() == FILES.keys()
    assert report.tables == made.tables
    after = snapshot(target)
    assert after == before
    assert files_of(target_home) == FILES
    # A hand-made value: row 1's created_at is 2026-01-02 03:04:05.123456 UTC plus one day and one hour.
    with target.connect() as conn:
        created = conn.execute(select(Establishment.created_at).where(Establishment.id == 1)).scalar_one()
        assert created == datetime(2026, 1, 3, 4, 4, 5, 123456, tzinfo=UTC)
        name = conn.execute(select(Establishment.name).where(Establishment.id == 1)).scalar_one()
        assert name == "1-name-é\n\"ligne\" 'deux' ; \\"  # quotes and a newline survive JSON Lines
    # New rows get fresh ids: PostgreSQL's sequences were moved past the restored ones.
    with target.begin() as conn:
        new_id = conn.execute(insert(Group).values(name="GHT nouveau").returning(Group.id)).scalar_one()
    assert new_id == 4
    target.dispose()


def test_the_database_file_and_its_transient_files_are_not_copied(tmp_path: Path) -> None:
    home = tmp_path / "home"
    make_home(home)
    engine = make_engine(f"sqlite:///{home / 'hygie.db'}")
    upgrade(engine)
    fill_every_table(engine)
    assert (home / "hygie.db-wal").exists()  # the pool keeps a connection open: WAL mode leaves its files
    report = create_backup(Settings(home=home), engine, home / "backups" / "b.tar.gz", include_reports=False)
    assert report.files == len(FILES) - 1  # no report, no database, no WAL, not the archive itself
    restored = tmp_path / "restored"
    restore_backup(report.path, restored)
    assert set(tree(restored)) == {name for name in FILES if not name.startswith("reports/")} | {"hygie.db"}
    engine.dispose()


def test_encrypted_round_trip_and_wrong_passphrase(tmp_path: Path, make_database: MakeEngine) -> None:
    engine = make_database("sqlite", True)
    fill_every_table(engine)
    before = snapshot(engine)
    made = create_backup(source(tmp_path, engine), engine, tmp_path / "b.enc", passphrase="correct horse")
    raw = made.path.read_bytes()
    assert raw.startswith(MAGIC) and made.encrypted
    assert b"mon-ref" not in raw and raw[:2] != b"\x1f\x8b"
    assert (made.path.stat().st_mode & 0o777) == 0o600

    with pytest.raises(PassphraseError, match="wrong passphrase"):
        verify_backup(made.path, "correct horse!")
    with pytest.raises(PassphraseError, match="encrypted"):
        verify_backup(made.path)
    home = tmp_path / "restored"
    with pytest.raises(PassphraseError):
        restore_backup(made.path, home, passphrase="wrong")
    assert not home.exists() and not list(tmp_path.glob(".hygie-restore-*"))

    assert verify_backup(made.path, "correct horse").encrypted
    restore_backup(made.path, home, passphrase="correct horse")
    assert snapshot(make_engine(f"sqlite:///{home / 'hygie.db'}")) == before
    assert files_of(home) == FILES


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_restore_into_a_non_empty_database_is_refused(
    tmp_path: Path, make_database: MakeEngine, backend: str
) -> None:
    engine = make_database("sqlite", True)
    fill_every_table(engine)
    made = create_backup(source(tmp_path, engine), engine, tmp_path / "b.tar.gz")
    target = make_database(backend, True)
    with target.begin() as conn:
        conn.execute(insert(Group).values(name="Déjà là", created_at=datetime(2026, 1, 1, tzinfo=UTC)))
    before = snapshot(target)
    home = tmp_path / "new-home"
    with pytest.raises(RestoreTargetError, match="org_group has rows"):
        restore_backup(made.path, home, engine=target)
    assert snapshot(target) == before and not home.exists()


def test_restore_into_an_empty_migrated_database_is_accepted(
    tmp_path: Path, make_database: MakeEngine
) -> None:
    engine = make_database("sqlite", True)
    fill_every_table(engine)
    made = create_backup(source(tmp_path, engine), engine, tmp_path / "b.tar.gz")
    target = make_database("sqlite", True)  # tables there, no rows: what a first `hygie` command leaves
    restore_backup(made.path, tmp_path / "new-home", engine=target)
    assert snapshot(target) == snapshot(engine)


def test_restore_into_a_non_empty_home_is_refused(tmp_path: Path, make_database: MakeEngine) -> None:
    engine = make_database("sqlite", True)
    made = create_backup(source(tmp_path, engine), engine, tmp_path / "b.tar.gz")
    home = tmp_path / "occupied"
    home.mkdir()
    (home / "notes.txt").write_text("à garder")
    with pytest.raises(RestoreTargetError, match="not empty"):
        restore_backup(made.path, home)
    assert tree(home) == {"notes.txt": "à garder".encode()}
    # An existing but empty folder is fine.
    empty = tmp_path / "empty"
    empty.mkdir()
    restore_backup(made.path, empty)
    assert (empty / "hygie.db").is_file()


def test_an_existing_archive_is_never_overwritten(tmp_path: Path, make_database: MakeEngine) -> None:
    engine = make_database("sqlite", True)
    out = tmp_path / "b.tar.gz"
    out.write_bytes(b"previous backup")
    with pytest.raises(Exception, match="already exists"):
        create_backup(source(tmp_path, engine), engine, out)
    assert out.read_bytes() == b"previous backup"
