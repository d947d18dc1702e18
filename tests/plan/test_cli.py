from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hygie.cli.main import app

runner = CliRunner()


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_plan_commands_end_to_end(hygie_home: Path, tmp_path: Path) -> None:
    run(
        "establishments", "add", "--name", "CH Test", "--finess", "750803447", "--kind", "ch",
        "--staff", "900", "--it-budget", "3000000",
    )  # fmt: skip
    levels = tmp_path / "levels.yaml"
    levels.write_text(
        "TEC-PATCH: 1\nTEC-MFA: 0\nCON-BACKUP-OFFLINE: 0\nCON-BACKUP-POLICY: 1\n"
        "CON-RESTORE-TEST: 0\nAWA-PHISHING: null\nGOV-PSSI: 3\n",
        encoding="utf-8",
    )
    findings = json.loads(run("plan", "findings", "750803447", "--levels", str(levels), "--json"))
    keys = {f["key"] for f in findings}
    assert "control:TEC-PATCH" in keys and "control:AWA-PHISHING" in keys

    candidates = json.loads(run("plan", "candidates", "CH Test", "--levels", str(levels), "--json"))
    ids = [c["template"]["id"] for c in candidates]
    assert "ACT-BACKUP-OFFLINE" in ids and "ACT-MFA-REMOTE" in ids
    assert [c["priority"]["rank"] for c in candidates] == list(range(1, len(candidates) + 1))
    assert any(c["priority"]["quick_win"] for c in candidates)

    optimise_args = ["plan", "optimise", "CH Test", "--budget", "150000", "--days", "200"]
    optimise_args += [
        "--compare-greedy",
        "--adopt",
        "--start",
        "2027-01-01",
        "--levels",
        str(levels),
        "--json",
    ]
    out = json.loads(run(*optimise_args))
    result = out["result"]
    assert result["total_cost"] <= 150_000 and result["total_days"] <= 200
    assert result["index_after"] > result["index_before"]
    assert out["greedy"]["objective"] <= result["objective"] + 1e-9
    assert all(a["quarter"].startswith("2027-") for a in out["adopted"])
    assert len(out["adopted"]) == len(result["chosen"])

    roadmap = json.loads(run("plan", "roadmap", "CH Test", "--json"))
    action = roadmap[0]
    done = json.loads(run("plan", "status", "CH Test", str(action["id"]), "done", "--json"))
    assert done["status"] == "done" and done["done_at"] is not None

    # Owner, due date and notes: changed as on the action's page, and audited the same way.
    other = roadmap[1]
    edit_args = ["plan", "edit", "CH Test", str(other["id"]), "--owner", "  Équipe réseau ", "--due"]
    edited = json.loads(
        run(*edit_args, "2027-09-30", "--notes", "Devis reçu", "--status", "in_progress", "--json")
    )
    assert (edited["owner"], edited["due_date"], edited["quarter"]) == (
        "Équipe réseau",
        "2027-09-30",
        "2027-Q3",
    )
    assert (edited["notes"], edited["status"]) == ("Devis reçu", "in_progress")
    assert "rien à changer" in run("plan", "edit", "CH Test", str(other["id"]), "--owner", "Équipe réseau")
    refused = runner.invoke(
        app, ["plan", "edit", "CH Test", str(other["id"]), "--owner", " ", "--due", "2020-01-01"]
    )
    assert refused.exit_code == 1
    assert (
        "owner: Give the owner" in refused.output
        and "due_date: The due date cannot be in the past" in refused.output
    )
    bad_date = runner.invoke(app, ["plan", "edit", "CH Test", str(other["id"]), "--due", "30/09/2027"])
    assert bad_date.exit_code == 2 and "--due" in bad_date.output
    after = json.loads(run("plan", "roadmap", "CH Test", "--json"))
    assert (
        next(a for a in after if a["id"] == other["id"])["owner"] == "Équipe réseau"
    )  # the refused edit changed nothing
    trail = json.loads(run("audit", "list", "--limit", "3", "--json"))  # newest first
    assert [(e["action"], e["actor"].startswith("cli:")) for e in trail[:2]] == [
        ("plan_action.update", True),  # the edit (status, owner, due date and notes at once)
        ("plan_action.status", True),  # `plan status … done`
    ]
    assert trail[0]["details"]["owner"]["to"] == "Équipe réseau"
    shown = run(
        "plan", "edit", "CH Test", str(other["id"]), "--notes", "[urgent] rappeler [/] le prestataire"
    )
    assert "[urgent] rappeler [/] le prestataire" in shown  # typed text, not markup

    text = run("plan", "budget", "CH Test")
    assert "recommandation nationale" in text or "fourchette nationale" in text


def test_without_levels_the_cli_points_to_the_assessment(hygie_home: Path) -> None:
    run("establishments", "add", "--name", "CH Test", "--finess", "750803447", "--kind", "ch")
    result = runner.invoke(app, ["plan", "candidates", "CH Test"])
    assert result.exit_code == 1
    assert "assessment" in result.output
    wrong = runner.invoke(app, ["plan", "status", "CH Test", "12345", "done"])
    assert wrong.exit_code == 1 and "no action 12345" in wrong.output
