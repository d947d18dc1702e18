"""Working hours per establishment (the only writer of ``detect_detector_settings``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hygie.core.errors import ValidationError
from hygie.core.time import is_known_zone, utcnow
from hygie.detect.detectors.base import WorkingHours
from hygie.detect.detectors.models import DetectorSettings
from hygie.org import service as org_service

DEFAULT_HOURS = WorkingHours()
"""7 h to 20 h, Monday to Friday, Paris time: a hospital's administrative day (care runs 24/7, but the
accounts that administer IT rarely need to)."""


def working_hours(session: Session, establishment_id: int) -> WorkingHours:
    row = session.scalar(
        select(DetectorSettings).where(DetectorSettings.establishment_id == establishment_id)
    )
    if row is None:
        return DEFAULT_HOURS
    return WorkingHours(row.timezone, row.work_start_hour, row.work_end_hour, tuple(sorted(row.work_days)))


def set_working_hours(session: Session, establishment_id: int, hours: WorkingHours) -> WorkingHours:
    """Checks and stores the establishment's working hours."""
    org_service.get_establishment(session, establishment_id)
    if not is_known_zone(hours.timezone):
        raise ValidationError(f"timezone: unknown zone {hours.timezone!r} (IANA name, e.g. Europe/Paris)")
    if not 0 <= hours.start <= 23:
        raise ValidationError(f"start: {hours.start}, an hour from 0 to 23")
    if not 1 <= hours.end <= 24:
        raise ValidationError(f"end: {hours.end}, an hour from 1 to 24")
    if hours.start >= hours.end:
        raise ValidationError(f"end: {hours.end} must come after start {hours.start}")
    if not hours.days or any(d not in range(7) for d in hours.days):
        raise ValidationError("days: one or more of 0 (Monday) … 6 (Sunday)")
    row = session.scalar(
        select(DetectorSettings).where(DetectorSettings.establishment_id == establishment_id)
    )
    if row is None:
        row = DetectorSettings(establishment_id=establishment_id)
        session.add(row)
    row.timezone = hours.timezone
    row.work_start_hour = hours.start
    row.work_end_hour = hours.end
    row.work_days = sorted(set(hours.days))
    row.updated_at = utcnow()
    session.flush()
    return working_hours(session, establishment_id)
