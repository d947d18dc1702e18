"""The demo's week of logs: the real ingestion, Sigma detection and statistical detectors find every step of
the scripted attack, and the ordinary week alone raises nothing serious."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from hygie.continuity import service as continuity_service
from hygie.continuity.models import MediaKind
from hygie.continuity.schemas import ApplicationIn, PolicyIn, RestoreTestIn
from hygie.core.settings import Settings, get_settings
from hygie.demo import attack, logrecords, logs
from hygie.demo import continuity as demo_continuity
from hygie.demo import tuning as demo_tuning
from hygie.detect import detectors, tuning
from hygie.detect import service as detect_service
from hygie.detect.models import Alert, AlertLevel, TuningKind
from hygie.frameworks.service import get_library
from hygie.plan import service as plan_service
from hygie.plan.models import FindingSource
from tests.detect.test_builtin_rules import (
    BACKUP_FAILED,
    BACKUP_STOPPED,
    BACKUP_TAMPERING,
    DUMP_TOOLS,
    FAILED_BURST,
    MAIL_ATTACHMENT,
    MANY_HOSTS,
    MASS_STOP,
    PSEXEC,
    RDP_OUTSIDE,
    SHADOW,
    SSH_BRUTE,
)
from tests.factories import make_establishment

PARIS = logrecords.PARIS
OFF_HOURS = "hygie-stat-offhours-admin"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("HYGIE_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def backup_policies(session: Session, establishment_id: int) -> None:
    """Two of the demo continuity's policies, named as the backup server's jobs, restore-tested lately."""
    for name, job in (("PACS", "PACS - archives"), ("Dossier patient (DPI)", "DPI - base")):
        application = continuity_service.create_application(
            session, establishment_id, ApplicationIn(name=name)
        )
        policy = PolicyIn(copies=2, media=[MediaKind.DISK], job_name=job)
        continuity_service.set_policy(session, establishment_id, application.id, policy)
        test = RestoreTestIn(tested_on=date(2026, 10, 1), duration_hours=4, success=True)
        continuity_service.log_restore_test(session, establishment_id, application.id, test)


def short(host: str) -> str:
    return host.split(".")[0].lower()


def wall(ts: datetime) -> datetime:
    return ts.astimezone(PARIS)


def test_same_seed_same_files_another_seed_other_files() -> None:
    def digest(generated: logrecords.Logs) -> str:
        text = b"\n".join(generated.windows) + "\n".join(generated.syslog + generated.postfix).encode()
        return hashlib.sha256(text + "\n".join(generated.metrics).encode()).hexdigest()

    first = logs.generate(2026)
    assert digest(first) == digest(logs.generate(2026))
    assert digest(first) != digest(logs.generate(7))
    # Between 50,000 and 200,000 events, and four weeks of hourly metrics before the week.
    total = len(first.windows) + len(first.syslog) + len(first.postfix) + len(first.metrics) - 1
    assert 50_000 <= total <= 200_000
    assert first.metrics[1].startswith("2026-10-18T22:00:00+00:00,")  # 19 October 00:00 in Paris (CEST)


def test_the_detection_finds_each_step_of_the_attack(session: Session, home: Settings) -> None:
    establishment = make_establishment(session)
    backup_policies(session, establishment.id)
    result = logs.build(session, home, establishment.id)
    assert [p.name for p in result.files] == [
        "windows-winlogbeat.ndjson",
        "linux-syslog.log",
        "postfix-mss-relay01.log",
        "metrics-hourly.csv",
    ]
    assert result.events > 50_000
    alerts: dict[str, list[Alert]] = defaultdict(list)
    for alert in detect_service.list_alerts(session, establishment.id):
        alerts[alert.rule_id].append(alert)
    hosts = {rule: sorted({short(a.host) for a in found}) for rule, found in alerts.items()}
    site = logrecords.site(2026)
    victim = attack.victim(site)

    # 1. Monday morning: the phishing with its disk image, on the mail relay.
    [phishing] = alerts[MAIL_ATTACHMENT]
    assert short(phishing.host) == "mss-relay01" and wall(phishing.first_seen).strftime("%a %H") == "Mon 08"
    assert phishing.event_count > 50 and phishing.techniques == ["T1566.001"]
    # 2. Tuesday night: a password spray, the stolen account by RDP from the internet, LSASS dumped.
    [spray] = alerts[FAILED_BURST]
    # 24 sprayed, then the victim's 4 failures from 02:03:00 every 41 s: the five-minute window still holds
    # 20 failures at the second of them (02:03:41), not at the third (15 sprayed after 01:59:22, plus 3).
    assert short(spray.host) == "rdp-prestataire" and spray.event_count == 26
    [rdp] = alerts[RDP_OUTSIDE]
    assert (short(rdp.host), rdp.user) == ("rdp-prestataire", victim)
    assert wall(rdp.first_seen).strftime("%a %H:%M") == "Tue 02:07"
    [dump] = alerts[DUMP_TOOLS]
    assert (short(dump.host), dump.level) == ("rdp-prestataire", AlertLevel.CRITICAL)
    # 3. PsExec on the twelve servers, the same administrator on ten hosts or more within the hour, SSH.
    assert hosts[PSEXEC] == sorted(attack.TARGETS)
    # The spread is one correlation burst: one alert, every logon of the address on the twelve servers.
    [spread] = alerts[MANY_HOSTS]
    assert spread.user == attack.ADMIN and short(spread.host) in attack.TARGETS
    assert spread.event_count == len(spread.event_ids) >= 10
    assert hosts[SSH_BRUTE] == ["dpi-db01"]
    # 4. Wednesday night: backups sabotaged, services stopped in bulk, shadow copies deleted.
    assert hosts[BACKUP_STOPPED] == ["backup01"]
    assert hosts[BACKUP_TAMPERING] == ["backup01", "dpi-app01", "file01"]  # Veeam's agent among the stops
    assert hosts[MASS_STOP] == ["dpi-app01", "file01"]
    assert hosts[SHADOW] == ["backup01", "dpi-app01", "file01", "pacs-srv01"]
    assert all(a.level == AlertLevel.CRITICAL and a.techniques == ["T1490"] for a in alerts[SHADOW])
    # 5. The backup jobs fail every night from Wednesday to Sunday.
    failed = sorted(wall(a.first_seen).strftime("%w %a") for a in alerts[BACKUP_FAILED])
    assert failed == ["0 Sun", "3 Wed", "4 Thu", "5 Fri", "6 Sat"]
    # Nothing else: the ordinary week around the attack stays quiet.
    expected = {MAIL_ATTACHMENT, FAILED_BURST, RDP_OUTSIDE, DUMP_TOOLS, PSEXEC, MANY_HOSTS, SSH_BRUTE,
                BACKUP_STOPPED, BACKUP_TAMPERING, MASS_STOP, SHADOW, BACKUP_FAILED}  # fmt: skip
    assert set(alerts) - set(detectors.RULES) == expected
    assert result.alerts == sum(len(found) for found in alerts.values())
    assert result.detector_alerts == sum(len(alerts[rule]) for rule in detectors.RULES)
    # The ATT&CK coverage of the week's logs is computed too: its real gaps are findings of the plan. No
    # Sysmon nor object-access audit in the week: encryption (file writes) is a rule without logs; LSASS
    # dumping (read from 4688) and the deleted shadow copies are covered.
    rows = plan_service.list_findings(session, establishment.id, source=FindingSource.DETECTION)
    gaps = {f.key: f.evidence["status"] for f in rows if f.key.startswith("coverage:")}
    assert gaps["coverage:T1486"] == "rule_without_logs" and gaps["coverage:T1047"] == "no_rule"
    assert "coverage:T1003.001" not in gaps and "coverage:T1490" not in gaps and "coverage:T1566" not in gaps


def test_the_detectors_find_the_surge_the_spray_the_failed_backups_and_the_slowdown(
    session: Session, home: Settings
) -> None:
    """With the demo hospital's tuning, as `hygie demo` builds it."""
    establishment = make_establishment(session)
    backup_policies(session, establishment.id)
    demo_tuning.apply(session, establishment.id, demo_tuning.HOSPITAL_TUNING)
    result = logs.build(session, home, establishment.id)
    alerts: dict[str, list[Alert]] = defaultdict(list)
    sigma: dict[str, list[Alert]] = defaultdict(list)
    for alert in detect_service.list_alerts(session, establishment.id):
        (alerts if alert.rule_id in detectors.RULES else sigma)[alert.rule_id].append(alert)
    assert result.detector_alerts == sum(len(found) for found in alerts.values()) > 0
    # The tuning: the on-call account's two nights suppressed, the administrator's account the attacker
    # stole still flagged at night (its PsExec spread, Tuesday 02:31); the failed backup jobs raised to high.
    [night] = alerts[OFF_HOURS]
    assert (night.user, wall(night.first_seen).strftime("%a %H:%M")) == (attack.ADMIN, "Tue 02:31")
    assert result.suppressed == 2
    assert len(sigma[BACKUP_FAILED]) == 5 and {a.level for a in sigma[BACKUP_FAILED]} == {AlertLevel.HIGH}
    # Monday morning: the phishing hour stands far above the relay's Mondays at 09:00 of the last weeks.
    [surge] = alerts["hygie-stat-mail-surge"]
    assert short(surge.host) == "mss-relay01" and wall(surge.first_seen).strftime("%a %H") == "Mon 09"
    assert surge.explanation is not None and surge.explanation["params"]["count"] > 50
    # Tuesday night: the spray from the internet on the contractor's server.
    [spray] = alerts["hygie-stat-failed-logons"]
    assert short(spray.host) == "rdp-prestataire" and spray.level == AlertLevel.HIGH
    assert spray.explanation is not None and spray.explanation["params"]["source"] == attack.ATTACKER_IP
    # The jobs failed every night since Wednesday: one alert per policy, high after three failures, and no
    # successful backup since Tuesday night, more than the RPO (24 hours: no care service declared) ago.
    failed = alerts["hygie-stat-backup-failed"]
    assert sorted(a.host for a in failed) == ["Dossier patient (DPI)", "PACS"]
    assert all(a.event_count == 5 and a.level == AlertLevel.HIGH for a in failed)
    assert all(wall(a.first_seen).strftime("%a %H") == "Wed 22" for a in failed)
    missing = alerts["hygie-stat-backup-missing"]
    assert sorted(a.host for a in missing) == ["Dossier patient (DPI)", "PACS"]
    # Wednesday night: the servers loaded by the preparation answer slowly.
    slow = alerts["hygie-stat-response-time"] + alerts["hygie-stat-cpu"]
    assert {short(a.host) for a in slow} >= {"dpi-app01"}
    assert all(wall(a.first_seen).strftime("%a") == "Wed" and wall(a.first_seen).hour < 7 for a in slow), [
        (a.rule_id, a.host, wall(a.first_seen).isoformat()) for a in slow
    ]


