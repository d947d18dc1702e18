"""A rich, hand-built maturity report of a demo-like hospital, used by every report test."""

from __future__ import annotations

import datetime as dt

import pytest

from hygie.frameworks.schema import Dimension
from hygie.org.schemas import Nis2Category
from hygie.plan.models import Severity
from hygie.reports.schemas import (
    AnswerStatus,
    BudgetIndicator,
    BudgetVerdict,
    CampaignInfo,
    CampaignPoint,
    ControlDetail,
    DimensionScore,
    EstablishmentInfo,
    GreedyComparison,
    KnowledgeGap,
    MaturityReport,
    OptimisedPlan,
    PlannedAction,
    ReferentialCompliance,
    ReferentialDetail,
    RequirementDetail,
    RequirementStatus,
    RoadmapQuarter,
    Weakness,
)

D = Dimension

CONTROLS: list[tuple[str, Dimension, str, int | None, int, AnswerStatus]] = [
    (
        "GOV-POLICY",
        D.GOVERNANCE,
        "Politique de sécurité des SI approuvée par la direction",
        3,
        3,
        AnswerStatus.ANSWERED,
    ),
    ("GOV-RSSI", D.GOVERNANCE, "RSSI désigné, avec du temps et des moyens", 2, 3, AnswerStatus.ANSWERED),
    ("GOV-RISK", D.GOVERNANCE, "Analyse de risques à jour", 1, 3, AnswerStatus.ANSWERED),
    (
        "GOV-SUPPLIERS",
        D.GOVERNANCE,
        "Clauses de sécurité dans les contrats fournisseurs",
        None,
        3,
        AnswerStatus.UNKNOWN,
    ),
    ("GOV-BUDGET", D.GOVERNANCE, "Budget sécurité identifié", 2, 3, AnswerStatus.ANSWERED),
    (
        "GOV-INVENTORY",
        D.GOVERNANCE,
        "Cartographie du SI et des dispositifs médicaux",
        2,
        4,
        AnswerStatus.ANSWERED,
    ),
    (
        "TEC-PATCH",
        D.TECHNICAL,
        "Mises à jour de sécurité appliquées sous 30 jours",
        1,
        3,
        AnswerStatus.ANSWERED,
    ),
    (
        "TEC-MFA",
        D.TECHNICAL,
        "Authentification multifacteur pour les accès distants et les comptes à privilèges",
        1,
        4,
        AnswerStatus.ANSWERED,
    ),
    ("TEC-ADMIN", D.TECHNICAL, "Comptes d'administration séparés et protégés", 2, 4, AnswerStatus.ANSWERED),
    (
        "TEC-SEGMENT",
        D.TECHNICAL,
        "Segmentation du réseau (biomédical, bureautique, administration)",
        1,
        3,
        AnswerStatus.ANSWERED,
    ),
    (
        "TEC-EDR",
        D.TECHNICAL,
        "Détection et réponse sur les postes et serveurs (EDR)",
        3,
        3,
        AnswerStatus.ANSWERED,
    ),
    (
        "TEC-MAIL",
        D.TECHNICAL,
        "Filtrage de la messagerie et protection contre l'usurpation",
        3,
        3,
        AnswerStatus.ANSWERED,
    ),
    ("TEC-LOGS", D.TECHNICAL, "Journaux centralisés et conservés", 2, 3, AnswerStatus.ANSWERED),
    ("TEC-EXPOSED", D.TECHNICAL, "Services exposés sur Internet maîtrisés", None, 4, AnswerStatus.UNKNOWN),
    ("TEC-EOL", D.TECHNICAL, "Systèmes obsolètes isolés ou remplacés", 1, 3, AnswerStatus.ANSWERED),
    (
        "AWA-TRAINING",
        D.AWARENESS,
        "Sensibilisation annuelle de tout le personnel",
        2,
        3,
        AnswerStatus.ANSWERED,
    ),
    ("AWA-PHISHING", D.AWARENESS, "Exercices d'hameçonnage simulés", 1, 3, AnswerStatus.ANSWERED),
    ("AWA-ADMINS", D.AWARENESS, "Formation des administrateurs", 2, 3, AnswerStatus.ANSWERED),
    ("AWA-CHARTER", D.AWARENESS, "Charte informatique signée", 3, 3, AnswerStatus.ANSWERED),
    ("CON-BACKUP", D.CONTINUITY, "Sauvegardes hors ligne des données de soins", 2, 4, AnswerStatus.ANSWERED),
    ("CON-RESTORE", D.CONTINUITY, "Tests de restauration réguliers", 1, 3, AnswerStatus.ANSWERED),
    (
        "CON-DEGRADED",
        D.CONTINUITY,
        "Procédures de fonctionnement en mode dégradé par service",
        2,
        3,
        AnswerStatus.ANSWERED,
    ),
    (
        "CON-BIA",
        D.CONTINUITY,
        "RTO et RPO définis pour les applications critiques",
        None,
        3,
        AnswerStatus.UNKNOWN,
    ),
    (
        "CON-POWER",
        D.CONTINUITY,
        "Alimentation secourue des salles serveurs",
        None,
        3,
        AnswerStatus.NOT_APPLICABLE,
    ),
    (
        "INC-PLAN",
        D.INCIDENT_RESPONSE,
        "Plan de réponse aux incidents et annuaire de crise",
        2,
        3,
        AnswerStatus.ANSWERED,
    ),
    ("INC-EXERCISE", D.INCIDENT_RESPONSE, "Exercice de crise cyber annuel", 1, 3, AnswerStatus.ANSWERED),
    (
        "INC-REPORT",
        D.INCIDENT_RESPONSE,
        "Déclaration des incidents (CERT Santé, ANSSI, CNIL)",
        3,
        3,
        AnswerStatus.ANSWERED,
    ),
    (
        "INC-FORENSIC",
        D.INCIDENT_RESPONSE,
        "Prestataire de réponse à incident sous contrat",
        None,
        3,
        AnswerStatus.UNKNOWN,
    ),
    (
        "INC-LESSONS",
        D.INCIDENT_RESPONSE,
        "Retours d'expérience intégrés au plan d'action",
        None,
        3,
        AnswerStatus.NOT_ASSESSED,
    ),
]

