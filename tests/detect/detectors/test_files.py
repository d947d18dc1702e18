"""Mass file writes against the host's usual volume, and ransomware-like file names."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from hygie.core.settings import Settings
from hygie.detect.detectors.base import Status
from hygie.detect.detectors.explain import render
from hygie.detect.events import Event
from tests.detect.detectors.helpers import at, event, run, write
from tests.factories import make_establishment

SYSMON = "Microsoft-Windows-Sysmon/Operational"


def _created(ts: datetime, host: str, name: str) -> Event:
    return event(ts, host=host, channel=SYSMON, code=11, fields={"TargetFilename": name})


def _burst(start: datetime, host: str, count: int, extension: str = ".docx") -> list[Event]:
    """``count`` files within one 5-minute bucket (a file every 0.5 s at most)."""
    return [
        _created(start + timedelta(milliseconds=500 * i), host, rf"C:\Users\a\Documents\f{i}{extension}")
        for i in range(count)
    ]


def _usual(host: str) -> list[Event]:
    """150 files at 9:00 UTC on each of the 7 days before (99th percentile 150: threshold max(300, 450))."""
    return [e for day in range(16, 23) for e in _burst(at(day, 9), host, 150)]


def test_mass_writes_against_the_host_usual(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)
    events = _usual("WS-12") + _burst(at(23, 10), "WS-12", 460)  # 460 ≥ 450
    events += _usual("WS-13") + _burst(at(23, 10), "WS-13", 440)  # 440 < 450: within its usual
    events += _burst(at(23, 10), "WS-14", 250)  # new host, 250 < 300
    events += _burst(at(23, 10), "WS-15", 310)  # new host, 310 ≥ 300
    write(store_settings, est.id, "evtx", events)
    outcome = run(session, store_settings, est.id, "files")
    assert outcome.status == Status.OK
    found = {d.host: d for d in outcome.detections}
    assert sorted(found) == ["WS-12", "WS-15"]
    ws12 = found["WS-12"]
    assert (ws12.rule.id, ws12.count, ws12.first, ws12.last) == (
        "hygie-stat-mass-file-writes",
        460,
        at(23, 10),
        at(23, 10, 5),
    )
    assert (ws12.explanation.params["usual"], ws12.explanation.params["threshold"]) == (150.0, 450.0)
    assert render(ws12.explanation.as_json(), "en") == (
        "460 files written or renamed on WS-12 in 5 minutes (from 23/02/2026, 11:00); usual busiest "
        "5 minutes of this host (99th percentile, 7 days): 150; threshold 450 (3 × usual, at least 300)"
    )
    assert found["WS-15"].explanation.params["threshold"] == 300.0


def test_ransom_names(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)
    events = _burst(at(23, 9), "WS-20", 5, ".lockbit")
    events += [_created(at(23, 9, 1), "WS-20", r"C:\Users\a\Desktop\HOW_TO_DECRYPT.txt")]
    events += _burst(at(23, 9), "WS-21", 4, ".locked")  # four: below five
    events += _burst(at(23, 9), "WS-22", 10, ".lock")  # not a ransomware extension
    write(store_settings, est.id, "evtx", events)
    outcome = run(session, store_settings, est.id, "files")
    assert [(d.rule.id, d.host, d.count, d.effective_level.value) for d in outcome.detections] == [
        ("hygie-stat-ransom-file-names", "WS-20", 6, "critical")
    ]
    assert outcome.detections[0].explanation.params["example"] == "f0.lockbit"


def test_no_file_events(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)
    write(store_settings, est.id, "evtx", [event(at(23, 9), host="PC1", channel="Security", code=4624)])
    assert run(session, store_settings, est.id, "files").status == Status.NO_DATA


def test_rerun_does_not_duplicate(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)
    write(
        store_settings,
        est.id,
        "evtx",
        _burst(at(23, 10), "WS-15", 310) + _burst(at(23, 9), "WS-20", 5, ".akira"),
    )
    first = run(session, store_settings, est.id, "files")
    again = run(session, store_settings, est.id, "files")
    assert (first.created, again.created, again.updated, again.alert_ids) == (2, 0, 0, first.alert_ids)
