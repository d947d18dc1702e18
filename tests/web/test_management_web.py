"""The management report on the web: the API's figures are the report's figures, files are audited
exports that keep the figures for the next report, another establishment's report is not found."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hygie.core import formatting
from hygie.core.time import today
from hygie.demo import accounts as demo_accounts
from hygie.demo import hospital
from hygie.demo import service as demo_service
from hygie.frameworks.service import get_library
from hygie.org import accounts, tokens
from hygie.org.models import AuditEntry, Role
from hygie.reports import management, service
from hygie.reports.vocabulary import HEADLINE
from tests.factories import make_establishment
from tests.web.conftest import login, make_user


class _Figures(HTMLParser):
    """Every ``data-figure`` element of the board pages: its raw value and the text it shows."""

    def __init__(self) -> None:
        super().__init__()
        self.board = 0  # depth inside the board's sections
        self.depth = 0
        self.current: tuple[str, str] | None = None
        self.text = ""
        self.found: list[tuple[str, str, str]] = []  # key, data-value, shown

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "section" and "board" in (values.get("class") or "").split():
            self.board += 1
        if self.board and "data-figure" in values:
            self.current = (values["data-figure"] or "", values.get("data-value") or "")
            self.text = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "span" and self.current is not None:
            self.found.append((*self.current, self.text))
            self.current = None

    def handle_data(self, data: str) -> None:
        if self.current is not None:
            self.text += data


def _shown(key: str, value: float | None, lang: str) -> str:
    if value is None:
        return "–"
    form = HEADLINE[key].form
    if form == "percent":
        return formatting.fmt_percent(value, lang)
    if form == "euros":
        return formatting.fmt_euros(value, lang)
    return formatting.fmt_number(value, lang)


def _bearer(session: Session, email: str) -> dict[str, str]:
    secret, _row = tokens.create_api_token(session, accounts.find_user(session, email), "tests")
    return {"Authorization": f"Bearer {secret}"}


def _demo(session: Session) -> tuple[int, dict[Role, demo_accounts.DemoAccount]]:
    result = demo_service.build(session, get_library(), inventory=False)
    created = demo_accounts.create_accounts(session, result.establishment_id)
    return result.establishment_id, {a.role: a for a in created}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_reports_figures_are_the_apis(session: Session, client: TestClient, lang: str) -> None:
    establishment_id, users = _demo(session)
    headers = _bearer(session, users[Role.RSSI].email)
    base = f"/api/v1/establishments/{establishment_id}/reports/management"
    # A report 30 days ago: the trend has figures to compare with.
    service.record_snapshot(
        session,
        establishment_id,
        management.KIND,
        {"declared_index": 30.0, "critical_findings": 500.0},
        day=today() - dt.timedelta(days=30),
    )
    figures = client.get(f"{base}?lang={lang}", headers=headers)
    assert figures.status_code == 200, figures.text
    body = figures.json()
    html = client.get(f"{base}.html?lang={lang}", headers=headers)
    assert html.status_code == 200, html.text

    parser = _Figures()
    parser.feed(html.text)
    seen: dict[str, set[tuple[str, str]]] = {}
    for key, raw, shown in parser.found:
        seen.setdefault(key, set()).add((raw, shown))
    headline = body["headline"]
    assert set(headline) == set(HEADLINE)
    # Every headline figure is on the board, each time with the API's value, written the report's way.
    assert set(seen) == set(HEADLINE)
    for key, value in headline.items():
        expected = ("" if value is None else repr(float(value)), _shown(key, value, lang))
        assert seen[key] == {expected}, key
    # The demo's own figures, as the domains give them.
    assert body["plan"]["adopted"] is True and body["plan"]["done"] == 1
    assert headline["plan_cost"] == body["plan"]["cost"]
    assert headline["declared_index"] == pytest.approx(body["standing"]["declared_index"])
    assert body["regulatory"]["nis2_category"] == "essential"
    assert headline["incidents_open"] == 1.0 and body["incidents"]["open"] == 1


def test_files_are_audited_and_keep_the_figures(session: Session, client: TestClient) -> None:
    establishment_id, users = _demo(session)
    headers = _bearer(session, users[Role.RSSI].email)
    base = f"/api/v1/establishments/{establishment_id}/reports/management"
    # Reading the figures stores nothing.
    assert client.get(base, headers=headers).status_code == 200
    assert service.list_snapshots(session, establishment_id, management.KIND) == []
    pdf = client.get(f"{base}.pdf?lang=en", headers=headers)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    name = f"hygie-direction-{hospital.HOSPITAL.finess}-{today().isoformat()}-en.pdf"
    assert pdf.headers["content-disposition"] == f'attachment; filename="{name}"'
    snapshots = service.list_snapshots(session, establishment_id, management.KIND)
    assert len(snapshots) == 1 and snapshots[0].day == today()
    exports = list(
        session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "report.export", AuditEntry.object_id == "management"
            )
        )
    )
    assert len(exports) == 1 and exports[0].details["format"] == "pdf"


def test_a_technician_reads_the_figures_but_cannot_export(session: Session, client: TestClient) -> None:
    establishment = make_establishment(session)
    make_user(session, "tech@chu-exemple.fr", role=Role.TECHNICIAN, establishment_id=establishment.id)
    headers = _bearer(session, "tech@chu-exemple.fr")
    base = f"/api/v1/establishments/{establishment.id}/reports/management"
    assert client.get(base, headers=headers).status_code == 200
    assert client.get(f"{base}.pdf", headers=headers).status_code == 403
    assert service.list_snapshots(session, establishment.id, management.KIND) == []


def test_another_establishments_report_is_not_found(session: Session, client: TestClient) -> None:
    _establishment_id, users = _demo(session)
    other = make_establishment(session)
    headers = _bearer(session, users[Role.RSSI].email)
    for path in ("management", "management.pdf", "management.html"):
        response = client.get(f"/api/v1/establishments/{other.id}/reports/{path}", headers=headers)
        assert response.status_code == 404, path
    # And the pages: the other establishment's download is not found either.
    login(client, users[Role.RSSI].email, users[Role.RSSI].password)
    assert client.get(f"/e/{other.id}/reports/management.pdf").status_code == 404
    assert service.list_snapshots(session, other.id, management.KIND) == []


def test_reports_page_links_the_management_report(session: Session, client: TestClient) -> None:
    establishment_id, users = _demo(session)
    login(client, users[Role.RSSI].email, users[Role.RSSI].password)
    page = client.get(f"/e/{establishment_id}/reports")
    assert page.status_code == 200
    assert f'action="/e/{establishment_id}/reports/management.pdf"' in page.text
    assert f'formaction="/e/{establishment_id}/reports/management.html"' in page.text
    assert "Rapport de direction" in page.text
    html = client.get(f"/e/{establishment_id}/reports/management.html", params={"lang": "fr"})
    assert html.status_code == 200 and "Ce qui menace les soins" in html.text


def test_an_establishment_without_assessment_has_a_report(session: Session, client: TestClient) -> None:
    establishment = make_establishment(session)
    make_user(session, role=Role.RSSI, establishment_id=establishment.id)
    headers = _bearer(session, "rssi@chu-exemple.fr")
    base = f"/api/v1/establishments/{establishment.id}/reports/management"
    body = client.get(base, headers=headers).json()
    assert body["plan"] is None and body["standing"]["declared_index"] is None
    assert client.get(f"{base}.html", headers=headers).status_code == 200
