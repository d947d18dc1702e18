"""Pydantic shapes of the detection's alerts at the edges (API)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hygie.detect.models import AlertLevel, AlertStatus


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