def test_the_ordinary_week_alone_raises_no_alert_once_tuned(session: Session, home: Settings) -> None:
    establishment = make_establishment(session)
    backup_policies(session, establishment.id)
    demo_tuning.apply(session, establishment.id, demo_tuning.HOSPITAL_TUNING)
    result = logs.build(session, home, establishment.id, attack=False)
    assert result.events > 50_000
    # Neither the Sigma rules nor the detectors (their baselines, the backup runs) see anything, but for
    # the on-call account's two nights, which the hospital's tuning suppresses.
    assert detect_service.list_alerts(session, establishment.id) == []
    assert result.by_level.get("critical", 0) == result.by_level.get("high", 0) == 0
    assert result.alerts == result.detector_alerts == 0
    assert result.suppressed == 2
    # Without the exclusion, the on-call nights are what the off-hours detector flags, and nothing else.
    [exclusion] = tuning.list_tunings(session, establishment.id, TuningKind.ENTITY)
    tuning.remove_tuning(session, establishment.id, exclusion.id)
    outcomes = detectors.run_all(session, establishment.id, home, now=logs.END)
    assert sum(o.suppressed for o in outcomes) == 0
    alerts = detect_service.list_alerts(session, establishment.id)
    assert sorted(
        (a.rule_id, a.user, wall(a.first_seen).strftime("%a %H"), short(a.host)) for a in alerts
    ) == [
        (OFF_HOURS, logrecords.ON_CALL, "Sun 02", "pacs-srv02"),
        (OFF_HOURS, logrecords.ON_CALL, "Thu 02", "dpi-app02"),
    ]
    assert all(a.event_count == 2 for a in alerts)  # back twenty minutes later: one alert a night


