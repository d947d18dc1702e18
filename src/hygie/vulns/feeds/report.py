"""What a parser found wrong: bad records are counted and reported with their file and position,
and the rest of the feed goes on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

# A feed can have thousands of bad records; the manifest keeps the first ones, the counts are exact.
KEPT_PROBLEMS = 50


class Problem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str
    position: str
    message: str
    skipped: bool  # True: the record was left out; False: kept without the faulty field

    def __str__(self) -> str:
        action = "skipped" if self.skipped else "field dropped"
        return f"{self.file}, {self.position}: {self.message} ({action})"


class FeedReport:
    """Collects a feed's version, date and problems while its parser runs."""

    def __init__(self, feed: str, keep: int = KEPT_PROBLEMS) -> None:
        self.feed = feed
        self.keep = keep
        self.version: str | None = None
        self.published: datetime | None = None
        self.skipped = 0
        self.flawed = 0
        self.problems: list[Problem] = []
        # Facts a parser wants to keep beside the version (EPSS score date, NVD years...).
        self.details: dict[str, Any] = {}

    def skip(self, file: str, position: str, message: str) -> None:
        """A record was left out."""
        self.skipped += 1
        self._keep(Problem(file=file, position=position, message=message, skipped=True))

    def flaw(self, file: str, position: str, message: str) -> None:
        """A record was kept without one of its fields."""
        self.flawed += 1
        self._keep(Problem(file=file, position=position, message=message, skipped=False))

    def seen_date(self, when: datetime | None) -> None:
        """The feed's date is the latest date any of its records carries, unless the feed states one."""
        if when is not None and (self.published is None or when > self.published):
            self.published = when

    def _keep(self, problem: Problem) -> None:
        if len(self.problems) < self.keep:
            self.problems.append(problem)
