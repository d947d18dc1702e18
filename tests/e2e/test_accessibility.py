"""WCAG 2 A and AA rules checked by axe-core (the axe-playwright-python package) on every main
page, signed in and not: labels, contrast, landmarks, names of links and buttons, language."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DemoServer, sign_in
from tests.e2e.test_tour import PAGES

pytestmark = pytest.mark.e2e

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def _violations(axe: Axe, page: Page) -> list[str]:
    results = axe.run(page, options=WCAG)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(n["target"][0] for n in v["nodes"][:5])
        for v in results.response["violations"]
    ]


@pytest.fixture(scope="module")
def axe() -> Axe:
    return Axe()


def test_login_page_meets_wcag_aa(page: Page, demo_server: DemoServer, axe: Axe) -> None:
    page.goto("/login")
    assert _violations(axe, page) == []


@pytest.mark.parametrize(("name", "path", "heading"), PAGES, ids=[p[0] for p in PAGES])
def test_main_pages_meet_wcag_aa(
    page: Page, demo_server: DemoServer, axe: Axe, name: str, path: str, heading: str
) -> None:
    sign_in(page, demo_server.e2e)
    page.goto(demo_server.path(path))
    expect(page.locator("h1")).to_contain_text(heading)
    assert _violations(axe, page) == [], name


def test_forms_pages_meet_wcag_aa(page: Page, demo_server: DemoServer, axe: Axe) -> None:
    sign_in(page, demo_server.e2e)
    questionnaire = demo_server.path(f"/assess/{demo_server.campaign_id}")
    for path in ("/account", questionnaire, f"{questionnaire}/scores"):
        page.goto(path)
        assert _violations(axe, page) == [], path


def test_the_keyboard_reaches_the_content_first(page: Page, demo_server: DemoServer) -> None:
    sign_in(page, demo_server.e2e)
    page.goto(demo_server.path("/plan"))
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    expect(skip).to_have_class("skip-link")
    expect(skip).to_be_visible()  # shown when focused, hidden otherwise
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{demo_server.url}{demo_server.path('/plan')}#main")
    # The next Tab lands inside the content, past the header and the menu.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")
