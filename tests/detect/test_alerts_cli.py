"""``hygie detect run`` and ``hygie alerts``: the whole path from EVTX files to an incident."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hygie.cli.main import app
from tests.detect.alerts_data import HACKTOOL, evtx_files, rules_folder

runner = CliRunner()


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_detect_triage_escalate(hygie_home: Path, tmp_path: Path) -> None:
    _ok(["establishments", "add", "--name", "CH Exemple", "--finess", "750803447", "--kind", "ch", "--json"])
    _ok(["logs", "ingest", "750803447", *map(str, evtx_files()), "--json"])
    _ok(["rules", "import", str(rules_folder(tmp_path / "rules")), "--json"])
    report = json.loads(_ok(["detect", "run", "750803447", "--json"]))
    # The imported rules' 9 hits, and Hygie's own "Memory of LSASS opened for reading" on the mimikatz sample.
    assert (report["hits"], report["created"], report["updated"]) == (10, 5, 0)
    assert json.loads(_ok(["detect", "run", "750803447", "--json"]))["created"] == 0
    printed = " ".join(_ok(["detect", "run", "750803447", "--only", "sigma"]).split())
    assert "10 correspondances, 0 nouvelle alerte, 0 alerte mise à jour" in printed, printed

    listed = json.loads(_ok(["alerts", "list", "750803447", "--level", "high", "--json"]))
    assert len(listed) == 4
    table = _ok(["alerts", "list", "750803447", "--level", "high"])
    assert "élevé" in table and "nouvelle" in table and "high" not in table  # levels and statuses in French
    assert "high" in _ok(["alerts", "list", "750803447", "--level", "high", "--lang", "en"])
    alert = next(a for a in listed if a["rule_id"] == HACKTOOL)
    shown = json.loads(_ok(["alerts", "show", "750803447", str(alert["id"]), "--json"]))
    assert shown["techniques"] == ["T1003.001"]
    assert [e["event_code"] for e in shown["events"]] == [10]
    assert "HackTool" in _ok(["alerts", "show", "750803447", str(alert["id"]), "--lang", "en"])

    refused = runner.invoke(app, ["alerts", "escalate", "750803447", str(alert["id"])])
    assert refused.exit_code != 0
    _ok(
        ["alerts", "triage", "750803447", str(alert["id"]), "--status", "true_positive", "--note", "confirmé"]
    )
    escalated = json.loads(_ok(["alerts", "escalate", "750803447", str(alert["id"]), "--json"]))
    assert escalated["alert_refs"] == [f"hygie-alert-{alert['id']}"]
    confirmed = json.loads(_ok(["alerts", "list", "750803447", "--status", "true_positive", "--json"]))
    assert [(a["id"], a["case_id"], a["note"]) for a in confirmed] == [
        (alert["id"], escalated["case_id"], "confirmé")
    ]
