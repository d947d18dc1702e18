"""`hygie feeds`: French by default, one clear line per failure, JSON for scripts."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from hygie.cli.main import app
from hygie.core.settings import Settings, get_settings
from hygie.vulns.feeds import service
from hygie.vulns.feeds.catalogue import OFFICIAL_URLS
from tests.vulns.feeds_support import mock_client, official_site, offline_client

runner = CliRunner()


def use_client(monkeypatch: pytest.MonkeyPatch, client: Callable[[], httpx.Client]) -> None:
    """Each command gets a new client (the service closes the one it made)."""
    monkeypatch.setattr("hygie.vulns.feeds.service.make_client", lambda timeout: client())


def flat(text: str) -> str:
    return " ".join(text.split())


def test_update_without_network_says_so_in_french(
    feeds_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_client(monkeypatch, offline_client)
    outcome = runner.invoke(app, ["feeds", "update", "--only", "kev"])
    assert outcome.exit_code == 1
    text = flat(outcome.output)
    assert "Erreur :" in text and "téléchargement impossible de" in text
    assert OFFICIAL_URLS["kev"] in text.replace(" ", "") or OFFICIAL_URLS["kev"] in text
    assert "hygie feeds bundle" in text and "Traceback" not in text
    english = flat(runner.invoke(app, ["feeds", "update", "--only", "kev", "--lang", "en"]).output)
    assert "cannot download" in english


def test_update_status_bundle_import(
    feeds_settings: Settings, monkeypatch: pytest.MonkeyPatch, shared_data: Path, tmp_path: Path
) -> None:
    site = official_site(shared_data)
    use_client(monkeypatch, lambda: mock_client(site))
    outcome = runner.invoke(app, ["feeds", "update", "--only", "kev,ssvc"])
    assert outcome.exit_code == 0, outcome.output
    assert "est désormais en service" in flat(outcome.output) and "1 404" in flat(outcome.output)
    shown = json.loads(runner.invoke(app, ["feeds", "status", "--json"]).output)
    kev = next(f for f in shown["feeds"] if f["feed"] == "kev")
    assert (kev["state"], kev["rows"], kev["version"]) == ("ok", 1404, "2025.08.25")
    assert "nvd" in shown["warnings"] and "kev" not in shown["warnings"]
    table = flat(runner.invoke(app, ["feeds", "status"]).output)
    assert "à jour" in table and "nvd n'a jamais été téléchargé" in table
    archive = tmp_path / "flux.tar.gz"
    made = runner.invoke(app, ["feeds", "bundle", str(archive), "--json"])
    assert made.exit_code == 0, made.output
    assert json.loads(made.output)["files"] == 2
    monkeypatch.setenv("HYGIE_HOME", str(tmp_path / "isolated"))
    get_settings.cache_clear()
    imported = runner.invoke(app, ["feeds", "import", str(archive)])
    assert imported.exit_code == 0, imported.output
    assert "Paquet vérifié" in flat(imported.output)
    assert service.status().snapshot_id == json.loads(made.output)["snapshot"]
    again = runner.invoke(app, ["feeds", "import", str(archive)])
    assert again.exit_code == 1 and "est déjà installé" in flat(again.output)


def test_partial_failure_exits_1_and_lists_it(
    feeds_settings: Settings, monkeypatch: pytest.MonkeyPatch, shared_data: Path
) -> None:
    site = official_site(shared_data)
    del site[OFFICIAL_URLS["epss"]]
    use_client(monkeypatch, lambda: mock_client(site))
    outcome = runner.invoke(app, ["feeds", "update", "--only", "kev,epss", "--json"])
    assert outcome.exit_code == 1
    data = json.loads(outcome.output)
    assert list(data["updated"]) == ["kev"] and "HTTP 404" in data["failures"]["epss"]


def test_import_of_a_missing_file_and_unknown_feed(feeds_settings: Settings, tmp_path: Path) -> None:
    missing = runner.invoke(app, ["feeds", "import", str(tmp_path / "absent.tar.gz")])
    assert missing.exit_code == 1 and "fichier introuvable" in flat(missing.output)
    unknown = runner.invoke(app, ["feeds", "update", "--only", "kev,nope"])
    assert unknown.exit_code == 1 and "flux inconnu nope" in flat(unknown.output)
    empty = runner.invoke(app, ["feeds", "status"])
    assert empty.exit_code == 0 and "Aucun instantané" in flat(empty.output)
