"""Damaged, forged and truncated archives are refused, and the target is left as it was."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect

from hygie.core.backup import CorruptArchiveError, create_backup, restore_backup, verify_backup
from hygie.core.backup.crypto import DecryptingReader, EncryptedDataError, EncryptingWriter, PassphraseError
from hygie.core.settings import Settings
from tests.core.backup_support import MakeEngine, fill_every_table, make_database, tree

__all__ = ["make_database"]  # the fixture, imported for pytest

Members = list[tuple[tarfile.TarInfo, bytes]]
SECRET = "secret"


@pytest.fixture
def archive(tmp_path: Path, make_database: MakeEngine) -> Path:
    engine = make_database("sqlite", True)
    fill_every_table(engine)
    home = tmp_path / "home"
    (home / "evidence").mkdir(parents=True)
    (home / "evidence" / "preuve.txt").write_text("sauvegardes testées le 3 mars\n" * 50)
    return create_backup(Settings(home=home), engine, tmp_path / "good.tar.gz").path


def members_of(path: Path) -> Members:
    with tarfile.open(path, "r:gz") as tar:
        return [(m, tar.extractfile(m).read() if m.isreg() else b"") for m in tar]  # type: ignore[union-attr]


def rewrite(path: Path, out: Path, change: Callable[[Members], Members]) -> Path:
    with tarfile.open(out, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for info, data in change(members_of(path)):
            info.size = len(data) if info.isreg() else 0
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return out


def flip_member_byte(members: Members) -> Members:
    return [
        (i, d[:10] + bytes([d[10] ^ 1]) + d[11:] if i.name == "files/evidence/preuve.txt" else d)
        for i, d in members
    ]


def drop_member(members: Members) -> Members:
    return [(i, d) for i, d in members if i.name != "db/org_group.jsonl"]


def extra_member(members: Members) -> Members:
    return [*members[:-1], (tarfile.TarInfo("files/ajout.txt"), b"extra"), members[-1]]


def named(name: str, kind: bytes = tarfile.REGTYPE) -> Callable[[Members], Members]:
    def change(members: Members) -> Members:
        info = tarfile.TarInfo(name)
        info.type = kind
        if kind == tarfile.SYMTYPE:
            info.linkname = "/etc/passwd"
        return [(info, b"evil"), *members]

    return change


def after_manifest(members: Members) -> Members:
    return [*members, (tarfile.TarInfo("files/tard.txt"), b"late")]


def wrong_row_count(members: Members) -> Members:
    info, data = members[-1]
    manifest = json.loads(data)
    manifest["tables"][0]["rows"] += 1
    return [*members[:-1], (info, json.dumps(manifest).encode())]


def no_manifest(members: Members) -> Members:
    return members[:-1]


FORGERIES: dict[str, tuple[Callable[[Members], Members], str, str | None]] = {
    "flipped byte": (flip_member_byte, "checksum mismatch", "files/evidence/preuve.txt"),
    "removed member": (drop_member, "missing", "db/org_group.jsonl"),
    "extra member": (extra_member, "not listed in the manifest", "files/ajout.txt"),
    "parent path": (named("files/../../evil"), "refused member name", "files/../../evil"),
    "dot-dot": (named("../evil"), "refused member name", "../evil"),
    "absolute": (named("/etc/evil"), "refused member name", "/etc/evil"),
    "symlink": (named("files/lien", tarfile.SYMTYPE), "not a regular file", "files/lien"),
    "device": (named("files/dev", tarfile.CHRTYPE), "not a regular file", "files/dev"),
    "folder": (named("files/dossier", tarfile.DIRTYPE), "not a regular file", "files/dossier"),
    "after manifest": (after_manifest, "after the manifest", "files/tard.txt"),
    "row count": (wrong_row_count, "row count mismatch", None),
    "no manifest": (no_manifest, "manifest is missing", "manifest.json"),
}


def assert_untouched(tmp_path: Path, home: Path, target: Engine | None = None) -> None:
    assert not home.exists()
    assert not list(home.parent.glob(".hygie-restore-*"))
    if target is not None:
        with target.connect() as conn:
            assert inspect(conn).get_table_names() == []


def test_the_untouched_archive_is_accepted(archive: Path) -> None:
    assert rewrite(archive, archive.with_name("same.tar.gz"), lambda m: m)  # the rewriting itself is faithful
    assert verify_backup(archive.with_name("same.tar.gz")).tables["org_group"] == 3


@pytest.mark.parametrize("forgery", FORGERIES)
def test_a_forged_archive_is_refused_and_nothing_changes(
    tmp_path: Path, archive: Path, make_database: MakeEngine, forgery: str
) -> None:
    change, message, member = FORGERIES[forgery]
    bad = rewrite(archive, tmp_path / "bad.tar.gz", change)
    with pytest.raises(CorruptArchiveError, match=message) as refused:
        verify_backup(bad)
    if member is not None:
        assert refused.value.member == member
    home = tmp_path / "target" / "home"
    target = make_database("sqlite", False)
    with pytest.raises(CorruptArchiveError, match=message):
        restore_backup(bad, home, engine=target)
    assert_untouched(tmp_path, home, target)
    assert not (tmp_path / "evil").exists() and not (tmp_path / "target" / "evil").exists()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_corrupted_archive_leaves_the_database_empty(
    tmp_path: Path, archive: Path, make_database: MakeEngine, backend: str
) -> None:
    bad = rewrite(archive, tmp_path / "bad.tar.gz", flip_member_byte)
    home = tmp_path / "target"
    target = make_database(backend, False)
    with pytest.raises(CorruptArchiveError):
        restore_backup(bad, home, engine=target)
    assert_untouched(tmp_path, home, target)


def damage(data: bytes, how: str) -> bytes:
    if how == "truncated":
        return data[: len(data) // 2]
    if how == "cut at the end":
        return data[:-5]
    if how == "appended":
        return data + b"garbage"
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x40]) + data[middle + 1 :]


@pytest.mark.parametrize("how", ["truncated", "cut at the end", "appended", "flipped"])
@pytest.mark.parametrize("encrypted", [False, True])
def test_raw_damage_is_refused(tmp_path: Path, make_database: MakeEngine, how: str, encrypted: bool) -> None:
    engine = make_database("sqlite", True)
    fill_every_table(engine)
    home = tmp_path / "home"
    home.mkdir()
    # 2.5 MB that gzip cannot shrink: the encrypted archive has three chunks of 1 MiB.
    (home / "gros.bin").write_bytes(b"".join(hashlib.sha256(b"%d" % i).digest() for i in range(80_000)))
    passphrase = "phrase de passe" if encrypted else None
    good = create_backup(Settings(home=home), engine, tmp_path / "good", passphrase=passphrase).path
    bad = tmp_path / "bad"
    bad.write_bytes(damage(good.read_bytes(), how))
    with pytest.raises(CorruptArchiveError):
        verify_backup(bad, passphrase)
    target_home = tmp_path / "target"
    with pytest.raises(CorruptArchiveError):
        restore_backup(bad, target_home, passphrase=passphrase)
    assert_untouched(tmp_path, target_home)


def test_not_an_archive(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("bonjour")
    with pytest.raises(CorruptArchiveError, match="not a Hygie backup"):
        verify_backup(path)


def test_restore_refuses_an_unknown_revision(tmp_path: Path, archive: Path) -> None:
    def future(members: Members) -> Members:
        info, data = members[-1]
        manifest = json.loads(data)
        manifest["alembic_revision"] = "ffffffffffff"
        return [*members[:-1], (info, json.dumps(manifest).encode())]

    bad = rewrite(archive, tmp_path / "future.tar.gz", future)
    verify_backup(bad)  # sound as an archive
    home = tmp_path / "target"
    with pytest.raises(CorruptArchiveError, match="unknown to this version"):
        restore_backup(bad, home)
    assert_untouched(tmp_path, home)
    assert tree(tmp_path / "target") == {}


# ------------------------------------------------------------------------------------ encryption


def seal(plain: bytes, chunk_size: int, passphrase: str = SECRET) -> bytes:
    out = io.BytesIO()
    writer = EncryptingWriter(out, passphrase, chunk_size=chunk_size)
    for start in range(0, len(plain), 7):  # written in odd pieces
        writer.write(plain[start : start + 7])
    writer.close()
    return out.getvalue()


def open_sealed(sealed: bytes, passphrase: str = SECRET) -> bytes:
    return io.BufferedReader(DecryptingReader(io.BytesIO(sealed), passphrase)).read()


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 640])
def test_chunks_round_trip(size: int) -> None:
    plain = bytes(i % 251 for i in range(size))
    sealed = seal(plain, 64)
    chunks = max(1, -(-size // 64))  # a final chunk always, even empty
    header = len(seal(b"", 64)) - 16
    assert len(sealed) == header + size + 16 * chunks
    assert open_sealed(sealed) == plain


def test_reordered_dropped_or_truncated_chunks_are_refused() -> None:
    plain = bytes(range(200))
    sealed = seal(plain, 64)  # chunks of 64+16 bytes: 64, 64, 64, 8
    header = len(sealed) - (64 * 3 + 8) - 16 * 4
    body = sealed[header:]
    c = [body[0:80], body[80:160], body[160:240], body[240:]]
    for forged in (
        sealed[:header] + c[1] + c[0] + c[2] + c[3],  # reordered
        sealed[:header] + c[0] + c[2] + c[3],  # dropped
        sealed[:header] + c[0] + c[1] + c[2],  # truncated at a chunk boundary
        sealed[:-1],  # truncated inside a chunk
    ):
        with pytest.raises(EncryptedDataError):
            open_sealed(forged)


def test_wrong_passphrase_is_told_apart() -> None:
    sealed = seal(b"donnees", 64, "bonne")
    with pytest.raises(PassphraseError, match="wrong passphrase"):
        open_sealed(sealed, "mauvaise")
    assert open_sealed(sealed, "bonne") == b"donnees"


def test_gzip_is_what_an_unencrypted_archive_is(archive: Path) -> None:
    assert gzip.decompress(archive.read_bytes())[257:262] == b"ustar"
