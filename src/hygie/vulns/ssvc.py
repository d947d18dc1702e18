"""Prioritisation with CISA's SSVC coordinator tree (v2.0.3): Track, Track*, Attend, Act.

Decision points and where they come from:

- Exploitation (none | public poc | active): ``active`` when the CVE is in CISA's KEV catalogue or
  named by a CERT-FR alert (CERT-FR issues alerts for vulnerabilities exploited or about to be), else
  CISA Vulnrichment's value, else ``none`` marked "not assessed".
- Automatable (no | yes) and Technical Impact (partial | total): Vulnrichment; without it, derived
  from the CVSS 3 vector (AV:N/PR:N/UI:N → yes; C, I and A all High → total), else no / partial,
  each marked with its source.
- Mission & Well-being (low | medium | high), from the asset: High when its Mission Prevalence is
  essential (a life-sustaining device, or a care department of ``essential_departments`` in the alias
  table: intensive care, emergency, operating theatre…) or its Public Well-being impact irreversible
  (life-sustaining); Medium when it supports care (diagnostic, support, a medical device, a server);
  Low when it has no clinical role.

A finding of a vulnerability scanner (OpenVAS) goes through the same tree. What the scanner saw fills
the points the feeds leave open: a check that exploited or triggered the flaw on the host (quality of
detection 99 % or more: Greenbone's ``exploit`` and ``remote_vul`` types) is a working proof of
concept, so Exploitation is at least ``public poc``; without a CVSS vector, the scanner's severity
gives the Technical Impact (``total`` from 9.0, the CVSS "critical" band, else ``partial``).

The table gives the outcome; then internet exposure raises it one level (an exposed system is reached
by anyone), but to Act only when exploitation is active, as in the tree itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from hygie.vulns.matching.names import slug

EXPLOITATION = ("none", "public poc", "active")
AUTOMATABLE = ("no", "yes")
TECHNICAL_IMPACT = ("partial", "total")
MISSION = ("low", "medium", "high")


class Priority(StrEnum):
    TRACK = "track"
    TRACK_STAR = "track*"
    ATTEND = "attend"
    ACT = "act"


ORDER = (Priority.TRACK, Priority.TRACK_STAR, Priority.ATTEND, Priority.ACT)


def coordinator(exploitation: str, automatable: str, impact: str, mission: str) -> Priority:
    """The CISA coordinator decision table, 36 rows (checked row by row against CERT/CC's CSV)."""
    key = (exploitation, automatable, impact, mission)
    if exploitation == "active":
        if key[1:] in {("no", "total", "high"), ("yes", "partial", "high"), ("yes", "total", "medium")}:
            return Priority.ACT
        if key[1:] == ("yes", "total", "high"):
            return Priority.ACT
        if automatable == "yes" or mission == "high" or (impact == "total" and mission == "medium"):
            return Priority.ATTEND
        return Priority.TRACK
    if exploitation == "public poc":
        if mission == "high" and (automatable == "yes" or impact == "total"):
            return Priority.ATTEND
        if (mission, automatable, impact) == ("high", "no", "partial"):
            return Priority.TRACK_STAR
        if mission == "medium" and impact == "total":
            return Priority.TRACK_STAR
        return Priority.TRACK
    if mission == "high" and automatable == "yes":
        return Priority.ATTEND
    if (automatable, impact, mission) == ("no", "total", "high"):
        return Priority.TRACK_STAR
    return Priority.TRACK


@dataclass
class Point:
    name: str
    value: str
    source: str  # kev, vulnrichment, cvss, default, asset, department, exposure …

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "value": self.value, "source": self.source}


@dataclass
class CveFacts:
    """What the feeds say of one CVE."""

    in_kev: bool = False
    kev_due: str | None = None
    ransomware: bool = False
    exploitation: str | None = None  # Vulnrichment
    automatable: str | None = None
    technical_impact: str | None = None
    cvss3_vector: str | None = None
    cvss3_score: float | None = None
    cvss4_vector: str | None = None
    cvss4_score: float | None = None
    cvss4_label: str | None = None
    epss: float | None = None
    epss_percentile: float | None = None
    certfr: list[dict[str, Any]] = field(default_factory=list)  # CERT-FR bulletins naming the CVE

    @property
    def certfr_alert(self) -> str | None:
        return next((b["reference"] for b in self.certfr if b.get("kind") == "alerte"), None)


# A check's quality of detection from which it proved the flaw on the host (exploit: 100, remote_vul: 99).
VERIFIED_QOD = 99
CRITICAL_SEVERITY = 9.0


@dataclass
class ScannerFacts:
    """What a vulnerability scanner said of a flaw on the asset."""

    severity: float
    qod: int | None = None
    cvss_vector: str | None = None

    @property
    def verified(self) -> bool:
        return self.qod is not None and self.qod >= VERIFIED_QOD


@dataclass
class AssetFacts:
    kind: str
    criticality: str | None
    department: str | None
    internet_exposed: bool | None


@dataclass
class Decision:
    priority: Priority
    table_outcome: Priority
    points: list[Point] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "priority": self.priority.value,
            "table_outcome": self.table_outcome.value,
            "points": [p.as_dict() for p in self.points],
        }


