"""The SSVC coordinator tree row by row against CERT/CC's table, and the decision points' sources."""

from __future__ import annotations

import csv
from pathlib import Path

from hygie.vulns.matching.names import default_aliases
from hygie.vulns.ssvc import (
    AssetFacts,
    CveFacts,
    Priority,
    coordinator,
    decide,
    eol_decision,
    mission_wellbeing,
)

ESSENTIAL = default_aliases().essential_departments


def test_every_row_of_the_cisa_coordinator_table(shared_data: Path) -> None:
    with (shared_data / "ssvc" / "cisa_coordinator_2_0_3.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 36
    for row in rows:
        inputs = [row[k] for k in list(row)[1:5]]
        assert coordinator(*inputs).value == row["CISA Levels v1.1.0 (cisa)"], row
    assert sum(1 for r in rows if r["CISA Levels v1.1.0 (cisa)"] == "act") == 4


def pump(**changes: object) -> AssetFacts:
    values: dict[str, object] = {
        "kind": "medical_device",
        "criticality": "life_sustaining",
        "department": "Réanimation",
        "internet_exposed": False,
    }
    values.update(changes)
    return AssetFacts(**values)  # type: ignore[arg-type]


def test_kev_on_a_life_sustaining_pump_is_act_and_says_why() -> None:
    decision = decide(CveFacts(in_kev=True, automatable="yes", technical_impact="partial"), pump(), ESSENTIAL)
    assert decision.priority is Priority.ACT
    points = {p.name: (p.value, p.source) for p in decision.points}
    assert points["Exploitation"] == ("active", "kev")
    assert points["Automatable"] == ("yes", "vulnrichment")
    assert points["Mission Prevalence"] == ("essential", "asset:criticality")
    assert points["Public Well-being"] == ("irreversible", "asset:criticality")
    assert points["Mission & Well-being"] == ("high", "derived")


def test_vulnrichment_spellings_and_cvss_fallback() -> None:
    # "poc" and "Total" as Vulnrichment sometimes writes them.
    d = decide(CveFacts(exploitation="poc", automatable="No", technical_impact="Total"), pump(), ESSENTIAL)
    assert [p.value for p in d.points[:3]] == ["public poc", "no", "total"]
    assert d.priority is Priority.ATTEND  # public poc / no / total / high
    derived = decide(CveFacts(cvss3_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"), pump(), ESSENTIAL)
    assert [(p.value, p.source) for p in derived.points[:3]] == [
        ("none", "default:not assessed"),
        ("yes", "cvss"),
        ("total", "cvss"),
    ]
    assert derived.priority is Priority.ATTEND  # none / yes / total / high


def test_mission_from_criticality_and_department() -> None:
    def mission(criticality: str | None, department: str | None) -> str:
        points = mission_wellbeing(pump(criticality=criticality, department=department), ESSENTIAL)
        return points[-1].value

    assert mission("life_sustaining", None) == "high"
    assert mission("support", "Comptabilité") == "medium"
    assert mission("support", "Urgences adultes") == "high"  # an essential department
    assert mission("none", None) == "low"
    assert mission(None, None) == "medium"


def test_internet_exposure_raises_one_level_but_act_needs_active_exploitation() -> None:
    office = pump(criticality="support", department="Accueil", kind="workstation")
    quiet = CveFacts(exploitation="none", automatable="no", technical_impact="partial")
    assert decide(quiet, office).priority is Priority.TRACK
    assert decide(
        quiet, pump(criticality="support", department="Accueil", internet_exposed=True)
    ).priority is (Priority.TRACK_STAR)
    poc = CveFacts(exploitation="public poc", automatable="yes", technical_impact="total")
    exposed_pump = pump(internet_exposed=True)
    assert decide(poc, pump(), ESSENTIAL).priority is Priority.ATTEND
    assert decide(poc, exposed_pump, ESSENTIAL).priority is Priority.ATTEND  # not Act without active
    active = CveFacts(exploitation="active", automatable="no", technical_impact="partial")
    assert decide(active, pump(criticality="support", department="Accueil")).priority is Priority.TRACK
    raised = decide(active, pump(criticality="support", department="Accueil", internet_exposed=True))
    assert raised.priority is Priority.TRACK_STAR and raised.table_outcome is Priority.TRACK


def test_end_of_life_priority() -> None:
    assert eol_decision(pump(), ESSENTIAL).priority is Priority.ATTEND
    assert eol_decision(pump(criticality="support", department="Accueil")).priority is Priority.TRACK_STAR
    exposed = pump(criticality="support", department="Accueil", internet_exposed=True)
    assert eol_decision(exposed).priority is Priority.ATTEND


def test_a_cert_fr_alert_means_active_exploitation_an_advisory_does_not() -> None:
    alerted = CveFacts(certfr=[{"reference": "CERTFR-2024-ALE-006", "kind": "alerte"}])
    points = {p.name: p for p in decide(alerted, pump()).points}
    assert (points["Exploitation"].value, points["Exploitation"].source) == ("active", "certfr")
    advised = CveFacts(certfr=[{"reference": "CERTFR-2024-AVI-0420", "kind": "avis"}])
    points = {p.name: p for p in decide(advised, pump()).points}
    assert (points["Exploitation"].value, points["Exploitation"].source) == ("none", "default:not assessed")
