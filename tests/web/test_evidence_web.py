"""Declared and measured on the web: the API route, the scores page and the control's fragment."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hygie.assess import evidence
from hygie.assess import service as assess_service
from hygie.assess.evidence_rules import Reading
from hygie.assess.schemas import AnswerIn
from hygie.core.time import today
from hygie.frameworks.schema import Text
from hygie.frameworks.service import get_library
from hygie.org import accounts, tokens
from hygie.org.models import Role
from tests.factories import make_establishment
from tests.web.conftest import login, make_user

FACTS_AGE = 100  # days: TEC-EOL's evidence is fresh for 90, one period beyond → -1


@pytest.fixture(autouse=True)
def _home(hygie_home: Path) -> Path:
    return hygie_home


@pytest.fixture(autouse=True)
def _one_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    """An audit read by hand: 60 % of the assets patched (today), 85 % supported (100 days ago)."""

    def measure(session: Session, establishment_id: int, on: date) -> list[Reading]:
        return [
            Reading(
                "vulns.patched_share",
                0.6,
                today(),
                Text(fr="6/10 actifs à jour", en="6/10 assets up to date"),
                (Text(fr="srv-dpi : CVE-2026-0001", en="srv-dpi: CVE-2026-0001"),),
            ),
            Reading(
                "vulns.supported_share",
                0.85,
                today() - timedelta(days=FACTS_AGE),
                Text(fr="17/20 actifs supportés", en="17/20 assets supported"),
            ),
        ]

    monkeypatch.setattr(evidence, "PROVIDER_MODULES", ())
    monkeypatch.setattr(evidence, "_PROVIDERS", {"vulns": measure})


def _declared(session: Session, client: TestClient) -> tuple[int, int]:
    establishment = make_establishment(session)
    make_user(session, role=Role.RSSI, establishment_id=establishment.id)
    campaign = assess_service.create_campaign(
        session, establishment.id, "Campagne 2026", date(2026, 10, 1), library=get_library()
    )
    for control_id, level in (("TEC-PATCH", 4), ("TEC-EOL", 2)):
        assess_service.record_answer(
            session, campaign, control_id, AnswerIn(status="level", level=level), "t"
        )
    login(client)
    return establishment.id, campaign.id


def test_api_gives_declared_measured_rule_items_date_and_staleness(
    session: Session, client: TestClient
) -> None:
    eid, campaign_id = _declared(session, client)
    secret, _row = tokens.create_api_token(
        session, accounts.find_user(session, "rssi@chu-exemple.fr"), "tests"
    )
    response = client.get(
        f"/api/v1/establishments/{eid}/evidence", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["campaign_id"] == campaign_id
    rows = {r["control_id"]: r for r in body["controls"]}
    assert set(rows) == {"TEC-PATCH", "TEC-EOL"}
    patch = rows["TEC-PATCH"]
    # 0.6 < 0.7 in TEC-PATCH's rule → 1; declared 4: a gap.
    assert (patch["declared"], patch["measured"], patch["gap"], patch["stale"]) == (4, 1, True, False)
    assert patch["items"] == [{"fr": "srv-dpi : CVE-2026-0001", "en": "srv-dpi: CVE-2026-0001"}]
    assert patch["measured_at"] == today().isoformat()
    assert patch["rule"]["en"].startswith("Share of assets with no urgent or known-exploited vulnerability")
    eol = rows["TEC-EOL"]
    # 0.85 ≥ 0.8 → 2, 100 days old (fresh 90): -1 → 1.
    assert (eol["declared"], eol["measured"], eol["rule_level"], eol["stale"], eol["gap"]) == (
        2,
        1,
        2,
        True,
        False,
    )
    assert eol["basis"]["fr"].endswith("plus de 90 jours : -1 niveau")
    # Technical declared: TEC-PATCH 4 (weight 3), TEC-EOL 2 (weight 2) → 100·16/25 = 64; measured
    # 100·(3·1 + 2·1)/25 = 20. The other dimensions are not scored: the index is the technical score.
    assert body["declared_index"] == pytest.approx(64.0)
    assert body["measured_index"] == pytest.approx(20.0)


def test_scores_page_shows_declared_and_measured(session: Session, client: TestClient) -> None:
    eid, campaign_id = _declared(session, client)
    page = client.get(f"/e/{eid}/assess/{campaign_id}/scores")
    assert page.status_code == 200
    text = page.text
    assert "Déclaré / mesuré" in text and "Indice mesuré" in text
    assert '<tr id="measured-TEC-PATCH" class="measured-gap">' in text
    assert "écart de 3" in text and "6/10 actifs à jour" in text and "srv-dpi : CVE-2026-0001" in text
    assert "preuve périmée" in text  # TEC-EOL, 100 days old
    english = client.get(f"/e/{eid}/assess/{campaign_id}/scores?lang=en").text
    assert "Declared / measured" in english and "stale evidence" in english and "gap of 3" in english


def test_control_fragment_shows_its_measure(session: Session, client: TestClient) -> None:
    eid, campaign_id = _declared(session, client)
    page = client.get(f"/e/{eid}/assess/{campaign_id}").text
    start = page.index('id="control-TEC-PATCH"')
    patch = page[start : page.index("</article>", start)]
    assert "Déclaré / mesuré" in patch and "4 / 5" in patch and "<strong>1 / 5</strong>" in patch
    assert "écart de 3" in patch and "audit de vulnérabilités" in patch
    start = page.index('id="control-GOV-PSSI"')
    assert "Déclaré / mesuré" not in page[start : page.index("</article>", start)]  # nothing measures it
