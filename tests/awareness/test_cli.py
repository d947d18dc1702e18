"""``hygie awareness`` end to end on the embedded database."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from hygie.awareness import cli as awareness_cli
from hygie.awareness.gophish_api import GophishClient
from hygie.cli.common import console
from hygie.cli.main import app
from tests.awareness.test_gophish import RESULTS
from tests.awareness.test_gophish_api import server

runner = CliRunner()
FINESS = "750803447"
TRAININGS = (
    "Date;Thème;Modalité;Service;Catégorie;Inscrits;Formés\n"
    "2026-03-12;Hameçonnage;présentiel;Urgences;soignants;20;15\n"
    "2026-04-02;Mots de passe;e-learning;DSI;technique;8;2\n"
)


@pytest.fixture
def home(hygie_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(console, "width", 200)
    result = runner.invoke(
        app, ["establishments", "add", "--name", "CH Test", "--finess", FINESS, "--kind", "ch"]
    )
    assert result.exit_code == 0, result.output
    return hygie_home


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_trainings(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "formations.csv"
    path.write_text(TRAININGS, encoding="utf-8")
    out = run("awareness", "trainings", "import", FINESS, str(path))
    assert "2 session(s), 17 ayant terminé sur 28 invités" in out
    run(
        "awareness", "trainings", "add", FINESS, "--date", "2026-05-01", "--topic", "Phishing",
        "--format", "webinar", "--department", "Bloc opératoire", "--category", "medical",
        "--invited", "10", "--completed", "10",
    )  # fmt: skip
    listed = json.loads(run("awareness", "trainings", "list", FINESS, "--json"))
    assert [(t["department"], t["completed"]) for t in listed] == [
        ("Bloc opératoire", 10),
        ("DSI", 2),
        ("Urgences", 15),
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text(TRAININGS.replace(";20;15", ";20;25"), encoding="utf-8")
    result = runner.invoke(app, ["awareness", "trainings", "import", FINESS, str(bad)])
    assert result.exit_code == 1
    assert "bad.csv, line 2, Formés" in result.output


def test_phishing_csv_then_rates(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "Colis en attente - Results.csv"
    path.write_text(RESULTS, encoding="utf-8")
    out = run("awareness", "phishing", "import", FINESS, str(path))
    assert "Colis en attente (2026-03-10)" in out and "Urgences" in out
    assert "ana@ch.fr" not in out
    campaigns = json.loads(run("awareness", "phishing", "list", FINESS, "--json"))
    assert [(c["name"], c["totals"]["recipients"], c["totals"]["sent"]) for c in campaigns] == [
        ("Colis en attente", 7, 6)
    ]
    view = json.loads(run("awareness", "phishing", "rates", FINESS, "--json"))
    urgences = next(d for d in view["departments"] if d["department"] == "Urgences")
    assert urgences["click_rate"] == 50.0 and urgences["report_rate"] == 25.0
    assert "Urgences" in run("awareness", "phishing", "rates", FINESS)


def test_import_from_gophish_api(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[httpx.Request] = []
    monkeypatch.setattr(
        awareness_cli, "GophishClient", functools.partial(GophishClient, transport=server(seen))
    )
    monkeypatch.setenv("HYGIE_GOPHISH_API_KEY", "secret-key")
    out = run("awareness", "phishing", "import-gophish", FINESS, "--url", "https://gophish:3333", "--json")
    imported = json.loads(out)
    assert [(c["name"], c["gophish_id"], c["source"]) for c in imported] == [
        ("Colis en attente", 4, "gophish_api")
    ]
    assert [r.url.path for r in seen] == ["/api/campaigns/", "/api/campaigns/4/results"]
    monkeypatch.setenv("HYGIE_GOPHISH_API_KEY", "wrong")
    result = runner.invoke(app, ["awareness", "phishing", "import-gophish", FINESS, "--url", "https://g"])
    assert result.exit_code == 1 and "refused the API key" in result.output


def test_a_cli_write_refreshes_the_evidence_gaps(home: Path) -> None:
    """As through the API and the pages: a declared AWA-IT-STAFF of 5 that the trainings do not bear out."""
    run("assess", "start", FINESS, "--date", "2026-10-01", "--path", "full")
    run("assess", "answer", FINESS, "AWA-IT-STAFF", "--level", "5", "--by", "rssi")

    def evidence_gaps() -> list[str]:
        rows = json.loads(run("plan", "findings", FINESS, "--json"))
        return [f["key"] for f in rows if f["source"] == "evidence"]

    assert evidence_gaps() == []
    # 2 of the 10 technical staff trained this year: far below the declared level.
    run("awareness", "trainings", "add", FINESS, "--date", "2026-09-15", "--topic", "Hameçonnage",
        "--format", "classroom", "--department", "DSI", "--category", "technical",
        "--invited", "10", "--completed", "2")  # fmt: skip
    assert evidence_gaps() == ["evidence:AWA-IT-STAFF"]
