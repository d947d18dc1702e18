"""The main pages in the browser: language switch, the plan board, the PDF report."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Dialog, Locator, Page, expect
from pypdf import PdfReader

from tests.e2e.conftest import DemoServer, screenshot, sign_in, use_htmx

pytestmark = pytest.mark.e2e

MAIN_NAV = "nav.main-nav"


def test_language_switch_changes_the_texts_and_stays(page: Page, demo_server: DemoServer) -> None:
    sign_in(page, demo_server.e2e)
    page.goto(demo_server.path("/dashboard"))
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("h1")).to_contain_text("Tableau de bord")
    expect(page.locator(MAIN_NAV)).to_contain_text("Plan d’action")
    screenshot(page, "dashboard-fr")

    page.locator("nav.languages").get_by_role("link", name="EN").click()
    expect(page).to_have_url(re.compile(rf"{demo_server.path('/dashboard')}$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_contain_text("Dashboard")
    expect(page.locator(MAIN_NAV)).to_contain_text("Action plan")
    expect(page.locator(MAIN_NAV)).not_to_contain_text("Tableau de bord")
    screenshot(page, "dashboard-en")

    # The choice is a cookie: it holds on the next pages.
    # the plan is under the "Act" heading: its entries drop down on hover
    page.locator(MAIN_NAV).get_by_role("link", name="Act", exact=True).hover()
    page.locator(MAIN_NAV).get_by_role("link", name="Action plan").click()
    expect(page.locator("h1")).to_have_text("Action plan")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    screenshot(page, "plan-en")
    page.goto(demo_server.path("/reports"))
    maturity = page.get_by_role("region", name="Cyber-resilience maturity report")
    expect(maturity.get_by_role("button", name="Download the PDF")).to_be_visible()
    management = page.get_by_role("region", name="Management report")
    expect(management.get_by_role("button", name="Download the PDF")).to_be_visible()

    page.locator("nav.languages").get_by_role("link", name="FR").click()
    expect(page.locator("h1")).to_contain_text("Rapports")


def _column(page: Page, status: str) -> Locator:
    return page.locator("section.board-column", has=page.locator(f"#col-{status}"))


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_an_action_moves_from_todo_to_in_progress_on_the_board(
    page: Page, demo_server: DemoServer, htmx: bool
) -> None:
    use_htmx(page, htmx)
    variant = "htmx" if htmx else "plain"
    sign_in(page, demo_server.e2e)
    page.goto(demo_server.path("/plan"))
    expect(page.locator("#col-todo")).to_contain_text("À faire")
    expect(page.locator("#col-in_progress")).to_contain_text("En cours")
    todo, in_progress = _column(page, "todo"), _column(page, "in_progress")
    todo_before = todo.locator("li.action-card").count()
    in_progress_before = in_progress.locator("li.action-card").count()
    assert todo_before >= 1, "the demo plan has actions to do"
    screenshot(page, f"plan-board-{variant}")

    card = todo.locator("li.action-card").first
    title = card.locator(".action-title").inner_text()
    select = card.locator("select[name=status]")
    action_select = f"#{select.get_attribute('id')}"
    select.select_option("in_progress")
    card.get_by_role("button", name="Déplacer").click()

    # htmx swaps the board in place; without it the form posts and the page comes back: both end here.
    expect(in_progress.locator(action_select)).to_have_count(1)
    expect(todo.locator(action_select)).to_have_count(0)
    page.reload()
    moved = in_progress.locator("li.action-card", has=page.locator(action_select))
    expect(moved).to_have_count(1)
    expect(moved.locator(".action-title")).to_have_text(title)
    expect(moved.locator("select[name=status]")).to_have_value("in_progress")
    expect(todo.locator("li.action-card")).to_have_count(todo_before - 1)
    expect(in_progress.locator("li.action-card")).to_have_count(in_progress_before + 1)
    expect(page.locator("#col-in_progress")).to_contain_text(f"({in_progress_before + 1})")
    screenshot(page, f"plan-board-moved-{variant}")


def test_the_pdf_report_downloads(page: Page, demo_server: DemoServer) -> None:
    sign_in(page, demo_server.e2e)
    page.goto(demo_server.path("/reports"))
    expect(page.locator("h1")).to_contain_text("Rapports")
    screenshot(page, "reports")
    with page.expect_download(timeout=120_000) as waiting:
        maturity = page.get_by_role("region", name="Rapport de maturité en cyber-résilience")
        maturity.get_by_role("button", name="Télécharger le PDF").click()
    download = waiting.value
    assert download.suggested_filename.endswith(".pdf"), download.suggested_filename
    path = download.path()
    assert path.read_bytes().startswith(b"%PDF-")
    reader = PdfReader(path)
    assert len(reader.pages) >= 3
    assert "Saint-Aurèle" in reader.pages[0].extract_text()


def test_revoking_a_token_asks_first(page: Page, demo_server: DemoServer) -> None:
    """A form that deletes or revokes asks in a dialog; cancelling leaves everything as it was."""
    sign_in(page, demo_server.e2e)
    page.goto("/account")
    page.get_by_label("Nom du nouveau jeton").fill("Jeton de test du dialogue")
    page.get_by_role("button", name="Créer un jeton").click()
    revoke = page.get_by_role("button", name="Révoquer Jeton de test du dialogue")
    expect(revoke).to_be_visible()

    questions: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    revoke.click()
    expect(revoke).to_be_visible()  # cancelled: still there, nothing sent
    assert questions == [
        "Révoquer le jeton Jeton de test du dialogue ? Les outils qui l'utilisent perdront leur accès."
    ]

    page.once("dialog", lambda dialog: dialog.accept())
    revoke.click()
    expect(page.get_by_role("button", name="Révoquer Jeton de test du dialogue")).to_have_count(0)
    screenshot(page, "account-token-revoked")
