"""`hygie group`: list, show (tables and JSON) and the report files, on groups made with the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from pypdf import PdfReader
from typer.testing import CliRunner

from hygie.cli.main import app
from tests.factories import valid_finess

runner = CliRunner()


def _add(name: str, group: str, budget: int | None = None) -> None:
    args = [
        "establishments",
        "add",
        "--name",
        name,
        "--finess",
        valid_finess(),
        "--kind",
        "ch",
        "--group",
        group,
    ]
    if budget is not None:
        args += ["--security-budget", str(budget)]
    outcome = runner.invoke(app, args)
    assert outcome.exit_code == 0, outcome.output


def test_list_show_and_report(hygie_home: Path, tmp_path: Path) -> None:
    _add("CH Alpha", "GHT Nord", 120_000)
    _add("CH Bravo", "GHT Nord")
    _add("Clinique Zéphyr", "GHT Sud", 999_000)
    listed = json.loads(runner.invoke(app, ["group", "list", "--json"]).output)
    assert [(g["name"], g["establishments"]) for g in listed] == [("GHT Nord", 2), ("GHT Sud", 1)]
    table = runner.invoke(app, ["group", "list"])
    assert "GHT Nord" in table.output and "Établissements" in table.output

    shown = runner.invoke(app, ["group", "show", "GHT Nord", "--json"])
    assert shown.exit_code == 0, shown.output
    view = json.loads(shown.output)
    assert [c["name"] for c in view["establishments"]] == ["CH Alpha", "CH Bravo"]
    # Never assessed: no score, no median, and the budget of the one that gave it.
    assert view["global_median"] is None and all(m["median"] is None for m in view["medians"])
    assert view["budget"]["security_budgets"] == 120_000 and view["budget"]["unknown_budgets"] == ["CH Bravo"]
    text = runner.invoke(app, ["group", "show", str(view["id"]), "--lang", "en"]).output
    # The headers wrap between words to fit 80 columns ("CH" over "Bravo").
    header = text.split("─")[0].split()
    assert {"Alpha", "Bravo", "Group", "median"} <= set(header) and "Zéphyr" not in text

    pdf, html = tmp_path / "ght.pdf", tmp_path / "out" / "ght.html"
    made = runner.invoke(app, ["group", "report", "GHT Nord", "-o", str(pdf)])
    assert made.exit_code == 0, made.output
    pages = " ".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert "GHT Nord" in pages and "CH Alpha" in pages and "Zéphyr" not in pages
    made = runner.invoke(
        app, ["group", "report", "GHT Nord", "--format", "html", "--lang", "en", "-o", str(html)]
    )
    assert made.exit_code == 0, made.output
    assert '<html lang="en">' in html.read_text(encoding="utf-8")


def test_an_unknown_group_is_one_clear_line(hygie_home: Path) -> None:
    outcome = runner.invoke(app, ["group", "show", "GHT Inconnu"])
    assert outcome.exit_code == 1
    assert "no group matches 'GHT Inconnu' (id or name)" in " ".join(outcome.output.split())


def test_shared_weaknesses_name_the_establishments_briefly() -> None:
    from types import SimpleNamespace
    from typing import Any, cast

    from hygie.group.cli import _who, short_name

    view = cast(Any, SimpleNamespace(establishments=[1, 2, 3]))
    everywhere = cast(Any, SimpleNamespace(establishment_ids=[1, 2, 3], establishments=["a", "b", "c"]))
    assert _who(everywhere, view, "fr") == "Tous" and _who(everywhere, view, "en") == "All of them"
    names = ["Centre hospitalier universitaire d'Aurèle", "Centre hospitalier du Val-d'Aurèle"]
    two = cast(Any, SimpleNamespace(establishment_ids=[1, 3], establishments=names))
    assert _who(two, view, "fr") == "CHU d'Aurèle, CH du Val-d'Aurèle"
    assert short_name("Clinique Saint-Jean") == "Clinique Saint-Jean"