WEAKNESSES = [
    (
        "Mises à jour de sécurité en retard sur 38 % des serveurs",
        "TEC-PATCH",
        D.TECHNICAL,
        Severity.CRITICAL,
        1,
        3,
    ),
    ("Accès distants des prestataires sans MFA", "TEC-MFA", D.TECHNICAL, Severity.CRITICAL, 1, 4),
    ("Réseau biomédical non séparé de la bureautique", "TEC-SEGMENT", D.TECHNICAL, Severity.HIGH, 1, 3),
    ("Restaurations jamais testées depuis 2022", "CON-RESTORE", D.CONTINUITY, Severity.HIGH, 1, 3),
    ("Windows Server 2012 encore en production (PACS)", "TEC-EOL", D.TECHNICAL, Severity.HIGH, 1, 3),
    ("Pas d'exercice de crise cyber", "INC-EXERCISE", D.INCIDENT_RESPONSE, Severity.HIGH, 1, 3),
    ("Analyse de risques de 2019", "GOV-RISK", D.GOVERNANCE, Severity.MEDIUM, 1, 3),
    (
        "Hameçonnage : 23 % de clics à la dernière campagne",
        "AWA-PHISHING",
        D.AWARENESS,
        Severity.MEDIUM,
        1,
        3,
    ),
    ("Sauvegardes en ligne accessibles depuis le domaine", "CON-BACKUP", D.CONTINUITY, Severity.HIGH, 2, 4),
    ("Comptes administrateurs utilisés pour la messagerie", "TEC-ADMIN", D.TECHNICAL, Severity.MEDIUM, 2, 4),
    ("Journaux conservés 7 jours seulement", "TEC-LOGS", D.TECHNICAL, Severity.MEDIUM, 2, 3),
    ("Cartographie des dispositifs médicaux incomplète", "GOV-INVENTORY", D.GOVERNANCE, Severity.LOW, 2, 4),
]

