"""What every statistical detector shares: the rule it raises, the detection it reports, the outcome of
one run (with the reason when history is too short to judge), the run's context and the statistics.

A detector is a function ``detect(context) -> list[Outcome]``: it reads the event store with DuckDB SQL
over the view ``events`` (run by DuckDB or Spark, see :mod:`hygie.detect.detectors.queries`) or another
domain's service, and returns detections; it writes nothing. :func:`hygie.detect.detectors.run_all`
stores them as alerts through :mod:`hygie.detect.service`.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from hygie.core.settings import Settings
from hygie.detect.detectors.queries import EventQueries
from hygie.detect.models import AlertLevel
from hygie.plan.schemas import FindingIn

LOOKBACK = timedelta(days=7)
"""Detections are reported for the last week before ``now``; older history only feeds the baselines
(a weekly ``hygie detect run`` misses nothing, and re-runs refresh the same alerts)."""

MAD_TO_SIGMA = 1.4826
"""Scale of the median absolute deviation to a standard deviation for normally distributed data."""


class Signal(StrEnum):
    """The precursor signals shown at a glance on the "Precursor signals" page."""

    MAIL = "mail"
    SLOWDOWN = "slowdown"
    ACCESS = "access"
    BACKUP = "backup"
    RANSOMWARE = "ransomware"


class Status(StrEnum):
    OK = "ok"  # judged (with or without detections)
    SHORT_HISTORY = "short_history"  # data, but not enough history to learn a baseline
    NO_DATA = "no_data"  # nothing of the kind in the store


@dataclass(frozen=True)
class Rule:
    """A detector's rule, stored on its alerts like a Sigma rule (``title`` is an English msgid)."""

    id: str
    title: str
    level: AlertLevel
    signal: Signal
    techniques: tuple[str, ...] = ()
    tactics: tuple[str, ...] = ()


@dataclass(frozen=True)
class Explanation:
    """A translatable sentence: ``text`` an English msgid with ``%(name)s`` placeholders, rendered by
    :func:`hygie.detect.detectors.explain.render` (numbers, times and weekdays in the reader's language)."""

    text: str
    params: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"text": self.text, "params": dict(self.params)}


@dataclass(frozen=True)
class Detection:
    """One alert to raise: the rule, the entity, the span, the events behind it and why it fired.

    ``identity`` makes the alert's key with the rule (same identity, same alert on every run); by default
    the host, user and first time. ``subjects``: see :attr:`entities`.
    """

    rule: Rule
    host: str
    user: str
    first: datetime
    last: datetime
    count: int
    event_ids: tuple[int, ...]
    explanation: Explanation
    level: AlertLevel | None = None  # overrides the rule's level (a stronger case of the same signal)
    identity: str | None = None
    subjects: tuple[tuple[str, str], ...] | None = None

    @property
    def entities(self) -> tuple[tuple[str, str], ...]:
        """What the detection is about, as (``host`` or ``user``, value): what an exclusion of the
        establishment matches and what its alert offers to exclude. By default the host and user shown;
        ``subjects`` says otherwise where they are only context (the domain controller that logged a
        password spray, the busiest sender of a surge that concerns all the mail)."""
        if self.subjects is not None:
            return self.subjects
        return tuple((name, value) for name, value in (("host", self.host), ("user", self.user)) if value)

    @property
    def effective_level(self) -> AlertLevel:
        return self.level or self.rule.level

    @property
    def key_text(self) -> str:
        return self.identity or f"{self.host.lower()}\x1f{self.user.lower()}\x1f{self.first.isoformat()}"


@dataclass
class Outcome:
    """What one detector found in one run; ``notes`` say why it could not judge (short history);
    ``suppressed`` counts the detections the establishment's tuning dropped (disabled rules, excluded
    hosts or users), which are not in ``detections``."""

    detector: str
    signal: Signal
    status: Status
    detections: list[Detection] = field(default_factory=list)
    notes: list[Explanation] = field(default_factory=list)
    weaknesses: list[FindingIn] = field(default_factory=list)  # findings of the plan (untested backups)
    alert_ids: list[int] = field(default_factory=list)  # filled once stored
    created: int = 0
    updated: int = 0
    suppressed: int = 0  # set by hygie.detect.tuning.tune_outcomes


@dataclass(frozen=True)
class WorkingHours:
    """When the establishment works: weekdays ``days`` (0 = Monday) from ``start`` to ``end`` o'clock."""

    timezone: str = "Europe/Paris"
    start: int = 7
    end: int = 20
    days: tuple[int, ...] = (0, 1, 2, 3, 4)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_working_time(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone)
        return local.weekday() in self.days and self.start <= local.hour < self.end


@dataclass(frozen=True)
class Context:
    """Everything a detector may read. ``queries`` runs SQL over the view ``events`` (events up to ``now``)
    when ``has_events`` is true."""

    session: Session
    settings: Settings
    establishment_id: int
    now: datetime
    hours: WorkingHours
    queries: EventQueries
    has_events: bool

    @property
    def since(self) -> datetime:
        """Start of the window whose detections are reported."""
        return self.now - LOOKBACK

    def rows(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """The rows of DuckDB SQL with ``?`` parameters, the same Python values on either engine."""
        return self.queries.rows(sql, params or [])


def mean_std(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    if not values:
        return 0.0, 0.0
    mean = statistics.fmean(values)
    return mean, (statistics.stdev(values) if len(values) > 1 else 0.0)


def median_mad(values: list[float]) -> tuple[float, float]:
    """Median and median absolute deviation (robust to the spikes a baseline's history may hold)."""
    if not values:
        return 0.0, 0.0
    median = statistics.median(values)
    return median, statistics.median(abs(v - median) for v in values)


def samples(values: Iterable[Any] | None) -> list[float]:
    """The numbers of a list aggregated in SQL (NULL or empty when none; NULLs of an outer join left out)."""
    return [float(v) for v in values or () if v is not None]


def quantile(values: list[float], share: float) -> float:
    """The ``share`` quantile with linear interpolation between the closest ranks (DuckDB's
    ``quantile_cont``, NumPy's default)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def most_common(values: Iterable[str | None] | None) -> str:
    """The most frequent value, the smallest among ties ("" when none): SQL's ``mode`` picks any of them."""
    counts = Counter(v for v in values or () if v is not None)
    if not counts:
        return ""
    return min(counts, key=lambda v: (-counts[v], v))


def hour_floor(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)
