"""Aware UTC datetimes everywhere."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return utcnow().date()


def quarter_of(day: date) -> str:
    """``2026-Q3`` for any day of July to September 2026."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
