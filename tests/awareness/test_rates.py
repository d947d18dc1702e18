"""Rates, trend and completion on small data computed by hand."""

from __future__ import annotations

from datetime import date

import pytest

from hygie.awareness.rates import (
    CampaignCounts,
    Completion,
    Counts,
    change,
    completion_by,
    overall_trend,
    rates,
    total,
    trend,
)


def test_rates_over_delivered_emails() -> None:
    measured = rates(Counts(recipients=10, sent=8, opened=6, clicked=4, submitted=2, reported=1))
    assert measured.sent == 80.0
    assert measured.opened == 75.0
    assert measured.clicked == 50.0
    assert measured.submitted == 25.0
    assert measured.reported == 12.5


def test_nothing_sent_is_not_zero_percent() -> None:
    measured = rates(Counts(recipients=3))
    assert measured.sent == 0.0
    assert measured.clicked is None and measured.reported is None
    assert rates(Counts()).sent is None


def test_counts_add_up() -> None:
    assert total([Counts(2, 2, 1, 1, 0, 1), Counts(3, 2, 2, 1, 1, 0)]) == Counts(5, 4, 3, 2, 1, 1)


def test_trend_per_department_oldest_first_and_change() -> None:
    spring = CampaignCounts("Printemps", date(2026, 3, 1), {"A": Counts(10, 10, 8, 4, 1, 2)})
    autumn = CampaignCounts(
        "Automne", date(2026, 10, 1), {"A": Counts(10, 10, 5, 1, 0, 6), "B": Counts(4, 4, 4, 2, 0, 0)}
    )
    points = trend([autumn, spring])  # given out of order
    assert list(points) == ["A", "B"]
    assert [p.campaign for p in points["A"]] == ["Printemps", "Automne"]
    assert [p.rates.clicked for p in points["A"]] == [40.0, 10.0]
    assert change(points["A"], "clicked") == pytest.approx(-30.0)
    assert change(points["A"], "reported") == pytest.approx(40.0)  # 20 % → 60 %
    assert change(points["B"], "clicked") is None  # one campaign only
    whole = overall_trend([autumn, spring])
    assert [p.counts.sent for p in whole] == [10, 14]
    assert whole[1].rates.clicked == pytest.approx(100 * 3 / 14)


def test_completion_by_group() -> None:
    grouped = completion_by([("Urgences", 10, 7), ("Bloc", 4, 4), ("Urgences", 10, 3)])
    assert list(grouped) == ["Bloc", "Urgences"]
    assert grouped["Urgences"] == Completion(20, 10)
    assert grouped["Urgences"].rate == 50.0
    assert Completion(0, 0).rate is None
