"""Signing in with a password, enrolling an authenticator app, then signing in with its code."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pyotp
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DemoServer, screenshot, sign_in

pytestmark = pytest.mark.e2e


def test_rssi_enrols_totp_then_signs_in_with_its_code(page: Page, demo_server: DemoServer) -> None:
    sign_in(page, demo_server.rssi)
    # One establishment: the home page opens its dashboard; its profile is a tab of the menu.
    expect(page).to_have_url(re.compile(rf"/e/{demo_server.establishment_id}/dashboard$"))

    page.goto("/account")
    expect(page.locator("h1")).to_have_text("Mon compte")
    expect(page.get_by_text("Le second facteur n'est pas activé.")).to_be_visible()
    screenshot(page, "account")
    page.click("form[action='/account/totp/enrol'] button")
    secret = page.locator(".secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret
    expect(page.locator("img.qr")).to_be_visible()
    screenshot(page, "account-totp-enrol")

    totp = pyotp.TOTP(secret)
    step = totp.timecode(datetime.now(UTC))
    page.fill("#totp-code", totp.generate_otp(step))
    page.click("form[action='/account/totp/confirm'] button")
    expect(page.get_by_text("Le second facteur est activé.")).to_be_visible()
    expect(page.locator("ul.codes li")).not_to_have_count(0)
    screenshot(page, "account-totp-enabled")

    page.locator("details.account-menu summary").click()
    page.click("form[action='/logout'] button")
    expect(page).to_have_url(re.compile(r"/login"))

    # The password alone is no longer enough: the second step asks for the code.
    page.fill("#email", demo_server.rssi.email)
    page.fill("#password", demo_server.rssi.password)
    page.click("form[action='/login'] button[type=submit]")
    expect(page.locator("#code")).to_be_visible()
    screenshot(page, "login-code")
    # A code is accepted once per 30 s step, one step early: the next step's code is fresh.
    page.fill("#code", totp.generate_otp(step + 1))
    page.click("form[action='/login'] button[type=submit]")
    expect(page).to_have_url(re.compile(rf"/e/{demo_server.establishment_id}/dashboard$"))
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Tableau de bord").click()
    expect(page.locator("h1")).to_contain_text("Tableau de bord")
    expect(page.locator("[data-figure=global-index]")).to_be_visible()
    screenshot(page, "dashboard")
