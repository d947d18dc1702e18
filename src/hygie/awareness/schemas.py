"""Pydantic shapes at the edges of awareness: what comes in, what the API and the CLI give out."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hygie.awareness.models import RecordSource, StaffCategory, TrainingFormat


class TrainingIn(BaseModel):
    """A training session: who was invited, how many completed it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    held_on: date
    topic: str = Field(min_length=1, max_length=200)
    format: TrainingFormat
    department: str = Field(min_length=1, max_length=120)
    staff_category: StaffCategory
    invited: int = Field(ge=0, le=1_000_000)
    completed: int = Field(ge=0, le=1_000_000)

    @model_validator(mode="after")
    def _completed_within_invited(self) -> TrainingIn:
        if self.completed > self.invited:
            raise ValueError(f"completed ({self.completed}) is more than invited ({self.invited})")
        return self


class TrainingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    held_on: date
    topic: str
    format: TrainingFormat
    department: str
    staff_category: StaffCategory
    invited: int
    completed: int
    source: RecordSource


class TrainingImportReport(BaseModel):
    file_name: str
    sessions: int
    invited: int
    completed: int


class DepartmentCountsOut(BaseModel):
    """One department's counts in a campaign, and its rates (percent; null when nothing was sent)."""

    department: str
    recipients: int
    sent: int
    opened: int
    clicked: int
    submitted: int
    reported: int
    open_rate: float | None
    click_rate: float | None
    submit_rate: float | None
    report_rate: float | None


class PhishingCampaignOut(BaseModel):
    id: int
    name: str
    launched_on: date
    source: RecordSource
    gophish_id: int | None
    file_name: str | None
    imported_at: datetime
    totals: DepartmentCountsOut
    departments: list[DepartmentCountsOut]


class TrendPointOut(BaseModel):
    campaign: str
    launched_on: date
    click_rate: float | None
    submit_rate: float | None
    report_rate: float | None


class DepartmentOverview(BaseModel):
    """A department's latest phishing rates, their change since the campaign before, and its
    training completion over the last twelve months."""

    department: str
    invited: int
    completed: int
    completion_rate: float | None
    recipients: int
    click_rate: float | None
    submit_rate: float | None
    report_rate: float | None
    click_change: float | None
    report_change: float | None
    trend: list[TrendPointOut]


class CompletionOut(BaseModel):
    group: str
    invited: int
    completed: int
    completion_rate: float | None


class AwarenessOverview(BaseModel):
    establishment_id: int
    as_of: date
    campaigns: int
    last_campaign: date | None
    last_training: date | None
    departments: list[DepartmentOverview]
    categories: list[CompletionOut]
    trend: list[TrendPointOut]
