"""`hygie report maturity` on an establishment assessed through the CLI."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader
from typer.testing import CliRunner

from hygie.cli.main import app

runner = CliRunner()
FINESS = "750803447"


def _invoke(*args: str) -> str:
    outcome = runner.invoke(app, list(args))
    assert outcome.exit_code == 0, outcome.output
    return outcome.output


def test_report_from_a_short_assessment(hygie_home: Path, tmp_path: Path) -> None:
    _invoke("establishments", "add", "--name", "Clinique du Parc", "--finess", FINESS, "--kind", "clinic",
            "--staff", "120", "--budget", "14000000", "--it-budget", "300000")  # fmt: skip
    _invoke("assess", "start", FINESS, "--path", "short", "--date", "2026-10-01")
    for control, level in (("CON-BACKUP-OFFLINE", "1"), ("TEC-PATCH", "2"), ("TEC-MFA", "0")):
        _invoke("assess", "answer", FINESS, control, "--level", level)
    pdf, html = tmp_path / "r.pdf", tmp_path / "r.html"
    output = _invoke(
        "report", "maturity", FINESS, "--pdf", str(pdf), "--html", str(html), "--budget", "20000"
    )
    assert str(pdf) in output.replace("\n", "")
    text = PdfReader(pdf).pages[0].extract_text()
    assert "Clinique du Parc" in text
    page = html.read_text(encoding="utf-8")
    assert "Clinique du Parc" in page and "Authentification multifacteur" in page
    english = _invoke("report", "maturity", FINESS, "--html", str(tmp_path / "en.html"), "--lang", "en")
    assert "en.html" in english.replace("\n", "")  # a long path wraps at 80 columns
    assert "Multi-factor authentication" in (tmp_path / "en.html").read_text(encoding="utf-8")


def test_report_without_assessment_says_so(hygie_home: Path) -> None:
    _invoke("establishments", "add", "--name", "Clinique du Parc", "--finess", FINESS, "--kind", "clinic")
    outcome = runner.invoke(app, ["report", "maturity", FINESS])
    assert outcome.exit_code == 1
    assert "campaign" in outcome.output or "campagne" in outcome.output
