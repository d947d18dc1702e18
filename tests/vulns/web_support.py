"""What the web tests of the audit share: a feed snapshot of the real samples (plus the synthetic NVD
record of test_service) installed once per module in a HYGIE_HOME, and an establishment whose
inventory the samples touch, with a user and an API token."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from hygie.assets import service as assets_service
from hygie.core.settings import Settings, get_settings
from hygie.org import accounts, tokens
from hygie.org.models import Role
from hygie.vulns.feeds import service as feeds_service
from tests.factories import make_establishment
from tests.vulns.feeds_support import EPSS_TEXT
from tests.vulns.test_service import INFUSO, MIRTH, PUMP, SYNTHETIC, WORKSTATION, inventory
from tests.web.conftest import make_user

EMAIL = "rssi@chu-exemple.fr"
# The scan of the four assets below on the samples, most urgent first (priority, KEV, EPSS, CVSS,
# then id), checked by hand against the CLI's own results: (CVE or release, asset).
ORDER = [
    ("CVE-2021-44228", "poste-w7"),  # Act, KEV, EPSS 0.94358
    ("CVE-2023-43208", "mirth-01"),  # Act, KEV, EPSS 0.94316
    ("CVE-2019-0708", "poste-w7"),  # Act, KEV, no EPSS
    ("CVE-2020-12041", "pompe-rea-12"),  # Attend, CVSS 8.6 (the pump's medical advisory)
    ("CVE-2020-12045", "pompe-rea-12"),  # Attend, CVSS 8.6
    ("CVE-2020-12040", "pompe-rea-12"),  # Attend, CVSS 7.3
    ("CVE-2020-12043", "pompe-rea-12"),  # Attend, CVSS 7.3
    ("CVE-2020-12047", "pompe-rea-12"),  # Attend, CVSS 7.3
    ("7-sp1", "poste-w7"),  # Track*, Windows 7 past its end of life
    ("CVE-2022-26390", "pompe-rea-12"),  # Track, EPSS 0.00044
    ("CVE-2099-1000", "infuso-3"),  # Track, CVSS 4.0 9.3
    ("CVE-2020-12039", "pompe-rea-12"),  # Track, CVSS 4.3
]


@pytest.fixture(scope="module")
def snapshot_home(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """A HYGIE_HOME with a feed snapshot installed (its database is not used: the tests bring theirs)."""
    root = tmp_path_factory.mktemp("vulns-web")
    extra = root / "CVE-2099-1000.json"
    extra.write_text(json.dumps(SYNTHETIC), encoding="utf-8")
    epss = root / "epss_scores-current.csv.gz"
    epss.write_bytes(gzip.compress(EPSS_TEXT.encode()))
    files = {
        "kev": [shared_data / "kev" / "known_exploited_vulnerabilities.json"],
        "nvd": [*sorted((shared_data / "nvd").glob("CVE-*.json")), extra],
        "vulnrichment": [shared_data / "vulnrichment"],
        "eol": [shared_data / "endoflife" / "products"],
        "csaf": [shared_data / "csaf-icsma"],
        "epss": [epss],
    }
    home = root / "home"
    feeds_service.ingest(files, settings=Settings(home=home))
    return home


@pytest.fixture
def with_snapshot(snapshot_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """HYGIE_HOME is the one with the snapshot, for the app's settings and the feed store."""
    monkeypatch.setenv("HYGIE_HOME", str(snapshot_home))
    get_settings.cache_clear()
    yield snapshot_home
    get_settings.cache_clear()


@dataclass
class Hospital:
    id: int
    assets: dict[str, int]
    headers: dict[str, str]


def hospital(session: Session, role: Role = Role.RSSI, email: str = EMAIL) -> Hospital:
    """An establishment with the four assets, a user of ``role`` there and that user's API token."""
    establishment = make_establishment(session)
    user = make_user(session, email, role=role, establishment_id=establishment.id)
    inventory(
        session,
        establishment.id,
        MIRTH.model_copy(update={"network_zone": "DMZ"}),
        PUMP.model_copy(update={"network_zone": "Biomédical"}),
        WORKSTATION.model_copy(update={"department": "Accueil", "network_zone": "Bureautique"}),
        INFUSO.model_copy(update={"department": "Cardiologie"}),
    )
    secret, _row = tokens.create_api_token(session, accounts.find_user(session, user.email), "tests")
    names = {a.name: a.id for a in assets_service.list_assets(session, establishment.id)}
    return Hospital(establishment.id, names, {"Authorization": f"Bearer {secret}"})
