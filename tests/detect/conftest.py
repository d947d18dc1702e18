"""Fixtures of the detection tests: a store in a throwaway HYGIE_HOME."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hygie.core.settings import Settings, get_settings


@pytest.fixture
def store_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("HYGIE_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()