def test_the_week_judges_current_backups_and_the_stolen_accounts_first_logon(
    session: Session, home: Settings
) -> None:
    """The demo continuity's job report ends on the eve of the week of logs, whose own report takes over: the
    detectors, judging on Monday 23, see every night up to theirs. And a week of logons before the week lets
    the first-seen detector judge the week, where the stolen account logs on to a server it never did."""
    establishment = make_establishment(session)
    demo_continuity.build(session, establishment.id, get_library(), with_assets=False)
    logs.build(session, home, establishment.id)
    alerts = detect_service.list_alerts(session, establishment.id)
    # No successful backup within the RPO: only the four applications whose jobs on backup01 fail since the
    # attack (last success on Tuesday night), not the SIL, the pharmacy, the RIS and the GAP, which the second
    # backup server kept saving (every 15 minutes for the first two, whose RPO is 15 minutes).
    missing = [a for a in alerts if a.rule_id == "hygie-stat-backup-missing"]
    assert sorted(a.host for a in missing) == ["Annuaire (AD)", "Dossier patient (DPI)", "Messagerie", "PACS"]
    for alert in missing:
        assert alert.explanation is not None
        last = datetime.fromisoformat(alert.explanation["params"]["last_success"]["moment"])
        assert wall(last).strftime("%a %d") == "Tue 17"
    # First-seen logons: the stolen account on the contractor's server from the attacker's network, and the
    # administrator's account PsExec'd from that server to twelve others; nobody of the ordinary week.
    first_seen = {a.user: a for a in alerts if a.rule_id == "hygie-stat-first-logon"}
    victim = attack.victim(logrecords.site(2026))
    assert set(first_seen) == {victim, attack.ADMIN}
    stolen = first_seen[victim]
    assert (
        short(stolen.host) == "rdp-prestataire"
        and wall(stolen.first_seen).strftime("%a %H:%M") == "Tue 02:07"
    )
    assert stolen.explanation is not None
    assert stolen.explanation["params"]["pairs"] == f"{stolen.host} ← 203.0.113.0/24"
    spread = first_seen[attack.ADMIN]
    assert spread.level == AlertLevel.MEDIUM and spread.explanation is not None
    assert spread.explanation["params"]["hosts"] == len(attack.TARGETS)