ACTIONS = [
    (
        "Déployer le MFA sur le VPN et les accès prestataires",
        "2025-Q3",
        "DSI",
        18_000,
        12_000,
        25_000,
        15,
        ["TEC-MFA"],
    ),
    (
        "Processus mensuel de mise à jour et suivi des écarts",
        "2025-Q3",
        "RSSI",
        9_000,
        6_000,
        14_000,
        20,
        ["TEC-PATCH"],
    ),
    (
        "Sauvegarde hors ligne immuable et test de restauration trimestriel",
        "2025-Q4",
        "DSI",
        42_000,
        35_000,
        55_000,
        18,
        ["CON-BACKUP", "CON-RESTORE"],
    ),
    (
        "Segmenter le réseau biomédical (VLAN et filtrage)",
        "2025-Q4",
        "Réseau",
        35_000,
        25_000,
        50_000,
        30,
        ["TEC-SEGMENT"],
    ),
    (
        "Exercice de crise cyber avec la direction",
        "2026-Q1",
        "RSSI",
        6_000,
        4_000,
        9_000,
        6,
        ["INC-EXERCISE", "INC-PLAN"],
    ),
    (
        "Campagnes d'hameçonnage simulé trimestrielles",
        "2026-Q1",
        "RSSI",
        5_000,
        3_000,
        8_000,
        4,
        ["AWA-PHISHING"],
    ),
    (
        "Comptes d'administration dédiés et bastion",
        "2026-Q2",
        "DSI",
        24_000,
        18_000,
        32_000,
        14,
        ["TEC-ADMIN"],
    ),
    (
        "Mettre à jour l'analyse de risques (EBIOS RM)",
        "2026-Q2",
        "RSSI",
        12_000,
        8_000,
        18_000,
        10,
        ["GOV-RISK"],
    ),
    (
        "Isoler le PACS sous Windows Server 2012",
        "2026-Q3",
        "Biomédical",
        15_000,
        10_000,
        22_000,
        8,
        ["TEC-EOL"],
    ),
    (
        "Centraliser les journaux, conservation 6 mois",
        "2026-Q4",
        "DSI",
        14_000,
        10_000,
        20_000,
        9,
        ["TEC-LOGS"],
    ),
]


def _referential_detail(ref_id: str, name: str, statuses: list[RequirementStatus]) -> ReferentialDetail:
    controls = [c[0] for c in CONTROLS]
    return ReferentialDetail(
        id=ref_id,
        name=name,
        requirements=[
            RequirementDetail(
                id=f"{index + 1}",
                title=f"Exigence {index + 1} de {name}",
                status=status,
                controls=[controls[index % len(controls)]],
            )
            for index, status in enumerate(statuses)
        ],
    )


def _statuses(compliant: int, partial: int, non: int, unknown: int) -> list[RequirementStatus]:
    s = RequirementStatus
    return (
        [s.COMPLIANT] * compliant
        + [s.PARTIAL] * partial
        + [s.NON_COMPLIANT] * non
        + [s.NOT_ASSESSED] * unknown
    )


RULE = "exigence conforme si tous ses contrôles atteignent leur cible ; partielle si au moins un progresse"
REFERENTIALS = [
    ("anssi-hygiene", "Guide d'hygiène informatique de l'ANSSI", 45.0, 38.0, (19, 9, 11, 3)),
    ("nis2-art21", "NIS2, article 21 (mesures de gestion des risques)", 40.0, 30.0, (4, 3, 3, 0)),
    ("care", "Programme CaRE (domaines 1 et 2)", 52.5, 41.0, (21, 8, 9, 2)),
    ("hph-cpg", "HPH Cybersecurity Performance Goals", 55.0, None, (11, 4, 4, 1)),
    ("hicp", "HICP (405(d)) — pratiques essentielles", 48.0, 44.0, (12, 5, 6, 2)),
]


