"""`hygie serve` on this machine only works over plain http without any setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from hygie.core.settings import Settings
from hygie.web.cli import settings_for


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_loopback_defaults_to_cookies_that_come_back_over_http(host: str, tmp_path: Path) -> None:
    assert settings_for(host, Settings(home=tmp_path)).cookie_secure is False


def test_an_explicit_setting_wins(tmp_path: Path) -> None:
    assert settings_for("127.0.0.1", Settings(home=tmp_path, cookie_secure=True)).cookie_secure is True


def test_any_other_address_keeps_secure_cookies(tmp_path: Path) -> None:
    assert settings_for("0.0.0.0", Settings(home=tmp_path)).cookie_secure is True  # noqa: S104
