"""The documentation keeps up with the code: every command and setting is documented, in both languages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.main import get_command

from hygie.cli.main import app
from hygie.core.settings import Settings

DOCS = Path(__file__).resolve().parents[2] / "docs"
CLI_PAGES = [DOCS / "en" / "cli.md", DOCS / "fr" / "commandes.md"]
SETTINGS_PAGES = [DOCS / "en" / "settings.md", DOCS / "fr" / "reglages.md"]


def _commands(command: object, prefix: str) -> Iterator[str]:
    subcommands = getattr(command, "commands", None)
    if subcommands:
        for name, sub in subcommands.items():
            yield from _commands(sub, f"{prefix} {name}")
    else:
        yield prefix


COMMANDS = sorted(_commands(get_command(app), "hygie"))


def test_the_command_tree_is_found() -> None:
    assert "hygie assess run" in COMMANDS and "hygie plan optimise" in COMMANDS


@pytest.mark.parametrize("page", CLI_PAGES, ids=lambda p: p.name)
def test_every_command_is_documented(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    missing = [c for c in COMMANDS if f"`{c}" not in text]
    assert missing == [], f"{page.name} does not document {missing}"


@pytest.mark.parametrize("page", SETTINGS_PAGES, ids=lambda p: p.name)
def test_every_setting_is_documented(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    variables = [f"HYGIE_{name.upper()}" for name in Settings.model_fields]
    missing = [v for v in variables if f"`{v}`" not in text]
    assert missing == [], f"{page.name} does not document {missing}"


def test_every_page_of_the_index_exists() -> None:
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    for link in (part.split(")")[0] for part in index.split("](")[1:]):
        assert (DOCS / link).is_file(), link
