"""Fixtures of the feed tests; the material itself is in feeds_support.py."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest

from hygie.core.settings import Settings, get_settings
from tests.vulns.feeds_support import EPSS_TEXT


@pytest.fixture(scope="session")
def samples(shared_data: Path) -> dict[str, list[Path]]:
    """Every shared sample, by feed: what `ingest` takes."""
    return {
        "kev": [shared_data / "kev" / "known_exploited_vulnerabilities.json"],
        "nvd": sorted((shared_data / "nvd").glob("CVE-*.json")),
        "vulnrichment": [shared_data / "vulnrichment"],
        "eol": [shared_data / "endoflife" / "products"],
        "csaf": [shared_data / "csaf-icsma"],
        "ssvc": [shared_data / "ssvc"],
    }


@pytest.fixture
def epss_file(tmp_path: Path) -> Path:
    path = tmp_path / "epss_scores-current.csv.gz"
    path.write_bytes(gzip.compress(EPSS_TEXT.encode()))
    return path


@pytest.fixture
def feeds_settings(hygie_home: Path) -> Iterator[Settings]:
    """Settings of an empty HYGIE_HOME (their feeds_dir is where the snapshots go)."""
    yield get_settings()
