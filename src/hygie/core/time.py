"""Aware UTC datetimes everywhere."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from typing import Annotated
from zoneinfo import available_timezones

from pydantic import AfterValidator, AwareDatetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return utcnow().date()


def quarter_of(day: date) -> str:
    """``2026-Q3`` for any day of July to September 2026."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def as_utc(value: datetime) -> datetime:
    """The same instant in UTC; ValueError (a 422 at the API) for one UTC cannot hold, such as
    0001-01-01T00:00+01:00, which would otherwise overflow when stored."""
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("date and time out of range") from exc


UTCDatetime = Annotated[AwareDatetime, AfterValidator(as_utc)]
"""A date and time with its offset, given in UTC: the type of every datetime read from outside."""


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones() - {"localtime"})


def is_known_zone(name: str) -> bool:
    """Whether ``name`` is an IANA time zone (``Europe/Paris``). Not merely what ``ZoneInfo`` opens: it
    also opens the system's ``localtime``, which DuckDB and Spark do not know, and raises OSError on a
    folder such as ``Europe``."""
    return name in _zones()
