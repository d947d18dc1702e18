"""Pydantic shapes of the detection's alerts at the edges (API)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hygie.core.time import is_known_zone
from hygie.detect.models import AlertLevel, AlertStatus, EntityField, TuningKind

if TYPE_CHECKING:
    from hygie.detect.detectors.base import WorkingHours


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    establishment_id: int
    rule_id: str
    title: str
    level: AlertLevel
    status: AlertStatus
    techniques: list[str]
    tactics: list[str]
    host: str
    user: str
    first_seen: datetime
    last_seen: datetime
    event_count: int
    event_ids: list[int]
    explanation: dict[str, Any] | None = Field(
        default=None,
        description="Statistical detectors: why the alert fired, an English sentence with its parameters",
    )
    note: str
    case_id: int | None
    created_at: datetime
    updated_at: datetime


class AlertAssetOut(BaseModel):
    id: int
    name: str
    department: str | None


class AlertDetailOut(AlertOut):
    assets: list[AlertAssetOut] = Field(default_factory=list)
    departments: list[str] = Field(default_factory=list)
    events: list[dict[str, object]] = Field(default_factory=list)


class AlertCountsOut(BaseModel):
    level: dict[str, int]
    status: dict[str, int]


class TriageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: AlertStatus
    note: str | None = Field(default=None, max_length=20_000)


class RuleTuningOut(BaseModel):
    """A tuning of the rules for one establishment: a Sigma filter, a disabled rule, a level, or a host or
    user excluded from a statistical detector rule (``entity``; ``rule_id`` "any": every detector rule)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    establishment_id: int
    kind: TuningKind
    rule_id: str
    level: AlertLevel | None
    title: str
    filter_yaml: str
    entity_field: EntityField | None = None
    entity_value: str = ""
    reason: str
    created_by: str
    created_at: datetime


class ExclusionIn(BaseModel):
    """Exclude the events whose ``field`` equals ``value`` from ``rule_id`` (every rule when empty)."""

    model_config = ConfigDict(extra="forbid")

    field: str = Field(min_length=1, max_length=120, examples=["Computer"])
    value: str = Field(min_length=1, max_length=500, examples=["ADMIN-PC01"])
    rule_id: str = Field(default="", max_length=100)
    product: str = Field(default="windows", max_length=20)
    reason: str = Field(default="", max_length=2000)


class EntityExclusionIn(BaseModel):
    """Drop the detections of a statistical detector rule (``hygie-stat-…``; every one when ``rule_id`` is
    empty) whose host or user equals ``value``, case ignored."""

    model_config = ConfigDict(extra="forbid")

    field: EntityField = Field(examples=["host"])
    value: str = Field(min_length=1, max_length=255, examples=["SRV-BACKUP01"])
    rule_id: str = Field(default="", max_length=100, examples=["hygie-stat-mass-file-writes"])
    reason: str = Field(default="", max_length=2000)


class FilterIn(BaseModel):
    """A Sigma filter document (YAML), as pySigma reads it."""

    model_config = ConfigDict(extra="forbid")

    filter_yaml: str = Field(min_length=1, max_length=65_536)
    reason: str = Field(default="", max_length=2000)


class RuleRefIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule_id: str = Field(min_length=1, max_length=100)
    reason: str = Field(default="", max_length=2000)


class LevelIn(RuleRefIn):
    level: AlertLevel


class WorkingHoursIn(BaseModel):
    """When the establishment works, in local time: privileged logons outside are signalled."""

    model_config = ConfigDict(extra="forbid")

    timezone: str = Field(min_length=1, max_length=64, examples=["Europe/Paris"])
    start: int = Field(ge=0, le=23, description="First working hour, local time", examples=[7])
    end: int = Field(ge=1, le=24, description="End of the working day, local time", examples=[20])
    days: list[int] = Field(
        min_length=1,
        max_length=7,
        description="Working days, 1 = Monday … 7 = Sunday",
        examples=[[1, 2, 3, 4, 5]],
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if not is_known_zone(value):
            raise ValueError(f"unknown time zone {value!r} (IANA name, e.g. Europe/Paris)")
        return value

    @field_validator("days")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        if any(not 1 <= d <= 7 for d in value):
            raise ValueError("days go from 1 (Monday) to 7 (Sunday)")
        return sorted(set(value))


class WorkingHoursOut(BaseModel):
    timezone: str
    start: int
    end: int
    days: list[int]  # 1 = Monday … 7 = Sunday

    @classmethod
    def of(cls, hours: WorkingHours) -> WorkingHoursOut:
        """As the API, the CLI and the audit trail give them: days numbered from 1 (Monday)."""
        return cls(
            timezone=hours.timezone, start=hours.start, end=hours.end, days=[d + 1 for d in hours.days]
        )


# --- ATT&CK coverage (hygie.detect.coverage) -----------------------------------------------------------


class CoverageSourceOut(BaseModel):
    """A log source and the events the establishment sent for it in the window."""

    source: str = Field(examples=["windows/process_creation"])
    detail: str = Field(description="Channels and event codes", examples=["Security (4688)"])
    events: int
    readable: bool = Field(description="False: Hygie has no reader for this source yet")


class CoverageRuleOut(BaseModel):
    id: str
    title: str
    kind: Literal["sigma", "correlation", "detector"]
    sent: bool = Field(description="The rule gets its logs")
    sources: list[CoverageSourceOut]


class CoverageTechniqueOut(BaseModel):
    id: str = Field(examples=["T1003.001"])
    name: str
    tactic: str
    importance: Literal["critical", "high", "medium", "low"]
    weight: int
    why: str
    status: Literal["covered", "rule_without_logs", "no_rule"]
    rules: list[CoverageRuleOut] = Field(description="The active rules tagged with the technique")
    disabled_rules: list[str] = Field(description="Rules tagged with it, disabled by the tuning")
    to_send: list[CoverageSourceOut] = Field(description="The sources to send to close the gap")
    advice: str
    log_sources: list[CoverageSourceOut] = Field(description="The sources that can show the technique")


class CoverageTacticOut(BaseModel):
    id: str = Field(examples=["credential-access"])
    name: str
    share: float = Field(ge=0, le=1, description="Share covered, weighted by importance")
    counts: dict[str, int]
    techniques: list[CoverageTechniqueOut]


class CoverageOut(BaseModel):
    """The ATT&CK coverage of an establishment on a day, with the log sources sent in ``days`` days."""

    establishment_id: int
    on: date
    days: int
    share: float = Field(ge=0, le=1, description="Share of the techniques covered, weighted by importance")
    counts: dict[str, int]
    events: int = Field(description="Events received in the window, every source")
    tactics: list[CoverageTacticOut]
    gaps: list[str] = Field(description="Techniques not covered, most important first")
