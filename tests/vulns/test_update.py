"""`update` downloads from the official URLs (served here by httpx.MockTransport from the shared
samples), and fails with a clear message naming the URL when the machine has no network."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from hygie.core.settings import Settings
from hygie.vulns.feeds import incremental, service
from hygie.vulns.feeds.catalogue import OFFICIAL_URLS
from hygie.vulns.feeds.errors import DownloadError, FeedError
from hygie.vulns.feeds.read import connect
from hygie.vulns.feeds.snapshot import FeedStore
from tests.vulns.feeds_support import mock_client, nvd_page, official_site, offline_client, settings_with

DAY = date(2025, 8, 26)


def test_update_every_feed_from_the_official_urls(feeds_settings: Settings, shared_data: Path) -> None:
    site = official_site(shared_data, DAY.year)
    requested: list[str] = []
    stages: list[tuple[str, str]] = []
    result = service.update(
        client=mock_client(site, requested),
        today=DAY,
        progress=lambda feed, stage: stages.append((feed, stage)),
    )
    assert not result.failures
    assert result.updated == ["kev", "epss", "nvd", "vulnrichment", "eol", "csaf", "certfr", "ssvc"]
    feeds = result.snapshot.manifest.feeds
    assert {name: entry.rows for name, entry in feeds.items()} == {
        "kev": 1404, "epss": 3, "nvd": 10, "vulnrichment": 280,
        "eol": 2, "csaf": 144, "certfr": 3, "ssvc": 144,
    }  # fmt: skip
    # each downloaded file is recorded with its URL and checksum
    kev_source = feeds["kev"].sources[0]
    assert kev_source.url == OFFICIAL_URLS["kev"]
    assert kev_source.sha256 == hashlib.sha256(site[OFFICIAL_URLS["kev"]]).hexdigest()
    assert len(feeds["nvd"].sources) == DAY.year - 2002 + 1
    assert feeds["nvd"].version == "2025-10-25T03:00:00.000" and feeds["epss"].version == "v2025.03.14"
    # only the medical advisories of the ROLIE feed are fetched, each checked against its SHA-512
    assert not any("icsa-24-298-03" in url for url in requested)
    assert len([u for u in requested if u.endswith(".sha512")]) == 144
    assert ("kev", "download") in stages and ("ssvc", "done") in stages
    with connect() as db:
        alert = db.execute(
            "SELECT a.kind, a.closed_at IS NOT NULL, c.cve_id FROM certfr_advisory a "
            "JOIN certfr_cve c USING (reference) WHERE reference = 'CERTFR-2024-ALE-006'"
        ).fetchall()
        assert alert == [("alerte", True, "CVE-2024-3400")]
        missing_detail = db.execute(
            "SELECT has_details FROM certfr_advisory WHERE reference = 'CERTFR-2023-AVI-0850'"
        ).fetchall()
        assert missing_detail == [(False,)]  # its JSON document answered 404: the RSS item is kept
    assert feeds["certfr"].flawed == 1 and "CERTFR-2023-AVI-0850" in feeds["certfr"].problems[0].file


def test_no_network_names_the_url_and_changes_nothing(feeds_settings: Settings) -> None:
    with pytest.raises(DownloadError) as caught:
        service.update(["kev"], client=offline_client())
    message = str(caught.value)
    assert OFFICIAL_URLS["kev"] in message and "hygie feeds bundle" in message
    assert FeedStore(feeds_settings.feeds_dir).current() is None


def test_several_feeds_without_network_list_every_url(feeds_settings: Settings) -> None:
    with pytest.raises(FeedError) as caught:
        service.update(["kev", "epss"], client=offline_client())
    text = caught.value.localized("en")
    assert OFFICIAL_URLS["kev"] in text and OFFICIAL_URLS["epss"] in text and "unchanged" in text


def test_http_error_names_the_url(feeds_settings: Settings) -> None:
    with pytest.raises(DownloadError, match=r"download of https://epss\S+ failed: HTTP 404"):
        service.update(["epss"], client=mock_client({}))


def test_one_feed_down_the_others_updated(feeds_settings: Settings, shared_data: Path) -> None:
    site = official_site(shared_data, DAY.year)
    del site[OFFICIAL_URLS["epss"]]
    result = service.update(["kev", "epss"], client=mock_client(site), today=DAY)
    assert result.updated == ["kev"] and [f.feed for f in result.failures] == ["epss"]
    assert "epss" not in result.snapshot.manifest.feeds


def test_mirror_urls_and_size_limit(feeds_settings: Settings, shared_data: Path) -> None:
    mirror = "https://mirror.hopital.example/kev.json"
    site = {mirror: (shared_data / "kev" / "known_exploited_vulnerabilities.json").read_bytes()}
    result = service.update(
        ["kev"], client=mock_client(site), settings=settings_with(feeds_urls={"kev": mirror})
    )
    assert result.snapshot.manifest.feeds["kev"].sources[0].url == mirror
    with pytest.raises(DownloadError, match="larger than the limit of 1 MB"):
        service.update(
            ["kev"],
            client=mock_client(site),
            settings=settings_with(feeds_urls={"kev": mirror}, feeds_max_file_mb=1),
        )
    with pytest.raises(FeedError, match="unknown sources nope"):
        service.update(["kev"], client=mock_client(site), settings=settings_with(feeds_urls={"nope": mirror}))


def test_a_csaf_advisory_that_fails_its_checksum_is_left_out(
    feeds_settings: Settings, shared_data: Path
) -> None:
    site = official_site(shared_data, DAY.year)
    url = next(u for u in site if u.endswith("icsma-24-254-01.json"))
    site[url] = json.dumps({"document": {"tracking": {"id": "ICSMA-24-254-01"}}}).encode()  # forged
    result = service.update(["csaf"], client=mock_client(site), today=DAY)
    entry = result.snapshot.manifest.feeds["csaf"]
    assert entry.rows == 143 and entry.skipped == 1 and "checksum" in entry.problems[0].message


def _nvd_rows(cve: str) -> tuple[str | None, int]:
    with connect() as db:
        description = db.execute("SELECT description FROM nvd_cve WHERE cve_id = ?", [cve]).fetchone()
        (matches,) = db.execute("SELECT count(*) FROM nvd_cpe_match WHERE cve_id = ?", [cve]).fetchone() or (
            0,
        )
    return (description[0] if description else None), matches


def test_nvd_updates_from_its_modified_file_after_the_yearly_ones(
    feeds_settings: Settings, shared_data: Path
) -> None:
    site = official_site(shared_data, DAY.year)
    service.update(["nvd"], client=mock_client(site), today=DAY)
    heartbleed = json.loads((shared_data / "nvd" / "CVE-2014-0160.json").read_bytes())
    _, heartbleed_matches = _nvd_rows("CVE-2014-0160")
    assert heartbleed_matches > 1
    # The modified file: Heartbleed re-analysed (one configuration left, a new description), one new CVE.
    changed = {
        **heartbleed,
        "descriptions": [{"lang": "en", "value": "Re-analysed."}],
        "configurations": [
            {
                "nodes": [
                    {
                        "operator": "OR",
                        "negate": False,
                        "cpeMatch": [
                            {
                                "vulnerable": True,
                                "criteria": "cpe:2.3:a:openssl:openssl:1.0.1:*:*:*:*:*:*:*",
                                "matchCriteriaId": "00000000-0000-0000-0000-0000000000aa",
                            }
                        ],
                    }
                ]
            }
        ],
    }
    new = {**changed, "id": "CVE-2025-0001", "descriptions": [{"lang": "en", "value": "New."}]}
    modified = OFFICIAL_URLS["nvd"].replace("{year}", "modified")
    site[modified] = nvd_page([changed, new])
    requested: list[str] = []
    result = service.update(["nvd"], client=mock_client(site, requested), today=DAY)
    assert requested == [modified]  # the yearly files are not downloaded again
    entry = result.snapshot.manifest.feeds["nvd"]
    assert entry.rows == 11  # the ten samples, Heartbleed replaced, plus the new CVE
    assert _nvd_rows("CVE-2014-0160") == ("Re-analysed.", 1)  # its old configurations are gone
    assert _nvd_rows("CVE-2025-0001") == ("New.", 1)
    assert _nvd_rows("CVE-2017-0144")[0] is not None  # the others are kept as they were
    # The entry keeps the yearly sources and records the modified file once.
    urls = [s.url for s in entry.sources]
    assert urls.count(modified) == 1 and len(urls) == DAY.year - 2002 + 2
    # A second incremental update replaces the record of the modified file instead of adding one.
    again = service.update(["nvd"], client=mock_client(site), today=DAY).snapshot.manifest.feeds["nvd"]
    assert [s.url for s in again.sources].count(modified) == 1 and again.rows == 11
    # --full downloads the yearly files again (and the modified CVEs go back to their yearly form).
    requested.clear()
    full = service.update(["nvd"], client=mock_client(site, requested), today=DAY, full=True)
    assert modified not in requested and len(requested) == DAY.year - 2002 + 1
    assert full.snapshot.manifest.feeds["nvd"].rows == 10


def test_nvd_too_old_for_the_modified_file_downloads_the_years_again(
    feeds_settings: Settings, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = official_site(shared_data, DAY.year)
    service.update(["nvd"], client=mock_client(site), today=DAY)
    monkeypatch.setattr(incremental, "WINDOW", timedelta(0))  # as if the last update were 8 days old
    requested: list[str] = []
    service.update(["nvd"], client=mock_client(site, requested), today=DAY)
    assert len(requested) == DAY.year - 2002 + 1 and not any("modified" in u for u in requested)


def test_nvd_from_local_files_is_never_continued_by_the_modified_file(
    feeds_settings: Settings, shared_data: Path
) -> None:
    """A snapshot made from someone's own files (or the demo catalogue) is not the whole NVD."""
    service.ingest({"nvd": sorted((shared_data / "nvd").glob("CVE-*.json"))})
    site = official_site(shared_data, DAY.year)
    requested: list[str] = []
    service.update(["nvd"], client=mock_client(site, requested), today=DAY)
    assert not any("modified" in u for u in requested)
