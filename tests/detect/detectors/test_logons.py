"""First-seen logons after the learning week, and privileged logons outside working hours."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.orm import Session

from hygie.core.errors import ValidationError
from hygie.core.settings import Settings
from hygie.detect.detectors import config, logons
from hygie.detect.detectors.base import Outcome, Status, WorkingHours
from hygie.detect.detectors.explain import render
from hygie.detect.events import Event
from hygie.detect.models import AlertLevel
from tests.detect.detectors.helpers import at, event, run_family, write
from tests.factories import make_establishment


def _logon(ts: datetime, user: str, host: str, ip: str, logon_type: str = "3") -> Event:
    fields = {"TargetUserName": user, "IpAddress": ip, "LogonType": logon_type}
    return event(ts, host=host, channel="Security", code=4624, user=user, fields=fields)


def _privileged(ts: datetime, user: str, host: str = "DC1") -> Event:
    return event(ts, host=host, channel="Security", code=4672, user=user, fields={"SubjectUserName": user})


def _routine() -> list[Event]:
    """alice on PC1 from 10.0.0.5 every day from 9 to 22 February, 8:00 UTC."""
    return [_logon(at(day, 8), "alice", "PC1", "10.0.0.5") for day in range(9, 23)]


def test_first_seen_after_learning(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)
    events = [
        *_routine(),
        _logon(at(12, 8), "bob", "PC2", "10.0.0.6"),  # first seen the 12th: learnt (learning ends the 16th)
        _logon(at(23, 8), "bob", "PC2", "10.0.0.6"),
        _logon(at(23, 8), "alice", "PC1", "10.0.0.5"),  # known
        _logon(at(23, 8, 5), "alice", "SRV-FILE", "10.0.0.99"),  # new host and source
        _logon(at(23, 8, 6), "alice", "SRV-FILE", "10.0.0.99"),
        _logon(at(23, 8, 7), "PC7$", "SRV-FILE", "10.0.0.7"),  # computer account: ignored
        _logon(at(23, 8, 8), "svc", "SRV-FILE", "10.0.0.8", logon_type="5"),  # service logon: ignored
    ]
    write(store_settings, est.id, "evtx", events)
    outcome = next(o for o in _run_logons(session, store_settings, est.id) if o.detector == "first_logons")
    assert outcome.status == Status.OK
    assert [(d.user, d.host, d.count, d.first, d.effective_level) for d in outcome.detections] == [
        ("alice", "SRV-FILE", 2, at(23, 8, 5), AlertLevel.LOW)
    ]
    assert render(outcome.detections[0].explanation.as_json(), "en") == (
        "Logons of alice from 23/02/2026, 09:05 on 1 host and source combinations never seen in the 14 days "
        "of logon history (learning period 7 days): SRV-FILE ← 10.0.0.0/24 (host ← source address or network)"
    )


def test_dhcp_addresses_of_a_known_network_are_not_new(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)
    # alice on PC1 from another address of the same /24 (DHCP), and from the VPN network
    events = [
        *_routine(),
        _logon(at(23, 8), "alice", "PC1", "10.0.0.77"),
        _logon(at(23, 9), "alice", "PC1", "172.16.8.4"),
    ]
    write(store_settings, est.id, "evtx", events)
    outcome = next(o for o in _run_logons(session, store_settings, est.id) if o.detector == "first_logons")
    assert [d.explanation.params["pairs"] for d in outcome.detections] == ["PC1 ← 172.16.8.0/24"]


def test_first_seen_spread_is_medium(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)
    new = [_logon(at(22, 23, i), "alice", f"SRV-{i}", "10.0.0.66") for i in range(3)]
    write(store_settings, est.id, "evtx", _routine() + new)
    outcome = next(o for o in _run_logons(session, store_settings, est.id) if o.detector == "first_logons")
    # one alert for the user and the (Paris) day, naming the three new hosts
    assert [(d.effective_level, d.count) for d in outcome.detections] == [(AlertLevel.MEDIUM, 3)]
    params = outcome.detections[0].explanation.params
    assert (params["hosts"], params["pairs"]) == (
        3,
        "SRV-0 ← 10.0.0.0/24, SRV-1 ← 10.0.0.0/24, SRV-2 ← 10.0.0.0/24",
    )


def test_first_seen_capped(
    session: Session, store_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logons, "MAX_USERS", 1)
    est = make_establishment(session)
    new = [_logon(at(23, 8, i), "bob", f"SRV-{i}", "10.0.0.66") for i in range(2)]
    write(
        store_settings, est.id, "evtx", [*_routine(), *new, _logon(at(23, 9), "alice", "SRV-9", "10.0.0.5")]
    )
    outcome = next(o for o in _run_logons(session, store_settings, est.id) if o.detector == "first_logons")
    assert [(d.user, d.count) for d in outcome.detections] == [("bob", 2)]  # the most spread
    assert render(outcome.notes[0].as_json(), "en").startswith("First-seen logons: 2 users logged on where")


def test_first_seen_during_learning(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)
    write(store_settings, est.id, "evtx", [_logon(at(20, 8), "alice", "PC1", "10.0.0.5"),
                                           _logon(at(23, 8), "mallory", "PC9", "10.0.0.9")])  # fmt: skip
    outcome = next(o for o in _run_logons(session, store_settings, est.id) if o.detector == "first_logons")
    assert (outcome.status, outcome.detections) == (Status.SHORT_HISTORY, [])
    assert render(outcome.notes[0].as_json(), "en") == (
        "First-seen logons: 3 days of logon history, the first 7 days are the learning period"
    )


def _run_logons(session: Session, settings: Settings, establishment_id: int) -> list[Outcome]:
    return run_family(session, settings, establishment_id, "logons")


def test_off_hours_privileged(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)
    events = [
        # Sunday 22 February, 10:00–10:30 UTC: three privileged logons on two servers, one alert
        _privileged(at(22, 10), "adm-jdupont"),
        _privileged(at(22, 10, 15), "adm-jdupont", "SRV-PACS"),
        _privileged(at(22, 10, 30), "adm-jdupont"),
        _privileged(at(23, 9), "adm-jdupont"),  # Monday 10 h in Paris: working hours
        _privileged(at(20, 19, 30), "adm-jdupont", "SRV-DPI"),  # Friday 20:30 in Paris: off hours
        _privileged(at(22, 2), "SYSTEM"),  # built-in identity: ignored
        _logon(at(21, 23), "administrateur", "PC3", "10.0.0.3"),  # admin-named 4624, Sunday 0 h in Paris
    ]
    write(store_settings, est.id, "evtx", events)
    outcome = next(
        o for o in _run_logons(session, store_settings, est.id) if o.detector == "off_hours_logons"
    )
    found = sorted((d.user, d.host, d.count, d.first) for d in outcome.detections)
    assert found == [
        ("adm-jdupont", "DC1", 3, at(22, 10)),
        ("adm-jdupont", "SRV-DPI", 1, at(20, 19, 30)),
        ("administrateur", "PC3", 1, at(21, 23)),
    ]
    sunday = next(d for d in outcome.detections if d.count == 3)
    assert render(sunday.explanation.as_json(), "fr") == (
        "3 connexions privilégiées de adm-jdupont sur DC1, SRV-PACS à partir du 22/02/2026 11:00, "
        "en dehors des heures ouvrées (lun., mar., mer., jeu., ven., 7–20 h, Europe/Paris)"
    )


def test_on_call_routine_is_not_alerted(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)
    # off-hours privileged logons on 4 nights of early February: this account is on call
    routine = [_privileged(at(day, 22), "adm-astreinte") for day in (2, 3, 4, 5)]
    write(store_settings, est.id, "evtx", [*routine, _privileged(at(21, 22), "adm-astreinte")])
    outcome = next(
        o for o in _run_logons(session, store_settings, est.id) if o.detector == "off_hours_logons"
    )
    assert (outcome.status, outcome.detections) == (Status.OK, [])


def test_working_hours_per_establishment(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)
    write(store_settings, est.id, "evtx", [_privileged(at(22, 10), "adm-jdupont")])
    config.set_working_hours(session, est.id, WorkingHours("Europe/Paris", 0, 24, (0, 1, 2, 3, 4, 5, 6)))
    assert config.working_hours(session, est.id).days == (0, 1, 2, 3, 4, 5, 6)
    outcome = next(
        o for o in _run_logons(session, store_settings, est.id) if o.detector == "off_hours_logons"
    )
    assert outcome.detections == []
    with pytest.raises(ValidationError):
        config.set_working_hours(session, est.id, WorkingHours("Mars/Olympus", 7, 20))
    with pytest.raises(ValidationError):
        config.set_working_hours(session, est.id, WorkingHours("Europe/Paris", 20, 7))


def test_rerun_does_not_duplicate(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)
    write(store_settings, est.id, "evtx", [*_routine(), _logon(at(23, 8), "alice", "SRV-X", "10.0.0.9"),
                                           _privileged(at(22, 10), "adm-jdupont")])  # fmt: skip
    first = _run_logons(session, store_settings, est.id)
    again = _run_logons(session, store_settings, est.id)
    assert [o.created for o in first] == [1, 1]
    assert [(o.created, o.updated) for o in again] == [(0, 0), (0, 0)]
    assert [o.alert_ids for o in again] == [o.alert_ids for o in first]
