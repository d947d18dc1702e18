"""``hygie continuity``: a small establishment declared, scored and queried from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hygie.cli.main import app

runner = CliRunner()


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_continuity_commands_end_to_end(hygie_home: Path, tmp_path: Path) -> None:
    run("establishments", "add", "--name", "CH Test", "--finess", "750803447", "--kind", "ch")
    inventory = tmp_path / "inventaire.csv"
    inventory.write_text("Nom;Adresse IP;Type;Zone\nsrv-dpi;10.0.0.1;serveur;Serveurs\n", encoding="utf-8")
    run("assets", "import", "CH Test", str(inventory))
    asset_id = json.loads(run("assets", "list", "CH Test", "--json"))[0]["id"]

    run("continuity", "add-service", "CH Test", "Urgences", "--kind", "emergency", "--rto", "4", "--rpo", "1")
    run("continuity", "add-app", "CH Test", "DPI", "--kind", "patient_record", "--asset", str(asset_id))
    run("continuity", "depend", "CH Test", "DPI", "--service", "Urgences")
    run("continuity", "set-backup", "CH Test", "DPI", "--copies", "3", "--media", "disk", "--media", "tape",
        "--offsite", "1", "--immutable", "--job", "DPI - base")  # fmt: skip
    run("continuity", "restore-test", "CH Test", "DPI", "--hours", "6", "--on", "2026-10-01")

    impact = json.loads(run("continuity", "impact", "CH Test", "--zone", "serveurs", "--json"))
    assert impact["lost_applications"] == ["DPI"]
    assert [(s["name"], s["effect"], s["restore_hours"], s["verdict"]) for s in impact["services"]] == [
        ("Urgences", "stopped", 6.0, "over")
    ]
    # An attacker on the workstations reaches the servers through the one open flow: the DPI is lost.
    zones = tmp_path / "zones.yaml"
    zones.write_text(
        "zones:\n  - {name: Postes, kind: clinical_workstations, networks: [10.10.0.0/16]}\n"
        "  - {name: Serveurs, kind: servers, networks: [10.0.0.0/16]}\n",
        encoding="utf-8",
    )
    flows = tmp_path / "flux.csv"
    flows.write_text("source;destination;service;action\nPostes;Serveurs;HTTPS;allow\n", encoding="utf-8")
    run("network", "zones", "CH Test", str(zones))
    run("network", "import", "CH Test", str(flows), "--firewall", "matrice")
    attack = json.loads(run("continuity", "impact", "CH Test", "--attacker-zone", "Postes", "--json"))
    assert attack["reached_zones"] == [{"zone": "Postes", "hops": 0}, {"zone": "Serveurs", "hops": 1}]
    assert [s["name"] for s in attack["services"]] == ["Urgences"]
    shown = run("continuity", "impact", "CH Test", "--attacker-zone", "Postes")
    assert "Postes (0), Serveurs (1)" in shown and "Urgences" in shown
    serveurs = json.loads(run("continuity", "impact", "CH Test", "--attacker-zone", "Serveurs", "--json"))
    assert serveurs["reached_zones"] == [{"zone": "Serveurs", "hops": 0}] and serveurs[
        "lost_applications"
    ] == ["DPI"]
    services = json.loads(run("continuity", "services", "CH Test", "--json"))
    assert services[0]["verdict"] == "over"

    report = tmp_path / "veeam.csv"
    report.write_text(
        '"JobName","CreationTime","EndTime","Result"\n"DPI - base","2026-11-27 21:00:00","","Failed"\n',
        encoding="utf-8",
    )
    imported = json.loads(run("continuity", "import-backups", "CH Test", str(report), "--json"))
    assert (imported["created"], imported["unmatched_jobs"]) == (1, [])
    bad = tmp_path / "bad.csv"
    bad.write_text("job;started;result\nDPI;demain;ok\n", encoding="utf-8")
    assert "bad.csv, line 2, started" in run(
        "continuity", "import-backups", "CH Test", str(bad), code=1
    ).replace("\n", "")

    backups = json.loads(run("continuity", "backups", "CH Test", "--json"))
    policy = backups["policies"][0]
    assert policy["score"] == 4  # the last job failed: no zero errors
    assert {a["kind"] for a in backups["alarms"]} == {"job_failed"}
    assert "3-2-1-1-0" in run("continuity", "backups", "CH Test", "--lang", "en")

    run("continuity", "add-exercise", "CH Test", "Rançongiciel", "--kind", "table_top", "--on", "2026-06-01",
        "--scenario", "ransomware-patient-record", "--participant", "RSSI", "--crisis-cell")  # fmt: skip
    run(
        "continuity",
        "add-lesson",
        "CH Test",
        "1",
        "Imprimer les kits",
        "--control",
        "CON-DEGRADED",
        "--owner",
        "Cadre",
        "--due",
        "2099-01-01",
        code=1,
    )  # more than ten years away: refused
    exercises = json.loads(run("continuity", "exercises", "CH Test", "--json"))
    assert exercises["status"]["exercise_overdue"] is False
    assert len(json.loads(run("continuity", "scenarios", "--json"))) == 5
    keys = json.loads(run("continuity", "refresh", "CH Test", "--json"))
    assert "backup:1:0_errors" in keys and "exercise:none" not in keys


def test_a_cli_write_refreshes_the_evidence_gaps(hygie_home: Path) -> None:
    """As through the API and the pages: a declared CON-BIA of 5 that the facts do not bear out is a gap."""
    run("establishments", "add", "--name", "CH Test", "--finess", "750803447", "--kind", "ch")
    run("assess", "start", "CH Test", "--date", "2026-10-01", "--path", "full")
    run("assess", "answer", "CH Test", "CON-BIA", "--level", "5", "--by", "rssi")

    def evidence_gaps() -> list[str]:
        rows = json.loads(run("plan", "findings", "CH Test", "--json"))
        return [f["key"] for f in rows if f["source"] == "evidence"]

    assert evidence_gaps() == []
    # A service with neither dependency nor reviewed procedure: measured far below the declared 5.
    run("continuity", "add-service", "CH Test", "Urgences", "--kind", "emergency", "--rto", "4", "--rpo", "1")
    assert evidence_gaps() == ["evidence:CON-BIA"]
