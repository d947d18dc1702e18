"""The establishment's dashboard: the maturity report's own figures, in French and English, for the
RSSI and (read-only) for management; an empty state before the first campaign."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hygie.core.formatting import fmt_number
from hygie.demo import accounts as demo_accounts
from hygie.demo import service as demo_service
from hygie.frameworks.service import get_library
from hygie.org.models import Role
from hygie.reports import service as report_service
from hygie.reports.schemas import MaturityReport
from tests.factories import make_establishment
from tests.web.conftest import login, make_user


def _demo(session: Session) -> tuple[int, dict[Role, demo_accounts.DemoAccount]]:
    result = demo_service.build(session, get_library(), inventory=False)
    created = demo_accounts.create_accounts(session, result.establishment_id)
    return result.establishment_id, {a.role: a for a in created}


def _report(session: Session, establishment_id: int, lang: str) -> MaturityReport:
    # The defaults of the page: the security budget, the default staff time.
    return report_service.maturity_report(session, establishment_id, get_library(), lang=lang)


def _figure(html: str, name: str) -> str:
    found = re.search(rf'data-figure="{name}">([^<]+)<', html)
    assert found, f"no {name} on the page"
    return found.group(1).strip()


def _dimension_scores(html: str) -> dict[str, str]:
    rows = re.findall(r'<tr data-dimension="([a-z_]+)"><th scope="row">[^<]*</th><td>([^<]*)</td>', html)
    return dict(rows)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_dashboard_shows_the_report_figures(session: Session, client: TestClient, lang: str) -> None:
    establishment_id, users = _demo(session)
    rssi = users[Role.RSSI]
    login(client, rssi.email, rssi.password)
    page = client.get(f"/e/{establishment_id}/dashboard", params={"lang": lang})
    assert page.status_code == 200, page.text
    html = page.text
    report = _report(session, establishment_id, lang)
    assert f'<html lang="{lang}">' in html
    assert _figure(html, "global-index") == fmt_number(report.global_index, lang, 1)
    assert _figure(html, "plan-index").split(" → ") == [
        fmt_number(report.plan.index_before, lang, 1) if report.plan else "",
        fmt_number(report.plan.index_after, lang, 1) if report.plan else "",
    ]
    assert _dimension_scores(html) == {
        d.dimension.value: fmt_number(d.score, lang, 1) for d in report.dimensions
    }
    # The charts are the report's: radar, trend (two campaigns), bars; titles in the page's language.
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart') >= 3
    heading = "Tableau de bord" if lang == "fr" else "Dashboard"
    assert f"<h1>{heading} — Centre hospitalier de Saint-Aurèle</h1>" in html
    # The top weaknesses and the plan's actions by status (the demo: one done, one under way).
    assert report.weaknesses[0].title in html
    done, doing = ("Terminée", "En cours") if lang == "fr" else ("Done", "In progress")
    assert f"<li>{done} — 1</li>" in html and f"<li>{doing} — 1</li>" in html
    # The nav lists the dashboard first.
    nav = re.findall(r'<nav class="main-nav".*?</nav>', html, re.S)[0]
    assert re.findall(r'href="([^"]+)"', nav)[0] == f"/e/{establishment_id}/dashboard"


def test_management_sees_the_same_figures_read_only(session: Session, client: TestClient) -> None:
    establishment_id, users = _demo(session)
    reader = users[Role.MANAGEMENT]
    login(client, reader.email, reader.password)
    html = client.get(f"/e/{establishment_id}/dashboard").text
    report = _report(session, establishment_id, "fr")
    assert _figure(html, "global-index") == fmt_number(report.global_index, "fr", 1)
    # Nothing that writes: no form but the log-out one.
    assert re.findall(r'<form method="post" action="([^"]+)"', html) == ["/logout"]


def test_empty_state_before_the_first_campaign(session: Session, client: TestClient) -> None:
    establishment = make_establishment(session)
    make_user(session, role=Role.RSSI, establishment_id=establishment.id)
    make_user(session, "direction@chu-exemple.fr", role=Role.MANAGEMENT, establishment_id=establishment.id)
    login(client)
    page = client.get(f"/e/{establishment.id}/dashboard")
    assert page.status_code == 200
    assert "Aucune évaluation pour l’instant" in page.text
    assert f'href="/e/{establishment.id}/assessments"' in page.text
    english = client.get(f"/e/{establishment.id}/dashboard?lang=en").text
    assert "No assessment yet" in english and "Start an assessment campaign" in english
    # Management cannot start a campaign: told so, no link.
    client.cookies.clear()
    login(client, "direction@chu-exemple.fr")
    reader = client.get(f"/e/{establishment.id}/dashboard?lang=en").text
    assert "No assessment yet" in reader and "/assessments" not in reader


def test_another_establishment_is_not_found(session: Session, client: TestClient) -> None:
    establishment_id, _users = _demo(session)
    other = make_establishment(session, name="CH voisin")
    make_user(session, role=Role.RSSI, establishment_id=other.id)
    login(client)
    assert client.get(f"/e/{establishment_id}/dashboard").status_code == 404
    assert client.get(f"/e/{other.id}/dashboard").status_code == 200
