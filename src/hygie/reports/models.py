"""The reports' one table: the headline figures of each report generated, for the next one's trend.

A snapshot is written when a report file is produced (CLI, download), never when its figures are only
read (the API's JSON, the pages). One snapshot per establishment, kind and day: the French and the
English file of the same day, or a report produced again the same day, are the same report, and the
latest figures of the day replace the earlier ones. The trend of a report compares with the latest
snapshot of an earlier day.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hygie.core.db import Base, UTCDateTime
from hygie.core.time import utcnow


class ReportSnapshot(Base):
    """Headline figures of a report as generated: ``{"declared_index": 52.3, ...}`` (None: not known)."""

    __tablename__ = "reports_snapshot"
    __table_args__ = (UniqueConstraint("establishment_id", "kind", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("org_establishment.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # "management"
    day: Mapped[date] = mapped_column(Date)  # the day the figures describe
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
