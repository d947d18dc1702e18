"""``hygie detect coverage``: Hygie's own rules against a store holding Security events only; the table by
tactic, the JSON, the findings of the plan; ``hygie detect run`` refreshes them too."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from hygie.cli.main import app
from hygie.core.settings import get_settings
from hygie.detect.events import Event, EventWriter

runner = CliRunner()
KEY = "750803447"
PSEXEC_SERVICE = "f4652382-32e2-5cb3-82f9-8bc3cb5f4f47"  # Hygie's own rules/psexec_service.yml


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.output


def _security_events(establishment_id: int) -> None:
    """One process creation (4688) and one logon (4624), on 20 November 2026: no Sysmon, no System log."""
    ts = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    with EventWriter(get_settings(), establishment_id, "evtx", "c0ffee" * 10, "security.evtx") as writer:
        for index, code in enumerate((4688, 4624)):
            fields = {"EventID": str(code), "Channel": "Security", "CommandLine": "whoami"}
            writer.add(Event(ts, "SRV-DPI", "Security", "Microsoft-Windows-Security-Auditing", code, index,
                             "jdupont", "{}", fields, index, index))  # fmt: skip


def test_cli_coverage_table_json_and_findings(hygie_home: Path) -> None:
    added = json.loads(
        _ok(["establishments", "add", "--name", "CH Exemple", "--finess", KEY, "--kind", "ch", "--json"])
    )
    _security_events(added["id"])

    data = json.loads(_ok(["detect", "coverage", KEY, "--at", "2026-11-22", "--json", "--lang", "en"]))
    assert (data["on"], data["days"]) == ("2026-11-22", 30)
    techniques = {t["id"]: t for tactic in data["tactics"] for t in tactic["techniques"]}
    assert len(techniques) == 31
    status = {k: t["status"] for k, t in techniques.items()}
    # Process creation read from 4688: the shadow-copy and credential-dump rules see their logs.
    assert status["T1490"] == status["T1003.001"] == status["T1489"] == "covered"
    # The Security channel is sent: the RDP-from-outside rule and the logon detectors see it.
    assert status["T1133"] == status["T1021.001"] == status["T1078"] == status["T1110"] == "covered"
    # The PsExec service rule reads the System log, not sent.
    assert status["T1021.002"] == status["T1569.002"] == "rule_without_logs"
    lateral = techniques["T1021.002"]
    assert [r["id"] for r in lateral["rules"]] == [PSEXEC_SERVICE]
    assert [s["source"] for s in lateral["to_send"]] == ["windows/system"]
    assert lateral["advice"] == "send windows/system"
    assert status["T1566"] == status["T1486"] == "rule_without_logs"  # no mail, no file events
    assert status["T1047"] == "no_rule"
    assert data["counts"] == {"covered": 7, "rule_without_logs": 4, "no_rule": 20}
    covered = sorted(t["id"] for t in techniques.values() if t["status"] == "covered")
    assert covered == ["T1003.001", "T1021.001", "T1078", "T1110", "T1133", "T1489", "T1490"]
    # Weights critical 4, high 3, medium 2: 5 critical and 2 high covered (26) out of 11 critical, 11 high
    # and 9 medium (95).
    assert sum(t["weight"] for t in techniques.values()) == 95
    assert data["share"] == round(26 / 95, 4) == 0.2737
    # Critical first, missing logs before missing rules; then the high ones.
    assert data["gaps"][:7] == ["T1021.002", "T1486", "T1566", "T1003.003", "T1190", "T1562.001", "T1569.002"]

    listed = runner.invoke(app, ["plan", "findings", KEY, "--json"])  # warns on stderr: no assessment yet
    assert listed.exit_code == 0, listed.output
    findings = json.loads(listed.stdout)
    keys = {f["key"] for f in findings if f["source"] == "detection"}
    assert keys == {f"coverage:{g}" for g in data["gaps"]}
    smb = next(f for f in findings if f["key"] == "coverage:T1021.002")
    assert smb["severity"] == "critical" and smb["control_ids"] == ["INC-DETECT", "TEC-LOGS"]

    table = _ok(["detect", "coverage", KEY, "--at", "2026-11-22", "--lang", "en"])
    flat = " ".join(table.split())
    assert "ATT&CK coverage" in flat and "Initial access" in flat and "rule but no logs" in flat
    assert "gaps in the plan" in flat
    french = " ".join(_ok(["detect", "coverage", KEY, "--at", "2026-11-22"]).split())
    assert "Accès initial" in french and "règle sans journaux" in french
    assert "envoyer" in french and "windows/system" in french and "T1021.002 Partages" in french

    # The detection run refreshes the coverage too (here as of 2026-11-22, the logs' week).
    run = json.loads(_ok(["detect", "run", KEY, "--at", "2026-11-22T12:00:00", "--json"]))
    assert run["coverage"] == {"share": data["share"], "gaps": data["gaps"]}
    # Disabling the PsExec rule leaves T1021.002 without any rule.
    _ok(["rules", "disable", KEY, PSEXEC_SERVICE])
    after = json.loads(_ok(["detect", "coverage", KEY, "--at", "2026-11-22", "--json"]))
    smb_after = next(t for tactic in after["tactics"] for t in tactic["techniques"] if t["id"] == "T1021.002")
    assert smb_after["status"] == "no_rule" and smb_after["disabled_rules"] == [PSEXEC_SERVICE]


def test_cli_coverage_refuses_a_bad_day(hygie_home: Path) -> None:
    _ok(["establishments", "add", "--name", "CH Exemple", "--finess", KEY, "--kind", "ch", "--json"])
    result = runner.invoke(app, ["detect", "coverage", KEY, "--at", "22/11/2026"])
    assert result.exit_code != 0 and "--at" in result.output
