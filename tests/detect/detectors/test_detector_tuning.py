"""The establishment's tuning applied to the statistical detectors: disabled rules raise nothing, level
overrides set the stored level, host or user exclusions drop exactly their detections."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from hygie.core.settings import Settings
from hygie.detect import detectors, service, tuning
from hygie.detect.detectors.base import Detection, Explanation, Outcome, Status
from hygie.detect.events import Event
from hygie.detect.models import AlertLevel, EntityField, RuleTuning, TuningKind
from tests.detect.detectors.helpers import at, event, run, run_family, write
from tests.factories import make_establishment

SYSMON = "Microsoft-Windows-Sysmon/Operational"
MASS = "hygie-stat-mass-file-writes"
RANSOM = "hygie-stat-ransom-file-names"
OFF_HOURS = "hygie-stat-offhours-admin"
FIRST_LOGON = "hygie-stat-first-logon"
FAILED = "hygie-stat-failed-logons"


def _files(start: datetime, host: str, count: int, extension: str) -> list[Event]:
    """``count`` files created on ``host`` every half second from ``start``."""
    return [
        event(
            datetime.fromtimestamp(start.timestamp() + i / 2, start.tzinfo),
            host=host,
            channel=SYSMON,
            code=11,
            fields={"TargetFilename": rf"C:\Data\f{i}{extension}"},
        )
        for i in range(count)
    ]


def _two_hosts(settings: Settings, establishment_id: int) -> None:
    """WS-15: 310 files renamed .akira (mass writes and ransomware names); WS-16: 320 documents (mass writes
    only). Both hosts are new: the threshold is 300 files in 5 minutes."""
    events = _files(at(23, 10), "WS-15", 310, ".akira") + _files(at(23, 10), "WS-16", 320, ".docx")
    write(settings, establishment_id, "evtx", events)


def _found(outcome: Outcome) -> list[tuple[str, str, str]]:
    return sorted((d.rule.id, d.host, d.effective_level.value) for d in outcome.detections)


def _stored(session: Session, establishment_id: int) -> list[tuple[str, str, str]]:
    alerts = service.list_alerts(session, establishment_id)
    return sorted((a.rule_id, a.host, a.level.value) for a in alerts)


def test_untuned_run_finds_three_detections(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)
    _two_hosts(store_settings, est.id)
    assert _found(run(session, store_settings, est.id, "files")) == [
        (MASS, "WS-15", "high"),
        (MASS, "WS-16", "high"),
        (RANSOM, "WS-15", "critical"),
    ]


def test_disabled_rule_raises_no_alert_and_keeps_the_earlier_ones(
    session: Session, store_settings: Settings
) -> None:
    est = make_establishment(session)
    _two_hosts(store_settings, est.id)
    tuning.disable_rule(session, est.id, MASS, reason="bruit")
    outcome = run(session, store_settings, est.id, "files")
    assert _found(outcome) == [(RANSOM, "WS-15", "critical")]
    assert (outcome.created, _stored(session, est.id)) == (1, [(RANSOM, "WS-15", "critical")])

    tuning.enable_rule(session, est.id, MASS)
    assert run(session, store_settings, est.id, "files").created == 2
    tuning.disable_rule(session, est.id, MASS)
    again = run(session, store_settings, est.id, "files")
    # As for a disabled Sigma rule: nothing raised or refreshed, the alerts already raised stay as triaged.
    assert (_found(again), again.created, again.updated) == ([(RANSOM, "WS-15", "critical")], 0, 0)
    assert [r for r, _, _ in _stored(session, est.id)] == [MASS, MASS, RANSOM]


def test_level_override_sets_the_stored_level(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)
    _two_hosts(store_settings, est.id)
    run(session, store_settings, est.id, "files")
    override = tuning.set_level(session, est.id, MASS, AlertLevel.LOW)
    outcome = run(session, store_settings, est.id, "files")
    assert (outcome.created, outcome.updated) == (0, 2)  # the two mass-writes alerts change level
    assert _stored(session, est.id) == [
        (MASS, "WS-15", "low"),
        (MASS, "WS-16", "low"),
        (RANSOM, "WS-15", "critical"),
    ]
    tuning.remove_tuning(session, est.id, override.id)
    run(session, store_settings, est.id, "files")
    assert [level for _, _, level in _stored(session, est.id)] == ["high", "high", "critical"]


def test_override_wins_over_a_detections_stronger_level(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)
    fields = {"IpAddress": "10.0.0.5", "LogonType": "3"}
    routine = [
        event(at(day, 8), host="PC1", channel="Security", code=4624, user="alice",
              fields={"TargetUserName": "alice", **fields})
        for day in range(9, 23)
    ]  # fmt: skip
    # alice on three new servers the same evening: the detection is medium, the rule low
    spread = [
        event(at(22, 23, i), host=f"SRV-{i}", channel="Security", code=4624, user="alice",
              fields={"TargetUserName": "alice", **fields})
        for i in range(3)
    ]  # fmt: skip
    write(store_settings, est.id, "evtx", routine + spread)
    tuning.set_level(session, est.id, FIRST_LOGON, AlertLevel.INFORMATIONAL)
    outcomes = run_family(session, store_settings, est.id, "logons")
    first = next(o for o in outcomes if o.detector == "first_logons")
    assert [(d.user, d.count, d.effective_level) for d in first.detections] == [
        ("alice", 3, AlertLevel.INFORMATIONAL)
    ]
    assert [(a.rule_id, a.level) for a in service.list_alerts(session, est.id)] == [
        (FIRST_LOGON, AlertLevel.INFORMATIONAL)
    ]


def test_host_exclusion_drops_exactly_that_hosts_detections_of_that_rule(
    session: Session, store_settings: Settings
) -> None:
    est = make_establishment(session)
    other = make_establishment(session)
    for establishment_id in (est.id, other.id):
        _two_hosts(store_settings, establishment_id)
    tuning.add_entity_exclusion(session, est.id, "host", "ws-15", rule_id=MASS, reason="sauvegarde")
    # WS-15's mass writes are dropped (case ignored); its ransomware names and WS-16's writes are not.
    assert _found(run(session, store_settings, est.id, "files")) == [
        (MASS, "WS-16", "high"),
        (RANSOM, "WS-15", "critical"),
    ]
    assert len(_stored(session, est.id)) == 2
    assert len(run(session, store_settings, other.id, "files").detections) == 3  # another hospital's


def test_exclusion_from_every_detector_rule(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)
    _two_hosts(store_settings, est.id)
    tuning.add_entity_exclusion(session, est.id, "host", "WS-15")
    assert _found(run(session, store_settings, est.id, "files")) == [(MASS, "WS-16", "high")]


def test_user_exclusion_of_the_on_call_account(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)

    def privileged(ts: datetime, user: str) -> Event:
        return event(
            ts, host="DC1", channel="Security", code=4672, user=user, fields={"SubjectUserName": user}
        )

    # Sunday 22 February: two accounts log on with privileges at 11:00 in Paris, off hours
    write(
        store_settings,
        est.id,
        "evtx",
        [privileged(at(22, 10), "adm-astreinte"), privileged(at(22, 10), "adm-x")],
    )
    tuning.add_entity_exclusion(session, est.id, "user", "ADM-ASTREINTE", rule_id=OFF_HOURS)
    outcome = next(
        o for o in run_family(session, store_settings, est.id, "logons") if o.detector == "off_hours_logons"
    )
    assert [(d.user, d.host) for d in outcome.detections] == [("adm-x", "DC1")]


def test_exclusions_match_what_a_failed_logon_burst_is_about(
    session: Session, store_settings: Settings
) -> None:
    """A spray from one source is about that source: neither the domain controller that logged it nor an
    account among those tried may silence it; excluding the source (a known scanner) does."""
    est = make_establishment(session)
    start = at(22, 3)
    spray = [
        event(start + timedelta(seconds=12 * i), host="DC1", channel="Security", code=4625,
              user=f"user{i % 12}", fields={"TargetUserName": f"user{i % 12}", "IpAddress": "10.0.0.66"})
        for i in range(25)
    ]  # fmt: skip
    write(store_settings, est.id, "evtx", spray)
    tuning.add_entity_exclusion(session, est.id, "user", "user0", reason="compte d'astreinte")
    tuning.add_entity_exclusion(session, est.id, "host", "dc1", reason="contrôleur de domaine")
    [burst] = run(session, store_settings, est.id, "failed_logons").detections
    assert (burst.host, burst.entities, burst.effective_level) == ("DC1", (("host", "10.0.0.66"),), "high")
    [alert] = service.list_alerts(session, est.id)
    assert alert.subjects == [["host", "10.0.0.66"]]  # what its page offers to exclude
    tuning.add_entity_exclusion(session, est.id, "host", "10.0.0.66", rule_id=FAILED, reason="scanner")
    assert run(session, store_settings, est.id, "failed_logons").detections == []


def test_a_mail_surge_is_not_excluded_by_its_busiest_sender() -> None:
    detection = Detection(
        rule=detectors.RULES["hygie-stat-mail-surge"], host="MX1", user="news@example.org",
        first=at(22, 3), last=at(22, 4), count=80, event_ids=(1,), explanation=Explanation("x"), subjects=(),
    )  # fmt: skip
    excluded = RuleTuning(
        kind=TuningKind.ENTITY, rule_id="any", entity_field=EntityField.USER, entity_value="news@example.org"
    )
    assert tuning.tune_detections([detection], [excluded]) == [detection]


# --- What the tuning suppressed --------------------------------------------------------------------------


def test_suppressed_counts_the_detections_each_tuning_dropped(
    session: Session, store_settings: Settings
) -> None:
    """Three detections (WS-15: mass writes and ransomware names; WS-16: mass writes), one outcome."""
    est = make_establishment(session)
    _two_hosts(store_settings, est.id)
    assert run(session, store_settings, est.id, "files").suppressed == 0  # no tuning
    exclusion = tuning.add_entity_exclusion(session, est.id, "host", "WS-15", rule_id=MASS)
    assert run(session, store_settings, est.id, "files").suppressed == 1  # WS-15's mass writes
    tuning.remove_tuning(session, est.id, exclusion.id)
    everything = tuning.add_entity_exclusion(session, est.id, "host", "ws-15")
    assert run(session, store_settings, est.id, "files").suppressed == 2  # both rules on WS-15
    tuning.remove_tuning(session, est.id, everything.id)
    tuning.disable_rule(session, est.id, MASS)
    tuning.set_level(session, est.id, RANSOM, AlertLevel.HIGH)  # a level drops nothing
    outcome = run(session, store_settings, est.id, "files")
    assert (outcome.suppressed, _found(outcome)) == (2, [(RANSOM, "WS-15", "high")])


def test_tune_outcomes_counts_per_outcome_and_adds_to_an_earlier_count(session: Session) -> None:
    est = make_establishment(session)
    off, first = (detectors.RULES[OFF_HOURS], detectors.RULES[FIRST_LOGON])

    def found(rule_id: str, user: str, hour: int) -> Detection:
        rule = detectors.RULES[rule_id]
        return Detection(rule, "DC1", user, at(22, hour), at(22, hour), 1, (hour,), Explanation("x"))

    night = Outcome(
        "off_hours_logons",
        off.signal,
        Status.OK,
        [
            found(OFF_HOURS, "adm-astreinte", 1),
            found(OFF_HOURS, "ADM-ASTREINTE", 3),
            found(OFF_HOURS, "adm-x", 2),
        ],
    )
    new = Outcome(
        "first_logons", first.signal, Status.OK, [found(FIRST_LOGON, "adm-astreinte", 1)], suppressed=4
    )
    assert tuning.tune_outcomes(session, est.id, [night, new]) == [night, new]  # no tuning: unchanged
    tuning.add_entity_exclusion(session, est.id, "user", "adm-astreinte", rule_id=OFF_HOURS)
    tuned_night, tuned_new = tuning.tune_outcomes(session, est.id, [night, new])
    assert ([d.user for d in tuned_night.detections], tuned_night.suppressed) == (["adm-x"], 2)
    assert (len(tuned_new.detections), tuned_new.suppressed) == (1, 4)  # another rule: nothing more dropped
    assert night.suppressed == 0 and len(night.detections) == 3  # the outcomes given are left as they were