def build_report(**overrides: object) -> MaturityReport:
    data: dict[str, object] = {
        "generated_on": dt.date(2025, 6, 20),
        "establishment": EstablishmentInfo(
            name="Centre hospitalier de Val-d'Aurore",
            finess="750000001",
            kind="ch",
            beds=420,
            nis2_category=Nis2Category.ESSENTIAL,
            nis2_reasons=[
                "Établissement de santé : secteur « santé », annexe I de la directive (UE) 2022/2555",
                "1 850 agents ≥ 250 : grande entreprise",
            ],
        ),
        "campaign": CampaignInfo(
            name="Autoévaluation 2025", date=dt.date(2025, 6, 12), path="full", completion=86.0
        ),
        "history": [
            CampaignPoint(name="2023", date=dt.date(2023, 5, 30), global_index=31.0),
            CampaignPoint(name="2024", date=dt.date(2024, 6, 3), global_index=41.0),
            CampaignPoint(name="2025", date=dt.date(2025, 6, 12), global_index=47.0),
        ],
        "dimensions": [
            DimensionScore(dimension=D.GOVERNANCE, score=58.0, previous_score=50.0),
            DimensionScore(dimension=D.TECHNICAL, score=42.0, previous_score=35.0),
            DimensionScore(dimension=D.AWARENESS, score=38.0, previous_score=40.0),
            DimensionScore(dimension=D.CONTINUITY, score=45.0, previous_score=33.0),
            DimensionScore(dimension=D.INCIDENT_RESPONSE, score=52.0, previous_score=47.0),
        ],
        "global_index": 47.0,
        "previous_global_index": 41.0,
        "referentials": [
            ReferentialCompliance(
                id=ref_id,
                name=name,
                percent=percent,
                previous_percent=previous,
                compliant=c,
                partial=p,
                non_compliant=n,
                not_assessed=u,
                rule=RULE,
            )
            for ref_id, name, percent, previous, (c, p, n, u) in REFERENTIALS
        ],
        "weaknesses": [
            Weakness(title=t, control=c, dimension=d, severity=s, level=lv, target=tg)
            for t, c, d, s, lv, tg in WEAKNESSES
        ],
        "plan": OptimisedPlan(
            budget=200_000,
            days_available=160,
            actions=[
                PlannedAction(
                    title=t, quarter=q, owner=o, cost=c, cost_low=lo, cost_high=hi, days=days, controls=ctl
                )
                for t, q, o, c, lo, hi, days, ctl in ACTIONS
            ],
            total_cost=sum(a[3] for a in ACTIONS),
            total_days=float(sum(a[6] for a in ACTIONS)),
            index_before=47.0,
            index_after=63.0,
            candidates=34,
        ),
        "greedy": GreedyComparison(actions=12, total_cost=196_000, index_after=59.0),
        "roadmap": [
            RoadmapQuarter(
                quarter=q,
                actions=[a[0] for a in ACTIONS if a[1] == q],
                cost=sum(a[3] for a in ACTIONS if a[1] == q),
                days=float(sum(a[6] for a in ACTIONS if a[1] == q)),
            )
            for q in ("2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4")
        ],
        "budget": BudgetIndicator(
            security_budget=310_000,
            it_budget=5_400_000,
            share=5.74,
            reference_low=7.0,
            reference_high=10.0,
            verdict=BudgetVerdict.BELOW,
            source="Observatoire des SI de santé (oSIS), recommandation CaRE",
        ),
        "knowledge_gaps": [
            KnowledgeGap(control=c[0], title=c[2], dimension=c[1])
            for c in CONTROLS
            if c[5] == AnswerStatus.UNKNOWN
        ],
        "controls": [
            ControlDetail(
                control=cid,
                title=title,
                dimension=dim,
                level=level,
                target=target,
                status=status,
                justification="Constaté lors de l'audit de mai 2025"
                if status == AnswerStatus.ANSWERED
                else None,
                comment="À confirmer avec le prestataire" if cid.endswith("EXPOSED") else None,
            )
            for cid, dim, title, level, target, status in CONTROLS
        ],
        "referential_details": [
            _referential_detail(ref_id, name, _statuses(*counts))
            for ref_id, name, _, _, counts in REFERENTIALS
        ],
    }
    data.update(overrides)
    return MaturityReport.model_validate(data)


@pytest.fixture
def report() -> MaturityReport:
    return build_report()
