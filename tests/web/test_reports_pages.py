"""The reports page: the maturity report downloaded as PDF and as standalone HTML, each download audited."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from hygie.core.time import today
from hygie.demo import accounts as demo_accounts
from hygie.demo import hospital
from hygie.demo import service as demo_service
from hygie.frameworks.service import get_library
from hygie.org import accounts
from hygie.org.models import AuditEntry, Role
from tests.factories import make_establishment
from tests.web.conftest import login, make_user


def _demo(session: Session) -> tuple[int, dict[Role, demo_accounts.DemoAccount]]:
    result = demo_service.build(session, get_library(), inventory=False)
    created = demo_accounts.create_accounts(session, result.establishment_id)
    return result.establishment_id, {a.role: a for a in created}


def _exports(session: Session, establishment_id: int) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "report.export", AuditEntry.establishment_id == establishment_id)
            .order_by(AuditEntry.id)
        )
    )


def test_reports_page_offers_both_formats(session: Session, client: TestClient) -> None:
    establishment_id, users = _demo(session)
    login(client, users[Role.RSSI].email, users[Role.RSSI].password)
    page = client.get(f"/e/{establishment_id}/reports")
    assert page.status_code == 200
    assert f'action="/e/{establishment_id}/reports/maturity.pdf"' in page.text
    assert f'formaction="/e/{establishment_id}/reports/maturity.html"' in page.text
    assert "Télécharger le PDF" in page.text


def test_pdf_download_is_the_report_and_is_audited(session: Session, client: TestClient) -> None:
    establishment_id, users = _demo(session)
    login(client, users[Role.RSSI].email, users[Role.RSSI].password)
    # The form sends empty optional fields: they mean "not given".
    response = client.get(
        f"/e/{establishment_id}/reports/maturity.pdf", params={"lang": "en", "budget": "", "days": ""}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    name = f"hygie-maturite-{hospital.HOSPITAL.finess}-{today().isoformat()}-en.pdf"
    assert response.headers["content-disposition"] == f'attachment; filename="{name}"'
    assert response.content.startswith(b"%PDF")
    pdf = PdfReader(io.BytesIO(response.content))
    assert len(pdf.pages) >= 3
    assert "GLOBAL INDEX" in pdf.pages[0].extract_text().upper()
    [entry] = _exports(session, establishment_id)
    rssi = accounts.find_user(session, users[Role.RSSI].email)
    assert entry.actor == f"user:{rssi.id}" and entry.object_type == "report"
    assert entry.details == {
        "format": "pdf",
        "lang": "en",
        "budget": None,
        "days": None,
        "file": name,
    }


@pytest.mark.parametrize(("lang", "heading"), [("fr", "Indice global"), ("en", "Global index")])
def test_html_download_is_standalone(session: Session, client: TestClient, lang: str, heading: str) -> None:
    establishment_id, users = _demo(session)
    login(client, users[Role.MANAGEMENT].email, users[Role.MANAGEMENT].password)  # management may export
    response = client.get(
        f"/e/{establishment_id}/reports/maturity.html",
        params={"lang": lang, "budget": "150000", "days": "120"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="hygie-maturite-')
    html = response.text
    assert hospital.HOSPITAL.name in html and heading in html and f'<html lang="{lang}"' in html
    assert "<link" not in html and "<style" in html  # its stylesheet inline: opens offline
    [entry] = _exports(session, establishment_id)
    assert entry.details is not None
    assert (entry.details["format"], entry.details["budget"], entry.details["days"]) == (
        "html",
        150000,
        120.0,
    )


def test_a_technician_may_not_export(session: Session, client: TestClient) -> None:
    establishment_id, _users = _demo(session)
    make_user(session, "tech@chu-exemple.fr", role=Role.TECHNICIAN, establishment_id=establishment_id)
    login(client, "tech@chu-exemple.fr")
    assert client.get(f"/e/{establishment_id}/reports/maturity.pdf").status_code == 403
    page = client.get(f"/e/{establishment_id}/reports?lang=en")
    assert page.status_code == 200 and "does not allow exporting" in page.text
    assert _exports(session, establishment_id) == []


def test_bad_budget_and_other_establishment(session: Session, client: TestClient) -> None:
    establishment_id, users = _demo(session)
    other = make_establishment(session)
    login(client, users[Role.RSSI].email, users[Role.RSSI].password)
    assert client.get(f"/e/{establishment_id}/reports/maturity.pdf?budget=-5").status_code == 422
    assert client.get(f"/e/{establishment_id}/reports/maturity.doc").status_code == 422
    assert client.get(f"/e/{other.id}/reports/maturity.html").status_code == 404
    assert client.get(f"/e/{other.id}/reports").status_code == 404
    assert _exports(session, establishment_id) == []
