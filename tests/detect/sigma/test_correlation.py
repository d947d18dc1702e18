"""Correlations: sliding windows (not fixed buckets) and one alert per burst."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb

from hygie.detect.sigma.compiler import compile_text
from hygie.detect.sigma.engine import Hit, run
from tests.detect.evtx_events import table_of

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FAILED = """title: failed logon
id: 10000000-0000-0000-0000-000000000001
name: failed_logon
logsource: {product: windows, service: security}
detection:
  sel: {EventID: 4625}
  condition: sel
"""
SUCCESS = """title: logon
id: 10000000-0000-0000-0000-000000000002
name: logon
logsource: {product: windows, service: security}
detection:
  sel: {EventID: 4624}
  condition: sel
"""


def logon(
    event_id: int, seconds: int, code: int = 4625, ip: str = "10.0.0.9", user: str = "bob"
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "ts": T0 + timedelta(seconds=seconds),
        "channel": "Security",
        "event_code": code,
        "fields": {"IpAddress": ip, "TargetUserName": user},
    }


def correlation(kind: str, condition: str, timespan: str = "5m", rules: str = "[failed_logon]") -> str:
    return f"""title: burst
id: 20000000-0000-0000-0000-000000000001
correlation:
  type: {kind}
  rules: {rules}
  group-by: [IpAddress]
  timespan: {timespan}
  {condition}
level: high
"""


def correlation_hits(events: list[dict[str, Any]], *texts: str) -> list[Hit]:
    compiled = compile_text(*texts)
    assert not compiled.unconvertible, compiled.unconvertible
    connection = duckdb.connect()
    connection.register("events", table_of(events))
    return [h for h in run(connection, "events", compiled) if h.correlation]


def test_event_count_window_slides_across_bucket_boundaries() -> None:
    # 3 failures at 4:00, 4:50 and 5:40: a fixed 5-minute bucket splits them, a sliding window does not.
    events = [logon(1, 240), logon(2, 290), logon(3, 340)]
    [hit] = correlation_hits(events, FAILED + "---\n" + correlation("event_count", "condition: {gte: 3}"))
    assert hit.event_ids == (1, 2, 3)
    assert hit.first == T0 + timedelta(seconds=240) and hit.last == T0 + timedelta(seconds=340)
    assert hit.group == ("10.0.0.9",)


def test_event_count_gives_one_alert_per_burst_not_per_event() -> None:
    # 50 failures one every 10 s (one burst), then 5 more an hour later (a second burst).
    events = [logon(n, 10 * n) for n in range(1, 51)] + [logon(100 + n, 4000 + n) for n in range(5)]
    hits = correlation_hits(events, FAILED + "---\n" + correlation("event_count", "condition: {gte: 5}"))
    assert [len(h.event_ids) for h in hits] == [50, 5]


def test_event_count_is_per_group_and_respects_the_timespan() -> None:
    # Same IP 4 failures spread over 20 minutes: never 3 in 5 minutes. Other IP: 3 within a minute.
    events = [logon(n, 400 * n) for n in range(1, 5)] + [
        logon(10 + n, n * 20, ip="10.0.0.7") for n in range(3)
    ]
    [hit] = correlation_hits(events, FAILED + "---\n" + correlation("event_count", "condition: {gte: 3}"))
    assert hit.group == ("10.0.0.7",) and hit.event_ids == (10, 11, 12)


def test_value_count_counts_distinct_values_in_the_window() -> None:
    # Password spraying: one IP, 4 distinct users (bob twice) within 5 minutes.
    users = ["bob", "alice", "bob", "carol", "dave"]
    events = [logon(n + 1, n * 30, user=u) for n, u in enumerate(users)]
    text = correlation("value_count", "condition: {gte: 4, field: TargetUserName}")
    [hit] = correlation_hits(events, FAILED + "---\n" + text)
    assert hit.event_ids == (1, 2, 3, 4, 5)
    text = correlation("value_count", "condition: {gte: 5, field: TargetUserName}")
    assert correlation_hits(events, FAILED + "---\n" + text) == []


def test_temporal_needs_every_rule_within_the_window() -> None:
    events = [logon(1, 0), logon(2, 60, code=4624), logon(3, 3600, code=4624)]
    text = correlation("temporal", "", rules="[failed_logon, logon]")
    [hit] = correlation_hits(events, FAILED + "---\n" + SUCCESS + "---\n" + text)
    assert hit.event_ids == (1, 2)


def test_temporal_ordered_needs_the_order() -> None:
    # Success then failure (ids 1, 2) is the wrong order; failure then success (3, 4) an hour later fires.
    events = [logon(1, 0, code=4624), logon(2, 30), logon(3, 3600), logon(4, 3630, code=4624)]
    text = correlation("temporal_ordered", "", rules="[failed_logon, logon]")
    [hit] = correlation_hits(events, FAILED + "---\n" + SUCCESS + "---\n" + text)
    assert hit.event_ids == (3, 4)
