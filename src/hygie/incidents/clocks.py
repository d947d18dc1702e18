"""The regulatory clocks of an incident: who must hear what, by when. Pure: no database, no clock read.

Deadlines are computed in UTC from the moment the establishment became aware of the incident: "within
24 hours" is 24 elapsed hours, so across a change of daylight-saving time the wall-clock hour in
Europe/Paris moves by one. The NIS2 final report is due "one month" after the notification: a
calendar month, counted on the Paris calendar (same wall time, the day clamped to the month's end).

Where the reference texts leave a delay open ("sans délai", "without undue delay"), Hygie uses the
target given in ``DEFAULT_HOURS`` and says so in the clock's ``assumption``; an establishment may set
its own delay (``overrides``, in hours), which then replaces it.

Sources: Directive (EU) 2022/2555 art. 23(4); article L.1111-8-2 of the public health code and décret
2022-715; GDPR art. 33 and 34.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from hygie.core.i18n import N_
from hygie.incidents.models import Answer, ClockKind
from hygie.org.schemas import Nis2Category

PARIS = ZoneInfo("Europe/Paris")

DEFAULT_HOURS: dict[ClockKind, int] = {
    ClockKind.NIS2_EARLY_WARNING: 24,
    ClockKind.NIS2_NOTIFICATION: 72,
    ClockKind.CERT_SANTE: 24,  # "sans délai": Hygie's assumption, to be corrected per establishment
    ClockKind.CNIL: 72,
    ClockKind.PATIENTS: 72,  # "without undue delay": Hygie's assumption
}
OVERRIDABLE = frozenset(DEFAULT_HOURS)
SOON = timedelta(hours=6)  # a clock with less than this left is shown as urgent

AUTHORITY = {
    ClockKind.NIS2_EARLY_WARNING: N_("ANSSI (CERT-FR), national CSIRT under NIS2"),
    ClockKind.NIS2_NOTIFICATION: N_("ANSSI (CERT-FR), national CSIRT under NIS2"),
    ClockKind.NIS2_INTERMEDIATE: N_("ANSSI (CERT-FR), national CSIRT under NIS2"),
    ClockKind.NIS2_FINAL: N_("ANSSI (CERT-FR), national CSIRT under NIS2"),
    ClockKind.CERT_SANTE: N_("ARS and CERT Santé (ANS), signalement.social-sante.gouv.fr"),
    ClockKind.CNIL: N_("CNIL (personal-data breach notification)"),
    ClockKind.PATIENTS: N_("The patients concerned"),
}
TITLE = {
    ClockKind.NIS2_EARLY_WARNING: N_("NIS2 early warning"),
    ClockKind.NIS2_NOTIFICATION: N_("NIS2 incident notification"),
    ClockKind.NIS2_INTERMEDIATE: N_("NIS2 intermediate report"),
    ClockKind.NIS2_FINAL: N_("NIS2 final report"),
    ClockKind.CERT_SANTE: N_("Health-sector declaration (CERT Santé)"),
    ClockKind.CNIL: N_("Personal-data breach notification (CNIL)"),
    ClockKind.PATIENTS: N_("Information of the patients"),
}
BASIS = {
    ClockKind.NIS2_EARLY_WARNING: "Directive (UE) 2022/2555, art. 23(4)(a)",
    ClockKind.NIS2_NOTIFICATION: "Directive (UE) 2022/2555, art. 23(4)(b)",
    ClockKind.NIS2_INTERMEDIATE: "Directive (UE) 2022/2555, art. 23(4)(c)",
    ClockKind.NIS2_FINAL: "Directive (UE) 2022/2555, art. 23(4)(d)",
    ClockKind.CERT_SANTE: "Code de la santé publique, art. L.1111-8-2 ; décret 2022-715",
    ClockKind.CNIL: "RGPD, art. 33",
    ClockKind.PATIENTS: "RGPD, art. 34",
}

# What each report needs from the case, as (fact, message shown when it is missing).
MISSING_AWARE = N_("when the establishment became aware of the incident")
MISSING_MALICIOUS = N_("whether the incident is suspected to be malicious")
MISSING_CROSS_BORDER = N_("whether it has or may have a cross-border impact")
MISSING_SEVERITY_IMPACT = N_("an initial assessment of its impact on care (affected services)")
MISSING_INDICATORS = N_("indicators of compromise, where available")
MISSING_DESCRIPTION = N_("a description of the incident")
MISSING_ROOT_CAUSE = N_("the type of threat or root cause")
MISSING_MEASURES = N_("the mitigation measures applied and ongoing")
MISSING_CARE_IMPACT = N_("the impact on patient care (degraded mode, transfers, cancellations)")
MISSING_PATIENT_DATA = N_("whether patient or personal data are concerned")
MISSING_PERSONS = N_("the approximate number of persons concerned")
MISSING_HIGH_RISK = N_("whether the risk to the persons is high")
MISSING_NOTIFICATION = N_("the NIS2 notification, which the final report follows")


class ClockStatus(StrEnum):
    DUE = "due"
    SOON = "soon"
    OVERDUE = "overdue"
    DONE = "done"
    REQUESTABLE = "requestable"  # may be asked for; no deadline until then
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class CaseFacts:
    """What the clocks read from a case (the service builds it from the stored row)."""

    aware_at: datetime
    patient_data: Answer = Answer.UNKNOWN
    persons_affected: int | None = None
    high_risk_to_persons: Answer = Answer.UNKNOWN
    significant: Answer = Answer.UNKNOWN
    malicious: Answer = Answer.UNKNOWN
    cross_border: Answer = Answer.UNKNOWN
    description: str = ""
    care_services: Sequence[str] = ()
    care_impact: str = ""
    measures: str = ""
    root_cause: str = ""
    indicators: int = 0


@dataclass(frozen=True)
class Sent:
    """A report row: sent (``sent_at``) and/or, for the intermediate report, requested."""

    sent_at: datetime | None = None
    requested_at: datetime | None = None
    due_at: datetime | None = None


@dataclass(frozen=True)
class Clock:
    kind: ClockKind
    title: str  # msgid
    authority: str  # msgid
    basis: str
    status: ClockStatus
    deadline: datetime | None  # aware UTC
    sent_at: datetime | None
    missing: list[str] = field(default_factory=list)  # msgids
    assumption: str = ""  # msgid, with %(hours)d where it has one
    hours: int | None = None  # the delay in force, when the clock counts hours

    @property
    def applies(self) -> bool:
        return self.status != ClockStatus.NOT_APPLICABLE

    def remaining(self, now: datetime) -> timedelta | None:
        return None if self.deadline is None else self.deadline - now

    def deadline_paris(self) -> datetime | None:
        return None if self.deadline is None else self.deadline.astimezone(PARIS)


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"{name} must be an aware datetime")
    return value


def add_month(moment: datetime) -> datetime:
    """One calendar month later on the Paris calendar, same wall time (31 Jan → 28/29 Feb)."""
    local = _aware(moment, "moment").astimezone(PARIS)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    day = min(local.day, calendar.monthrange(year, month)[1])
    naive = local.replace(tzinfo=None, year=year, month=month, day=day)
    # fold=0: a wall time that occurs twice (October) is its first occurrence, the earlier deadline.
    return naive.replace(tzinfo=PARIS).astimezone(UTC)


def _status(deadline: datetime | None, sent: Sent | None, now: datetime) -> ClockStatus:
    if sent is not None and sent.sent_at is not None:
        return ClockStatus.DONE
    if deadline is None:
        return ClockStatus.DUE
    if now > deadline:
        return ClockStatus.OVERDUE
    if deadline - now <= SOON:
        return ClockStatus.SOON
    return ClockStatus.DUE


def _clock(
    kind: ClockKind,
    deadline: datetime | None,
    sent: Sent | None,
    now: datetime,
    missing: list[str],
    assumption: str,
    hours: int | None = None,
    *,
    applies: bool = True,
) -> Clock:
    status = _status(deadline, sent, now) if applies else ClockStatus.NOT_APPLICABLE
    return Clock(
        kind=kind,
        title=TITLE[kind],
        authority=AUTHORITY[kind],
        basis=BASIS[kind],
        status=status,
        deadline=deadline if applies else None,
        sent_at=sent.sent_at if sent else None,
        missing=missing if applies and status != ClockStatus.DONE else [],
        assumption=assumption,
        hours=hours,
    )


def compute(
    facts: CaseFacts,
    nis2: Nis2Category,
    reports: Mapping[ClockKind, Sent],
    now: datetime,
    overrides: Mapping[ClockKind, int] | None = None,
) -> list[Clock]:
    """Every clock of the case, in the order a crisis cell meets them."""
    aware = _aware(facts.aware_at, "aware_at").astimezone(UTC)
    now = _aware(now, "now")
    delays = {**DEFAULT_HOURS, **{k: v for k, v in (overrides or {}).items() if k in OVERRIDABLE}}

    def due(kind: ClockKind) -> datetime:
        return aware + timedelta(hours=delays[kind])

    def hours_assumption(kind: ClockKind, default: str) -> str:
        if overrides and kind in overrides:
            return N_("Delay of %(hours)d h set by the establishment in place of the default.")
        return default

    in_nis2 = nis2 in (Nis2Category.ESSENTIAL, Nis2Category.IMPORTANT)
    significant = facts.significant != Answer.NO
    nis2_applies = in_nis2 and significant
    if not in_nis2:
        nis2_assumption = N_("The establishment is out of the scope of NIS2 (see its NIS2 status).")
    elif facts.significant == Answer.NO:
        nis2_assumption = N_("The incident was judged not significant within the meaning of NIS2.")
    elif facts.significant == Answer.UNKNOWN:
        nis2_assumption = N_(
            "Treated as a significant incident until the establishment decides otherwise "
            "(NIS2 art. 23(3): severe disruption of the service or damage to others)."
        )
    else:
        nis2_assumption = N_("A significant incident of an entity subject to NIS2.")

    def nis2_text(kind: ClockKind) -> str:
        return hours_assumption(kind, nis2_assumption) if nis2_applies else nis2_assumption

    clocks: list[Clock] = []
    early_missing = [
        message
        for known, message in (
            (facts.malicious != Answer.UNKNOWN, MISSING_MALICIOUS),
            (facts.cross_border != Answer.UNKNOWN, MISSING_CROSS_BORDER),
        )
        if not known
    ]
    kind = ClockKind.NIS2_EARLY_WARNING
    clocks.append(
        _clock(
            kind,
            due(kind),
            reports.get(kind),
            now,
            early_missing,
            nis2_text(kind),
            delays[kind],
            applies=nis2_applies,
        )
    )
    notification_missing = [
        *early_missing,
        *(
            message
            for known, message in (
                (bool(facts.care_services) or bool(facts.care_impact.strip()), MISSING_SEVERITY_IMPACT),
                (facts.indicators > 0, MISSING_INDICATORS),
            )
            if not known
        ),
    ]
    kind = ClockKind.NIS2_NOTIFICATION
    clocks.append(
        _clock(
            kind,
            due(kind),
            reports.get(kind),
            now,
            notification_missing,
            nis2_text(kind),
            delays[kind],
            applies=nis2_applies,
        )
    )
    intermediate = reports.get(ClockKind.NIS2_INTERMEDIATE)
    requested = intermediate is not None and (intermediate.requested_at or intermediate.sent_at)
    if nis2_applies and not requested:
        clocks.append(
            Clock(
                kind=ClockKind.NIS2_INTERMEDIATE,
                title=TITLE[ClockKind.NIS2_INTERMEDIATE],
                authority=AUTHORITY[ClockKind.NIS2_INTERMEDIATE],
                basis=BASIS[ClockKind.NIS2_INTERMEDIATE],
                status=ClockStatus.REQUESTABLE,
                deadline=None,
                sent_at=None,
                assumption=N_("Due only if the CSIRT or the authority asks for it, by the date it sets."),
            )
        )
    else:
        clocks.append(
            _clock(
                ClockKind.NIS2_INTERMEDIATE,
                intermediate.due_at if intermediate else None,
                intermediate,
                now,
                [],
                N_("Asked for by the CSIRT or the authority, by the date it set."),
                applies=nis2_applies,
            )
        )
    notification = reports.get(ClockKind.NIS2_NOTIFICATION)
    final_missing = [
        message
        for known, message in (
            (bool(facts.description.strip()), MISSING_DESCRIPTION),
            (bool(facts.root_cause.strip()), MISSING_ROOT_CAUSE),
            (bool(facts.measures.strip()), MISSING_MEASURES),
            (facts.cross_border != Answer.UNKNOWN, MISSING_CROSS_BORDER),
        )
        if not known
    ]
    if notification is not None and notification.sent_at is not None:
        final_deadline = add_month(notification.sent_at)
        final_assumption = N_(
            "One month after the notification was sent; if the incident is still ongoing then, a progress "
            "report is due instead and the final report one month after it is handled."
        )
    else:
        final_deadline = add_month(due(ClockKind.NIS2_NOTIFICATION))
        final_missing.append(MISSING_NOTIFICATION)
        final_assumption = N_(
            "The notification is not recorded as sent: counted from its deadline until it is."
        )
    clocks.append(
        _clock(
            ClockKind.NIS2_FINAL,
            final_deadline,
            reports.get(ClockKind.NIS2_FINAL),
            now,
            final_missing,
            final_assumption if nis2_applies else nis2_assumption,
            applies=nis2_applies,
        )
    )

    kind = ClockKind.CERT_SANTE
    sante_missing = [
        message
        for known, message in (
            (bool(facts.description.strip()), MISSING_DESCRIPTION),
            (facts.malicious != Answer.UNKNOWN, MISSING_MALICIOUS),
            (bool(facts.care_impact.strip()), MISSING_CARE_IMPACT),
            (facts.patient_data != Answer.UNKNOWN, MISSING_PATIENT_DATA),
            (bool(facts.measures.strip()), MISSING_MEASURES),
        )
        if not known
    ]
    if facts.significant == Answer.NO:
        sante_assumption = N_(
            "Judged neither significant nor serious: no declaration (L.1111-8-2 covers significant or "
            "serious incidents)."
        )
    else:
        sante_assumption = hours_assumption(
            kind,
            N_(
                'The code says "sans délai" (without delay): Hygie counts %(hours)d h from awareness; '
                "set the delay your ARS expects if it differs."
            ),
        )
    clocks.append(
        _clock(
            kind,
            due(kind),
            reports.get(kind),
            now,
            sante_missing,
            sante_assumption,
            delays[kind],
            applies=facts.significant != Answer.NO,
        )
    )

    kind = ClockKind.CNIL
    cnil_missing = [
        message
        for known, message in (
            (facts.patient_data != Answer.UNKNOWN, MISSING_PATIENT_DATA),
            (facts.persons_affected is not None, MISSING_PERSONS),
            (bool(facts.measures.strip()), MISSING_MEASURES),
        )
        if not known
    ]
    if facts.patient_data == Answer.NO:
        cnil_assumption = N_("No personal data concerned: no notification to the CNIL.")
    elif facts.patient_data == Answer.UNKNOWN:
        cnil_assumption = hours_assumption(
            kind,
            N_(
                "Counted as if patient data were concerned until it is known: 72 h from awareness "
                "(GDPR art. 33); a later notification must give the reasons for the delay."
            ),
        )
    else:
        cnil_assumption = hours_assumption(
            kind, N_("Patient data are concerned: 72 h from awareness (GDPR art. 33).")
        )
    clocks.append(
        _clock(
            kind,
            due(kind),
            reports.get(kind),
            now,
            cnil_missing,
            cnil_assumption,
            delays[kind],
            applies=facts.patient_data != Answer.NO,
        )
    )

    kind = ClockKind.PATIENTS
    high = facts.high_risk_to_persons == Answer.YES and facts.patient_data != Answer.NO
    if high:
        patients_assumption = hours_assumption(
            kind,
            N_(
                'High risk to the persons: they must be told "without undue delay" (GDPR art. 34); '
                "Hygie targets %(hours)d h from awareness."
            ),
        )
    else:
        patients_assumption = N_(
            "Due only when the breach is likely to result in a high risk to the persons (GDPR art. 34)."
        )
    patients_missing = [] if facts.high_risk_to_persons != Answer.UNKNOWN else [MISSING_HIGH_RISK]
    clocks.append(
        _clock(
            kind,
            due(kind),
            reports.get(kind),
            now,
            patients_missing,
            patients_assumption,
            delays[kind],
            applies=high,
        )
    )
    return clocks


def most_urgent(clocks: Sequence[Clock]) -> Clock | None:
    """The open clock with the nearest deadline (overdue ones first): what a list shows."""
    running = (ClockStatus.DUE, ClockStatus.SOON, ClockStatus.OVERDUE)
    dated = [(c.deadline, c) for c in clocks if c.deadline is not None and c.status in running]
    return min(dated, key=lambda pair: pair[0])[1] if dated else None


__all__ = [
    "DEFAULT_HOURS",
    "OVERRIDABLE",
    "PARIS",
    "CaseFacts",
    "Clock",
    "ClockStatus",
    "Sent",
    "add_month",
    "compute",
    "most_urgent",
]
