"""API of the reports: the dashboard is the maturity report's figures; report files are audited exports."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hygie.demo import accounts as demo_accounts
from hygie.demo import service as demo_service
from hygie.frameworks.service import get_library
from hygie.org import accounts, tokens
from hygie.org.models import AuditEntry, Role
from hygie.reports import service as report_service
from tests.factories import make_establishment
from tests.web.conftest import make_user


def _bearer(session: Session, email: str) -> dict[str, str]:
    secret, _row = tokens.create_api_token(session, accounts.find_user(session, email), "tests")
    return {"Authorization": f"Bearer {secret}"}


def _demo(session: Session) -> int:
    result = demo_service.build(session, get_library(), inventory=False)
    demo_accounts.create_accounts(session, result.establishment_id)
    return result.establishment_id


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_dashboard_json_is_the_report(session: Session, client: TestClient, lang: str) -> None:
    establishment_id = _demo(session)
    headers = _bearer(session, "direction@saint-aurele.demo")
    response = client.get(f"/api/v1/establishments/{establishment_id}/dashboard?lang={lang}", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    report = report_service.maturity_report(session, establishment_id, get_library(), lang=lang)
    assert body["has_campaign"] is True and body["establishment_id"] == establishment_id
    assert body["report"] == report.model_dump(mode="json")
    assert body["report"]["global_index"] == pytest.approx(report.global_index)
    assert {d["dimension"]: d["score"] for d in body["report"]["dimensions"]} == {
        d.dimension.value: d.score for d in report.dimensions
    }
    # The demo's adopted plan: one action done, one under way, the rest to do.
    assert report.plan is not None
    assert body["actions_by_status"] == {
        "todo": len(report.plan.actions) - 2,
        "in_progress": 1,
        "done": 1,
    }


def test_dashboard_json_before_any_campaign(session: Session, client: TestClient) -> None:
    establishment = make_establishment(session)
    make_user(session, role=Role.MANAGEMENT, establishment_id=establishment.id)
    headers = _bearer(session, "rssi@chu-exemple.fr")
    body = client.get(f"/api/v1/establishments/{establishment.id}/dashboard", headers=headers).json()
    assert body == {
        "establishment_id": establishment.id,
        "has_campaign": False,
        "report": None,
        "actions_by_status": {},
    }
    # No report without a campaign: a clean 404.
    pdf = client.get(f"/api/v1/establishments/{establishment.id}/reports/maturity.pdf", headers=headers)
    assert pdf.status_code == 404 and pdf.json()["error"]["code"] == "not_found"


def test_report_files_are_audited_exports(session: Session, client: TestClient) -> None:
    establishment_id = _demo(session)
    headers = _bearer(session, "rssi@saint-aurele.demo")
    base = f"/api/v1/establishments/{establishment_id}/reports"
    html = client.get(f"{base}/maturity.html?lang=en&budget=90000&days=50", headers=headers)
    assert html.status_code == 200
    assert html.headers["content-type"] == "text/html; charset=utf-8"
    assert html.headers["content-disposition"].endswith('-en.html"')
    assert "Saint-Aurèle" in html.text
    pdf = client.get(f"{base}/maturity.pdf", headers=headers)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-disposition"].endswith('-fr.pdf"')  # the server's default language
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "report.export").order_by(AuditEntry.id)
    ).all()
    assert [
        (e.establishment_id, (e.details or {})["format"], (e.details or {})["lang"]) for e in entries
    ] == [
        (establishment_id, "html", "en"),
        (establishment_id, "pdf", "fr"),
    ]
    assert (entries[0].details or {})["budget"] == 90000


def test_other_establishment_and_bad_input(session: Session, client: TestClient) -> None:
    establishment_id = _demo(session)
    other = make_establishment(session)
    make_user(session, role=Role.RSSI, establishment_id=other.id)
    headers = _bearer(session, "rssi@chu-exemple.fr")
    assert (
        client.get(f"/api/v1/establishments/{establishment_id}/dashboard", headers=headers).status_code == 404
    )
    url = f"/api/v1/establishments/{establishment_id}/reports/maturity.pdf"
    assert client.get(url, headers=headers).status_code == 404
    mine = f"/api/v1/establishments/{other.id}/reports/maturity.pdf"
    assert client.get(f"{mine}?lang=de", headers=headers).status_code == 422
    assert client.get(f"{mine}?budget=-1", headers=headers).status_code == 422
