"""The words of the incidents in the reader's language: labels of the vocabularies and the clocks as
shown (deadline in Europe/Paris, remaining time). Shared by the API, the pages, the CLI and the drafts."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from hygie.core.i18n import N_, gettext
from hygie.incidents.clocks import PARIS, Clock
from hygie.incidents.models import (
    Answer,
    CareService,
    CaseStatus,
    Category,
    EntryKind,
    IndicatorKind,
    Severity,
)
from hygie.incidents.schemas import ClockOut
from hygie.org.schemas import Nis2Category

LABELS: dict[StrEnum | str, str] = {
    Category.RANSOMWARE: N_("Ransomware"),
    Category.PHISHING: N_("Phishing"),
    Category.ACCOUNT_COMPROMISE: N_("Account compromise"),
    Category.DATA_BREACH: N_("Data breach"),
    Category.DDOS: N_("Denial of service (DDoS)"),
    Category.MEDICAL_DEVICE: N_("Medical device compromise"),
    Category.MALWARE: N_("Malware"),
    Category.VULNERABILITY_EXPLOIT: N_("Exploited vulnerability"),
    Category.SUPPLIER: N_("Supplier or provider failure"),
    Category.OUTAGE: N_("Outage"),
    Category.OTHER: N_("Other"),
    Severity.CRITICAL: N_("Critical"),
    Severity.HIGH: N_("High"),
    Severity.MEDIUM: N_("Medium"),
    Severity.LOW: N_("Low"),
    CaseStatus.OPEN: N_("Open"),
    CaseStatus.CONTAINED: N_("Contained"),
    CaseStatus.CLOSED: N_("Closed"),
    Answer.YES: N_("Yes"),
    Answer.NO: N_("No"),
    Answer.UNKNOWN: N_("Unknown"),
    CareService.EMERGENCY: N_("Emergency department"),
    CareService.THEATRE: N_("Operating theatre"),
    CareService.INTENSIVE_CARE: N_("Intensive care"),
    CareService.MATERNITY: N_("Maternity"),
    CareService.MEDICINE: N_("Medicine"),
    CareService.SURGERY: N_("Surgery"),
    CareService.PAEDIATRICS: N_("Paediatrics"),
    CareService.PSYCHIATRY: N_("Psychiatry"),
    CareService.ONCOLOGY: N_("Oncology"),
    CareService.DIALYSIS: N_("Dialysis"),
    CareService.LABORATORY: N_("Laboratory"),
    CareService.IMAGING: N_("Imaging"),
    CareService.PHARMACY: N_("Pharmacy"),
    CareService.ADMISSIONS: N_("Admissions"),
    CareService.OUTPATIENT: N_("Outpatient clinics"),
    CareService.SAMU: N_("SAMU (emergency medical service)"),
    EntryKind.NOTE: N_("Note"),
    EntryKind.DETECTION: N_("Detection"),
    EntryKind.ACTION: N_("Action"),
    EntryKind.DECISION: N_("Decision"),
    EntryKind.COMMUNICATION: N_("Communication"),
    EntryKind.STATUS: N_("Status"),
    EntryKind.REPORT: N_("Report to an authority"),
    IndicatorKind.IPV4: N_("IPv4 address"),
    IndicatorKind.IPV6: N_("IPv6 address"),
    IndicatorKind.DOMAIN: N_("Domain name"),
    IndicatorKind.URL: N_("URL"),
    IndicatorKind.MD5: N_("MD5 hash"),
    IndicatorKind.SHA1: N_("SHA-1 hash"),
    IndicatorKind.SHA256: N_("SHA-256 hash"),
    IndicatorKind.ACCOUNT: N_("Account"),
    IndicatorKind.EMAIL: N_("E-mail address"),
    Nis2Category.ESSENTIAL: N_("essential entity"),
    Nis2Category.IMPORTANT: N_("important entity"),
    Nis2Category.OUT_OF_SCOPE: N_("out of scope"),
}


def label(value: StrEnum | str, lang: str) -> str:
    """The value's label in ``lang`` (an unknown code is shown as it is)."""
    # The vocabularies share no value, so a member and its bare string find the same label.
    text = LABELS.get(value)
    return gettext(text, lang) if text else str(value)


def remaining_text(remaining: timedelta | None, lang: str) -> str:
    """ "3 h 20 min left" / "overdue by 1 d 2 h" — what the countdown shows."""
    if remaining is None:
        return ""
    seconds = int(remaining.total_seconds())
    late = seconds < 0
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        span = gettext("%(days)d d %(hours)d h", lang) % {"days": days, "hours": hours}
    else:
        span = gettext("%(hours)d h %(minutes)02d min", lang) % {"hours": hours, "minutes": minutes}
    if late:
        return gettext("overdue by %(span)s", lang) % {"span": span}
    return gettext("%(span)s left", lang) % {"span": span}


def local(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(PARIS)


def local_text(moment: datetime | None, lang: str) -> str:
    """A moment in Europe/Paris, e.g. ``29/03/2026 13:00 (heure de Paris)``."""
    if moment is None:
        return "—"
    shown = moment.astimezone(PARIS)
    pattern = "%d/%m/%Y %H:%M" if lang == "fr" else "%Y-%m-%d %H:%M"
    return shown.strftime(pattern) + " " + gettext("(Paris time)", lang)


def clock_out(clock: Clock, lang: str, now: datetime) -> ClockOut:
    remaining = clock.remaining(now) if clock.status.value in ("due", "soon", "overdue") else None
    return ClockOut(
        kind=clock.kind,
        title=gettext(clock.title, lang),
        authority=gettext(clock.authority, lang),
        basis=clock.basis,
        status=clock.status,
        deadline=clock.deadline,
        deadline_local=local(clock.deadline),
        remaining_seconds=None if remaining is None else int(remaining.total_seconds()),
        sent_at=clock.sent_at,
        missing=[gettext(m, lang) for m in clock.missing],
        assumption=gettext(clock.assumption, lang) % {"hours": clock.hours or 0} if clock.assumption else "",
    )
