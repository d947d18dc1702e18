"""Tables of the incidents: the case, its timeline, tasks, indicators, evidence files, the reports sent
to the authorities, the conclusions of its closing review, and each establishment's own deadlines.

Lifecycle. A case is opened (status ``open``) with the three moments the clocks need: when it was
detected, when it started (if known) and when the establishment became *aware* that it is an incident
(what NIS2 and the GDPR count from). It moves to ``contained`` then ``closed``; a closed case is
read-only except for its closing review. Every change worth remembering is a timeline entry: the
entries are never edited nor deleted (the timeline is what the authorities will ask for).

A report to an authority (``incident_report``) is a row per clock: its ``sent_at`` marks the clock
done; the NIS2 intermediate report exists only once an authority asked for it (``requested_at``
and its ``due_at``). Evidence files are stored once per content under
``evidence_dir/<establishment>/incidents/<sha256>`` and never removed by Hygie.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hygie.core.db import Base, EnumText, UTCDateTime
from hygie.core.time import utcnow


class Category(StrEnum):
    RANSOMWARE = "ransomware"
    PHISHING = "phishing"
    ACCOUNT_COMPROMISE = "account_compromise"
    DATA_BREACH = "data_breach"
    DDOS = "ddos"
    MEDICAL_DEVICE = "medical_device"
    MALWARE = "malware"
    VULNERABILITY_EXPLOIT = "vulnerability_exploit"
    SUPPLIER = "supplier"
    OUTAGE = "outage"
    OTHER = "other"


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class CaseStatus(StrEnum):
    OPEN = "open"
    CONTAINED = "contained"
    CLOSED = "closed"


class Answer(StrEnum):
    """A fact the clocks need that may not be known yet."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class CareService(StrEnum):
    """Care services an incident may touch: a fixed vocabulary until the continuity domain lands."""

    EMERGENCY = "emergency"
    THEATRE = "theatre"
    INTENSIVE_CARE = "intensive_care"
    MATERNITY = "maternity"
    MEDICINE = "medicine"
    SURGERY = "surgery"
    PAEDIATRICS = "paediatrics"
    PSYCHIATRY = "psychiatry"
    ONCOLOGY = "oncology"
    DIALYSIS = "dialysis"
    LABORATORY = "laboratory"
    IMAGING = "imaging"
    PHARMACY = "pharmacy"
    ADMISSIONS = "admissions"
    OUTPATIENT = "outpatient"
    SAMU = "samu"


class EntryKind(StrEnum):
    NOTE = "note"
    DETECTION = "detection"
    ACTION = "action"
    DECISION = "decision"
    COMMUNICATION = "communication"
    STATUS = "status"
    REPORT = "report"


class IndicatorKind(StrEnum):
    IPV4 = "ipv4"
    IPV6 = "ipv6"
    DOMAIN = "domain"
    URL = "url"
    MD5 = "md5"
    SHA1 = "sha1"
    SHA256 = "sha256"
    ACCOUNT = "account"
    EMAIL = "email"


class ClockKind(StrEnum):
    NIS2_EARLY_WARNING = "nis2_early_warning"
    NIS2_NOTIFICATION = "nis2_notification"
    NIS2_INTERMEDIATE = "nis2_intermediate"
    NIS2_FINAL = "nis2_final"
    CERT_SANTE = "cert_sante"
    CNIL = "cnil"
    PATIENTS = "patients"


