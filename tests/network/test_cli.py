"""``hygie network`` end to end on the embedded database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hygie.cli.common import console
from hygie.cli.main import app

runner = CliRunner()
DATA = Path(__file__).parent / "data"
FINESS = "750803447"


@pytest.fixture
def home(hygie_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(console, "width", 250)
    result = runner.invoke(
        app, ["establishments", "add", "--name", "CH Test", "--finess", FINESS, "--kind", "ch"]
    )
    assert result.exit_code == 0, result.output
    return hygie_home


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_import_matrix_check_diff_exposure(home: Path, tmp_path: Path) -> None:
    assert "7 zone(s) chargée(s)" in run("network", "zones", FINESS, str(DATA / "zones.yaml"))
    out = run("network", "import", FINESS, str(DATA / "fw-int.rules"), "--firewall", "fw-int",
              "--interface", "wlan-guest=Invites")  # fmt: skip
    assert "11 règle(s) chargée(s) pour fw-int" in out and "--sport" in out
    flows = json.loads(run("network", "matrix", FINESS, "--json"))["flows"]
    guest = next(f for f in flows if (f["source"], f["destination"]) == ("Invites", "Serveurs"))
    assert guest["services"] == "tcp/3389 (RDP)"  # the GUEST chain drops the rest before FORWARD#6's DNS
    assert guest["rules"] == {"fw-int FORWARD#2>GUEST#1": "tcp/3389 (RDP)"}
    csv_path = tmp_path / "matrix.csv"
    run("network", "matrix", FINESS, "--csv", str(csv_path))
    assert csv_path.read_text(encoding="utf-8").splitlines()[0] == "De;Vers;Services autorisés;Règles"

    assert "1 port(s) ouvert(s)" not in run("network", "exposure", FINESS, str(DATA / "outside.xml"))
    report = json.loads(run("network", "check", FINESS, "--json"))
    assert {v["rule"] for v in report["violations"]} == {"R01", "R02", "R09", "R11", "R20"}
    assert report["misplacements"] == []  # the zone file maps every subnet the rules name
    assert {(e["port"], e["severity"]) for e in report["exposures"]} == {
        ("tcp/3389", "critical"),
        ("tcp/443", "high"),
    }
    assert report["useless"] == [
        {
            "ruleset": "fw-int/FORWARD",
            "rule": "fw-int FORWARD#5",
            "kind": "shadowed",
            "by": ["fw-int FORWARD#4"],
        }
    ]
    out = run("network", "check", FINESS)
    assert "R09 Le Wi-Fi invités est isolé" in out and "FORWARD#2>GUEST#1" in out and "masquée" in out

    changed = tmp_path / "fw-int.rules"
    changed.write_text((DATA / "fw-int.rules").read_text().replace("--dports 80,443,3389", "--dports 80,443"))
    rows = json.loads(run("network", "diff", FINESS, str(changed), "--firewall", "fw-int", "--json"))
    assert [(r["source"], r["destination"], r["closed"], r["opened"]) for r in rows] == [
        ("Postes", "Serveurs", "tcp/3389 (RDP)", "")
    ]


def test_rejected_file_names_the_line(home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.rules"
    bad.write_text("*filter\n:FORWARD DROP [0:0]\n-A FORWARD -p tcp --dport 70000 -j ACCEPT\nCOMMIT\n")
    result = runner.invoke(app, ["network", "import", FINESS, str(bad), "--firewall", "x"])
    assert result.exit_code == 1
    assert "1 problème(s), rien importé" in result.output
    assert "bad.rules, line 3" in result.output


def test_a_file_naming_an_unknown_zone_is_refused_whole(home: Path, tmp_path: Path) -> None:
    """As on the web: the CLI loads through the same check, so the previous rules stay."""
    run("network", "zones", FINESS, str(DATA / "zones.yaml"))
    good = tmp_path / "flux.csv"
    good.write_text("source;destination;service;action\nPostes;Serveurs;HTTPS;allow\n", encoding="utf-8")
    run("network", "import", FINESS, str(good), "--firewall", "matrice")
    bad = tmp_path / "flux-faux.csv"
    bad.write_text("source;destination;service;action\nNulle-part;Serveurs;RDP;allow\n", encoding="utf-8")
    refused = run("network", "import", FINESS, str(bad), "--firewall", "matrice", code=1)
    assert "flux-faux.csv" in refused and "Nulle-part" in refused
    flows = json.loads(run("network", "matrix", FINESS, "--json"))["flows"]
    assert [(f["source"], f["destination"], f["services"]) for f in flows] == [
        ("Postes", "Serveurs", "tcp/443 (HTTPS)")
    ]
