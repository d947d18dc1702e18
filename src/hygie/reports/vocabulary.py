"""The fixed vocabulary of the reports (dimensions, statuses, severities, ...) and its translations.

Values stay English identifiers in the data; they become words only when shown, in the reader's language.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from hygie.core.i18n import N_, gettext
from hygie.frameworks.schema import Dimension
from hygie.org.schemas import Nis2Category
from hygie.plan.models import ActionStatus, Severity
from hygie.plan.schemas import OwnerRole
from hygie.reports.schemas import AnswerStatus, BudgetVerdict, RequirementStatus

# A list, not a dict literal: equal string values of different enums ("unknown") must not collide.
_LABEL_LIST: list[tuple[StrEnum, str]] = [
    # Dimensions, in the order the radar draws them.
    (Dimension.GOVERNANCE, N_("Governance")),
    (Dimension.TECHNICAL, N_("Technical")),
    (Dimension.AWARENESS, N_("Awareness")),
    (Dimension.CONTINUITY, N_("Continuity")),
    (Dimension.INCIDENT_RESPONSE, N_("Incident response")),
    # Severities
    (Severity.CRITICAL, N_("Critical")),
    (Severity.HIGH, N_("High")),
    (Severity.MEDIUM, N_("Medium")),
    (Severity.LOW, N_("Low")),
    (Severity.INFO, N_("Information")),
    # Answers
    (AnswerStatus.ANSWERED, N_("Answered")),
    (AnswerStatus.UNKNOWN, N_("Don't know")),
    (AnswerStatus.NOT_APPLICABLE, N_("Not applicable")),
    # Requirements
    (RequirementStatus.COMPLIANT, N_("Compliant")),
    (RequirementStatus.PARTIAL, N_("Partial")),
    (RequirementStatus.NON_COMPLIANT, N_("Non-compliant")),
    (RequirementStatus.NOT_ASSESSED, N_("Not assessed")),
    # NIS2
    (Nis2Category.ESSENTIAL, N_("Essential entity")),
    (Nis2Category.IMPORTANT, N_("Important entity")),
    (Nis2Category.OUT_OF_SCOPE, N_("Out of scope")),
    # Budget
    (BudgetVerdict.BELOW, N_("Below the reference range")),
    (BudgetVerdict.WITHIN, N_("Within the reference range")),
    (BudgetVerdict.ABOVE, N_("Above the reference range")),
    (BudgetVerdict.UNKNOWN, N_("Not known")),
    (AnswerStatus.NOT_ASSESSED, N_("Not assessed")),
    # Where an action stands
    (ActionStatus.TODO, N_("To do")),
    (ActionStatus.IN_PROGRESS, N_("In progress")),
    (ActionStatus.DONE, N_("Done")),
    (ActionStatus.CANCELLED, N_("Cancelled")),
    # Who carries an action
    (OwnerRole.RSSI, N_("Security officer")),
    (OwnerRole.DSI, N_("IT director")),
    (OwnerRole.DIRECTION, N_("Management")),
    (OwnerRole.BIOMEDICAL, N_("Biomedical engineering")),
    (OwnerRole.DPO, N_("Data protection officer")),
    (OwnerRole.IT_TECHNICIAN, N_("IT technician")),
]
_LABELS: dict[tuple[type, str], str] = {(type(m), m.value): message for m, message in _LABEL_LIST}

# Establishment kinds (hygie.org.models.EstablishmentKind values).
_KINDS: dict[str, str] = {
    "chu": N_("University hospital"),
    "ch": N_("Hospital"),
    "chs": N_("Psychiatric hospital"),
    "clinic": N_("Private clinic"),
    "espic": N_("Private non-profit hospital"),
    "clcc": N_("Cancer centre"),
    "smr": N_("Rehabilitation centre"),
    "had": N_("Hospital at home"),
    "dialysis": N_("Dialysis centre"),
    "ehpad": N_("Nursing home"),
    "laboratory": N_("Medical laboratory"),
    "other": N_("Other"),
}

_PATHS: dict[str, str] = {
    "full": N_("full questionnaire"),
    "short": N_("essential path"),
}

DIMENSION_ORDER = tuple(Dimension)


def label(value: StrEnum | str, lang: str) -> str:
    """The word for an enum value in ``lang``; an unknown value is shown as it is."""
    message = _LABELS.get((type(value), value)) if isinstance(value, StrEnum) else None
    return gettext(message, lang) if message else str(value)


def kind_label(kind: str, lang: str) -> str:
    message = _KINDS.get(kind)
    return gettext(message, lang) if message else kind


def path_label(path: str, lang: str) -> str:
    message = _PATHS.get(path)
    return gettext(message, lang) if message else path


class Headline(NamedTuple):
    label: str  # msgid
    rise_is_good: bool | None  # None: neither good nor bad news
    form: str  # how the report writes it: index, count, euros or percent


# The headline figures, in the order the trend lists them. Their values are stored with each report.
HEADLINE: dict[str, Headline] = {
    "declared_index": Headline(N_("Declared maturity index"), True, "index"),
    "measured_index": Headline(N_("Measured maturity index"), True, "index"),
    "critical_findings": Headline(N_("Critical weaknesses"), False, "count"),
    "exposed_vulnerable_systems": Headline(N_("Exposed vulnerable systems"), False, "count"),
    "kev_open": Headline(N_("Known exploited vulnerabilities"), False, "count"),
    "obsolete_systems": Headline(N_("Obsolete systems"), False, "count"),
    "services_not_ready": Headline(N_("Care services not ready"), False, "count"),
    "critical_alerts_open": Headline(N_("Critical alerts open"), False, "count"),
    "incidents_open": Headline(N_("Incidents open"), False, "count"),
    "deadlines_overdue": Headline(N_("Notifications overdue"), False, "count"),
    "plan_cost": Headline(N_("Cost of the plan"), None, "euros"),
    "index_after_plan": Headline(N_("Index once the plan is done"), True, "index"),
    "nis2_percent": Headline(N_("NIS2 article 21 compliance"), True, "percent"),
    "care_percent": Headline(N_("CaRE compliance"), True, "percent"),
    "click_rate": Headline(N_("Phishing click rate"), False, "percent"),
    "training_completion": Headline(N_("Training completion"), True, "percent"),
}


def headline_label(key: str, lang: str) -> str:
    return gettext(HEADLINE[key].label, lang)
