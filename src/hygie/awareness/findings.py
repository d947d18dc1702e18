"""Awareness weaknesses as findings, pure: from the latest campaign's rates and the last twelve
months of training, with the thresholds below (docs/en/awareness-csv.md and
docs/fr/sensibilisation-csv.md list them too).

A department with fewer than ``MIN_SENT`` e-mails delivered is not judged: its rate is noise, and
it would point at one or two people.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from hygie.awareness.models import UNKNOWN_DEPARTMENT, StaffCategory
from hygie.awareness.rates import Completion, Counts, rates
from hygie.core.formatting import fmt_percent
from hygie.plan.models import Severity
from hygie.plan.schemas import FindingIn

MIN_SENT = 5
CLICK_RATE_MEDIUM = 20.0  # % of the e-mails delivered whose link was clicked
CLICK_RATE_HIGH = 35.0
SUBMIT_RATE_HIGH = 10.0  # % that typed something into the fake page
REPORT_RATE_LOW = 20.0  # % that reported the e-mail: under it, the SOC hears too little
MIN_INVITED = 5
COMPLETION_MEDIUM = 70.0  # % of the staff invited over twelve months who completed
COMPLETION_HIGH = 40.0
MAX_AGE = timedelta(days=365)  # no phishing campaign, or no training, for longer: a finding

TRAINING = "AWA-TRAINING"
PHISHING = "AWA-PHISHING"
IT_STAFF = "AWA-IT-STAFF"


@dataclass(frozen=True)
class AwarenessFacts:
    """What the findings are drawn from."""

    as_of: date
    last_campaign: date | None
    last_campaign_name: str | None
    latest: Mapping[str, Counts]  # the latest campaign's counts per department
    last_training: date | None
    completion: Mapping[str, Completion]  # per department, over the last twelve months
    categories: Mapping[str, Completion]  # per staff category, same period


def _name(department: str, lang: str) -> str:
    if department == UNKNOWN_DEPARTMENT:
        return "service inconnu" if lang == "fr" else "unknown department"
    return department


def _finding(
    key: str, fr: str, en: str, severity: Severity, controls: list[str], **evidence: object
) -> FindingIn:
    return FindingIn(
        key=key[:300],
        title=fr[:500],
        severity=severity,
        control_ids=controls,
        evidence={"title_en": en[:500], **evidence},
    )


def _phishing(facts: AwarenessFacts) -> list[FindingIn]:
    found: list[FindingIn] = []
    if facts.last_campaign is None or facts.as_of - facts.last_campaign > MAX_AGE:
        found.append(
            _finding(
                "phishing:no-recent-campaign",
                "Aucune campagne d'hameçonnage simulé depuis plus de douze mois",
                "No phishing simulation for more than twelve months",
                Severity.MEDIUM,
                [PHISHING],
                last_campaign=facts.last_campaign.isoformat() if facts.last_campaign else None,
            )
        )
        return found
    campaign = facts.last_campaign_name or ""
    for department, counts in facts.latest.items():
        if counts.sent < MIN_SENT:
            continue
        measured = rates(counts)
        fr_name, en_name = _name(department, "fr"), _name(department, "en")
        evidence = {"campaign": campaign, "department": department, "sent": counts.sent}
        if measured.submitted is not None and measured.submitted >= SUBMIT_RATE_HIGH:
            found.append(
                _finding(
                    f"phishing:submitted:{department}",
                    f"{fr_name} : {fmt_percent(measured.submitted, 'fr')} des destinataires ont saisi des "
                    f"données sur la fausse page ({campaign})",
                    f"{en_name}: {fmt_percent(measured.submitted, 'en')} of recipients submitted data to the "
                    f"fake page ({campaign})",
                    Severity.HIGH,
                    [PHISHING],
                    **evidence,
                    submitted=counts.submitted,
                )
            )
        if measured.clicked is not None and measured.clicked >= CLICK_RATE_MEDIUM:
            severity = Severity.HIGH if measured.clicked >= CLICK_RATE_HIGH else Severity.MEDIUM
            found.append(
                _finding(
                    f"phishing:clicked:{department}",
                    f"{fr_name} : {fmt_percent(measured.clicked, 'fr')} de clics sur le lien d'hameçonnage "
                    f"({campaign})",
                    f"{en_name}: {fmt_percent(measured.clicked, 'en')} clicked the phishing link "
                    f"({campaign})",
                    severity,
                    [PHISHING],
                    **evidence,
                    clicked=counts.clicked,
                )
            )
        if measured.reported is not None and measured.reported < REPORT_RATE_LOW:
            found.append(
                _finding(
                    f"phishing:reported:{department}",
                    f"{fr_name} : seuls {fmt_percent(measured.reported, 'fr')} des destinataires ont signalé "
                    f"le courriel ({campaign})",
                    f"{en_name}: only {fmt_percent(measured.reported, 'en')} of recipients reported "
                    f"the e-mail ({campaign})",
                    Severity.MEDIUM,
                    [PHISHING],
                    **evidence,
                    reported=counts.reported,
                )
            )
    return found


def _completion_severity(completion: Completion) -> Severity | None:
    rate = completion.rate
    if completion.invited < MIN_INVITED or rate is None or rate >= COMPLETION_MEDIUM:
        return None
    return Severity.HIGH if rate < COMPLETION_HIGH else Severity.MEDIUM


def _training(facts: AwarenessFacts) -> list[FindingIn]:
    if facts.last_training is None or facts.as_of - facts.last_training > MAX_AGE:
        return [
            _finding(
                "training:no-recent-session",
                "Aucune session de sensibilisation depuis plus de douze mois",
                "No awareness training session for more than twelve months",
                Severity.HIGH,
                [TRAINING],
                last_training=facts.last_training.isoformat() if facts.last_training else None,
            )
        ]
    found: list[FindingIn] = []
    for department, completion in facts.completion.items():
        severity = _completion_severity(completion)
        if severity is None:
            continue
        found.append(
            _finding(
                f"training:completion:{department}",
                f"{_name(department, 'fr')} : {fmt_percent(completion.rate, 'fr')} des personnels "
                "invités ont suivi la sensibilisation (douze derniers mois)",
                f"{_name(department, 'en')}: {fmt_percent(completion.rate, 'en')} of the staff invited "
                "completed awareness training (last twelve months)",
                severity,
                [TRAINING],
                department=department,
                invited=completion.invited,
                completed=completion.completed,
            )
        )
    technical = facts.categories.get(StaffCategory.TECHNICAL.value)
    severity = _completion_severity(technical) if technical else None
    if technical is not None and severity is not None:
        found.append(
            _finding(
                "training:completion-category:technical",
                f"Personnels techniques : {fmt_percent(technical.rate, 'fr')} ont suivi la formation "
                "(douze derniers mois)",
                f"Technical staff: {fmt_percent(technical.rate, 'en')} completed training "
                "(last twelve months)",
                severity,
                [IT_STAFF, TRAINING],
                invited=technical.invited,
                completed=technical.completed,
            )
        )
    return found


def awareness_findings(facts: AwarenessFacts) -> list[FindingIn]:
    """Every awareness weakness the facts show, keyed so that the next refresh finds it again."""
    return [*_phishing(facts), *_training(facts)]
