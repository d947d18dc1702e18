"""Tables of continuity of care: care services, applications, their dependencies, backups, restore
tests, backup job reports and crisis exercises.

Lifecycle. The security team declares the care services (with the RTO and RPO the establishment set
itself: there is no national target), the applications and what depends on what; an application
runs on assets of the inventory (``assets_asset``, the same establishment's only). Each application
has at most one backup policy; restore tests are logged against it, and backup job reports (Hygie's
CSV, Veeam's session export) are imported against its job name, one file in one transaction; a job
already imported (same job name, same start) is not stored twice. Exercises hold their lessons; a
lesson may become an action of the plan (``plan_action``, through ``plan.service``) and, tied to a
control, a finding. Nothing here is deleted by an import; a service, application or exercise is
removed by the team, with its edges.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from hygie.core.db import Base, EnumText, UTCDateTime
from hygie.core.time import utcnow


class ServiceKind(StrEnum):
    EMERGENCY = "emergency"
    OPERATING_THEATRE = "operating_theatre"
    INTENSIVE_CARE = "intensive_care"
    MATERNITY = "maternity"
    LABORATORY = "laboratory"
    IMAGING = "imaging"
    PHARMACY = "pharmacy"
    ADMISSIONS = "admissions"
    WARD = "ward"  # hospitalisation: medicine, surgery…
    DIALYSIS = "dialysis"
    OTHER = "other"


class ApplicationKind(StrEnum):
    PATIENT_RECORD = "patient_record"
    PACS = "pacs"
    RIS = "ris"
    LIS = "lis"
    PHARMACY = "pharmacy"
    ADMISSIONS = "admissions"
    EMAIL = "email"
    IDENTITY = "identity"  # AD, identity and access
    NETWORK = "network"
    MONITORING = "monitoring"  # central monitoring of patients
    OTHER = "other"


class Criticality(StrEnum):
    """What losing the dependency does to the dependent: it stops, or it carries on in degraded mode."""

    BLOCKING = "blocking"
    DEGRADED = "degraded"


class MediaKind(StrEnum):
    DISK = "disk"
    TAPE = "tape"
    OBJECT_STORAGE = "object_storage"
    CLOUD = "cloud"
    REMOVABLE = "removable"
    SNAPSHOT = "snapshot"


class JobResult(StrEnum):
    SUCCESS = "success"
    WARNING = "warning"
    FAILED = "failed"


class JobReportFormat(StrEnum):
    HYGIE = "hygie"
    VEEAM = "veeam"


class ExerciseKind(StrEnum):
    TABLE_TOP = "table_top"
    TECHNICAL = "technical"
    FULL_SCALE = "full_scale"


class CareService(Base):
    """A care service of the establishment with the interruption and data loss it can bear."""

    __tablename__ = "continuity_service"
    __table_args__ = (UniqueConstraint("establishment_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("org_establishment.id"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ServiceKind] = mapped_column(EnumText(ServiceKind, 30), default=ServiceKind.OTHER)
    rto_hours: Mapped[float] = mapped_column(Float)  # DMIA: longest bearable interruption
    rpo_hours: Mapped[float] = mapped_column(Float)  # PDMA: largest bearable data loss
    procedure_ref: Mapped[str | None] = mapped_column(String(300), default=None)  # degraded-mode document
    procedure_reviewed_on: Mapped[date | None] = mapped_column(Date, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Application(Base):
    """An application (or shared infrastructure: AD, network) the care services depend on."""

    __tablename__ = "continuity_application"
    __table_args__ = (UniqueConstraint("establishment_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("org_establishment.id"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ApplicationKind] = mapped_column(
        EnumText(ApplicationKind, 30), default=ApplicationKind.OTHER
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Dependency(Base):
    """A care service (``service_id``) or an application (``application_id``) depends on
    ``on_application_id``; exactly one of the two dependents is set."""

    __tablename__ = "continuity_dependency"
    __table_args__ = (
        CheckConstraint("(service_id IS NULL) <> (application_id IS NULL)", name="one_dependent"),
        Index("ix_continuity_dependency_establishment", "establishment_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("org_establishment.id"))
    service_id: Mapped[int | None] = mapped_column(
        ForeignKey("continuity_service.id", ondelete="CASCADE"), default=None
    )
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("continuity_application.id", ondelete="CASCADE"), default=None
    )
    on_application_id: Mapped[int] = mapped_column(
        ForeignKey("continuity_application.id", ondelete="CASCADE")
    )
    criticality: Mapped[Criticality] = mapped_column(EnumText(Criticality, 10), default=Criticality.BLOCKING)


class ApplicationAsset(Base):
    """An application runs on an asset of the inventory (a server, a database, a PACS station…)."""

    __tablename__ = "continuity_app_asset"
    __table_args__ = (UniqueConstraint("application_id", "asset_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("continuity_application.id", ondelete="CASCADE"))
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets_asset.id", ondelete="CASCADE"))


class BackupPolicy(Base):
    """How an application is backed up: the facts the 3-2-1-1-0 rule is checked on."""

    __tablename__ = "continuity_backup_policy"
    __table_args__ = (
        UniqueConstraint("application_id"),
        Index("ix_continuity_backup_policy_establishment", "establishment_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("org_establishment.id"))
    application_id: Mapped[int] = mapped_column(ForeignKey("continuity_application.id", ondelete="CASCADE"))
    job_name: Mapped[str | None] = mapped_column(String(200), default=None)  # as the backup tool names it
    copies: Mapped[int] = mapped_column(Integer)  # production data included
    media: Mapped[list[str]] = mapped_column(JSON, default=list)  # MediaKind values
    offsite_copies: Mapped[int] = mapped_column(Integer, default=0)
    offline_copy: Mapped[bool] = mapped_column(Boolean, default=False)
    immutable_copy: Mapped[bool] = mapped_column(Boolean, default=False)
    test_every_days: Mapped[int] = mapped_column(Integer, default=180)  # restore tests' interval
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RestoreTest(Base):
    """A restore of an application's backup actually carried out, with what it took."""

    __tablename__ = "continuity_restore_test"
    __table_args__ = (Index("ix_continuity_restore_test_policy", "policy_id", "tested_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("org_establishment.id"))
    policy_id: Mapped[int] = mapped_column(ForeignKey("continuity_backup_policy.id", ondelete="CASCADE"))
    tested_on: Mapped[date] = mapped_column(Date)
    duration_hours: Mapped[float] = mapped_column(Float)
    success: Mapped[bool] = mapped_column(Boolean)
    data_loss_hours: Mapped[float | None] = mapped_column(Float, default=None)  # measured
    notes: Mapped[str | None] = mapped_column(Text, default=None)


class BackupJob(Base):
    """One run of a backup job, from an imported job report."""

    __tablename__ = "continuity_backup_job"
    __table_args__ = (
        UniqueConstraint("establishment_id", "job_name", "started_at"),
        Index("ix_continuity_backup_job_policy", "policy_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("org_establishment.id"))
    policy_id: Mapped[int | None] = mapped_column(
        ForeignKey("continuity_backup_policy.id", ondelete="SET NULL"), default=None
    )
    job_name: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    result: Mapped[JobResult] = mapped_column(EnumText(JobResult, 10))
    message: Mapped[str | None] = mapped_column(String(1000), default=None)
    report_format: Mapped[JobReportFormat] = mapped_column(EnumText(JobReportFormat, 10))
    file_name: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Exercise(Base):
    """A crisis exercise held (or planned, with a date ahead)."""

    __tablename__ = "continuity_exercise"
    __table_args__ = (Index("ix_continuity_exercise_establishment", "establishment_id", "held_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("org_establishment.id"))
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[ExerciseKind] = mapped_column(EnumText(ExerciseKind, 20))
    scenario_id: Mapped[str | None] = mapped_column(String(100), default=None)  # of the packaged library
    held_on: Mapped[date] = mapped_column(Date)
    participants: Mapped[list[str]] = mapped_column(JSON, default=list)  # roles
    crisis_cell: Mapped[bool] = mapped_column(Boolean, default=False)  # the crisis cell took part
    objectives: Mapped[list[str]] = mapped_column(JSON, default=list)
    observations: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Lesson(Base):
    """A lesson learned from an exercise; it may name a control and become an action of the plan."""

    __tablename__ = "continuity_lesson"
    __table_args__ = (Index("ix_continuity_lesson_exercise", "exercise_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("org_establishment.id"))
    exercise_id: Mapped[int] = mapped_column(ForeignKey("continuity_exercise.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(1000))
    control_id: Mapped[str | None] = mapped_column(String(100), default=None)
    action_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan_action.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
