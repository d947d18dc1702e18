"""A correlation's hit is one alert per burst, not one per host its events are on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from hygie.core.settings import Settings
from hygie.demo import logrecords
from hygie.detect import service
from hygie.detect.ingest import ingest_paths
from hygie.detect.models import MAX_EVENT_IDS, AlertLevel
from hygie.detect.sigma.compiler import compile_text
from tests.factories import make_establishment

BASE = """
title: Network logon of a user
id: 0b6c55a8-0d3f-4b5a-9a59-6a1f0e0c0001
name: test_network_logon
logsource:
  product: windows
  service: security
detection:
  selection:
    EventID: 4624
    LogonType: 3
  condition: selection
level: informational
"""
MANY_HOSTS = """
title: One source logs on to many hosts
id: 0b6c55a8-0d3f-4b5a-9a59-6a1f0e0c0002
correlation:
  type: value_count
  rules:
    - test_network_logon
  group-by:
    - IpAddress
  timespan: 1h
  condition:
    field: Computer
    gte: 10
level: high
tags:
  - attack.lateral_movement
  - attack.t1021
"""
MANY_LOGONS = """
title: Many logons on one host
id: 0b6c55a8-0d3f-4b5a-9a59-6a1f0e0c0003
correlation:
  type: event_count
  rules:
    - test_network_logon
  group-by:
    - Computer
  timespan: 1h
  condition:
    gte: 3
level: medium
"""
T0 = datetime(2026, 11, 17, 1, 0, tzinfo=UTC)
SOURCE = "10.12.0.40"


def _hosts() -> list[logrecords.Host]:
    return [logrecords.Host(f"srv{n:02d}.chu.local", f"10.20.0.{n}") for n in range(12)]


def _write_spread(folder: Path, extra_on_srv07: int = 2) -> Path:
    """The administrator logs on from one address to twelve servers, a minute apart, and twice more to
    srv07 (10 s apart); another address logs on to two servers (below the threshold)."""
    logs = logrecords.Logs()
    hosts = _hosts()
    for n, host in enumerate(hosts):
        logrecords.logon(logs, T0 + timedelta(minutes=n), host, "adm-x", SOURCE)
    for k in range(extra_on_srv07):
        logrecords.logon(logs, T0 + timedelta(minutes=20, seconds=10 * k), hosts[7], "adm-x", SOURCE)
    for n in range(2):
        logrecords.logon(logs, T0 + timedelta(minutes=n), hosts[n], "m.durand", "10.12.0.41")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "security.ndjson"
    path.write_bytes(b"\n".join(sorted(logs.windows)) + b"\n")
    return path


def test_a_value_count_correlation_over_twelve_hosts_is_one_alert(
    session: Session, store_settings: Settings, tmp_path: Path
) -> None:
    est = make_establishment(session)
    report = ingest_paths(store_settings, est.id, [_write_spread(tmp_path / "logs")])
    assert report.events == 16
    rules = compile_text(BASE + "---" + MANY_HOSTS)
    run = service.run_detection(session, store_settings, est.id, rules)
    assert (run.hits, run.created, run.updated) == (1, 1, 0)
    [alert] = service.list_alerts(session, est.id)
    assert alert.rule_id == "0b6c55a8-0d3f-4b5a-9a59-6a1f0e0c0002"
    # 14 logons from the address: 12 hosts, srv07 three times (the host most of them are on).
    assert alert.event_count == 14 and len(alert.event_ids) == 14
    assert alert.host == "srv07.chu.local" and alert.user == "adm-x"
    assert (alert.level, alert.techniques) == (AlertLevel.HIGH, ["T1021"])
    assert (alert.first_seen, alert.last_seen) == (T0, T0 + timedelta(minutes=20, seconds=10))
    # Every event id of the burst, in time order.
    evidence = service.evidence_rows(store_settings, alert)
    assert sorted(r["host"] for r in evidence).count("srv07.chu.local") == 3
    assert len({r["host"] for r in evidence}) == 12

    # A re-run over the same events refreshes nothing and creates nothing.
    again = service.run_detection(session, store_settings, est.id, rules)
    assert (again.hits, again.created, again.updated) == (1, 0, 0)
    assert again.alerts == [alert.id]
    assert len(service.list_alerts(session, est.id)) == 1


def test_a_correlation_keeps_at_most_max_event_ids(
    session: Session, store_settings: Settings, tmp_path: Path
) -> None:
    est = make_establishment(session)
    ingest_paths(store_settings, est.id, [_write_spread(tmp_path / "logs", extra_on_srv07=MAX_EVENT_IDS)])
    service.run_detection(session, store_settings, est.id, compile_text(BASE + "---" + MANY_HOSTS))
    [alert] = service.list_alerts(session, est.id)
    assert alert.event_count == 12 + MAX_EVENT_IDS
    assert len(alert.event_ids) == MAX_EVENT_IDS
    assert alert.host == "srv07.chu.local"


def test_a_correlation_grouped_by_host_is_that_hosts_alert(
    session: Session, store_settings: Settings, tmp_path: Path
) -> None:
    est = make_establishment(session)
    ingest_paths(store_settings, est.id, [_write_spread(tmp_path / "logs")])
    run = service.run_detection(session, store_settings, est.id, compile_text(BASE + "---" + MANY_LOGONS))
    # Only srv07 has three logons within the hour: one alert, its host the group's value.
    assert (run.hits, run.created) == (1, 1)
    [alert] = service.list_alerts(session, est.id)
    assert (alert.host, alert.event_count) == ("srv07.chu.local", 3)
    assert (
        service.run_detection(
            session, store_settings, est.id, compile_text(BASE + "---" + MANY_LOGONS)
        ).created
        == 0
    )
