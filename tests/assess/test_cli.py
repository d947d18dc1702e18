"""``hygie assess`` end to end on the embedded database, with the small library of ``builders``."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from hygie.assess import cli as assess_cli
from hygie.assess import xlsx
from hygie.cli.main import app
from tests.assess.builders import library

runner = CliRunner()
LIB = library()
FINESS = "750803447"


@pytest.fixture
def home(hygie_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(assess_cli, "_library", lambda: LIB)
    result = runner.invoke(
        app,
        ["establishments", "add", "--name", "CH Test", "--finess", FINESS, "--kind", "ch", "--staff", "900"],
    )
    assert result.exit_code == 0, result.output
    return hygie_home


def run(*args: str, input: str | None = None, code: int = 0) -> str:
    result = runner.invoke(app, list(args), input=input)
    assert result.exit_code == code, result.output
    return result.output


def test_start_answer_score_json(home: Path, tmp_path: Path) -> None:
    started = json.loads(run("assess", "start", FINESS, "--date", "2025-03-01", "--json"))
    assert (started["path"], started["controls"], started["status"]) == ("full", 8, "open")  # 900 staff: full
    run("assess", "answer", FINESS, "GOV-A", "--level", "2", "--by", "alice")
    proof = tmp_path / "pssi.pdf"
    proof.write_bytes(b"%PDF proof")
    out = json.loads(
        run(
            "assess", "answer", FINESS, "gov-b", "--alternative", "--justification", "EDR managé",
            "--evidence", str(proof), "--evidence", "https://intranet.example/pssi", "--json",
        )
    )  # fmt: skip
    assert out["status"] == "alternative" and [e["kind"] for e in out["evidence"]] == ["file", "link"]
    assert (home / "evidence" / str(started["establishment_id"]) / out["evidence"][0]["sha256"]).is_file()
    # a missing justification is refused with a clear message and exit 1
    refused = run("assess", "answer", FINESS, "TEC-B", "--na", code=1)
    assert "justification" in refused
    assert "exactly one" in run("assess", "answer", FINESS, "TEC-B", "--level", "1", "--unknown", code=2)
    score = json.loads(run("assess", "score", FINESS, "--json"))
    dims = {d["dimension"]: d for d in score["dimensions"]}
    assert dims["governance"]["score"] == pytest.approx(100 * 8 / 15)  # (2x2 + 1x4) / 15
    assert score["completion"] == pytest.approx(25.0) and score["answered"] == 2
    table = run("assess", "score", FINESS, "--lang", "en")
    assert "Global index" in table and "REF-ONE" in table and "Completion" in table


def test_interactive_run_is_resumable(home: Path) -> None:
    run("assess", "start", FINESS, "--path", "short", "--date", "2025-03-01")
    # short path: TEC-A, GOV-A, CON-A. A wrong key is asked again; skip TEC-A; N/A needs a justification.
    output = run("assess", "run", FINESS, "--by", "alice", input="x\ns\nn\n\nhors périmètre\nq\n")
    assert "1/3" in output and "TEC-A" in output and "0 absent" in output and "Cible" in output
    answers = json.loads(run("assess", "score", FINESS, "--json"))
    assert answers["answered"] == 1
    # the second run resumes at the first unanswered control, TEC-A (skipped), and is cut off (end of
    # input) at CON-A: the answer given before the interruption is kept
    result = runner.invoke(app, ["assess", "run", FINESS, "--lang", "en"], input="4\n")
    assert result.exit_code != 0 and "TEC-A" in result.output and "GOV-A" not in result.output
    assert json.loads(run("assess", "score", FINESS, "--json"))["answered"] == 2
    output = run("assess", "run", FINESS, "--lang", "en", input="?\n")
    assert "3/3" in output and "CON-A" in output and "TEC-A" not in output
    score = json.loads(run("assess", "score", FINESS, "--json"))
    assert score["completion"] == 100.0 and score["knowledge_gaps"] == ["CON-A"]
    assert score["levels"] == {"TEC-A": 4}
    assert "Every question is answered" in run("assess", "run", FINESS, "--lang", "en")


def test_export_import_compare_list(home: Path, tmp_path: Path) -> None:
    first = json.loads(run("assess", "start", FINESS, "--date", "2024-03-01", "--json"))
    run("assess", "answer", FINESS, "CON-A", "--level", "1")
    second = json.loads(run("assess", "start", FINESS, "--date", "2025-03-01", "--from-previous", "--json"))
    assert second["copied_answers"] == 1
    book = tmp_path / "q.xlsx"
    run("assess", "export", FINESS, "--xlsx", str(book))
    workbook = openpyxl.load_workbook(book)
    sheet = workbook[xlsx.SHEET]
    rows = {sheet[f"A{r}"].value: r for r in range(2, sheet.max_row + 1)}
    sheet[f"F{rows['CON-A']}"] = 4
    sheet[f"E{rows['TEC-B']}"] = "non applicable"  # no justification: the whole file is refused
    sheet[f"F{rows['GOV-A']}"] = 9
    workbook.save(book)
    refused = run("assess", "import", FINESS, "--xlsx", str(book), code=1)
    assert f"Questionnaire!G{rows['TEC-B']}" in refused and f"Questionnaire!F{rows['GOV-A']}" in refused
    assert "nothing imported" in refused
    sheet[f"G{rows['TEC-B']}"] = "pas de Wi-Fi"
    sheet[f"F{rows['GOV-A']}"] = 3
    workbook.save(book)
    imported = json.loads(run("assess", "import", FINESS, "--xlsx", str(book), "--json"))
    assert imported["recorded"] == 3
    diff = json.loads(run("assess", "compare", FINESS, "--json"))
    assert (diff["from"], diff["to"]) == (first["id"], second["id"])
    assert [(c["control_id"], c["before"], c["after"]) for c in diff["raised"]] == [("CON-A", 1, 4)]
    listed = json.loads(run("assess", "list", FINESS, "--json"))
    assert [c["id"] for c in listed] == [second["id"], first["id"]]
    assert listed[0]["answered"] == 3
    table = run("assess", "compare", FINESS, "--from", str(first["id"]), "--to", str(second["id"]))
    assert "CON-A 1→4" in table
    assert "no campaign 999" in run("assess", "score", FINESS, "--campaign", "999", code=1)


def test_score_with_evidence_shows_declared_and_measured_and_records_the_gap(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import date

    from hygie.assess import evidence
    from hygie.frameworks.schema import Text

    measured = {
        "CON-A": evidence.MeasuredLevel(
            "CON-A", 1, Text(fr="1/3 restaurées", en="1/3 restored"), "continuity", date(2026, 11, 1)
        ),
        "TEC-A": evidence.MeasuredLevel(
            "TEC-A", 4, Text(fr="tout", en="all"), "continuity", date(2026, 11, 1)
        ),
    }
    monkeypatch.setattr(
        evidence, "measured_levels", lambda session, establishment_id, on=None, library=None: measured
    )
    run("assess", "start", FINESS, "--date", "2025-03-01")
    run("assess", "answer", FINESS, "CON-A", "--level", "3", "--by", "alice")
    out = json.loads(run("assess", "score", FINESS, "--evidence", "--json"))
    rows = {r["control_id"]: r for r in out["evidence"]}
    assert (rows["CON-A"]["declared"], rows["CON-A"]["measured"], rows["CON-A"]["gap"]) == (3, 1, True)
    assert (rows["TEC-A"]["declared"], rows["TEC-A"]["gap"]) == (None, False)
    assert out["score"]["answered"] == 1  # the index itself is unchanged
    table = run("assess", "score", FINESS, "--evidence", "--lang", "en")
    assert "Declared and measured" in table and "1/3 restored" in table
    assert "measured index" in table
    findings = run("plan", "findings", FINESS, "--json")
    assert "evidence:CON-A" in findings
