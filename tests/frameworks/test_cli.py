"""``hygie frameworks`` commands, run in an empty HYGIE_HOME."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hygie.cli.common import console
from hygie.cli.main import app
from hygie.frameworks.loader import clear_cache

runner = CliRunner()


@pytest.fixture(autouse=True)
def _fresh_cache_wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_cache()
    # Tables are laid out for the terminal; a wide one keeps every cell whole for the assertions.
    monkeypatch.setattr(console, "width", 240)


def test_list(hygie_home: Path) -> None:
    result = runner.invoke(app, ["frameworks", "list"])
    assert result.exit_code == 0, result.output
    assert "anssi-hygiene" in result.output and "Exigences" in result.output
    data = json.loads(runner.invoke(app, ["frameworks", "list", "--json"]).output)
    assert [d["id"] for d in data] == ["anssi-hygiene", "care", "hicp", "hph-cpg", "nis2-art21"]
    assert data[0]["requirement_count"] == 42


def test_show_in_french_and_english(hygie_home: Path) -> None:
    fr = runner.invoke(app, ["frameworks", "show", "care"])
    assert fr.exit_code == 0, fr.output
    assert "Domaine 2" in fr.output and "CON-BACKUP-OFFLINE" in fr.output and "égal" in fr.output
    en = runner.invoke(app, ["frameworks", "show", "care", "--lang", "en"])
    assert "Domain 2" in en.output and "Requirement" in en.output
    data = json.loads(runner.invoke(app, ["frameworks", "show", "hph-cpg", "--json"]).output)
    assert len(data["requirements"]) == 20
    assert data["requirements"][2]["mappings"][0]["control"] == "TEC-MFA"


def test_show_unknown_referential_fails_cleanly(hygie_home: Path) -> None:
    result = runner.invoke(app, ["frameworks", "show", "iso-27001"])
    assert result.exit_code == 1
    assert "iso-27001" in result.output and "Traceback" not in result.output


def test_controls(hygie_home: Path) -> None:
    result = runner.invoke(app, ["frameworks", "controls", "--dimension", "awareness", "--json"])
    assert result.exit_code == 0, result.output
    ids = [c["id"] for c in json.loads(result.output)]
    assert ids[:2] == ["AWA-PHISHING", "AWA-TRAINING"]  # essential ranks 6 and 20 first
    assert all(i.startswith("AWA-") for i in ids)
    table = runner.invoke(app, ["frameworks", "controls"])
    assert "Sensibilisation" in table.output


def test_import_then_list_and_show(hygie_home: Path, shared_data: Path) -> None:
    source = shared_data / "ciso-assistant-library" / "anssi-guide-hygiene.yaml"
    result = runner.invoke(app, ["frameworks", "import", str(source), "--align", "anssi-hygiene"])
    assert result.exit_code == 0, result.output
    assert (hygie_home / "library" / "anssi-guide-hygiene.yaml").is_file()
    assert "61" in result.output
    listed = json.loads(runner.invoke(app, ["frameworks", "list", "--json"]).output)
    assert listed[-1]["id"] == "anssi-guide-hygiene" and listed[-1]["origin"].endswith(
        "anssi-guide-hygiene.yaml"
    )
    again = runner.invoke(app, ["frameworks", "import", str(source)])
    assert again.exit_code == 1 and "--force" in again.output
    forced = runner.invoke(app, ["frameworks", "import", str(source), "--force", "--json"])
    assert forced.exit_code == 0 and json.loads(forced.output)["replaced"] is True
    shown = runner.invoke(app, ["frameworks", "show", "anssi-guide-hygiene", "--json"])
    assert json.loads(shown.output)["requirement_count"] == 61
