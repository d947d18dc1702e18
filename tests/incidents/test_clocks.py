"""Every regulatory clock, hand-computed, with the daylight-saving changes of Europe/Paris."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hygie.incidents import clocks
from hygie.incidents.clocks import PARIS, CaseFacts, ClockStatus, Sent, add_month, compute
from hygie.incidents.models import Answer, ClockKind
from hygie.org.schemas import Nis2Category

ESSENTIAL = Nis2Category.ESSENTIAL


def _by_kind(result: list[clocks.Clock]) -> dict[ClockKind, clocks.Clock]:
    return {c.kind: c for c in result}


def _at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_early_warning_is_24_elapsed_hours_across_the_march_change() -> None:
    # Aware on Saturday 28 March 2026 at 12:00 in Paris (UTC+1); summer time starts on Sunday 29th.
    aware = datetime(2026, 3, 28, 12, 0, tzinfo=PARIS)
    assert aware.astimezone(UTC) == _at(2026, 3, 28, 11)
    result = _by_kind(compute(CaseFacts(aware_at=aware), ESSENTIAL, {}, _at(2026, 3, 28, 12)))
    warning = result[ClockKind.NIS2_EARLY_WARNING]
    assert warning.deadline == _at(2026, 3, 29, 11)
    local = warning.deadline_paris()
    assert local is not None and (local.hour, local.utcoffset()) == (13, timedelta(hours=2))
    assert warning.status == ClockStatus.DUE


def test_early_warning_across_the_october_change() -> None:
    # Aware on Saturday 24 October 2026 at 12:00 in Paris (UTC+2); winter time on Sunday 25th.
    aware = datetime(2026, 10, 24, 12, 0, tzinfo=PARIS)
    result = _by_kind(compute(CaseFacts(aware_at=aware), ESSENTIAL, {}, _at(2026, 10, 24, 11)))
    deadline = result[ClockKind.NIS2_EARLY_WARNING].deadline
    assert deadline == _at(2026, 10, 25, 10)
    assert deadline is not None and deadline.astimezone(PARIS).hour == 11
    notification = result[ClockKind.NIS2_NOTIFICATION].deadline
    assert notification == _at(2026, 10, 27, 10)  # 72 h later: 11:00 in Paris, winter time


def test_notification_72_hours_and_status_changes() -> None:
    aware = _at(2026, 5, 4, 8, 30)
    facts = CaseFacts(aware_at=aware)
    deadline = _at(2026, 5, 7, 8, 30)
    assert (
        _by_kind(compute(facts, ESSENTIAL, {}, _at(2026, 5, 4, 9)))[ClockKind.NIS2_NOTIFICATION].deadline
        == deadline
    )
    soon = _by_kind(compute(facts, ESSENTIAL, {}, deadline - timedelta(hours=2)))[ClockKind.NIS2_NOTIFICATION]
    assert soon.status == ClockStatus.SOON
    late = _by_kind(compute(facts, ESSENTIAL, {}, deadline + timedelta(minutes=1)))[
        ClockKind.NIS2_NOTIFICATION
    ]
    assert late.status == ClockStatus.OVERDUE
    assert late.remaining(deadline + timedelta(minutes=1)) == timedelta(minutes=-1)
    sent = {ClockKind.NIS2_NOTIFICATION: Sent(sent_at=_at(2026, 5, 6, 10))}
    done = _by_kind(compute(facts, ESSENTIAL, sent, deadline + timedelta(days=2)))[
        ClockKind.NIS2_NOTIFICATION
    ]
    assert (done.status, done.sent_at, done.missing) == (ClockStatus.DONE, _at(2026, 5, 6, 10), [])


def test_final_report_one_calendar_month_after_the_notification_across_dst() -> None:
    # Notification sent on 1 March 2026 at 10:00 in Paris (09:00 UTC): final report due on 1 April at
    # 10:00 in Paris, which is 08:00 UTC in summer time.
    sent = {ClockKind.NIS2_NOTIFICATION: Sent(sent_at=_at(2026, 3, 1, 9))}
    facts = CaseFacts(aware_at=_at(2026, 2, 27, 9))
    final = _by_kind(compute(facts, ESSENTIAL, sent, _at(2026, 3, 2, 0)))[ClockKind.NIS2_FINAL]
    assert final.deadline == _at(2026, 4, 1, 8)
    assert clocks.MISSING_NOTIFICATION not in final.missing


def test_final_report_counts_from_the_notification_deadline_until_it_is_sent() -> None:
    facts = CaseFacts(aware_at=_at(2026, 1, 28, 23))  # 29 January 00:00 in Paris
    final = _by_kind(compute(facts, ESSENTIAL, {}, _at(2026, 1, 29, 0)))[ClockKind.NIS2_FINAL]
    # Notification deadline 31 January 23:00 UTC = 1 February 00:00 Paris; one month: 1 March 00:00 Paris.
    assert final.deadline == _at(2026, 2, 28, 23)
    assert clocks.MISSING_NOTIFICATION in final.missing


def test_add_month_clamps_the_day_and_takes_the_first_of_a_repeated_hour() -> None:
    assert add_month(datetime(2026, 1, 31, 9, 0, tzinfo=PARIS)) == _at(2026, 2, 28, 8)
    assert add_month(datetime(2026, 12, 15, 9, 0, tzinfo=PARIS)) == _at(2027, 1, 15, 8)
    # 25 September 02:30 (summer) → 25 October 02:30, which happens twice: the first one, 00:30 UTC.
    assert add_month(datetime(2026, 9, 25, 2, 30, tzinfo=PARIS)) == _at(2026, 10, 25, 0, 30)


def test_out_of_nis2_scope_keeps_only_the_health_and_gdpr_clocks() -> None:
    facts = CaseFacts(aware_at=_at(2026, 6, 1, 8), patient_data=Answer.YES)
    result = _by_kind(compute(facts, Nis2Category.OUT_OF_SCOPE, {}, _at(2026, 6, 1, 9)))
    for kind in (ClockKind.NIS2_EARLY_WARNING, ClockKind.NIS2_NOTIFICATION, ClockKind.NIS2_FINAL):
        assert result[kind].status == ClockStatus.NOT_APPLICABLE and result[kind].deadline is None
    assert result[ClockKind.CERT_SANTE].deadline == _at(2026, 6, 2, 8)
    assert result[ClockKind.CNIL].deadline == _at(2026, 6, 4, 8)
    assert result[ClockKind.PATIENTS].status == ClockStatus.NOT_APPLICABLE


def test_not_significant_stops_nis2_and_cert_sante() -> None:
    facts = CaseFacts(aware_at=_at(2026, 6, 1, 8), significant=Answer.NO, patient_data=Answer.NO)
    result = _by_kind(compute(facts, Nis2Category.IMPORTANT, {}, _at(2026, 6, 1, 9)))
    assert all(c.status == ClockStatus.NOT_APPLICABLE for c in result.values())


def test_unknown_facts_keep_the_clocks_running_and_say_what_is_missing() -> None:
    facts = CaseFacts(aware_at=_at(2026, 6, 1, 8))
    result = _by_kind(compute(facts, ESSENTIAL, {}, _at(2026, 6, 1, 9)))
    warning = result[ClockKind.NIS2_EARLY_WARNING]
    assert warning.missing == [clocks.MISSING_MALICIOUS, clocks.MISSING_CROSS_BORDER]
    assert "Treated as a significant incident" in warning.assumption
    assert clocks.MISSING_INDICATORS in result[ClockKind.NIS2_NOTIFICATION].missing
    cnil = result[ClockKind.CNIL]
    assert cnil.applies and clocks.MISSING_PATIENT_DATA in cnil.missing
    assert result[ClockKind.PATIENTS].status == ClockStatus.NOT_APPLICABLE  # until a high risk is known
    complete = CaseFacts(
        aware_at=_at(2026, 6, 1, 8),
        malicious=Answer.YES,
        cross_border=Answer.NO,
        care_services=("imaging",),
        indicators=2,
    )
    assert (
        _by_kind(compute(complete, ESSENTIAL, {}, _at(2026, 6, 1, 9)))[ClockKind.NIS2_NOTIFICATION].missing
        == []
    )


def test_patients_are_told_when_the_risk_is_high() -> None:
    facts = CaseFacts(aware_at=_at(2026, 6, 1, 8), patient_data=Answer.YES, high_risk_to_persons=Answer.YES)
    patients = _by_kind(compute(facts, ESSENTIAL, {}, _at(2026, 6, 1, 9)))[ClockKind.PATIENTS]
    assert patients.applies and patients.deadline == _at(2026, 6, 4, 8)
    assert "without undue delay" in patients.assumption


def test_an_establishment_override_replaces_the_assumed_delay() -> None:
    facts = CaseFacts(aware_at=_at(2026, 6, 1, 8))
    result = _by_kind(compute(facts, ESSENTIAL, {}, _at(2026, 6, 1, 9), {ClockKind.CERT_SANTE: 12}))
    sante = result[ClockKind.CERT_SANTE]
    assert sante.deadline == _at(2026, 6, 1, 20) and sante.hours == 12
    assert "set by the establishment" in sante.assumption
    default = _by_kind(compute(facts, ESSENTIAL, {}, _at(2026, 6, 1, 9)))[ClockKind.CERT_SANTE]
    assert default.deadline == _at(2026, 6, 2, 8) and "sans délai" in default.assumption


def test_intermediate_report_only_on_request() -> None:
    facts = CaseFacts(aware_at=_at(2026, 6, 1, 8))
    before = _by_kind(compute(facts, ESSENTIAL, {}, _at(2026, 6, 2, 9)))[ClockKind.NIS2_INTERMEDIATE]
    assert before.status == ClockStatus.REQUESTABLE and before.deadline is None
    asked = {ClockKind.NIS2_INTERMEDIATE: Sent(requested_at=_at(2026, 6, 3, 8), due_at=_at(2026, 6, 10, 16))}
    after = _by_kind(compute(facts, ESSENTIAL, asked, _at(2026, 6, 11, 9)))[ClockKind.NIS2_INTERMEDIATE]
    assert (after.status, after.deadline) == (ClockStatus.OVERDUE, _at(2026, 6, 10, 16))


def test_most_urgent_puts_overdue_first() -> None:
    facts = CaseFacts(aware_at=_at(2026, 6, 1, 8), patient_data=Answer.YES)
    result = compute(
        facts,
        ESSENTIAL,
        {ClockKind.NIS2_EARLY_WARNING: Sent(sent_at=_at(2026, 6, 1, 20))},
        _at(2026, 6, 2, 9),
    )
    urgent = clocks.most_urgent(result)
    assert urgent is not None and urgent.kind == ClockKind.CERT_SANTE  # overdue since 2 June 08:00
