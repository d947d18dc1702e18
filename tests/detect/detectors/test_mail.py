"""Surge of suspicious e-mail against its weekday × hour baseline (hand-computed)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hygie.core.settings import Settings
from hygie.detect import service
from hygie.detect.detectors import mail
from hygie.detect.detectors.base import Status
from hygie.detect.detectors.explain import render
from hygie.detect.events import Event
from tests.detect.detectors.helpers import at, event, run, write
from tests.factories import make_establishment


def _rejects(day: int, hour: int, count: int) -> list[Event]:
    return [
        event(at(day, hour, i % 60), host="mx1", channel="postfix/smtpd", provider="postfix",
              message="NOQUEUE: reject: RCPT from x[203.0.113.5]", fields={"status": "reject"})
        for i in range(count)
    ]  # fmt: skip


def _m365(day: int, hour: int, count: int, status: str) -> list[Event]:
    return [
        event(at(day, hour, i % 60), host="chu.example", channel="messagetrace", provider="exchange-online",
              user=f"sender{i}@evil.example", fields={"Status": status})
        for i in range(count)
    ]  # fmt: skip


def _history(settings: Settings, establishment_id: int) -> None:
    """Mondays 2, 9 and 16 February at 9:00 UTC (10 h in Paris): 8, 12 and 16 suspicious messages, with
    delivered mail around them that must not count. Mean 12, sample standard deviation 4: threshold 24."""
    events: list[Event] = []
    for day, count in ((2, 8), (9, 12), (16, 16)):
        events += _rejects(day, 9, count)
        events += [
            event(at(day, 9, 30), host="mx1", channel="postfix/smtp", provider="postfix",
                  message="ABC123: to=<a@chu.example>, status=sent (250 ok)", fields={"status": "sent"})
        ] * 5  # fmt: skip
    write(settings, establishment_id, "postfix", events)


def test_surge_above_baseline(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)
    _history(store_settings, est.id)
    # Monday 23 February, 9:00 UTC: 20 rejects + 10 quarantined by M365 + 7 delivered = 30 suspicious
    write(store_settings, est.id, "postfix", _rejects(23, 9, 20))
    write(store_settings, est.id, "m365", _m365(23, 9, 10, "Quarantined") + _m365(23, 9, 7, "Delivered"))
    outcome = run(session, store_settings, est.id, "mail")
    assert outcome.status == Status.OK
    assert len(outcome.detections) == 1
    detection = outcome.detections[0]
    assert (detection.count, len(detection.event_ids)) == (30, 30)
    assert detection.first == at(23, 9)
    assert detection.last == at(23, 10)
    params = detection.explanation.params
    assert (params["mean"], params["std"], params["samples"], params["threshold"]) == (12.0, 4.0, 3, 24.0)
    assert render(detection.explanation.as_json(), "fr") == (
        "30 courriels suspects (rejetés, mis en quarantaine ou marqués comme spam) entre 10\u00a0h et "
        "11\u00a0h ; référence pour un lundi à 10\u00a0h : 12 ± 4 (3 semaines) ; seuil 3 écarts-types (24)"
    )
    assert "reference for a Monday at 10:00: 12 ± 4 (3 weeks)" in render(
        detection.explanation.as_json(), "en"
    )
    alert = service.get_alert(session, est.id, outcome.alert_ids[0])
    assert (alert.rule_id, alert.level.value, alert.techniques) == (mail.RULE.id, "medium", ["T1566"])
    assert alert.explanation == detection.explanation.as_json()
    assert alert.event_count == 30


def test_no_alert_within_baseline(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)
    _history(store_settings, est.id)
    write(store_settings, est.id, "postfix", _rejects(23, 9, 23))  # 23 ≤ 24
    outcome = run(session, store_settings, est.id, "mail")
    assert (outcome.status, outcome.detections) == (Status.OK, [])


def test_floor_keeps_small_counts_quiet(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)
    _history(store_settings, est.id)
    # Sunday 22 February 3:00 UTC: 15 rejects where there was never any (threshold 0 + 3 × 1 = 3), but < 20
    write(store_settings, est.id, "postfix", _rejects(22, 3, 15))
    assert run(session, store_settings, est.id, "mail").detections == []


def test_too_little_history(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)
    # mail collected since Saturday 21 February 9:00 UTC: 2 samples of Monday's 10 h, 5 needed
    write(store_settings, est.id, "postfix", _rejects(21, 9, 1) + _rejects(23, 9, 50))
    outcome = run(session, store_settings, est.id, "mail")
    assert outcome.status == Status.SHORT_HISTORY
    assert outcome.detections == []
    assert render(outcome.notes[0].as_json(), "en").startswith("Suspicious e-mail: 2 days of mail history")


def test_no_mail_at_all(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)
    assert run(session, store_settings, est.id, "mail").status == Status.NO_DATA


def test_rerun_refreshes_the_same_alert(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)
    _history(store_settings, est.id)
    write(store_settings, est.id, "postfix", _rejects(23, 9, 30))
    first = run(session, store_settings, est.id, "mail")
    again = run(session, store_settings, est.id, "mail")
    assert (first.created, again.created, again.updated) == (1, 0, 0)
    assert first.alert_ids == again.alert_ids
    # more rejects of the same hour arrive: the alert is updated, not duplicated
    write(store_settings, est.id, "postfix", _rejects(23, 9, 5))
    later = run(session, store_settings, est.id, "mail")
    assert (later.created, later.updated, later.alert_ids) == (0, 1, first.alert_ids)
    assert len(service.list_alerts(session, est.id)) == 1
    assert service.list_alerts(session, est.id)[0].event_count == 35
