"""The precursor signals at a glance: the alerts of each signal (detectors' and Sigma rules' alike), the
open ones, the latest, and this week against the week before."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from hygie.core.i18n import N_
from hygie.core.time import utcnow
from hygie.detect import service
from hygie.detect.detectors import RULES
from hygie.detect.detectors.base import Signal
from hygie.detect.models import Alert, AlertStatus

LABELS = {
    Signal.MAIL: N_("Suspicious e-mail"),
    Signal.SLOWDOWN: N_("Unusual slowdowns"),
    Signal.ACCESS: N_("Unrecognised or unusual access"),
    Signal.BACKUP: N_("Failing or untested backups"),
    Signal.RANSOMWARE: N_("Ransomware behaviour"),
}
"""Each signal's name on the page, in the order shown."""

TECHNIQUE_SIGNALS = {
    "T1566": Signal.MAIL,  # phishing
    "T1110": Signal.ACCESS,  # brute force
    "T1078": Signal.ACCESS,  # valid accounts
    "T1021": Signal.ACCESS,  # remote services (lateral movement)
    "T1003": Signal.ACCESS,  # credential dumping
    "T1550": Signal.ACCESS,  # pass the hash / ticket
    "T1558": Signal.ACCESS,  # Kerberos tickets
    "T1486": Signal.RANSOMWARE,  # data encrypted for impact
    "T1490": Signal.RANSOMWARE,  # inhibit system recovery (shadow copies deleted)
    "T1485": Signal.RANSOMWARE,  # data destruction
    "T1496": Signal.SLOWDOWN,  # resource hijacking
}
"""A Sigma rule's alert joins a signal through its ATT&CK technique (sub-techniques included)."""

OPEN = (AlertStatus.NEW, AlertStatus.IN_PROGRESS)
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class SignalSummary:
    signal: Signal
    label: str  # msgid
    open: int  # new or in progress
    last_seen: datetime | None
    this_week: int  # alerts seen in the 7 days before ``until``
    week_before: int  # in the 7 days before those


def signal_of(alert: Alert) -> Signal | None:
    rule = RULES.get(alert.rule_id)
    if rule is not None:
        return rule.signal
    for technique in alert.techniques:
        signal = TECHNIQUE_SIGNALS.get(str(technique).split(".")[0].upper())
        if signal is not None:
            return signal
    return None


def summary(session: Session, establishment_id: int, until: datetime | None = None) -> list[SignalSummary]:
    """Each signal's figures; the weeks end at ``until`` (default now, or the latest alert when the logs
    are older than a fortnight, as with a replay of past logs)."""
    alerts = service.list_alerts(session, establishment_id)
    end = until or utcnow()
    if until is None and alerts and alerts[0].last_seen < end - 2 * WEEK:
        end = alerts[0].last_seen  # latest first
    grouped: dict[Signal, list[Alert]] = {signal: [] for signal in LABELS}
    for alert in alerts:
        signal = signal_of(alert)
        if signal is not None:
            grouped[signal].append(alert)
    return [
        SignalSummary(
            signal=signal,
            label=LABELS[signal],
            open=sum(1 for a in rows if a.status in OPEN),
            last_seen=max((a.last_seen for a in rows), default=None),
            this_week=sum(1 for a in rows if end - WEEK < a.last_seen <= end),
            week_before=sum(1 for a in rows if end - 2 * WEEK < a.last_seen <= end - WEEK),
        )
        for signal, rows in grouped.items()
    ]
