"""Bursts of failed logons per source and per user (fixed thresholds: 20 in 10 minutes)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from hygie.core.settings import Settings
from hygie.detect.detectors.base import Status
from hygie.detect.detectors.explain import render
from hygie.detect.events import Event
from hygie.detect.models import AlertLevel
from tests.detect.detectors.helpers import at, event, run, write
from tests.factories import make_establishment


def _failure(ts: datetime, user: str, ip: str, host: str = "DC1") -> Event:
    fields = {"TargetUserName": user, "IpAddress": ip}
    return event(ts, host=host, channel="Security", code=4625, user=user, fields=fields)


def _sshd(ts: datetime, user: str, ip: str) -> Event:
    message = f"Failed password for {user} from {ip} port 51234 ssh2"
    return event(ts, host="srv-lnx", channel="sshd", provider="sshd", user=user, message=message)


def test_spraying_from_one_source(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)
    # Sunday 22 February 3:00 UTC: 25 failures from 10.0.0.66 over 12 accounts, 12 s apart (4 min 48 s)
    start = at(22, 3)
    spray = [_failure(start + timedelta(seconds=12 * i), f"user{i % 12}", "10.0.0.66") for i in range(25)]
    write(store_settings, est.id, "evtx", spray)
    outcome = run(session, store_settings, est.id, "failed_logons")
    assert outcome.status == Status.OK
    assert len(outcome.detections) == 1  # no user reaches 20 (user0 has 3 failures)
    burst = outcome.detections[0]
    assert (burst.count, burst.first, burst.last, burst.host) == (
        25,
        start,
        start + timedelta(seconds=288),
        "DC1",
    )
    assert burst.effective_level == AlertLevel.HIGH  # 12 accounts ≥ 10: password spraying
    assert render(burst.explanation.as_json(), "fr") == (
        "25 échecs de connexion depuis 10.0.0.66 entre le 22/02/2026 04:00 et le 22/02/2026 04:04, sur 12 "
        "comptes ; au plus 25 en 10 minutes ; seuil 20 échecs en 10 minutes"
    )


def test_per_user_from_several_sources(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)
    start = at(22, 4)
    # 21 sshd failures of "admin" from three addresses (7 each): the user's burst, no source's
    failures = [_sshd(start + timedelta(seconds=20 * i), "admin", f"203.0.113.{i % 3}") for i in range(21)]
    # 19 failures of root from one address within 10 minutes: below the threshold
    failures += [_sshd(at(22, 6) + timedelta(seconds=30 * i), "root", "198.51.100.7") for i in range(19)]
    write(store_settings, est.id, "syslog", failures)
    outcome = run(session, store_settings, est.id, "failed_logons")
    assert [(d.user, d.count, d.effective_level) for d in outcome.detections] == [
        ("admin", 21, AlertLevel.MEDIUM)
    ]
    assert outcome.detections[0].explanation.params["sources"] == 3


def test_slow_failures_are_not_a_burst(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)
    # 30 failures of one user, one every 40 minutes: never 20 within 10 minutes
    slow = [_failure(at(21, 0) + timedelta(minutes=40 * i), "bob", "10.0.0.8") for i in range(30)]
    write(store_settings, est.id, "evtx", slow)
    outcome = run(session, store_settings, est.id, "failed_logons")
    assert (outcome.status, outcome.detections) == (Status.OK, [])


def test_rerun_does_not_duplicate(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)
    write(store_settings, est.id, "evtx", [_failure(at(22, 3, 0, i), "bob", "10.0.0.9") for i in range(20)])
    first = run(session, store_settings, est.id, "failed_logons")
    again = run(session, store_settings, est.id, "failed_logons")
    assert len(first.alert_ids) == 2  # the source and the user
    assert (first.created, again.created, again.updated, again.alert_ids) == (2, 0, 0, first.alert_ids)
