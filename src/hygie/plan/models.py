"""Tables of the action plan: findings (every weakness, whatever found it) and adopted actions.

A finding is upserted by its source on each refresh, keyed by (establishment, source, key): it is
created open, its ``last_seen`` moves on while the source still reports it, and it is resolved when
the source stops reporting it. An accepted finding (risk accepted by management) stays accepted.

A plan action is created when a plan is adopted, then moves todo → in_progress → done (or
cancelled). Done actions raise the current level of the controls their template names. The
security team may then give it another owner or due date (its quarter follows the due date) and
keep notes on it.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hygie.core.db import Base, EnumText, UTCDateTime
from hygie.core.time import utcnow


class FindingSource(StrEnum):
    ASSESSMENT = "assessment"
    VULNERABILITY = "vulnerability"
    NETWORK = "network"
    DETECTION = "detection"
    CONTINUITY = "continuity"
    AWARENESS = "awareness"
    EVIDENCE = "evidence"  # declared levels the measured ones do not bear out
    INCIDENT = "incident"


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


class FindingStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    ACCEPTED = "accepted"


class ActionStatus(StrEnum):
    TODO = "todo"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


class Finding(Base):
    """One weakness, in the same shape whatever domain found it."""

    __tablename__ = "plan_finding"
    __table_args__ = (
        UniqueConstraint("establishment_id", "source", "key"),
        Index("ix_plan_finding_establishment_status", "establishment_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("org_establishment.id"))
    source: Mapped[FindingSource] = mapped_column(EnumText(FindingSource, 20))
    # Stable per source (e.g. "control:TEC-PATCH", "cve:CVE-2024-1234@host-12"): what dedups refreshes.
    key: Mapped[str] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(String(500))
    severity: Mapped[Severity] = mapped_column(EnumText(Severity, 10))
    control_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    asset_refs: Mapped[list[str]] = mapped_column(JSON, default=list)
    care_services: Mapped[list[str]] = mapped_column(JSON, default=list)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[FindingStatus] = mapped_column(EnumText(FindingStatus, 10), default=FindingStatus.OPEN)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class PlanAction(Base):
    """An action of the adopted plan, made from a template of the catalogue."""

    __tablename__ = "plan_action"
    __table_args__ = (Index("ix_plan_action_establishment_status", "establishment_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("org_establishment.id"))
    template_id: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[ActionStatus] = mapped_column(EnumText(ActionStatus, 20), default=ActionStatus.TODO)
    owner: Mapped[str] = mapped_column(String(100))
    quarter: Mapped[str] = mapped_column(String(7))  # "2027-Q1"
    due_date: Mapped[date] = mapped_column(Date)
    cost: Mapped[int] = mapped_column(Integer)  # euros, on the cost basis the plan was optimised with
    effort_days: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    notes: Mapped[str | None] = mapped_column(Text, default=None)  # the team's, free text
