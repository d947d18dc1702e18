"""``hygie incidents`` end to end on the embedded database."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from typer.testing import CliRunner

from hygie.cli.main import app
from hygie.core.time import today

runner = CliRunner()


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_incident_commands_end_to_end(hygie_home: Path, tmp_path: Path) -> None:
    run(
        "establishments", "add", "--name", "CH Test", "--finess", "750803447", "--kind", "ch",
        "--staff", "900", "--it-budget", "3000000",
    )  # fmt: skip
    opened = json.loads(
        run(
            "incidents",
            "open",
            "750803447",
            "--title",
            "Hameçonnage de la messagerie",
            "--category",
            "phishing",
            "--severity",
            "high",
            "--detected",
            "2026-03-28T09:00",
            "--service",
            "admissions",
            "--json",
        )
    )
    number = str(opened["id"])
    assert opened["aware_at"] == "2026-03-28T08:00:00Z"  # 09:00 in Paris, winter time
    run("incidents", "update", "750803447", number, "--malicious", "yes", "--patient-data", "no")
    run("incidents", "indicator", "750803447", number, "phish.example[.]com", "--comment", "expéditeur")
    indicators = json.loads(run("incidents", "indicator", "750803447", number, "--json"))
    assert [(i["kind"], i["value"]) for i in indicators] == [("domain", "phish.example.com")]
    run("incidents", "timeline", "750803447", number, "--add", "Comptes réinitialisés", "--kind", "action",
        "--at", "2026-03-28T11:30")  # fmt: skip
    run("incidents", "clock", "750803447", number, "--sent", "nis2_early_warning", "--at", "2026-03-28T20:00",
        "--reference", "CERTFR-1")  # fmt: skip
    clocks = {c["kind"]: c for c in json.loads(run("incidents", "clock", "750803447", number, "--json"))}
    assert clocks["nis2_early_warning"]["status"] == "done"
    assert clocks["nis2_notification"]["deadline"] == "2026-03-31T08:00:00Z"
    assert clocks["nis2_notification"]["status"] == "overdue"
    assert clocks["cnil"]["status"] == "not_applicable"
    timeline = [e["text"] for e in json.loads(run("incidents", "timeline", "750803447", number, "--json"))]
    assert "Comptes réinitialisés" in timeline
    assert "Déclaration envoyée : nis2_early_warning (réf. CERTFR-1)" in timeline
    text = run("incidents", "draft", "750803447", number, "nis2_notification")
    assert "Hameçonnage de la messagerie" in text and "phish.example.com" in text
    pdf = tmp_path / "notification.pdf"
    run("incidents", "draft", "750803447", number, "cert_sante", "-o", str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF")
    evidence = tmp_path / "mail.eml"
    evidence.write_bytes(b"From: phish@example.com\n")
    assert "SHA-256" in run("incidents", "evidence", "750803447", number, str(evidence))
    run("incidents", "close", "750803447", number)
    due = (today() + timedelta(days=60)).isoformat()
    run("incidents", "review", "750803447", number, "--what-happened", "Hameçonnage ciblé",
        "--conclusion", "Former l'accueil", "--owner", "RSSI", "--due", due,
        "--control", "AWA-PHISHING")  # fmt: skip
    listed = json.loads(run("incidents", "list", "750803447", "--json"))
    assert [(c["title"], c["status"]) for c in listed] == [("Hameçonnage de la messagerie", "closed")]
    exported = json.loads(run("incidents", "export", "750803447", number))
    assert exported["case"]["review_what_happened"] == "Hameçonnage ciblé"
    [conclusion] = exported["case"]["conclusions"]
    assert conclusion["plan_action_id"] is not None and conclusion["control_ids"] == ["AWA-PHISHING"]
    assert exported["reports_sent"] == {"nis2_early_warning": "2026-03-28T19:00:00Z"}


def test_another_establishments_incident_is_not_found(hygie_home: Path) -> None:
    run("establishments", "add", "--name", "CH A", "--finess", "750803447", "--kind", "ch", "--staff", "900")
    run("establishments", "add", "--name", "CH B", "--finess", "750000135", "--kind", "ch", "--staff", "900")
    run("incidents", "open", "CH A", "--title", "x", "--category", "other", "--severity", "low")
    result = runner.invoke(app, ["incidents", "show", "CH B", "1"])
    assert result.exit_code == 1 and "no incident 1" in result.output


def test_export_and_import_indicators_from_the_command_line(hygie_home: Path, tmp_path: Path) -> None:
    run("establishments", "add", "--name", "CH Test", "--finess", "750803447", "--kind", "ch")
    first = json.loads(
        run(
            "incidents", "open", "750803447", "--title", "Hameçonnage", "--category", "phishing",
            "--severity", "high", "--detected", "2026-03-28T09:00", "--json",
        )
    )["id"]  # fmt: skip
    second = json.loads(
        run(
            "incidents", "open", "750803447", "--title", "Suite", "--category", "phishing",
            "--severity", "high", "--detected", "2026-03-29T09:00", "--json",
        )
    )["id"]  # fmt: skip
    run("incidents", "indicator", "750803447", str(first), "phish.example[.]com")
    run("incidents", "indicator", "750803447", str(first), "185.220.101.47")
    bundle = tmp_path / "bundle.json"
    run(
        "incidents",
        "export",
        "750803447",
        str(first),
        "--format",
        "stix",
        "--out",
        str(bundle),
        "--tlp",
        "green",
    )
    document = json.loads(bundle.read_text(encoding="utf-8"))
    assert document["type"] == "bundle"
    misp = json.loads(run("incidents", "export", "750803447", str(first), "--format", "misp"))
    assert [t["name"] for t in misp["Event"]["Tag"]] == ["tlp:amber"]
    out = run("incidents", "import-indicators", "750803447", str(second), str(bundle))
    assert "2 ajouté(s), 0 déjà présent(s), 0 non lu(s)" in out
    again = json.loads(run("incidents", "import-indicators", "750803447", str(second), str(bundle), "--json"))
    assert (again["added"], again["duplicates"]) == (0, 2)
    values = {
        i["value"] for i in json.loads(run("incidents", "indicator", "750803447", str(second), "--json"))
    }
    assert values == {"phish.example.com", "185.220.101.47"}
    hostile = tmp_path / "hostile.json"
    hostile.write_text('{"Event": []}', encoding="utf-8")
    refused = runner.invoke(app, ["incidents", "import-indicators", "750803447", str(second), str(hostile)])
    assert refused.exit_code == 1
    assert "hostile.json" in refused.output
