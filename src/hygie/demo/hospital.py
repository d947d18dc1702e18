"""Who the demo hospital is and how it answers: a mid-sized public hospital, honest about its gaps.

The story: a 450-bed centre hospitalier in a GHT, with a decent governance, backups that exist but
were never restored in anger, flat networks where the medical devices sit beside the office
workstations, and no multi-factor authentication on remote access. Between the two campaigns it
appointed an RSSI, ran its first phishing simulation and started testing restores.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hygie.org.models import EstablishmentKind


@dataclass(frozen=True)
class DemoEstablishment:
    name: str
    finess: str
    kind: EstablishmentKind
    beds: int
    staff: int
    annual_budget: int
    it_budget: int
    security_budget: int
    group: str


HOSPITAL = DemoEstablishment(
    name="Centre hospitalier de Saint-Aurèle",
    finess="490000031",
    kind=EstablishmentKind.CH,
    beds=450,
    staff=2100,
    annual_budget=210_000_000,
    it_budget=4_200_000,
    security_budget=126_000,
    group="GHT Loire-Aurèle",
)

FIRST_CAMPAIGN = ("Évaluation 2025", date(2025, 11, 14))
SECOND_CAMPAIGN = ("Évaluation 2026", date(2026, 11, 13))

# Usual level of each dimension; the controls below override it.
DIMENSION_BASELINE = {
    "governance": 2,
    "technical": 2,
    "awareness": 1,
    "continuity": 2,
    "incident_response": 2,
}

# Levels at the first and at the second campaign, for the controls that tell the story.
STORY: dict[str, tuple[int, int]] = {
    "GOV-PSSI": (2, 3),
    "GOV-RSSI": (1, 3),
    "GOV-RISK": (1, 2),
    "GOV-MGMT": (2, 2),
    "TEC-INVENTORY": (2, 2),
    "TEC-PATCH": (2, 2),
    "TEC-EOL": (1, 1),
    "TEC-MFA": (0, 1),
    "TEC-ADMIN-TIER": (0, 1),
    "TEC-EXPOSURE": (1, 2),
    "TEC-SEGMENT": (1, 1),
    "TEC-BIOMED": (1, 1),
    "TEC-REMOTE-MAINT": (1, 1),
    "TEC-EDR": (2, 3),
    "TEC-AD": (1, 2),
    "TEC-LOGS": (1, 2),
    "TEC-EMAIL": (3, 3),
    "AWA-PHISHING": (0, 2),
    "AWA-TRAINING": (1, 2),
    "CON-BACKUP": (3, 3),
    "CON-BACKUP-OFFLINE": (1, 1),
    "CON-RESTORE-TEST": (0, 2),
    "CON-BIA": (1, 1),
    "CON-PCA": (1, 2),
    "CON-DEGRADED": (2, 3),
    "CON-EXERCISE": (0, 1),
    "INC-PROCEDURE": (2, 2),
    "INC-CRISIS": (2, 3),
    "INC-REPORTING": (2, 3),
    "INC-DETECT": (1, 1),
}

# Answers that are not a level, with their justification (mandatory for these statuses).
ALTERNATIVES = {
    "TEC-WIFI": (
        "Le Wi-Fi invités passe par l'opérateur sur un lien internet séparé, sans accès au réseau interne."
    ),
}
NOT_APPLICABLE = {
    "TEC-INTERCONNECT": (
        "Aucune interconnexion dédiée avec un partenaire : les échanges passent par la messagerie sécurisée."
    ),
}
UNKNOWN = ("GOV-PROCUREMENT", "INC-LESSONS")

# The optimiser's inputs in the demo: the budget voted for next year and the team's time.
PLAN_BUDGET = 150_000
PLAN_DAYS = 200
