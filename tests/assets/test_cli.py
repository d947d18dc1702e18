"""``hygie assets`` end to end on the embedded database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hygie.cli.common import console
from hygie.cli.main import app
from hygie.core.db import session_scope
from hygie.org import audit
from tests.factories import valid_finess

runner = CliRunner()
DATA = Path(__file__).parent / "data"
FINESS = "750803447"


@pytest.fixture
def home(hygie_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(console, "width", 200)  # tables on one line each, as in a wide terminal
    result = runner.invoke(
        app, ["establishments", "add", "--name", "CH Test", "--finess", FINESS, "--kind", "ch"]
    )
    assert result.exit_code == 0, result.output
    return hygie_home


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_import_list_show(home: Path) -> None:
    out = run("assets", "import", FINESS, str(DATA / "ward_scan.xml"))
    assert "2 créé(s), 0 mis à jour, 0 inchangé(s)" in out and "Nouveaux actifs" in out
    out = run("assets", "import", "CH Test", str(DATA / "inventory_fr.csv"))
    assert "1 créé(s), 2 mis à jour" in out
    assert "Actifs mis à jour" in out and "Reconnu par" in out
    assert "Type : Poste de travail → Dispositif médical" in out  # in words, from the scan's guess

    report = json.loads(run("assets", "import", FINESS, str(DATA / "inventory_fr.csv"), "--json"))
    assert (len(report["created"]), len(report["updated"]), len(report["unchanged"])) == (0, 0, 3)

    listed = json.loads(run("assets", "list", FINESS, "--kind", "medical_device", "--json"))
    assert [a["name"] for a in listed] == ["Console IRM", "Pompe Réa 12"]
    assert listed[1]["addresses"][1]["value"] == "00:0a:95:9d:68:16"
    out = run("assets", "list", FINESS, "--department", "réa")
    assert "Pompe Réa 12" in out and "Console IRM" not in out and "1 actif(s)" in out

    pump_id = listed[1]["id"]
    shown = json.loads(run("assets", "show", FINESS, str(pump_id), "--json"))
    assert shown["criticality"] == "life_sustaining" and shown["software"][0]["name"] == "lighttpd"
    origin = {p["field"]: p for p in shown["provenance"]}
    assert origin["serial"]["file_name"] == "inventory_fr.csv" and origin["os_name"]["guessed"] is True
    out = run("assets", "show", FINESS, str(pump_id), "--lang", "en")
    assert "Life-sustaining" in out and "CSV inventory · inventory_fr.csv" in out and "(guessed)" in out


def test_an_import_is_in_the_audit_trail(home: Path) -> None:
    run("assets", "import", FINESS, str(DATA / "ward_scan.xml"))
    with session_scope() as session:
        (entry,) = [e for e in audit.list_entries(session) if e.action == "asset.import"]
        assert entry.details["file"] == "ward_scan.xml" and entry.details["created"] == 2
        assert audit.verify(session).ok


def test_hostname_is_for_sboms_only(home: Path) -> None:
    out = run("assets", "import", FINESS, str(DATA / "ward_scan.xml"), "--hostname", "x", code=2)
    assert "CycloneDX" in out


def test_rejected_file_says_why_and_imports_nothing(home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "inventaire.csv"
    bad.write_text("Nom;Type\nPompe;grille-pain\n", encoding="utf-8")
    out = run("assets", "import", FINESS, str(bad), code=1)
    assert "1 problème(s), rien importé" in out and "line 2, Type" in out
    assert json.loads(run("assets", "list", FINESS, "--json")) == []


def test_another_establishments_asset_is_not_found(home: Path) -> None:
    run("assets", "import", FINESS, str(DATA / "ward_scan.xml"))
    other = valid_finess("13")
    run("establishments", "add", "--name", "Clinique", "--finess", other, "--kind", "clinic")
    out = run("assets", "show", other, "1", code=1)
    assert "no asset 1" in out


def test_sbom_needs_a_hostname_when_it_names_no_asset(home: Path, shared_data: Path) -> None:
    sbom = shared_data / "scans" / "cyclonedx" / "jake.xml"
    out = run("assets", "import", FINESS, str(sbom), code=1)
    assert "--hostname" in out
    report = json.loads(run("assets", "import", FINESS, str(sbom), "--hostname", "srv-1", "--json"))
    assert report["created"][0]["name"] == "srv-1" and report["importer"] == "cyclonedx"


def test_values_from_a_file_are_shown_as_text_never_as_markup(home: Path, tmp_path: Path) -> None:
    sneaky = tmp_path / "inventaire.csv"
    sneaky.write_text(
        'Nom;Fabricant\n"[/oops] [link=http://evil.example]x[/link]";[bold]ACME\n', encoding="utf-8"
    )
    out = run("assets", "import", FINESS, str(sneaky))
    assert "[/oops] [link=http://evil.example]x[/link]" in out
    out = run("assets", "show", FINESS, "1")
    assert "[bold]ACME" in out and "[/oops]" in out
