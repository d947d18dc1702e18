"""Shapes of the continuity domain at the edges (CLI, API, pages, demo)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hygie.continuity.models import (
    ApplicationKind,
    Criticality,
    ExerciseKind,
    JobResult,
    MediaKind,
    ServiceKind,
)

MAX_HOURS = 24 * 365  # an RTO of more than a year is a typo


def _stripped(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


class ServiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    kind: ServiceKind = ServiceKind.OTHER
    rto_hours: float = Field(gt=0, le=MAX_HOURS, description="Longest bearable interruption (DMIA), hours")
    rpo_hours: float = Field(ge=0, le=MAX_HOURS, description="Largest bearable data loss (PDMA), hours")
    procedure_ref: str | None = Field(default=None, max_length=300, description="Degraded-mode procedure")
    procedure_reviewed_on: date | None = None

    _name = field_validator("name")(_stripped)


class ServiceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: ServiceKind
    rto_hours: float
    rpo_hours: float
    procedure_ref: str | None
    procedure_reviewed_on: date | None


class ApplicationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    kind: ApplicationKind = ApplicationKind.OTHER

    _name = field_validator("name")(_stripped)


class ApplicationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: ApplicationKind
    asset_ids: list[int] = Field(default_factory=list)


class DependencyIn(BaseModel):
    """A service (``service_id``) or an application (``application_id``) depends on another application."""

    model_config = ConfigDict(extra="forbid")

    service_id: int | None = None
    application_id: int | None = None
    on_application_id: int
    criticality: Criticality = Criticality.BLOCKING


class DependencyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    service_id: int | None
    application_id: int | None
    on_application_id: int
    criticality: Criticality


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    copies: int = Field(ge=1, le=50, description="Copies of the data, the production data included")
    media: list[MediaKind] = Field(default_factory=list, max_length=10)
    offsite_copies: int = Field(default=0, ge=0, le=50)
    offline_copy: bool = False
    immutable_copy: bool = False
    test_every_days: int = Field(default=180, ge=1, le=3650)
    job_name: str | None = Field(
        default=None, max_length=200, description="The job's name in the backup tool"
    )


class RestoreTestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tested_on: date
    duration_hours: float = Field(ge=0, le=MAX_HOURS)
    success: bool = True
    data_loss_hours: float | None = Field(default=None, ge=0, le=MAX_HOURS)
    notes: str | None = Field(default=None, max_length=2000)


class RestoreTestOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    policy_id: int
    tested_on: date
    duration_hours: float
    success: bool
    data_loss_hours: float | None
    notes: str | None


class RuleOut(BaseModel):
    rule: str
    met: bool
    reason: str | None = None


class PolicyOut(BaseModel):
    id: int
    application_id: int
    application: str
    job_name: str | None
    copies: int
    media: list[MediaKind]
    offsite_copies: int
    offline_copy: bool
    immutable_copy: bool
    test_every_days: int
    score: int
    out_of: int
    rules: list[RuleOut]
    last_restore_on: date | None
    last_restore_hours: float | None
    restore_due_on: date | None
    restore_overdue: bool


class JobRecord(BaseModel):
    """One run of a backup job read from a report (``line``: where, for errors)."""

    model_config = ConfigDict(extra="forbid")

    job_name: str = Field(min_length=1, max_length=200)
    started_at: datetime
    ended_at: datetime | None = None
    result: JobResult
    message: str | None = Field(default=None, max_length=1000)
    line: int = 0


class JobImportOut(BaseModel):
    file_name: str
    created: int
    already_known: int
    unmatched_jobs: list[str] = Field(default_factory=list)


class ExerciseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300)
    kind: ExerciseKind
    held_on: date
    scenario_id: str | None = Field(default=None, max_length=100)
    participants: list[str] = Field(default_factory=list, max_length=100)
    crisis_cell: bool = False
    objectives: list[str] = Field(default_factory=list, max_length=50)
    observations: str | None = Field(default=None, max_length=20_000)

    _title = field_validator("title")(_stripped)


class LessonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=1000)
    control_id: str | None = Field(default=None, max_length=100)

    _text = field_validator("text")(_stripped)


class LessonOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    exercise_id: int
    text: str
    control_id: str | None
    action_id: int | None


class ExerciseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    kind: ExerciseKind
    held_on: date
    scenario_id: str | None
    participants: list[str]
    crisis_cell: bool
    objectives: list[str]
    observations: str | None
    lessons: list[LessonOut] = Field(default_factory=list)


class LessonActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    owner: str = Field(min_length=1, max_length=100)
    due_date: date


class ServiceImpactOut(BaseModel):
    service_id: int
    name: str
    effect: str
    path: list[str]
    rto_hours: float
    restore_hours: float | None
    verdict: str


class ReachedZoneOut(BaseModel):
    zone: str
    hops: int = Field(description="Open flows crossed from the attacker's zone (0: that zone)")


class ImpactOut(BaseModel):
    reached_zones: list[ReachedZoneOut] = Field(
        default_factory=list, description="For an attacker's zone: the zones the open flows let them reach"
    )
    lost_assets: list[int]
    lost_applications: list[str]
    services: list[ServiceImpactOut]
