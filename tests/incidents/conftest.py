from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from hygie.core.settings import get_settings
from hygie.incidents import service
from hygie.incidents.models import Case, Category, Severity
from hygie.incidents.schemas import CaseIn


@pytest.fixture
def evidence_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("HYGIE_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    yield tmp_path / "home"
    get_settings.cache_clear()


def open_ransomware(session: Session, establishment_id: int, **overrides: object) -> Case:
    detected = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=5)
    values: dict[str, object] = {
        "title": "Rançongiciel sur le PACS",
        "category": Category.RANSOMWARE,
        "severity": Severity.CRITICAL,
        "detected_at": detected,
        "aware_at": detected + timedelta(hours=1),
        "description": "Fichiers chiffrés sur les serveurs d'imagerie, note de rançon LockBit.",
        "care_services": ["imaging", "emergency"],
    }
    values.update(overrides)
    return service.open_case(session, establishment_id, CaseIn.model_validate(values), "Claire Martin")


from tests.web.conftest import app, client  # noqa: E402, F401 -- the web fixtures, for test_web.py
