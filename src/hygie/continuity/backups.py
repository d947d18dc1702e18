"""The 3-2-1-1-0 rule, checked rule by rule on a backup policy's facts. Pure: no database.

3 copies of the data (the production data counts as one), on 2 different kinds of media, 1 copy off
site, 1 copy offline or immutable, and 0 errors: the last restore test succeeded, within the policy's
interval, and the last backup job did not fail. Each rule is met or missed with the reason why; the
score is the number of rules met, out of five.

Reasons are English msgids with ``%(name)s`` placeholders: ``reason_text`` translates them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from hygie.continuity.models import JobResult, MediaKind
from hygie.core.i18n import N_, gettext

DEFAULT_TEST_EVERY_DAYS = 180


class Rule(StrEnum):
    THREE_COPIES = "3_copies"
    TWO_MEDIA = "2_media"
    ONE_OFFSITE = "1_offsite"
    ONE_OFFLINE = "1_offline"
    ZERO_ERRORS = "0_errors"


RULE_LABELS = {
    Rule.THREE_COPIES: N_("3 copies"),
    Rule.TWO_MEDIA: N_("2 kinds of media"),
    Rule.ONE_OFFSITE: N_("1 copy off site"),
    Rule.ONE_OFFLINE: N_("1 copy offline or immutable"),
    Rule.ZERO_ERRORS: N_("0 errors, verified by a restore"),
}

TOO_FEW_COPIES = N_("%(copies)s copies, 3 needed (the production data counts as one)")
NO_MEDIA = N_("no kind of media declared, 2 needed")
ONE_MEDIA = N_("one kind of media only (%(media)s), 2 needed")
NO_OFFSITE = N_("no copy off site")
NO_OFFLINE = N_("no copy offline or immutable")
NEVER_TESTED = N_("restore never tested")
LAST_TEST_FAILED = N_("the last restore test, on %(date)s, failed")
TEST_OVERDUE = N_("the last successful restore test, on %(date)s, is more than %(days)s days old")
JOB_FAILED = N_("the last backup job, on %(date)s, failed")


@dataclass(frozen=True)
class RestoreFact:
    tested_on: date
    success: bool
    duration_hours: float


@dataclass(frozen=True)
class BackupFacts:
    copies: int
    media: frozenset[MediaKind]
    offsite_copies: int
    offline_copy: bool
    immutable_copy: bool
    last_restore: RestoreFact | None = None  # the latest restore test, whatever its result
    last_success: RestoreFact | None = None  # the latest successful one
    last_job_on: date | None = None
    last_job_result: JobResult | None = None
    test_every_days: int = DEFAULT_TEST_EVERY_DAYS


@dataclass(frozen=True)
class RuleCheck:
    rule: Rule
    met: bool
    reason: str | None = None  # msgid, None when met
    params: dict[str, str | int] = field(default_factory=dict)


@dataclass(frozen=True)
class Score:
    checks: tuple[RuleCheck, ...]

    @property
    def met(self) -> int:
        return sum(1 for c in self.checks if c.met)

    @property
    def out_of(self) -> int:
        return len(self.checks)

    @property
    def missed(self) -> list[RuleCheck]:
        return [c for c in self.checks if not c.met]

    def check(self, rule: Rule) -> RuleCheck:
        return next(c for c in self.checks if c.rule == rule)


def restore_due(facts: BackupFacts, on: date) -> date | None:
    """The day the next restore test is due (None: never tested, due now)."""
    if facts.last_success is None:
        return None
    return facts.last_success.tested_on + timedelta(days=facts.test_every_days)


def restore_overdue(facts: BackupFacts, on: date) -> bool:
    due = restore_due(facts, on)
    return due is None or due < on


def _zero_errors(facts: BackupFacts, on: date) -> RuleCheck:
    rule = Rule.ZERO_ERRORS
    if facts.last_restore is None:
        return RuleCheck(rule, False, NEVER_TESTED)
    if not facts.last_restore.success:
        return RuleCheck(rule, False, LAST_TEST_FAILED, {"date": facts.last_restore.tested_on.isoformat()})
    if restore_overdue(facts, on):
        success = facts.last_success or facts.last_restore
        return RuleCheck(
            rule, False, TEST_OVERDUE, {"date": success.tested_on.isoformat(), "days": facts.test_every_days}
        )
    if facts.last_job_result == JobResult.FAILED and facts.last_job_on is not None:
        return RuleCheck(rule, False, JOB_FAILED, {"date": facts.last_job_on.isoformat()})
    return RuleCheck(rule, True)


def score(facts: BackupFacts, on: date) -> Score:
    """Each rule of 3-2-1-1-0 met or missed, with the reason, as of ``on``."""
    checks = [
        RuleCheck(Rule.THREE_COPIES, True)
        if facts.copies >= 3
        else RuleCheck(Rule.THREE_COPIES, False, TOO_FEW_COPIES, {"copies": facts.copies}),
    ]
    if len(facts.media) >= 2:
        checks.append(RuleCheck(Rule.TWO_MEDIA, True))
    elif facts.media:
        checks.append(RuleCheck(Rule.TWO_MEDIA, False, ONE_MEDIA, {"media": next(iter(facts.media)).value}))
    else:
        checks.append(RuleCheck(Rule.TWO_MEDIA, False, NO_MEDIA))
    checks.append(
        RuleCheck(Rule.ONE_OFFSITE, True)
        if facts.offsite_copies >= 1
        else RuleCheck(Rule.ONE_OFFSITE, False, NO_OFFSITE)
    )
    checks.append(
        RuleCheck(Rule.ONE_OFFLINE, True)
        if facts.offline_copy or facts.immutable_copy
        else RuleCheck(Rule.ONE_OFFLINE, False, NO_OFFLINE)
    )
    checks.append(_zero_errors(facts, on))
    return Score(tuple(checks))


def media_of(values: Iterable[str]) -> frozenset[MediaKind]:
    return frozenset(MediaKind(v) for v in values)


def reason_text(check: RuleCheck, lang: str) -> str:
    """The reason a rule is missed, in ``lang`` ("" when it is met)."""
    if check.reason is None:
        return ""
    params = dict(check.params)
    if "media" in params:
        from hygie.continuity.labels import label  # labels imports this module

        params["media"] = label(MediaKind(str(params["media"])), lang)
    return gettext(check.reason, lang) % params
