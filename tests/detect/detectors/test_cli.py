"""``hygie detect run --only stats --at …`` and ``hygie detect hours``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hygie.cli.main import app
from hygie.core.settings import get_settings
from hygie.detect.detectors.queries import SparkQueries
from tests.detect.detectors.helpers import at, event, write

runner = CliRunner()
KEY = "750803447"


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.output


def test_detect_run_stats_only_and_hours(hygie_home: Path) -> None:
    created = json.loads(
        _ok(["establishments", "add", "--name", "CH Exemple", "--finess", KEY, "--kind", "ch", "--json"])
    )
    privileged = [
        event(at(22, 10, i), host="DC1", channel="Security", code=4672, user="adm-jdupont") for i in range(3)
    ]
    logon = event(
        at(20, 8), host="PC1", channel="Security", code=4624, user="alice", fields={"LogonType": "2"}
    )
    write(get_settings(), created["id"], "evtx", [*privileged, logon])

    # no Sigma rule installed: --only stats does not need any
    report = json.loads(
        _ok(["detect", "run", KEY, "--only", "stats", "--at", "2026-02-23T10:30:00", "--json"])
    )
    assert report["hits"] == 0
    by_name = {d["detector"]: d for d in report["detectors"]}
    assert by_name["off_hours_logons"]["created"] == 1
    assert by_name["mail"]["status"] == "no_data"
    assert by_name["first_logons"]["status"] == "short_history"
    assert by_name["first_logons"]["notes"] == [
        "Connexions jamais vues : 3 jours d'historique des connexions, les 7 premiers jours sont la période "
        "d'apprentissage"
    ]
    again = json.loads(
        _ok(["detect", "run", KEY, "--only", "stats", "--at", "2026-02-23T10:30:00", "--json"])
    )
    assert sum(d["created"] for d in again["detectors"]) == 0

    listed = json.loads(_ok(["alerts", "list", KEY, "--json"]))
    assert [a["rule_id"] for a in listed] == ["hygie-stat-offhours-admin"]
    shown = _ok(["alerts", "show", KEY, str(listed[0]["id"]), "--lang", "fr"])
    assert "Connexion privilégiée hors des heures ouvrées" in shown
    assert "3 connexions privilégiées de adm-jdupont sur DC1" in shown

    assert json.loads(_ok(["detect", "hours", KEY, "--json"])) == {
        "timezone": "Europe/Paris", "start": 7, "end": 20, "days": [1, 2, 3, 4, 5]
    }  # fmt: skip
    changed = json.loads(_ok(["detect", "hours", KEY, "--start", "6", "--days", "1-7", "--json"]))
    assert changed == {"timezone": "Europe/Paris", "start": 6, "end": 20, "days": [1, 2, 3, 4, 5, 6, 7]}
    assert "lun., mar., mer., jeu., ven., sam., dim. · 6–20 h · Europe/Paris" in _ok(["detect", "hours", KEY])
    refused = runner.invoke(app, ["detect", "hours", KEY, "--days", "0-9"])
    assert refused.exit_code != 0
    refused = runner.invoke(app, ["detect", "run", KEY, "--only", "nothing"])
    assert refused.exit_code != 0


def test_detect_run_stats_on_spark(hygie_home: Path, spark: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The detectors run on the SparkSession of ``--engine spark`` (the tests' own, which the command's
    getOrCreate finds), stopped once at the end."""
    created = json.loads(
        _ok(["establishments", "add", "--name", "CH Exemple", "--finess", KEY, "--kind", "ch", "--json"])
    )
    privileged = [
        event(at(22, 10, i), host="DC1", channel="Security", code=4672, user="adm-jdupont") for i in range(3)
    ]
    write(get_settings(), created["id"], "evtx", privileged)
    stops: list[bool] = []
    monkeypatch.setattr(spark, "stop", lambda: stops.append(True))  # keep the tests' session running
    ran: list[str] = []
    real = SparkQueries.rows

    def rows(self: SparkQueries, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        ran.append(sql)
        return real(self, sql, params)

    monkeypatch.setattr(SparkQueries, "rows", rows)

    report = json.loads(
        _ok(["detect", "run", KEY, "--engine", "spark", "--only", "stats", "--at", "2026-02-23T10:30:00",
             "--json"])
    )  # fmt: skip
    by_name = {d["detector"]: d for d in report["detectors"]}
    assert (by_name["off_hours_logons"]["created"], by_name["mail"]["status"]) == (1, "no_data")
    assert ran and stops == [True]
    listed = json.loads(_ok(["alerts", "list", KEY, "--json"]))
    assert [(a["rule_id"], a["event_count"], a["first_seen"]) for a in listed] == [
        ("hygie-stat-offhours-admin", 3, "2026-02-22T10:00:00+00:00")
    ]


def test_detect_run_says_what_the_tuning_suppressed(hygie_home: Path) -> None:
    created = json.loads(
        _ok(["establishments", "add", "--name", "CH Exemple", "--finess", KEY, "--kind", "ch", "--json"])
    )
    # Saturday 21 and Sunday 22 February, 11:00 in Paris: the on-call account (two days: two detections), and
    # another administrator on Sunday, log on with privileges off hours.
    privileged = [
        event(at(day, 10), host="DC1", channel="Security", code=4672, user=user)
        for day, user in ((21, "adm-astreinte"), (22, "adm-astreinte"), (22, "adm-jdupont"))
    ]
    write(get_settings(), created["id"], "evtx", privileged)
    _ok(["rules", "exclude-entity", KEY, "--user", "adm-astreinte", "--rule", "hygie-stat-offhours-admin",
         "--reason", "Compte d'astreinte"])  # fmt: skip
    run = ["detect", "run", KEY, "--only", "stats", "--at", "2026-02-23T10:30:00"]
    printed = " ".join(_ok([*run, "--lang", "fr"]).split())
    assert (
        "Détecteurs statistiques : 1 nouvelle alerte, 0 alerte mise à jour, 2 détections écartées par le "
        "réglage de l'établissement" in printed  # French: 0 and 1 take the singular
    ), printed
    english = " ".join(_ok([*run, "--lang", "en"]).split())
    assert (
        "Statistical detectors: 0 new alerts, 0 alerts updated, 2 detections suppressed by the "
        "establishment's tuning" in english  # English: 0 takes the plural
    ), english
    report = json.loads(_ok([*run, "--json"]))
    by_name = {d["detector"]: d for d in report["detectors"]}
    assert (by_name["off_hours_logons"]["suppressed"], by_name["off_hours_logons"]["created"]) == (2, 0)
    assert sum(d["suppressed"] for d in report["detectors"]) == 2
    listed = json.loads(_ok(["alerts", "list", KEY, "--json"]))
    assert [(a["rule_id"], a["user"]) for a in listed] == [("hygie-stat-offhours-admin", "adm-jdupont")]
