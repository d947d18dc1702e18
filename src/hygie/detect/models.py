"""Tables of detection: the alerts raised by the Sigma rules over the event store.

One alert is one rule × host × burst: the hits of a rule on a host whose times are less than
:data:`BURST_GAP` apart. Its ``key`` (rule, host, start of the burst) is stable, so running the
detection again over the same events refreshes the alert instead of adding one. The team triages it
(new, in progress, false positive, true positive); a true positive may open an incident case.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hygie.core.db import Base, EnumText, UTCDateTime
from hygie.core.i18n import N_
from hygie.core.time import utcnow

BURST_GAP = timedelta(hours=1)
"""Hits of one rule on one host closer than this belong to the same alert."""

MAX_EVENT_IDS = 200
"""Event ids kept on an alert; ``event_count`` holds the total."""


class AlertStatus(StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    FALSE_POSITIVE = "false_positive"
    TRUE_POSITIVE = "true_positive"


class AlertLevel(StrEnum):
    INFORMATIONAL = "informational"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


# Labels in the reader's language (English msgids), for the pages and the CLI.
LEVEL_LABELS = {
    AlertLevel.INFORMATIONAL: N_("informational"),
    AlertLevel.LOW: N_("low"),
    AlertLevel.MEDIUM: N_("medium"),
    AlertLevel.HIGH: N_("high"),
    AlertLevel.CRITICAL: N_("critical"),
}
STATUS_LABELS = {
    AlertStatus.NEW: N_("new"),
    AlertStatus.IN_PROGRESS: N_("in progress"),
    AlertStatus.FALSE_POSITIVE: N_("false positive"),
    AlertStatus.TRUE_POSITIVE: N_("true positive"),
}


class Alert(Base):
    __tablename__ = "detect_alert"
    __table_args__ = (
        UniqueConstraint("establishment_id", "key"),
        Index("ix_detect_alert_establishment_status", "establishment_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("org_establishment.id"))
    key: Mapped[str] = mapped_column(String(64))  # sha256 of rule, host and start of the burst
    rule_id: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(500))
    level: Mapped[AlertLevel] = mapped_column(EnumText(AlertLevel, 20))
    techniques: Mapped[list[str]] = mapped_column(JSON, default=list)  # ATT&CK ids, T1003.001
    tactics: Mapped[list[str]] = mapped_column(JSON, default=list)  # ATT&CK tactic names
    host: Mapped[str] = mapped_column(String(255), default="")
    user: Mapped[str] = mapped_column(String(255), default="")
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    event_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)  # at most MAX_EVENT_IDS
    # Statistical detectors: why it fired, {"text": English msgid, "params": {...}} (detectors.explain)
    explanation: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # What a detector's alert is about, [["host" | "user", value]...]: what it offers to exclude.
    subjects: Mapped[list[list[str]] | None] = mapped_column(JSON, default=None)
    status: Mapped[AlertStatus] = mapped_column(EnumText(AlertStatus, 20), default=AlertStatus.NEW)
    note: Mapped[str] = mapped_column(Text, default="")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("incident_case.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def reference(self) -> str:
        """How an incident case refers to this alert."""
        return f"hygie-alert-{self.id}"


class TuningKind(StrEnum):
    FILTER = "filter"  # a Sigma filter: events it excludes raise no alert
    DISABLE = "disable"  # the rule raises no alert for this establishment
    LEVEL = "level"  # the rule's alerts get another level
    ENTITY = "entity"  # a host or user whose detections a statistical detector rule drops


class EntityField(StrEnum):
    """What an ENTITY tuning names: the detection's host or its user (case ignored)."""

    HOST = "host"
    USER = "user"


class RuleTuning(Base):
    """How one establishment tunes the shared rule set (written by :mod:`hygie.detect.tuning` only).

    Kept in the database, not in files under HYGIE_HOME: each row belongs to one establishment (the same
    scope checks as the alerts), says who made it and when, and every change is in the audit log.
    """

    __tablename__ = "detect_rule_tuning"
    __table_args__ = (Index("ix_detect_rule_tuning_establishment", "establishment_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("org_establishment.id"))
    kind: Mapped[TuningKind] = mapped_column(EnumText(TuningKind, 20))
    # DISABLE/LEVEL: the rule id (a Sigma rule's or a detector's ``hygie-stat-…``); FILTER: the rules the
    # filter names, comma-separated ("any" for all); ENTITY: a detector rule id, "any" for every detector.
    rule_id: Mapped[str] = mapped_column(String(500), default="")
    level: Mapped[AlertLevel | None] = mapped_column(EnumText(AlertLevel, 20), default=None)
    title: Mapped[str] = mapped_column(String(300), default="")
    filter_yaml: Mapped[str] = mapped_column(Text, default="")  # FILTER: the Sigma filter document
    # ENTITY: the detection's host or user equal to ``entity_value`` (case ignored) is dropped.
    entity_field: Mapped[EntityField | None] = mapped_column(EnumText(EntityField, 10), default=None)
    entity_value: Mapped[str] = mapped_column(String(255), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
