"""Synthetic events written with the store's own writer, and a run of the detectors at a fixed time."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from hygie.core.settings import Settings
from hygie.detect import detectors
from hygie.detect.detectors.base import Outcome
from hygie.detect.events import Event, EventWriter

NOW = datetime(2026, 2, 23, 10, 30, tzinfo=UTC)
"""A Monday, 11:30 in Paris (UTC+1 in February)."""

_files = itertools.count(1)


def at(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 2) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


def event(
    ts: datetime,
    *,
    host: str | None = None,
    channel: str | None = None,
    provider: str | None = None,
    code: int | None = None,
    user: str | None = None,
    message: str | None = None,
    fields: dict[str, str] | None = None,
) -> Event:
    return Event(ts, host, channel, provider, code, None, user, message, fields or {}, 0, 0)


def write(settings: Settings, establishment_id: int, source: str, events: Iterable[Event]) -> None:
    """One synthetic input file of ``source`` holding these events (each with its own key)."""
    sha = hashlib.sha256(f"synthetic-{next(_files)}".encode()).hexdigest()
    with EventWriter(settings, establishment_id, source, sha, f"{source}.log") as writer:
        for key, item in enumerate(events):
            writer.add(item._replace(key=key, offset=key, record_id=key))


def run_family(
    session: Session, settings: Settings, establishment_id: int, only: str, now: datetime = NOW
) -> list[Outcome]:
    return detectors.run_all(session, establishment_id, settings, now=now, only=[only])


def run(
    session: Session, settings: Settings, establishment_id: int, only: str, now: datetime = NOW
) -> Outcome:
    """The outcome of a family that has one."""
    outcomes = run_family(session, settings, establishment_id, only, now)
    assert len(outcomes) == 1
    return outcomes[0]
