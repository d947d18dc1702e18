"""The snapshot store: a new snapshot replaces the current one only whole and checked; the previous
one stays readable; a feed losing too many rows is refused; old snapshots are pruned."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from hygie.core.settings import Settings
from hygie.vulns.feeds import service
from hygie.vulns.feeds.errors import FeedError, FeedFileError, RowLossError
from hygie.vulns.feeds.read import connect
from hygie.vulns.feeds.snapshot import FeedStore, verify_folder
from tests.vulns.feeds_support import settings_with


def small_kev(tmp_path: Path, kev: Path, keep: int) -> Path:
    data = json.loads(kev.read_bytes())
    data["vulnerabilities"] = data["vulnerabilities"][:keep]
    data["count"] = keep
    path = tmp_path / f"kev-{keep}.json"
    path.write_text(json.dumps(data))
    return path


def test_ingest_all_samples_then_query_with_duckdb(
    feeds_settings: Settings, samples: dict[str, list[Path]], epss_file: Path
) -> None:
    result = service.ingest({**samples, "epss": [epss_file]})
    assert (
        result.updated == ["kev", "epss", "nvd", "vulnrichment", "eol", "csaf", "ssvc"]
        and not result.failures
    )
    manifest = result.snapshot.manifest
    assert manifest.feeds["kev"].rows == 1404 and manifest.feeds["kev"].version == "2025.08.25"
    assert manifest.feeds["nvd"].tables["nvd_cpe_match"].rows == 804
    assert manifest.feeds["epss"].version == "v2025.03.14"
    source = manifest.feeds["kev"].sources[0]
    assert source.url.startswith("file://") and source.size == 1_257_565 and len(source.sha256) == 64
    assert verify_folder(result.snapshot.path, manifest) == []
    with connect() as db:
        assert db.execute("SELECT date_added FROM kev WHERE cve_id = 'CVE-2023-43208'").fetchone() == (
            __import__("datetime").date(2024, 5, 20),
        )
        and_nodes = db.execute(
            "SELECT count(DISTINCT config_index) FROM nvd_cpe_match "
            "WHERE cve_id = 'CVE-2022-26390' AND config_operator = 'AND'"
        ).fetchone()
        assert and_nodes == (4,)
        joined = db.execute(
            "SELECT k.cve_id, e.epss, s.exploitation FROM kev k JOIN epss e USING (cve_id) "
            "LEFT JOIN vulnrichment_ssvc s USING (cve_id) WHERE k.cve_id = 'CVE-2023-43208'"
        ).fetchall()
        assert joined == [("CVE-2023-43208", 0.94316, "active")]


def test_swap_keeps_the_previous_snapshot_readable(
    feeds_settings: Settings, samples: dict[str, list[Path]]
) -> None:
    first = service.ingest({"kev": samples["kev"], "ssvc": samples["ssvc"]}).snapshot
    reader = connect(first)  # a reader opened before the swap
    second = service.ingest({"ssvc": samples["ssvc"]}).snapshot
    store = FeedStore(feeds_settings.feeds_dir)
    assert store.current() is not None and store.current().id == second.id  # type: ignore[union-attr]
    assert store.previous() is not None and store.previous().id == first.id  # type: ignore[union-attr]
    assert reader.execute("SELECT count(*) FROM kev").fetchone() == (1404,)
    assert connect(first).execute("SELECT count(*) FROM ssvc_decision").fetchone() == (144,)
    # KEV was not asked for: carried over as the same file (a hard link), not parsed again
    assert (second.path / "kev/kev.parquet").stat().st_ino == (first.path / "kev/kev.parquet").stat().st_ino
    assert second.manifest.feeds["kev"] == first.manifest.feeds["kev"]
    pointer = json.loads((feeds_settings.feeds_dir / "current.json").read_text())
    assert pointer == {"current": second.id, "previous": first.id}
    assert list((feeds_settings.feeds_dir / "staging").iterdir()) == []


def test_row_loss_guard_refuses_and_keeps_the_current(
    feeds_settings: Settings, samples: dict[str, list[Path]], tmp_path: Path
) -> None:
    before = service.ingest({"kev": samples["kev"]}).snapshot
    small = small_kev(tmp_path, samples["kev"][0], 1000)  # 1404 → 1000: a 28.8 % loss
    with pytest.raises(RowLossError) as caught:
        service.ingest({"kev": [small]})
    assert "kev: 1404 → 1000" in str(caught.value) and "20 %" in str(caught.value)
    assert "1404 → 1000" in caught.value.localized("fr") and "refusé" in caught.value.localized("fr")
    store = FeedStore(feeds_settings.feeds_dir)
    assert store.current().id == before.id  # type: ignore[union-attr]
    assert [p.name for p in store.snapshots.iterdir()] == [before.id]
    assert list(store.staging.iterdir()) == []
    # a loss within the limit (1404 → 1200: 14.5 %) goes through
    service.ingest({"kev": [small_kev(tmp_path, samples["kev"][0], 1200)]})
    assert store.current().manifest.feeds["kev"].rows == 1200  # type: ignore[union-attr]
    # a larger allowed share lets an expected loss through
    allowed = settings_with(feeds_max_row_loss=0.5)
    assert service.ingest({"kev": [small]}, settings=allowed).snapshot.manifest.feeds["kev"].rows == 1000


def test_one_feed_refused_the_others_go_on(
    feeds_settings: Settings, samples: dict[str, list[Path]], tmp_path: Path
) -> None:
    service.ingest({"kev": samples["kev"]})
    result = service.ingest({"kev": [small_kev(tmp_path, samples["kev"][0], 10)], "ssvc": samples["ssvc"]})
    assert result.updated == ["ssvc"] and [f.feed for f in result.failures] == ["kev"]
    assert isinstance(result.failures[0].error, RowLossError)
    assert result.snapshot.manifest.feeds["kev"].rows == 1404  # the previous KEV kept


def test_a_bad_file_changes_nothing(
    feeds_settings: Settings, samples: dict[str, list[Path]], tmp_path: Path
) -> None:
    before = service.ingest({"kev": samples["kev"]}).snapshot
    broken = tmp_path / "known_exploited_vulnerabilities.json"
    broken.write_bytes(samples["kev"][0].read_bytes()[:5000])
    with pytest.raises(FeedFileError, match=r"known_exploited_vulnerabilities\.json"):
        service.ingest({"kev": [broken]})
    store = FeedStore(feeds_settings.feeds_dir)
    assert store.current().id == before.id and list(store.staging.iterdir()) == []  # type: ignore[union-attr]


def test_old_snapshots_are_pruned(feeds_settings: Settings, samples: dict[str, list[Path]]) -> None:
    ids = [service.ingest({"ssvc": samples["ssvc"]}).snapshot.id for _ in range(5)]
    kept = sorted(p.name for p in FeedStore(feeds_settings.feeds_dir).snapshots.iterdir())
    assert kept == sorted(ids[-3:])  # HYGIE_FEEDS_KEEP = 3 by default


def test_verify_finds_an_altered_file(feeds_settings: Settings, samples: dict[str, list[Path]]) -> None:
    snapshot = service.ingest({"ssvc": samples["ssvc"]}).snapshot
    table = snapshot.path / "ssvc/ssvc_decision.parquet"
    data = bytearray(table.read_bytes())
    data[100] ^= 0xFF
    table.write_bytes(bytes(data))
    (snapshot.path / "ssvc/extra.parquet").write_bytes(b"x")
    problems = verify_folder(snapshot.path, snapshot.manifest)
    assert problems == [
        "ssvc/ssvc_decision.parquet: checksum mismatch",
        "ssvc/extra.parquet: not listed in the manifest",
    ]


def test_status_ages_and_missing_feeds(feeds_settings: Settings, samples: dict[str, list[Path]]) -> None:
    assert service.status().snapshot_id is None
    snapshot = service.ingest({"kev": samples["kev"]}).snapshot
    fetched = snapshot.manifest.feeds["kev"].fetched_at
    report = service.status(now=fetched + timedelta(days=10))
    kev = next(f for f in report.feeds if f.feed == "kev")
    assert (kev.state, kev.age_days, kev.rows, kev.version) == ("stale", 10, 1404, "2025.08.25")
    assert next(f for f in report.feeds if f.feed == "nvd").state == "missing"
    fresh = service.status(now=fetched + timedelta(days=3))
    assert next(f for f in fresh.feeds if f.feed == "kev").state == "ok"
    assert [f.feed for f in fresh.warnings] == [
        "epss",
        "nvd",
        "vulnrichment",
        "eol",
        "csaf",
        "certfr",
        "ssvc",
    ]


def test_unknown_feed_is_refused(feeds_settings: Settings) -> None:
    with pytest.raises(FeedError, match="unknown feed nope"):
        service.ingest({"nope": []})


def test_one_update_at_a_time(feeds_settings: Settings, samples: dict[str, list[Path]]) -> None:
    store = FeedStore(feeds_settings.feeds_dir)
    with store.lock(), pytest.raises(FeedError, match="another feed update or import is running"):
        service.ingest({"ssvc": samples["ssvc"]})
    assert service.ingest({"ssvc": samples["ssvc"]}).updated == ["ssvc"]  # the lock was released


def test_readers_are_told_when_there_is_no_snapshot(feeds_settings: Settings) -> None:
    with pytest.raises(FeedError, match="no feed snapshot yet"):
        connect()
    feeds_settings.feeds_dir.mkdir(parents=True)
    (feeds_settings.feeds_dir / "current.json").write_text('{"current": "../../etc"}')
    with pytest.raises(FeedError, match="malformed snapshot id"):
        service.status()
