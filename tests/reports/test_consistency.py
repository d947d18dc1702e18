"""One index everywhere: `assess score`, `plan optimise` and the report agree; a done action moves them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hygie.cli.main import app

runner = CliRunner()
FINESS = "750803447"


def _json(*args: str) -> dict[str, object]:
    outcome = runner.invoke(app, [*args, "--json"])
    assert outcome.exit_code == 0, outcome.output
    loaded = json.loads(outcome.output)
    assert isinstance(loaded, dict)
    return loaded


def _run(*args: str) -> None:
    outcome = runner.invoke(app, list(args))
    assert outcome.exit_code == 0, outcome.output


@pytest.fixture
def clinic(hygie_home: Path) -> str:
    """A clinic assessed today on the short path, with an alternative measure among its answers."""
    _run("establishments", "add", "--name", "Clinique du Parc", "--finess", FINESS, "--kind", "clinic",
         "--staff", "120", "--budget", "14000000", "--it-budget", "300000")  # fmt: skip
    _run("assess", "start", FINESS, "--path", "short")
    for control, level in (
        ("CON-BACKUP-OFFLINE", "1"),
        ("TEC-PATCH", "2"),
        ("TEC-MFA", "0"),
        ("AWA-PHISHING", "1"),
    ):
        _run("assess", "answer", FINESS, control, "--level", level)
    _run("assess", "answer", FINESS, "INC-PROCEDURE", "--alternative", "--justification", "Procédure du GHT")
    return FINESS


def test_the_plan_and_the_report_tell_the_same_numbers(clinic: str, tmp_path: Path) -> None:
    score = _json("assess", "score", clinic)
    plan = _json("plan", "optimise", clinic, "--budget", "20000", "--days", "40")["result"]
    assert isinstance(plan, dict)
    report = _json(
        "report", "maturity", clinic, "--budget", "20000", "--days", "40", "--html", str(tmp_path / "r")
    )
    body = report["report"]
    assert isinstance(body, dict) and isinstance(body["plan"], dict)
    assert plan["index_before"] == pytest.approx(score["global_index"])
    assert body["global_index"] == pytest.approx(score["global_index"])
    assert body["plan"]["index_after"] == pytest.approx(plan["index_after"])
    assert body["plan"]["total_cost"] == plan["total_cost"]
    # A dimension with nothing scored is shown as such, not as 0.
    scored = {d["dimension"]: d["score"] for d in body["dimensions"]}
    assert {d["dimension"]: d["score"] for d in score["dimensions"]} == scored


def test_an_action_done_today_moves_every_score(clinic: str, tmp_path: Path) -> None:
    before = _json("assess", "score", clinic)["global_index"]
    adopted = _json("plan", "optimise", clinic, "--budget", "20000", "--days", "40", "--adopt")
    assert isinstance(adopted["result"], dict) and adopted["result"]["chosen"]
    roadmap = runner.invoke(app, ["plan", "roadmap", clinic, "--json"])
    first = json.loads(roadmap.output)[0]
    _run("plan", "status", clinic, str(first["id"]), "done")
    after = _json("assess", "score", clinic)["global_index"]
    declared = _json("assess", "score", clinic, "--declared")["global_index"]
    assert isinstance(before, float) and isinstance(after, float)
    assert after > before == pytest.approx(declared)
    report = _json("report", "maturity", clinic, "--html", str(tmp_path / "r"))["report"]
    assert isinstance(report, dict)
    assert report["global_index"] == pytest.approx(after)
    assert report["plan"]["adopted"] and report["plan"]["done"] == 1
