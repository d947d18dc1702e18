"""Fixtures of the detection tests: a store in a throwaway HYGIE_HOME, and one SparkSession (local[2])
shared by every Spark test of the run (its JVM takes some 10 s to start)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hygie.core.settings import Settings, get_settings


@pytest.fixture
def store_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("HYGIE_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    # make test installs pyspark and .ci/run the JVM: a missing engine fails, as Chromium would.
    if shutil.which("java") is None:
        pytest.fail("no JVM: Spark needs Java (Debian: apt install default-jre-headless)", pytrace=False)
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("hygie-detect-tests")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    yield session
    session.stop()