def _normal(value: str | None, allowed: tuple[str, ...]) -> str | None:
    """Vulnrichment writes both "None"/"none" and "poc"/"public poc": one spelling each."""
    if value is None:
        return None
    text = value.strip().lower()
    text = {"poc": "public poc", "public_poc": "public poc"}.get(text, text)
    return text if text in allowed else None


def _cvss_metrics(vector: str | None) -> dict[str, str]:
    if not vector:
        return {}
    return dict(part.split(":", 1) for part in vector.split("/")[1:] if ":" in part)


def mission_wellbeing(asset: AssetFacts, essential_departments: tuple[str, ...]) -> list[Point]:
    """Mission Prevalence, Public Well-being and the Mission & Well-being they give."""
    department = slug(asset.department or "")
    essential_dept = bool(department) and any(
        f"_{d}_" in f"_{department}_" or department.startswith(d) for d in essential_departments
    )
    criticality = asset.criticality
    if criticality == "life_sustaining":
        prevalence, wellbeing, source = "essential", "irreversible", "asset:criticality"
    elif criticality in ("diagnostic", "support"):
        prevalence, wellbeing, source = (
            "support",
            "material" if criticality == "diagnostic" else "minimal",
            ("asset:criticality"),
        )
    elif criticality == "none":
        prevalence, wellbeing, source = "minimal", "minimal", "asset:criticality"
    else:
        prevalence, wellbeing, source = "support", "minimal", "default:criticality not known"
    points = []
    if essential_dept and prevalence != "essential":
        prevalence = "essential"
        points.append(Point("Mission Prevalence", prevalence, "asset:department"))
    else:
        points.append(Point("Mission Prevalence", prevalence, source))
    points.append(Point("Public Well-being", wellbeing, source))
    if prevalence == "essential" or wellbeing == "irreversible":
        value = "high"
    elif prevalence == "support":
        value = "medium"
    else:
        value = "low"
    points.append(Point("Mission & Well-being", value, "derived"))
    return points


def decide(
    cve: CveFacts,
    asset: AssetFacts,
    essential_departments: tuple[str, ...] = (),
    scanner: ScannerFacts | None = None,
) -> Decision:
    points: list[Point] = []
    exploitation = _normal(cve.exploitation, EXPLOITATION)
    if cve.in_kev:
        points.append(Point("Exploitation", "active", "kev"))
    elif cve.certfr_alert is not None:
        points.append(Point("Exploitation", "active", "certfr"))
    elif exploitation is not None and (exploitation != "none" or not (scanner and scanner.verified)):
        points.append(Point("Exploitation", exploitation, "vulnrichment"))
    elif scanner is not None and scanner.verified:
        points.append(Point("Exploitation", "public poc", "scanner:verified"))
    else:
        points.append(Point("Exploitation", "none", "default:not assessed"))
    metrics = _cvss_metrics(cve.cvss3_vector)
    if (value := _normal(cve.automatable, AUTOMATABLE)) is not None:
        points.append(Point("Automatable", value, "vulnrichment"))
    elif metrics:
        auto = metrics.get("AV") == "N" and metrics.get("PR") == "N" and metrics.get("UI") == "N"
        points.append(Point("Automatable", "yes" if auto else "no", "cvss"))
    else:
        points.append(Point("Automatable", "no", "default:not assessed"))
    if (value := _normal(cve.technical_impact, TECHNICAL_IMPACT)) is not None:
        points.append(Point("Technical Impact", value, "vulnrichment"))
    elif metrics:
        total = all(metrics.get(m) == "H" for m in ("C", "I", "A"))
        points.append(Point("Technical Impact", "total" if total else "partial", "cvss"))
    elif scanner is not None:
        total = scanner.severity >= CRITICAL_SEVERITY
        points.append(Point("Technical Impact", "total" if total else "partial", "scanner:severity"))
    else:
        points.append(Point("Technical Impact", "partial", "default:not assessed"))
    points.extend(mission_wellbeing(asset, essential_departments))
    values = {p.name: p.value for p in points}
    outcome = coordinator(
        values["Exploitation"],
        values["Automatable"],
        values["Technical Impact"],
        values["Mission & Well-being"],
    )
    priority = outcome
    if asset.internet_exposed:
        priority = raise_for_exposure(outcome, values["Exploitation"])
        points.append(Point("Internet exposure", "yes", "asset:internet_exposed"))
    return Decision(priority, outcome, points)


def raise_for_exposure(outcome: Priority, exploitation: str) -> Priority:
    raised = ORDER[min(ORDER.index(outcome) + 1, len(ORDER) - 1)]
    if raised is Priority.ACT and exploitation != "active":
        return outcome
    return raised


def eol_decision(asset: AssetFacts, essential_departments: tuple[str, ...] = ()) -> Decision:
    """An obsolete system gets no more fixes: Attend when it matters to care or faces the internet,
    Track* otherwise (SSVC has no table for it; the same asset points are shown)."""
    points = mission_wellbeing(asset, essential_departments)
    mission = points[-1].value
    outcome = Priority.ATTEND if mission == "high" else Priority.TRACK_STAR
    priority = outcome
    if asset.internet_exposed:
        priority = Priority.ATTEND
        points.append(Point("Internet exposure", "yes", "asset:internet_exposed"))
    return Decision(priority, outcome, points)