class Case(Base):
    """One incident of one establishment."""

    __tablename__ = "incident_case"
    __table_args__ = (Index("ix_incident_case_establishment_status", "establishment_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("org_establishment.id"))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[Category] = mapped_column(EnumText(Category, 30))
    severity: Mapped[Severity] = mapped_column(EnumText(Severity, 10))
    status: Mapped[CaseStatus] = mapped_column(EnumText(CaseStatus, 10), default=CaseStatus.OPEN)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    aware_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    care_services: Mapped[list[str]] = mapped_column(JSON, default=list)
    asset_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    alert_refs: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Facts the clocks read; "unknown" is what a case starts with.
    patient_data: Mapped[Answer] = mapped_column(EnumText(Answer, 10), default=Answer.UNKNOWN)
    persons_affected: Mapped[int | None] = mapped_column(Integer, default=None)
    high_risk_to_persons: Mapped[Answer] = mapped_column(EnumText(Answer, 10), default=Answer.UNKNOWN)
    significant: Mapped[Answer] = mapped_column(EnumText(Answer, 10), default=Answer.UNKNOWN)
    malicious: Mapped[Answer] = mapped_column(EnumText(Answer, 10), default=Answer.UNKNOWN)
    cross_border: Mapped[Answer] = mapped_column(EnumText(Answer, 10), default=Answer.UNKNOWN)
    care_impact: Mapped[str] = mapped_column(Text, default="")  # degraded mode, transfers, cancellations
    measures: Mapped[str] = mapped_column(Text, default="")  # containment and mitigation so far
    root_cause: Mapped[str] = mapped_column(Text, default="")
    tlp: Mapped[str] = mapped_column(String(20), default="amber")  # TLP 2.0 label for sharing
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Closing review (lessons learned).
    review_what_happened: Mapped[str] = mapped_column(Text, default="")
    review_what_worked: Mapped[str] = mapped_column(Text, default="")
    review_what_failed: Mapped[str] = mapped_column(Text, default="")

    entries: Mapped[list[Entry]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="(Entry.at, Entry.id)"
    )
    tasks: Mapped[list[Task]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Task.id"
    )
    indicators: Mapped[list[Indicator]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Indicator.id"
    )
    evidence: Mapped[list[EvidenceFile]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="EvidenceFile.id"
    )
    reports: Mapped[list[Report]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Report.id"
    )
    conclusions: Mapped[list[Conclusion]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Conclusion.id"
    )


class Entry(Base):
    """A dated line of the timeline: who wrote what, of which kind. Never edited."""

    __tablename__ = "incident_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("incident_case.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    author: Mapped[str] = mapped_column(String(200))
    kind: Mapped[EntryKind] = mapped_column(EnumText(EntryKind, 20))
    text: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="entries")


class Task(Base):
    __tablename__ = "incident_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("incident_case.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    owner: Mapped[str] = mapped_column(String(100))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    case: Mapped[Case] = relationship(back_populates="tasks")


class Indicator(Base):
    __tablename__ = "incident_indicator"
    __table_args__ = (UniqueConstraint("case_id", "kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("incident_case.id", ondelete="CASCADE"), index=True)
    kind: Mapped[IndicatorKind] = mapped_column(EnumText(IndicatorKind, 10))
    value: Mapped[str] = mapped_column(String(2000))
    comment: Mapped[str] = mapped_column(String(500), default="")
    added_by: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="indicators")


class EvidenceFile(Base):
    __tablename__ = "incident_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("incident_case.id", ondelete="CASCADE"), index=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("org_establishment.id"))
    name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(200))
    added_by: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="evidence")


class Report(Base):
    """What was sent to an authority for one clock (or, for the intermediate report, asked for)."""

    __tablename__ = "incident_report"
    __table_args__ = (UniqueConstraint("case_id", "clock"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("incident_case.id", ondelete="CASCADE"), index=True)
    clock: Mapped[ClockKind] = mapped_column(EnumText(ClockKind, 30))
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    sent_by: Mapped[str | None] = mapped_column(String(200), default=None)
    reference: Mapped[str] = mapped_column(String(200), default="")  # the authority's receipt number

    case: Mapped[Case] = relationship(back_populates="reports")


class Conclusion(Base):
    """A conclusion of the closing review, with the plan action and the finding it became."""

    __tablename__ = "incident_conclusion"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("incident_case.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    control_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    owner: Mapped[str | None] = mapped_column(String(100), default=None)
    due_date: Mapped[date | None] = mapped_column(Date, default=None)
    plan_action_id: Mapped[int | None] = mapped_column(Integer, default=None)
    finding_key: Mapped[str | None] = mapped_column(String(300), default=None)
    finding_severity: Mapped[str | None] = mapped_column(String(10), default=None)  # plan's Severity
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="conclusions")


class DeadlineOverride(Base):
    """An establishment's own delay for a clock, where the reference is uncertain or its ARS asks
    for another one (e.g. CERT Santé's "sans délai" read as 12 h instead of Hygie's 24 h)."""

    __tablename__ = "incident_deadline"
    __table_args__ = (UniqueConstraint("establishment_id", "clock"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("org_establishment.id"))
    clock: Mapped[ClockKind] = mapped_column(EnumText(ClockKind, 30))
    hours: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(500), default="")
