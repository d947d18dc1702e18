"""Per-establishment settings of the statistical detectors: the working hours that tell an off-hours
privileged logon from an ordinary one. An establishment without a row uses :data:`DEFAULT_HOURS`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hygie.core.db import Base, UTCDateTime
from hygie.core.time import utcnow


class DetectorSettings(Base):
    __tablename__ = "detect_detector_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("org_establishment.id"), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    work_start_hour: Mapped[int] = mapped_column(Integer, default=7)  # first working hour, local
    work_end_hour: Mapped[int] = mapped_column(Integer, default=20)  # end of the working day, local
    work_days: Mapped[list[int]] = mapped_column(JSON, default=list)  # 0 = Monday … 6 = Sunday
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
