"""Every detector family gives the same detections on Spark (local[2]) as on DuckDB over the same events."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from hygie.continuity.models import JobResult
from hygie.core.settings import Settings
from hygie.detect import detectors
from hygie.detect.detectors.base import Outcome
from tests.detect.detectors import test_backups as backups
from tests.detect.detectors import test_failed_logons as failed
from tests.detect.detectors import test_files as files
from tests.detect.detectors import test_logons as logons
from tests.detect.detectors import test_mail as mail
from tests.detect.detectors import test_metrics as metrics
from tests.detect.detectors.helpers import NOW, at, write
from tests.factories import make_establishment

SQLITE_ONLY = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
"""The parity of the engines does not depend on the database the alerts go to: SQLite only, so that the
Spark work is not done twice."""


def _mail(session: Session, settings: Settings, establishment_id: int) -> None:
    mail._history(settings, establishment_id)
    write(settings, establishment_id, "postfix", mail._rejects(23, 9, 20))
    # ten senders once each: the alert's user is the smallest of these ties on both engines
    quarantined = mail._m365(23, 9, 10, "Quarantined") + mail._m365(23, 9, 7, "Delivered")
    write(settings, establishment_id, "m365", quarantined)


def _metrics(session: Session, settings: Settings, establishment_id: int) -> None:
    today = [
        metrics._metric(23, 9, "response_ms", 200),
        metrics._metric(23, 10, "response_ms", 160),
        metrics._metric(23, 9, "cpu_percent", 51),
    ]
    write(settings, establishment_id, "metrics", metrics._history() + today)


def _logons(session: Session, settings: Settings, establishment_id: int) -> None:
    events = [
        *logons._routine(),
        logons._logon(at(23, 8, 5), "alice", "SRV-FILE", "10.0.0.99"),
        logons._logon(at(23, 8, 6), "alice", "SRV-FILE", "10.0.0.99"),
        *(logons._logon(at(22, 23, i), "carol", f"SRV-{i}", "10.0.0.66") for i in range(3)),
        logons._privileged(at(22, 10), "adm-jdupont"),
        logons._privileged(at(22, 10, 15), "adm-jdupont", "SRV-PACS"),
        logons._privileged(at(22, 10, 15), "adm-jdupont"),  # same second: ties sorted by event id
        logons._privileged(at(20, 19, 30), "adm-jdupont", "SRV-DPI"),
    ]
    write(settings, establishment_id, "evtx", events)


def _failed_logons(session: Session, settings: Settings, establishment_id: int) -> None:
    start = at(22, 3)
    spray = [
        failed._failure(start + timedelta(seconds=12 * i), f"user{i % 12}", "10.0.0.66") for i in range(25)
    ]
    write(settings, establishment_id, "evtx", spray)
    sshd = [
        failed._sshd(at(22, 4) + timedelta(seconds=20 * i), "admin", f"203.0.113.{i % 3}") for i in range(21)
    ]
    write(settings, establishment_id, "syslog", sshd)


def _files(session: Session, settings: Settings, establishment_id: int) -> None:
    events = files._usual("WS-12") + files._burst(at(23, 10), "WS-12", 460)
    events += files._burst(at(23, 10), "WS-15", 310)
    events += files._burst(at(23, 9), "WS-20", 5, ".lockbit")
    write(settings, establishment_id, "evtx", events)


def _backups(session: Session, settings: Settings, establishment_id: int) -> None:
    backups._setup(session, establishment_id)
    runs = [(at(21, 1), JobResult.SUCCESS), (at(22, 1), JobResult.FAILED), (at(23, 1), JobResult.FAILED)]
    backups._jobs(session, establishment_id, runs)


DATA: dict[str, Callable[[Session, Settings, int], None]] = {
    "mail": _mail,
    "metrics": _metrics,
    "logons": _logons,
    "failed_logons": _failed_logons,
    "files": _files,
    "backups": _backups,
}


def _seen(outcomes: list[Outcome]) -> list[tuple[Any, ...]]:
    return [
        (
            o.detector,
            o.status,
            [n.as_json() for n in o.notes],
            [
                (d.rule.id, d.host, d.user, d.first, d.last, d.count, d.event_ids, d.explanation.as_json(),
                 d.effective_level, d.key_text)
                for d in o.detections
            ],
        )
        for o in outcomes
    ]  # fmt: skip


@pytest.fixture
def elsewhere(spark: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The tests' SparkSession in UTC+14 and this process in UTC-3: the results must not depend on them."""
    monkeypatch.setenv("TZ", "America/Sao_Paulo")
    time.tzset()
    spark.conf.set("spark.sql.session.timeZone", "Pacific/Kiritimati")
    try:
        yield spark
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")
        monkeypatch.undo()
        time.tzset()


def test_every_family_is_in_the_parity_test() -> None:
    assert list(DATA) == list(detectors.DETECTORS)


@SQLITE_ONLY
@pytest.mark.parametrize("family", list(DATA))
def test_spark_finds_what_duckdb_finds(
    family: str, session: Session, store_settings: Settings, elsewhere: Any
) -> None:
    est = make_establishment(session)
    DATA[family](session, store_settings, est.id)
    duck = detectors.run_all(session, est.id, store_settings, now=NOW, only=[family])
    assert all(o.detections for o in duck), "every family must detect something here"
    sparked = detectors.run_all(session, est.id, store_settings, now=NOW, only=[family], spark=elsewhere)
    assert _seen(sparked) == _seen(duck)
    # the same alerts, unchanged: the Spark run found the DuckDB run's alerts by their keys
    assert [(o.created, o.updated, o.alert_ids) for o in sparked] == [(0, 0, o.alert_ids) for o in duck]
    # the session is given back as it was: its time zone, no view left
    assert elsewhere.conf.get("spark.sql.session.timeZone") == "Pacific/Kiritimati"
    assert "events" not in {t.name for t in elsewhere.catalog.listTables()}


@SQLITE_ONLY
def test_spark_without_events(session: Session, store_settings: Settings, spark: Any) -> None:
    est = make_establishment(session)
    outcomes = detectors.run_all(
        session, est.id, store_settings, now=NOW, only=["mail", "files"], spark=spark
    )
    assert [(o.detector, o.status.value, o.detections) for o in outcomes] == [
        ("mail", "no_data", []),
        ("files", "no_data", []),
    ]
