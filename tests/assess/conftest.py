from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hygie.core.settings import get_settings


@pytest.fixture
def evidence_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh HYGIE_HOME for the evidence files (the database stays the test session's)."""
    home = tmp_path / "evidence-home"
    monkeypatch.setenv("HYGIE_HOME", str(home))
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()
