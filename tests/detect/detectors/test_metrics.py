"""Response times and CPU against the median and MAD of the same hour (hand-computed)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hygie.core.settings import Settings
from hygie.detect.detectors import metrics
from hygie.detect.detectors.base import Status
from hygie.detect.detectors.explain import render
from hygie.detect.events import Event
from tests.detect.detectors.helpers import at, event, run, write
from tests.factories import make_establishment

# Days 17 to 22 February at 9:10 UTC. Response: 100 110 90 100 120 80 → median 100, deviations
# 0 10 10 0 20 20 → MAD 10; spread max(1.4826 × 10, 10 % of 100) = 14.826; threshold
# max(100 + 3 × 14.826, 1.5 × 100) = 150. CPU: 20 22 18 20 24 16 → median 20, MAD 2;
# spread max(2.9652, 5) = 5; threshold max(20 + 15, 50) = 50.
RESPONSE_HISTORY = (100, 110, 90, 100, 120, 80)
CPU_HISTORY = (20, 22, 18, 20, 24, 16)


def _metric(day: int, hour: int, name: str, value: float, host: str = "SRV-DPI") -> Event:
    return event(at(day, hour, 10), host=host, channel="metrics", provider=name,
                 fields={"metric": name, "value": str(value), "host": host})  # fmt: skip


def _history(days: range = range(17, 23), hours: tuple[int, ...] = (9, 10)) -> list[Event]:
    """The same values at each of ``hours`` of each day."""
    events: list[Event] = []
    for hour in hours:
        events += [_metric(d, hour, "response_ms", v) for d, v in zip(days, RESPONSE_HISTORY, strict=False)]
        events += [_metric(d, hour, "cpu_percent", v) for d, v in zip(days, CPU_HISTORY, strict=False)]
    return events


def test_thresholds_by_hand() -> None:
    assert metrics.threshold("response", 100, 10) == 150
    assert round(metrics.threshold("response", 100, 20), 3) == round(100 + 3 * 1.4826 * 20, 3)
    assert metrics.threshold("cpu", 20, 2) == 50
    assert round(metrics.threshold("cpu", 40, 4), 4) == round(40 + 3 * 1.4826 * 4, 4)


def test_slow_hour_and_cpu_spike(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)
    # Monday 23, 9 h and 10 h UTC: two slow hours in a row (one alert), CPU 45 % (< 50: no alert)
    today = [
        _metric(23, 9, "response_ms", 200),
        _metric(23, 10, "response_ms", 160),
        _metric(23, 9, "cpu_percent", 45),
    ]
    write(store_settings, est.id, "metrics", _history() + today)
    outcome = run(session, store_settings, est.id, "metrics")
    assert outcome.status == Status.OK
    assert len(outcome.detections) == 1
    slow = outcome.detections[0]
    assert (slow.rule.id, slow.host, slow.count, slow.first, slow.last) == (
        "hygie-stat-response-time",
        "SRV-DPI",
        2,
        at(23, 9),
        at(23, 10, 30),
    )
    params = slow.explanation.params
    assert (params["value"], params["median"], params["mad"], params["samples"], params["threshold"]) == (
        200.0,
        100.0,
        10.0,
        6,
        150.0,
    )
    assert render(slow.explanation.as_json(), "fr").startswith(
        "Temps de réponse moyen de 200 ms sur SRV-DPI entre 10\u00a0h et 11\u00a0h ; référence à 10\u00a0h : "
        "médiane 100 ms"
    )


def test_cpu_above_fifty(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)
    write(store_settings, est.id, "metrics", [*_history(), _metric(23, 9, "cpu_percent", 51)])
    outcome = run(session, store_settings, est.id, "metrics")
    assert [(d.rule.id, d.explanation.params["threshold"]) for d in outcome.detections] == [
        ("hygie-stat-cpu", 50.0)
    ]


def test_within_baseline(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)
    write(store_settings, est.id, "metrics", [*_history(), _metric(23, 9, "response_ms", 149)])
    outcome = run(session, store_settings, est.id, "metrics")
    assert (outcome.status, outcome.detections) == (Status.OK, [])


def test_too_little_history(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)
    # four days of history at 9 h (five needed)
    write(
        store_settings,
        est.id,
        "metrics",
        [*_history(range(19, 23), (9,)), _metric(23, 9, "response_ms", 900)],
    )
    outcome = run(session, store_settings, est.id, "metrics")
    assert outcome.status == Status.SHORT_HISTORY
    assert outcome.detections == []
    assert "at least 5 days of the same hour" in render(outcome.notes[0].as_json(), "en")


def test_rerun_does_not_duplicate(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)
    write(store_settings, est.id, "metrics", [*_history(), _metric(23, 9, "response_ms", 200)])
    first = run(session, store_settings, est.id, "metrics")
    again = run(session, store_settings, est.id, "metrics")
    assert (first.created, again.created, again.updated, again.alert_ids) == (1, 0, 0, first.alert_ids)
