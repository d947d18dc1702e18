"""The arithmetic of awareness, pure: phishing rates, their trend per department, training completion.

Rates are percentages (0 to 100). Opened, clicked, submitted and reported are counted over the
e-mails delivered (``sent``), the way phishing-simulation results are usually read; ``sent`` itself
over the recipients. A rate over nothing is ``None`` (not 0 %: nothing was measured).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date


@dataclass(frozen=True)
class Counts:
    """How many recipients reached each step (cumulative: a click is also an open)."""

    recipients: int = 0
    sent: int = 0
    opened: int = 0
    clicked: int = 0
    submitted: int = 0
    reported: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


@dataclass(frozen=True)
class Rates:
    sent: float | None
    opened: float | None
    clicked: float | None
    submitted: float | None
    reported: float | None


def percent(part: int, whole: int) -> float | None:
    return None if whole <= 0 else 100.0 * part / whole


def rates(counts: Counts) -> Rates:
    return Rates(
        sent=percent(counts.sent, counts.recipients),
        opened=percent(counts.opened, counts.sent),
        clicked=percent(counts.clicked, counts.sent),
        submitted=percent(counts.submitted, counts.sent),
        reported=percent(counts.reported, counts.sent),
    )


def total(counts: Iterable[Counts]) -> Counts:
    result = Counts()
    for item in counts:
        result = result + item
    return result


@dataclass(frozen=True)
class CampaignCounts:
    """One campaign's counts per department, as the trend reads them."""

    name: str
    launched_on: date
    departments: Mapping[str, Counts]


@dataclass(frozen=True)
class TrendPoint:
    campaign: str
    launched_on: date
    counts: Counts

    @property
    def rates(self) -> Rates:
        return rates(self.counts)


def trend(campaigns: Sequence[CampaignCounts]) -> dict[str, list[TrendPoint]]:
    """Per department, its points across the campaigns it took part in, oldest first."""
    result: dict[str, list[TrendPoint]] = {}
    for campaign in sorted(campaigns, key=lambda c: (c.launched_on, c.name)):
        for department, counts in campaign.departments.items():
            result.setdefault(department, []).append(TrendPoint(campaign.name, campaign.launched_on, counts))
    return dict(sorted(result.items()))


def overall_trend(campaigns: Sequence[CampaignCounts]) -> list[TrendPoint]:
    """The whole establishment's point per campaign, oldest first."""
    ordered = sorted(campaigns, key=lambda c: (c.launched_on, c.name))
    return [TrendPoint(c.name, c.launched_on, total(c.departments.values())) for c in ordered]


def change(points: Sequence[TrendPoint], step: str) -> float | None:
    """How many points the rate of ``step`` moved between the last two campaigns (None under two)."""
    if len(points) < 2:
        return None
    last, before = getattr(points[-1].rates, step), getattr(points[-2].rates, step)
    if last is None or before is None:
        return None
    return float(last - before)


@dataclass(frozen=True)
class Completion:
    invited: int
    completed: int

    @property
    def rate(self) -> float | None:
        return percent(self.completed, self.invited)


def completion_by(rows: Iterable[tuple[str, int, int]]) -> dict[str, Completion]:
    """(group, invited, completed) rows summed per group, the groups in order."""
    sums: dict[str, tuple[int, int]] = {}
    for group, invited, completed in rows:
        before = sums.get(group, (0, 0))
        sums[group] = (before[0] + invited, before[1] + completed)
    return {group: Completion(*sums[group]) for group in sorted(sums)}
