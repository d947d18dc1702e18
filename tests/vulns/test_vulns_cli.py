"""``hygie vulns`` end to end: scan, list with filters, explain in words, obsolete systems."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hygie.assets import service as assets_service
from hygie.cli.common import console
from hygie.cli.main import app
from hygie.core.db import get_engine, session_scope
from hygie.org import service as org_service
from hygie.vulns.feeds import service as feeds_service
from tests.vulns.test_service import MIRTH, PUMP, WORKSTATION, inventory

runner = CliRunner()
FINESS = "750803447"


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture
def home(hygie_home: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(console, "width", 220)
    run("establishments", "add", "--name", "CH Test", "--finess", FINESS, "--kind", "ch")
    with session_scope(get_engine()) as session:
        target = org_service.find_establishment(session, FINESS)
        inventory(session, target.id, MIRTH, PUMP, WORKSTATION)
    return hygie_home


def test_without_feeds_the_scan_says_what_to_do(home: Path) -> None:
    out = run("vulns", "scan", FINESS, code=1)
    assert "hygie feeds import" in " ".join(out.split())


def test_scan_list_explain_obsolete(home: Path, shared_data: Path) -> None:
    feeds_service.ingest(
        {
            "kev": [shared_data / "kev" / "known_exploited_vulnerabilities.json"],
            "nvd": sorted((shared_data / "nvd").glob("CVE-*.json")),
            "vulnrichment": [shared_data / "vulnrichment"],
            "eol": [shared_data / "endoflife" / "products"],
            "csaf": [shared_data / "csaf-icsma"],
        }
    )
    out = run("vulns", "scan", FINESS)
    assert "3 actif(s) vérifié(s)" in out and "Agir" in out

    act = json.loads(run("vulns", "list", FINESS, "--priority", "act", "--json"))
    assert {r["cve"] for r in act} == {"CVE-2023-43208", "CVE-2019-0708", "CVE-2021-44228"}
    assert all(r["priority"] == "act" for r in act)
    kev = json.loads(run("vulns", "list", FINESS, "--kev", "--json"))
    assert all(r["kev"] for r in kev) and "CVE-2021-44228" in {r["cve"] for r in kev}
    pump_id = next(a.id for a in _assets() if a.name == "pompe-rea-12")
    on_pump = json.loads(run("vulns", "list", FINESS, "--asset", str(pump_id), "--json"))
    assert on_pump and {r["asset"] for r in on_pump} == {"pompe-rea-12"}
    assert all(r["kind"] != "eol" for r in json.loads(run("vulns", "list", FINESS, "--json")))
    run("vulns", "list", FINESS, "--priority", "urgent", code=2)

    table = run("vulns", "list", FINESS)
    assert "CVE-2023-43208" in table and "mirth-01" in table

    mirth = next(r for r in act if r["cve"] == "CVE-2023-43208")
    words = run("vulns", "explain", FINESS, str(mirth["id"]))
    assert "Exploitation : active — catalogue KEV de la CISA" in words
    assert "Table de décision coordinateur de la CISA : Agir." in words
    assert "Appliquer le correctif" in words
    english = run("vulns", "explain", FINESS, str(mirth["id"]), "--lang", "en")
    assert "Exploitation: active — CISA KEV catalogue" in english

    review = next(r for r in on_pump if r["cve"] == "CVE-2022-26390")
    pump_words = run("vulns", "explain", FINESS, str(review["id"]))
    assert "Isoler l'appareil dans une zone réseau dédiée" in pump_words
    assert "Appliquer le correctif" not in pump_words

    obsolete = json.loads(run("vulns", "obsolete", FINESS, "--json"))
    assert [(r["asset"], r["eol_product"], r["eol_cycle"]) for r in obsolete] == [
        ("poste-w7", "windows", "7-sp1")
    ]
    assert "2020-01-14" in run("vulns", "obsolete", FINESS)
    run("vulns", "explain", FINESS, "999999", code=1)


def _assets() -> list[assets_service.Asset]:
    with session_scope(get_engine()) as session:
        target = org_service.find_establishment(session, FINESS)
        assets = assets_service.list_assets(session, target.id)
        session.expunge_all()
        return assets
