"""`hygie establishments`: clear errors, one JSON shape, words instead of codes."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hygie.cli.main import app

runner = CliRunner()


def test_add_update_show(hygie_home: Path) -> None:
    added = runner.invoke(app, ["establishments", "add", "--name", "Clinique", "--finess", "750803447",
                                "--kind", "clinic", "--json"])  # fmt: skip
    assert added.exit_code == 0, added.output
    first = json.loads(added.output)
    assert first["nis2"]["category"] == "out_of_scope" and first["staff"] == 0
    shown = runner.invoke(app, ["establishments", "show", "750803447"])
    assert "Clinique privée" in shown.output and "Hors champ" in shown.output
    assert "Effectif ou budget non renseigné" in " ".join(shown.output.split())
    updated = runner.invoke(app, ["establishments", "update", "750803447", "--staff", "320", "--json"])
    assert updated.exit_code == 0, updated.output
    after = json.loads(updated.output)
    assert after["staff"] == 320 and after["nis2"]["category"] == "essential"
    assert json.loads(runner.invoke(app, ["establishments", "show", "750803447", "--json"]).output) == after


def test_a_bad_finess_is_one_clear_line(hygie_home: Path) -> None:
    outcome = runner.invoke(
        app, ["establishments", "add", "--name", "X", "--finess", "750803448", "--kind", "ch"]
    )
    assert outcome.exit_code == 1
    text = " ".join(outcome.output.split())
    assert "--finess: the check digit" in text and "pydantic" not in text
