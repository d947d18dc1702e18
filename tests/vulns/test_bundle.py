"""Offline bundles: made on a connected machine, imported on an isolated one; a tampered, unsafe or
incomplete bundle is refused and leaves the isolated machine exactly as it was."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from hygie.core.settings import Settings, get_settings
from hygie.vulns.feeds import service
from hygie.vulns.feeds.bundle import bundle, import_bundle
from hygie.vulns.feeds.errors import BundleError, FeedError, RowLossError
from hygie.vulns.feeds.read import connect
from hygie.vulns.feeds.snapshot import FeedStore
from tests.vulns.feeds_support import settings_with


@pytest.fixture
def connected(feeds_settings: Settings, samples: dict[str, list[Path]], tmp_path: Path) -> Path:
    """A bundle of KEV, NVD and SSVC made in one home; then HYGIE_HOME points at an empty other one."""
    service.ingest({"kev": samples["kev"], "nvd": samples["nvd"], "ssvc": samples["ssvc"]})
    out = tmp_path / "feeds.tar.gz"
    result = bundle(out)
    assert result.files == 5 and out.is_file()
    return out


@pytest.fixture
def isolated(connected: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("HYGIE_HOME", str(tmp_path / "isolated"))
    get_settings.cache_clear()
    return get_settings()


def members(path: Path) -> list[tuple[tarfile.TarInfo, bytes]]:
    with tarfile.open(path, "r:gz") as tar:
        return [(info, tar.extractfile(info).read() if info.isreg() else b"") for info in tar]  # type: ignore[union-attr]


def rewrite(
    source: Path, target: Path, change: Callable[[list[tuple[tarfile.TarInfo, bytes]]], None]
) -> Path:
    items = members(source)
    change(items)
    with tarfile.open(target, "w:gz") as tar:
        for info, data in items:
            if info.isreg():
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return target


def unchanged(settings: Settings) -> None:
    store = FeedStore(settings.feeds_dir)
    assert store.current() is None
    assert not store.snapshots.exists() or list(store.snapshots.iterdir()) == []
    assert not store.staging.exists() or list(store.staging.iterdir()) == []


def test_round_trip(connected: Path, isolated: Settings) -> None:
    names = [info.name for info, _ in members(connected)]
    assert names[0] == "manifest.json" and "nvd/nvd_cpe_match.parquet" in names
    snapshot = import_bundle(connected)
    origin = json.loads(dict((i.name, d) for i, d in members(connected))["manifest.json"])
    assert snapshot.id == origin["snapshot_id"]
    assert {n: e.rows for n, e in snapshot.manifest.feeds.items()} == {"kev": 1404, "nvd": 10, "ssvc": 144}
    assert snapshot.path.is_relative_to(isolated.feeds_dir)
    with connect() as db:
        rows = db.execute(
            "SELECT version_start_including, version_end_including FROM nvd_cpe_match "
            "WHERE cve_id = 'CVE-2022-26390' AND config_index = 0 AND node_index = 0 AND match_index = 0"
        ).fetchall()
        assert rows == [("20d29", "20d32")]
    with pytest.raises(FeedError, match="already installed"):
        import_bundle(connected)


def test_tampered_member_is_refused_nothing_changes(
    connected: Path, isolated: Settings, tmp_path: Path
) -> None:
    def flip(items: list[tuple[tarfile.TarInfo, bytes]]) -> None:
        for index, (info, data) in enumerate(items):
            if info.name == "kev/kev.parquet":
                altered = bytearray(data)
                altered[len(altered) // 2] ^= 0x01
                items[index] = (info, bytes(altered))

    forged = rewrite(connected, tmp_path / "forged.tar.gz", flip)
    with pytest.raises(BundleError, match=r"kev/kev.parquet refused: checksum mismatch"):
        import_bundle(forged)
    unchanged(isolated)


def test_tampered_after_a_good_import_keeps_the_good_one(
    connected: Path, isolated: Settings, tmp_path: Path
) -> None:
    good = import_bundle(connected)

    def rows(items: list[tuple[tarfile.TarInfo, bytes]]) -> None:
        manifest = json.loads(items[0][1])
        manifest["snapshot_id"] = manifest["snapshot_id"][:-6] + "abcdef"
        manifest["feeds"]["kev"]["rows"] = manifest["feeds"]["kev"]["tables"]["kev"]["rows"] = 99
        items[0] = (items[0][0], json.dumps(manifest).encode())

    with pytest.raises(BundleError, match=r"kev/kev\.parquet: 1404 rows, the manifest says 99"):
        import_bundle(rewrite(connected, tmp_path / "rows.tar.gz", rows))
    store = FeedStore(isolated.feeds_dir)
    assert store.current().id == good.id and [p.name for p in store.snapshots.iterdir()] == [good.id]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../evil.parquet", "not of the form"),
        ("kev/../../evil.parquet", "not of the form"),
        ("/etc/cron.d/evil", "not of the form"),
        ("kev/notatable.parquet", "unknown feed or table"),
    ],
)
def test_unsafe_member_names_are_refused(
    connected: Path, isolated: Settings, tmp_path: Path, name: str, why: str
) -> None:
    def add(items: list[tuple[tarfile.TarInfo, bytes]]) -> None:
        items.insert(1, (tarfile.TarInfo(name), b"payload"))

    with pytest.raises(BundleError, match=why):
        import_bundle(rewrite(connected, tmp_path / "evil.tar.gz", add))
    unchanged(isolated)
    assert not (tmp_path / "evil.parquet").exists() and not (isolated.home / "evil.parquet").exists()


def test_links_and_devices_are_refused(connected: Path, isolated: Settings, tmp_path: Path) -> None:
    for kind in (tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE):

        def add(items: list[tuple[tarfile.TarInfo, bytes]], kind: bytes = kind) -> None:
            link = tarfile.TarInfo("kev/kev.parquet")
            link.type, link.linkname = kind, "/etc/passwd"
            items[1] = (link, b"")

        with pytest.raises(BundleError, match="not a regular file"):
            import_bundle(rewrite(connected, tmp_path / "link.tar.gz", add))
        unchanged(isolated)


def test_oversized_member_is_refused_before_it_is_read(
    connected: Path, isolated: Settings, tmp_path: Path
) -> None:
    def grow(items: list[tuple[tarfile.TarInfo, bytes]]) -> None:
        for index, (info, data) in enumerate(items):
            if info.name == "kev/kev.parquet":
                items[index] = (info, data + b"\0" * (1024 * 1024))

    big = rewrite(connected, tmp_path / "big.tar.gz", grow)
    with pytest.raises(BundleError, match="over the limit"):
        import_bundle(big, settings=settings_with(feeds_max_file_mb=1))
    unchanged(isolated)


def test_manifest_first_unlisted_and_missing_members(
    connected: Path, isolated: Settings, tmp_path: Path
) -> None:
    def manifest_last(items: list[tuple[tarfile.TarInfo, bytes]]) -> None:
        items.append(items.pop(0))

    def extra(items: list[tuple[tarfile.TarInfo, bytes]]) -> None:
        items.append((tarfile.TarInfo("epss/epss.parquet"), b"PAR1"))

    def missing(items: list[tuple[tarfile.TarInfo, bytes]]) -> None:
        del items[-1]

    for change, message in (
        (manifest_last, "the manifest must come first"),
        (extra, "not listed in the manifest"),
        (missing, "files listed in the manifest are missing: ssvc/ssvc_decision.parquet"),
    ):
        with pytest.raises(BundleError, match=message):
            import_bundle(rewrite(connected, tmp_path / "changed.tar.gz", change))
        unchanged(isolated)


def test_not_a_bundle(isolated: Settings, tmp_path: Path) -> None:
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"\x1f\x8b\x08\x00 this is not gzip")
    with pytest.raises(BundleError, match=r"junk\.tar\.gz: damaged, truncated or not a feed bundle"):
        import_bundle(junk)
    with pytest.raises(FeedError, match="no such file"):
        import_bundle(tmp_path / "absent.tar.gz")
    unchanged(isolated)


def test_import_losing_rows_is_refused(
    connected: Path, isolated: Settings, samples: dict[str, list[Path]], tmp_path: Path
) -> None:
    # the isolated machine already has more feeds than the bundle: importing it would drop them
    current = service.ingest({"kev": samples["kev"], "csaf": samples["csaf"]}).snapshot
    with pytest.raises(RowLossError, match="csaf: 144 → 0"):
        import_bundle(connected)
    assert FeedStore(isolated.feeds_dir).current().id == current.id  # type: ignore[union-attr]


def test_bundle_needs_a_snapshot(isolated: Settings, tmp_path: Path) -> None:
    with pytest.raises(FeedError, match="no feed snapshot yet"):
        bundle(tmp_path / "x.tar.gz")
