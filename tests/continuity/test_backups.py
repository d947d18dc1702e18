"""The 3-2-1-1-0 score, rule by rule, on facts whose answers are counted by hand."""

from __future__ import annotations

from datetime import date

from hygie.continuity import backups
from hygie.continuity.backups import BackupFacts, RestoreFact, Rule
from hygie.continuity.models import JobResult, MediaKind

ON = date(2026, 11, 1)
TESTED = RestoreFact(date(2026, 6, 1), True, 4.0)  # 153 days before ON


def _facts(**overrides: object) -> BackupFacts:
    values: dict[str, object] = {
        "copies": 3,
        "media": frozenset({MediaKind.DISK, MediaKind.TAPE}),
        "offsite_copies": 1,
        "offline_copy": True,
        "immutable_copy": False,
        "last_restore": TESTED,
        "last_success": TESTED,
    }
    values.update(overrides)
    return BackupFacts(**values)  # type: ignore[arg-type]


def test_a_policy_that_meets_every_rule_scores_five_out_of_five() -> None:
    score = backups.score(_facts(), ON)
    assert (score.met, score.out_of, score.missed) == (5, 5, [])


def test_every_rule_missed_gives_zero_and_a_reason_each() -> None:
    score = backups.score(
        _facts(
            copies=2,
            media=frozenset({MediaKind.DISK}),
            offsite_copies=0,
            offline_copy=False,
            last_restore=None,
            last_success=None,
        ),
        ON,
    )
    assert score.met == 0
    reasons = {c.rule: (c.reason, c.params) for c in score.checks}
    assert reasons == {
        Rule.THREE_COPIES: (backups.TOO_FEW_COPIES, {"copies": 2}),
        Rule.TWO_MEDIA: (backups.ONE_MEDIA, {"media": "disk"}),
        Rule.ONE_OFFSITE: (backups.NO_OFFSITE, {}),
        Rule.ONE_OFFLINE: (backups.NO_OFFLINE, {}),
        Rule.ZERO_ERRORS: (backups.NEVER_TESTED, {}),
    }


def test_an_immutable_copy_counts_as_the_offline_one_and_no_media_is_its_own_reason() -> None:
    score = backups.score(_facts(offline_copy=False, immutable_copy=True, media=frozenset()), ON)
    assert score.check(Rule.ONE_OFFLINE).met
    assert score.check(Rule.TWO_MEDIA).reason == backups.NO_MEDIA
    assert score.met == 4


def test_a_restore_test_older_than_the_interval_misses_the_zero() -> None:
    old = RestoreFact(date(2026, 1, 1), True, 4.0)  # 304 days before ON
    check = backups.score(_facts(last_restore=old, last_success=old), ON).check(Rule.ZERO_ERRORS)
    assert (check.met, check.reason, check.params) == (
        False,
        backups.TEST_OVERDUE,
        {"date": "2026-01-01", "days": 180},
    )
    # A policy that asks for a test a year is still within it.
    assert backups.score(_facts(last_restore=old, last_success=old, test_every_days=365), ON).met == 5


def test_a_failed_last_test_or_a_failed_last_job_misses_the_zero() -> None:
    failed = RestoreFact(date(2026, 10, 1), False, 9.0)
    check = backups.score(_facts(last_restore=failed), ON).check(Rule.ZERO_ERRORS)
    assert (check.reason, check.params) == (backups.LAST_TEST_FAILED, {"date": "2026-10-01"})
    job = backups.score(_facts(last_job_on=date(2026, 10, 31), last_job_result=JobResult.FAILED), ON)
    assert job.check(Rule.ZERO_ERRORS).reason == backups.JOB_FAILED
    ok = backups.score(_facts(last_job_on=date(2026, 10, 31), last_job_result=JobResult.WARNING), ON)
    assert ok.met == 5


def test_the_next_restore_test_is_due_after_the_interval() -> None:
    facts = _facts()
    assert backups.restore_due(facts, ON) == date(2026, 11, 28)  # 2026-06-01 + 180 days
    assert not backups.restore_overdue(facts, date(2026, 11, 28))
    assert backups.restore_overdue(facts, date(2026, 11, 29))
    assert backups.restore_overdue(_facts(last_restore=None, last_success=None), ON)


def test_reasons_read_in_french_and_english() -> None:
    check = backups.score(_facts(copies=2), ON).check(Rule.THREE_COPIES)
    assert backups.reason_text(check, "en") == "2 copies, 3 needed (the production data counts as one)"
    assert (
        backups.reason_text(check, "fr")
        == "2 copies, 3 requises (les données de production comptent pour une)"
    )
    media = backups.score(_facts(media=frozenset({MediaKind.TAPE})), ON).check(Rule.TWO_MEDIA)
    assert backups.reason_text(media, "fr") == "un seul type de support (Bande), 2 requis"
