"""Browser tests: the demo hospital served by the real ``hygie serve``, driven by Playwright in
Debian's Chromium (headless).

Each pytest worker builds its own demo home and runs its own server on a free loopback port, so
``pytest -n 2`` needs no grouping. Playwright never downloads a browser here: it starts
``/usr/bin/chromium`` (``.ci/run`` installs it). Without Chromium the tests fail with the command
to install it, unless HYGIE_TEST_SKIP_E2E=1 is set by hand. Each test writes full-page
screenshots under ``tests/e2e/screenshots/`` (ignored by git).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, Playwright, expect, sync_playwright
from sqlalchemy.orm import Session

from hygie.core.db import make_engine
from hygie.core.migrate import upgrade
from hygie.core.settings import Settings
from hygie.demo import accounts as demo_accounts
from hygie.demo import service as demo_service
from hygie.frameworks.loader import default_library
from hygie.org import accounts
from hygie.org.models import Role

CHROMIUM = Path("/usr/bin/chromium")
# Root in a container: no user namespaces for the sandbox; no GPU; nothing fetched from Google.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
# Two cores shared by two test workers, each with its server and its browser: a save can take more
# than Playwright's 5 s by default. The actions' timeout (the context's) and the checks' agree.
TIMEOUT_MS = 20_000
expect.set_options(timeout=TIMEOUT_MS)
SERVER_START_SECONDS = 60
# A second RSSI for every test but the TOTP one, which turns the second factor on for the demo RSSI.
E2E_EMAIL = "e2e-rssi@saint-aurele.demo"
E2E_PASSWORD = "Tq7wz-Km4Rb-Hs8Np-Vc3Xe"


@dataclass(frozen=True)
class Account:
    email: str
    password: str


@dataclass(frozen=True)
class DemoServer:
    url: str
    establishment_id: int
    campaign_id: int  # the open campaign (the demo's second)
    rssi: Account  # the demo's own RSSI (hygie.demo.accounts)
    e2e: Account  # another RSSI of the demo establishment
    accounts: tuple[demo_accounts.DemoAccount, ...]  # every account the demo prints

    def demo_account(self, role: Role) -> Account:
        found = next(a for a in self.accounts if a.role is role)
        return Account(found.email, found.password)

    def path(self, relative: str) -> str:
        """``/e/<id><relative>``, the establishment's pages."""
        return f"/e/{self.establishment_id}{relative}"


def _chromium() -> Path:
    if os.environ.get("HYGIE_TEST_SKIP_E2E") == "1":
        pytest.skip("browser tests skipped by HYGIE_TEST_SKIP_E2E=1")
    found = CHROMIUM if CHROMIUM.exists() else None
    if found is None and (on_path := shutil.which("chromium")):
        found = Path(on_path)
    if found is None:
        pytest.fail(
            f"the browser tests need Debian's Chromium ({CHROMIUM} is missing): install it with "
            "`sudo apt-get install chromium` (.ci/run does it), or set HYGIE_TEST_SKIP_E2E=1 "
            "to skip them on this machine",
            pytrace=False,
        )
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _build_demo(home: Path) -> tuple[int, int, list[demo_accounts.DemoAccount]]:
    """The demo hospital and its accounts in ``home``, plus the tests' own RSSI."""
    engine = make_engine(Settings(home=home).resolved_database_url)
    try:
        upgrade(engine)
        with Session(engine) as session:
            result = demo_service.build(session, default_library(home / "library"), feeds=Settings(home=home))
            created = demo_accounts.create_accounts(session, result.establishment_id)
            user = accounts.create_user(session, E2E_EMAIL, "Équipe E2E", E2E_PASSWORD)
            accounts.grant_role(session, user, Role.RSSI, establishment_id=result.establishment_id)
            session.commit()
    finally:
        engine.dispose()
    return result.establishment_id, result.campaign_ids[-1], created


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"hygie serve exited with {process.returncode}:\n{log.read_text()}", pytrace=False)
        try:
            with urllib.request.urlopen(f"{url}/login", timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(f"hygie serve did not answer {url}/login in {SERVER_START_SECONDS} s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """The demo hospital served by ``hygie serve`` on 127.0.0.1 (cookies not Secure there)."""
    _chromium()  # fail (or skip) before the minute spent building the demo
    home = tmp_path_factory.mktemp("e2e-home")
    establishment_id, campaign_id, created = _build_demo(home)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"HYGIE_DATABASE_URL", "HYGIE_COOKIE_SECURE"}}
    env.update(HYGIE_HOME=str(home), HYGIE_LANG="fr")
    log = home / "serve.log"
    command = [sys.executable, "-m", "hygie.cli.main", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, log)
        rssi = next(Account(a.email, a.password) for a in created if a.role is Role.RSSI)
        e2e = Account(E2E_EMAIL, E2E_PASSWORD)
        yield DemoServer(url, establishment_id, campaign_id, rssi, e2e, tuple(created))
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    _chromium()
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    chromium = _chromium()
    try:
        launched = playwright_driver.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS
        )
    except Exception as exc:  # Playwright's own error type says little more than its message
        pytest.fail(f"{chromium} does not start headless: {exc}", pytrace=False)
    yield launched
    launched.close()


@pytest.fixture
def context(browser: Browser, demo_server: DemoServer) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) for each test."""
    # A French browser, like the users: native widgets (dates, file inputs) speak French too.
    ctx = browser.new_context(
        base_url=demo_server.url,
        accept_downloads=True,
        locale="fr-FR",
        viewport={"width": 1280, "height": 900},
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def screenshot(target: Page | Locator, name: str) -> Path:
    """``tests/e2e/screenshots/<name>.png``: the full page, or just one element of a long page."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    if isinstance(target, Locator):
        target.screenshot(path=str(path))
    else:
        target.screenshot(path=str(path), full_page=True)
    return path


def use_htmx(page: Page, enabled: bool) -> None:
    """Without htmx the pages must still work (plain forms and links): its script is refused.

    With it, it must be there: a missing htmx would make the htmx variant test the plain forms again.
    """
    if not enabled:
        page.route("**/static/vendor/htmx.min.js", lambda route: route.fulfill(status=404))
        return
    served = page.request.get("/static/vendor/htmx.min.js")
    if not served.ok:
        pytest.fail(
            f"htmx is not served ({served.status}): `make test` installs it into .venv/web with npm",
            pytrace=False,
        )


def sign_in(page: Page, account: Account, code: str | None = None) -> None:
    """Signs in through the login page; ``code`` answers the second-factor step when it comes."""
    page.goto("/login")
    page.fill("#email", account.email)
    page.fill("#password", account.password)
    page.click("form[action='/login'] button[type=submit]")
    if code is not None:
        page.fill("#code", code)
        page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state()
