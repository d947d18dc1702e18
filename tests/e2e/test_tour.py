"""Every main page, as the RSSI and as management, on a laptop and on a tablet: it loads without a
browser error (a Content-Security-Policy violation shows up there), fits the screen's width, and
leaves a screenshot under tests/e2e/screenshots/."""

from __future__ import annotations

import pytest
from playwright.sync_api import ConsoleMessage, Page, Response, expect

from hygie.demo import hospital
from hygie.org.models import Role
from tests.e2e.conftest import DemoServer, screenshot, sign_in

pytestmark = pytest.mark.e2e

# (name of the screenshot, path under /e/<id>, text of the page's heading)
PAGES = [
    ("dashboard", "/dashboard", "Tableau de bord"),
    ("assets", "/assets", "Inventaire"),
    ("assets-filtered", "/assets?kind=medical_device&criticality=life_sustaining&page=2", "Inventaire"),
    ("assets-medical", "/assets/medical", "Dispositifs médicaux par service de soins"),
    ("assets-import", "/assets/import", "Import dans l'inventaire"),
    ("asset", "/assets/1", "VP-300"),
    ("vulnerabilities", "/vulnerabilities", "Vulnérabilités"),
    ("obsolete", "/obsolete", "Systèmes obsolètes"),
    ("network", "/network", "Cloisonnement du réseau"),
    ("assess", "/assess", "Évaluation"),
    ("findings", "/findings", "Faiblesses"),
    ("plan", "/plan", "Plan d’action"),
    ("plan-roadmap", "/plan/roadmap", "Feuille de route"),
    ("plan-optimise", "/plan/optimise", "Meilleur plan pour un budget"),
    ("awareness", "/awareness", "Sensibilisation"),
    ("reports", "/reports", "Rapports"),
    ("incidents", "/incidents", "Incidents"),
    ("incident-open", "/incidents/2", "Rançongiciel sur les serveurs d'imagerie"),
    ("incident-closed", "/incidents/1", "Hameçonnage et compromission"),
    ("alerts", "/alerts", "Signaux précurseurs"),
    ("continuity", "/continuity", "Continuité des soins"),
    ("continuity-dependencies", "/continuity/dependencies?zone=Serveurs", "Dépendances et impact"),
    ("continuity-backups", "/continuity/backups", "Sauvegardes"),
    ("continuity-exercises", "/continuity/exercises", "Exercices de crise"),
    (
        "continuity-attacker",
        "/continuity/dependencies?attacker_zone=Postes%20de%20travail",
        "Dépendances et impact",
    ),
    ("continuity-service", "/continuity/services/1", "Urgences"),
    ("continuity-service-edit", "/continuity/services/1/edit", "Modifier le service de soins"),
    ("continuity-application", "/continuity/applications/1", "Dossier patient (DPI)"),
    ("continuity-backup", "/continuity/applications/1/backup", "Sauvegarde de Dossier patient (DPI)"),
    ("continuity-exercise", "/continuity/exercises/1", "Rançongiciel sur le DPI"),
    ("continuity-exercise-edit", "/continuity/exercises/1/edit", "Modifier l'exercice"),
    ("establishment", "", hospital.HOSPITAL.name),
]
CT_MODEL = "Scanora CT 64"  # the demo's CT scanners (hygie.demo.inventory.CT)
VIEWPORTS = {"laptop": {"width": 1366, "height": 768}, "tablet": {"width": 768, "height": 1024}}


def _watch_errors(page: Page) -> list[str]:
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # A failed load is reported below with its address, which the console message lacks.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    def on_response(response: Response) -> None:
        if response.status >= 400:
            errors.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", on_response)
    return errors


def _fits_the_width(page: Page) -> bool:
    # Wide tables scroll inside their own box; the page itself must not scroll sideways.
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_rssi_pages_load_cleanly_and_fit(page: Page, demo_server: DemoServer, viewport: str) -> None:
    page.set_viewport_size(VIEWPORTS[viewport])
    errors = _watch_errors(page)
    sign_in(page, demo_server.e2e)
    for name, path, heading in PAGES:
        page.goto(demo_server.path(path))
        expect(page.locator("h1")).to_contain_text(heading)
        assert _fits_the_width(page), f"{path} scrolls sideways on a {viewport}"
        screenshot(page, f"tour-{viewport}-{name}")
    _result_and_its_asset(page, demo_server, viewport)
    campaign = demo_server.path(f"/assess/{demo_server.campaign_id}/scores")
    page.goto(campaign)
    expect(page.locator("h1")).to_contain_text(f"Scores — {hospital.SECOND_CAMPAIGN[0]}")
    screenshot(page, f"tour-{viewport}-assess-scores")
    assert errors == [], errors


def _result_and_its_asset(page: Page, demo_server: DemoServer, viewport: str) -> None:
    """The most urgent result of a CT scanner (Windows 7 Embedded, matched by the demo catalogue),
    then its asset through the result's link: the ids depend on the audit's order, not the names."""
    page.goto(demo_server.path(f"/vulnerabilities?q={CT_MODEL}"))
    page.locator("main a.vuln-id").first.click()
    expect(page.locator("h1")).to_contain_text(CT_MODEL)
    assert _fits_the_width(page), f"a result of the {CT_MODEL} scrolls sideways on a {viewport}"
    screenshot(page, f"tour-{viewport}-vulnerability-result")
    page.locator("main .lead a[href*='/assets/']").click()
    expect(page.locator("h1")).to_contain_text(CT_MODEL)
    expect(page.locator("#vulns-title")).to_be_visible()
    assert _fits_the_width(page), f"the {CT_MODEL} asset page scrolls sideways on a {viewport}"
    screenshot(page, f"tour-{viewport}-asset-ct")


def test_management_sees_a_read_only_summary(page: Page, demo_server: DemoServer) -> None:
    errors = _watch_errors(page)
    sign_in(page, demo_server.demo_account(Role.MANAGEMENT))
    page.goto(demo_server.path("/dashboard"))
    expect(page.locator("[data-figure=global-index]")).to_be_visible()
    expect(page.locator("main form[method=post]")).to_have_count(0)
    screenshot(page, "tour-management-dashboard")
    page.goto(demo_server.path("/plan"))
    expect(page.locator("main select[name=status]")).to_have_count(0)  # the board cannot be moved
    screenshot(page, "tour-management-plan")
    assert errors == [], errors
