"""``hygie rules tuning|exclude|exclude-entity|filter|disable|enable|level|untune`` and their effect on the
next run (Sigma rules and statistical detectors); ``hygie detect detectors``."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from hygie.cli.main import app
from hygie.core.settings import get_settings
from tests.detect.alerts_data import HACKTOOL, NAMED_PIPE, PSEXESVC, SUSP_PSEXEC, evtx_files, rules_folder
from tests.detect.detectors.helpers import at, event, write

runner = CliRunner()
KEY = "750803447"
LSASS_READ = "d52b10f2-c146-5945-bd9a-2d841539071c"  # Hygie's own rules/lsass_access.yml


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.output


def _alerts() -> dict[str, str]:
    return {a["rule_id"]: a["level"] for a in json.loads(_ok(["alerts", "list", KEY, "--json"]))}


def test_cli_tuning_changes_the_next_run(hygie_home: Path, tmp_path: Path) -> None:
    _ok(["establishments", "add", "--name", "CH Exemple", "--finess", KEY, "--kind", "ch", "--json"])
    _ok(["establishments", "add", "--name", "CH Autre", "--finess", "750712184", "--kind", "ch", "--json"])
    _ok(["logs", "ingest", KEY, *map(str, evtx_files()), "--json"])
    _ok(["rules", "import", str(rules_folder(tmp_path / "rules")), "--json"])
    assert "Aucun réglage" in _ok(["rules", "tuning", KEY])

    exclusion = json.loads(
        _ok(
            [
                "rules",
                "exclude",
                KEY,
                "--field",
                "Computer",
                "--value",
                "IEWIN7",
                "--rule",
                NAMED_PIPE,
                "--json",
            ]
        )
    )
    assert exclusion["kind"] == "filter" and "Computer: IEWIN7" in exclusion["filter_yaml"]
    disabled = json.loads(_ok(["rules", "disable", KEY, HACKTOOL, "--reason", "outil de l'équipe", "--json"]))
    _ok(["rules", "level", KEY, PSEXESVC, "critical"])
    listed = json.loads(_ok(["rules", "tuning", KEY, "--json"]))
    assert [(t["kind"], t["rule_id"], t["level"]) for t in listed] == [
        ("filter", NAMED_PIPE, None),
        ("disable", HACKTOOL, None),
        ("level", PSEXESVC, "critical"),
    ]
    assert "exclusion" in _ok(["rules", "tuning", KEY, "--lang", "en"])
    assert json.loads(_ok(["rules", "tuning", "750712184", "--json"])) == []

    report = json.loads(_ok(["detect", "run", KEY, "--json"]))
    # 3 PsExec on IEWIN7 + 1 PSEXESVC, and Hygie's own LSASS rule on the mimikatz sample (not tuned)
    assert (report["hits"], report["created"]) == (5, 3)
    assert _alerts() == {SUSP_PSEXEC: "high", PSEXESVC: "critical", LSASS_READ: "high"}

    _ok(["rules", "enable", KEY, HACKTOOL])
    assert runner.invoke(app, ["rules", "enable", KEY, HACKTOOL]).exit_code != 0
    _ok(["rules", "untune", KEY, str(exclusion["id"])])
    assert runner.invoke(app, ["rules", "untune", KEY, str(disabled["id"])]).exit_code != 0  # gone already
    assert json.loads(_ok(["detect", "run", KEY, "--json"]))["hits"] == 10
    assert set(_alerts()) == {NAMED_PIPE, SUSP_PSEXEC, HACKTOOL, PSEXESVC, LSASS_READ}


def test_cli_refuses_a_bad_filter_file_with_its_line(hygie_home: Path, tmp_path: Path) -> None:
    _ok(["establishments", "add", "--name", "CH Exemple", "--finess", KEY, "--kind", "ch", "--json"])
    bad = tmp_path / "admin.yml"
    bad.write_text(
        "title: poste admin\nlogsource:\n  product: windows\nfilter:\n  rules: any\n"
        "  sel:\n    Computer|nosuch: ADMIN\n  condition: not sel\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["rules", "filter", KEY, str(bad)])
    assert result.exit_code != 0
    # Rich wraps long paths anywhere: compare without the whitespace
    assert f"{bad},line7" in "".join(result.output.split())
    good = tmp_path / "good.yml"
    good.write_text(bad.read_text().replace("|nosuch", ""), encoding="utf-8")
    added = json.loads(_ok(["rules", "filter", KEY, str(good), "--json"]))
    assert (added["title"], added["rule_id"]) == ("poste admin", "any")


def test_cli_tunes_the_statistical_detectors(hygie_home: Path) -> None:
    created = json.loads(
        _ok(["establishments", "add", "--name", "CH Exemple", "--finess", KEY, "--kind", "ch", "--json"])
    )
    # Sunday 22 February, 11:00 in Paris: two accounts log on with privileges off hours on DC1
    privileged = [
        event(at(22, 10), host="DC1", channel="Security", code=4672, user=user)
        for user in ("adm-astreinte", "adm-jdupont")
    ]
    write(get_settings(), created["id"], "evtx", privileged)

    listed = json.loads(_ok(["detect", "detectors", "--json"]))
    assert {"id": "hygie-stat-offhours-admin", "title": "Connexion privilégiée hors des heures ouvrées",
            "level": "medium", "signal": "access"} in listed  # fmt: skip
    assert len(listed) == 11 and "hygie-stat-mass-file-writes" in _ok(["detect", "detectors", "--lang", "en"])
    table = _ok(["detect", "detectors"])
    assert "moyen" in table and "medium" not in table  # the level in the reader's language

    excluded = json.loads(
        _ok(["rules", "exclude-entity", KEY, "--user", "ADM-ASTREINTE", "--rule", "hygie-stat-offhours-admin",
             "--reason", "astreinte", "--json"])
    )  # fmt: skip
    assert (excluded["kind"], excluded["entity_field"], excluded["entity_value"]) == (
        "entity",
        "user",
        "ADM-ASTREINTE",
    )
    _ok(["rules", "level", KEY, "hygie-stat-offhours-admin", "high"])
    _ok(["rules", "exclude-entity", KEY, "--host", "SRV-BACKUP01"])
    table = _ok(["rules", "tuning", KEY, "--lang", "en"])
    # The rule's title above the detail, the reason (with who gave it) under the table.
    rows = [" ".join(line.strip("│ ").split()) for line in table.splitlines()]
    assert "1 │ detector exclusion │ hygie-stat-offhours-admin │ Privileged logon" in rows
    assert "user = ADM-ASTREINTE" in rows and "high" in rows
    assert "3 │ detector exclusion │ every detector rule │ host = SRV-BACKUP01" in rows
    assert re.search(r"^#1 · cli:\S+ · astreinte$", table, re.MULTILINE), table

    run = ["detect", "run", KEY, "--only", "stats", "--at", "2026-02-23T10:30:00", "--json"]
    _ok(run)
    assert [(a["user"], a["level"]) for a in json.loads(_ok(["alerts", "list", KEY, "--json"]))] == [
        ("adm-jdupont", "high")
    ]

    # Misspelt or misplaced: refused with the option or field named, nothing stored.
    for args, message in (
        (["rules", "disable", KEY, "hygie-stat-offhours"], "rule: no statistical detector rule"),
        (["rules", "exclude-entity", KEY, "--host", "A", "--user", "B"], "--host or --user"),
        (["rules", "exclude-entity", KEY, "--host", "A", "--rule", "proc_x"], "not a statistical detector"),
        (["rules", "exclude", KEY, "--field", "Computer", "--value", "A", "--rule", "hygie-stat-cpu"],
         "exclude-entity"),
    ):  # fmt: skip
        result = runner.invoke(app, args)
        assert result.exit_code != 0 and message in " ".join(result.output.split()), result.output
    assert len(json.loads(_ok(["rules", "tuning", KEY, "--json"]))) == 3

    _ok(["rules", "disable", KEY, "hygie-stat-offhours-admin"])
    _ok(["rules", "untune", KEY, str(excluded["id"])])
    report = json.loads(_ok(run))
    assert sum(d["created"] + d["updated"] for d in report["detectors"]) == 0  # disabled: nothing raised
