"""Alerts from real EVTX samples and SigmaHQ rules: grouping, idempotence, triage, escalation, isolation."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from hygie.assets.models import Asset
from hygie.core.errors import NotFoundError, ValidationError
from hygie.core.settings import Settings
from hygie.detect import service
from hygie.detect.ingest import ingest_paths
from hygie.detect.models import AlertLevel, AlertStatus
from hygie.detect.sigma.compiler import CompiledRules, compile_paths
from hygie.incidents import service as incidents_service
from hygie.plan import service as plan_service
from hygie.plan.models import FindingSource, FindingStatus
from tests.detect.alerts_data import HACKTOOL, NAMED_PIPE, PSEXESVC, SUSP_PSEXEC, evtx_files, rules_folder
from tests.factories import make_establishment


@pytest.fixture
def rules(tmp_path: Path) -> CompiledRules:
    compiled = compile_paths([rules_folder(tmp_path / "rules")])
    assert len(compiled.rules) == 4
    return compiled


def _ingest(settings: Settings, establishment_id: int) -> None:
    report = ingest_paths(settings, establishment_id, evtx_files(), "auto")
    assert report.events == 35


def test_attack_of_tags() -> None:
    techniques, tactics = service.attack_of(["attack.credential-access", "attack.t1003.001", "attack.s0002"])
    assert techniques == ["T1003.001"]
    assert tactics == ["credential-access"]


def test_one_alert_per_rule_host_burst_and_idempotent(
    session: Session, store_settings: Settings, rules: CompiledRules
) -> None:
    est = make_establishment(session)
    _ingest(store_settings, est.id)
    report = service.run_detection(session, store_settings, est.id, rules)
    # 4 named pipe + 3 suspicious psexec hits on IEWIN7, 1 lsass access on PC04, 1 PSEXESVC on MSEDGEWIN10
    assert (report.hits, report.created, report.updated) == (9, 4, 0)
    alerts = {a.rule_id: a for a in service.list_alerts(session, est.id)}
    assert set(alerts) == {NAMED_PIPE, SUSP_PSEXEC, HACKTOOL, PSEXESVC}
    pipe = alerts[NAMED_PIPE]
    assert (pipe.host, pipe.user, pipe.event_count, len(pipe.event_ids)) == ("IEWIN7", "IEUser", 4, 4)
    assert pipe.level == AlertLevel.HIGH
    assert pipe.techniques == ["T1021.002"]
    assert pipe.tactics == ["lateral-movement"]
    assert pipe.first_seen.isoformat() == "2019-01-19T13:00:10.540962+00:00"
    assert pipe.last_seen.isoformat() == "2019-01-19T13:00:10.711207+00:00"
    assert alerts[SUSP_PSEXEC].event_count == 3
    assert alerts[HACKTOOL].host == "PC04.example.corp"
    assert alerts[HACKTOOL].techniques == ["T1003.001"]
    assert alerts[PSEXESVC].level == AlertLevel.MEDIUM
    assert alerts[PSEXESVC].user == "NT AUTHORITY\\SYSTEM"
    assert all(a.status == AlertStatus.NEW for a in alerts.values())

    service.triage(session, pipe, AlertStatus.IN_PROGRESS, "looking")
    again = service.run_detection(session, store_settings, est.id, rules)
    assert (again.hits, again.created, again.updated) == (9, 0, 0)
    assert len(service.list_alerts(session, est.id)) == 4
    assert service.get_alert(session, est.id, pipe.id).status == AlertStatus.IN_PROGRESS  # triage kept

    counts = service.counts(session, est.id)
    assert counts["level"] == {"informational": 0, "low": 0, "medium": 1, "high": 3, "critical": 0}
    assert counts["status"] == {"new": 3, "in_progress": 1, "false_positive": 0, "true_positive": 0}
    assert [a.rule_id for a in service.list_alerts(session, est.id, level=AlertLevel.MEDIUM)] == [PSEXESVC]
    assert len(service.list_alerts(session, est.id, status=AlertStatus.NEW)) == 3


def test_evidence_assets_triage_findings_and_escalation(
    session: Session, store_settings: Settings, rules: CompiledRules
) -> None:
    est = make_establishment(session)
    _ingest(store_settings, est.id)
    service.run_detection(session, store_settings, est.id, rules)
    session.add_all(
        [
            Asset(
                establishment_id=est.id,
                name="Poste urgences 4",
                hostname="pc04.example.corp",
                department="Urgences",
            ),
            Asset(establishment_id=est.id, name="PC04", department="Radiologie"),
            Asset(establishment_id=est.id, name="IEWIN7-bis", hostname="iewin7.example.corp"),
        ]
    )
    session.flush()
    alerts = {a.rule_id: a for a in service.list_alerts(session, est.id)}
    mimikatz, psexesvc = alerts[HACKTOOL], alerts[PSEXESVC]

    assets = service.assets_of(session, mimikatz)
    assert sorted(a.name for a in assets) == ["PC04", "Poste urgences 4"]
    assert service.departments_of(assets) == ["Radiologie", "Urgences"]
    assert [a.hostname for a in service.assets_of(session, alerts[NAMED_PIPE])] == ["iewin7.example.corp"]
    assert service.assets_of(session, psexesvc) == []

    rows = service.evidence_rows(store_settings, mimikatz)
    assert len(rows) == 1
    assert rows[0]["event_code"] == 10
    assert rows[0]["host"] == "PC04.example.corp"

    with pytest.raises(ValidationError):
        service.escalate(session, mimikatz, "rssi")  # not confirmed yet

    # a medium alert confirmed is no finding; a high one is
    service.triage(session, psexesvc, AlertStatus.TRUE_POSITIVE)
    assert plan_service.list_findings(session, est.id, source=FindingSource.DETECTION) == []
    service.triage(session, mimikatz, AlertStatus.TRUE_POSITIVE, "mimikatz confirmed")
    findings = plan_service.list_findings(session, est.id, source=FindingSource.DETECTION)
    assert [(f.key, f.severity.value) for f in findings] == [(f"alert:{HACKTOOL}:pc04.example.corp", "high")]

    case = service.escalate(session, mimikatz, "rssi")
    assert case.alert_refs == [f"hygie-alert-{mimikatz.id}"]
    assert sorted(case.asset_ids) == sorted(a.id for a in assets)
    assert case.severity.value == "high"
    assert mimikatz.case_id == case.id
    assert service.escalate(session, mimikatz, "rssi").id == case.id  # once
    assert [c.id for c in incidents_service.list_cases(session, est.id)] == [case.id]

    service.triage(session, mimikatz, AlertStatus.FALSE_POSITIVE)
    assert plan_service.list_findings(session, est.id, source=FindingSource.DETECTION) == []
    resolved = plan_service.list_findings(session, est.id, FindingStatus.RESOLVED, FindingSource.DETECTION)
    assert len(resolved) == 1


def test_establishments_are_isolated(
    session: Session, store_settings: Settings, rules: CompiledRules
) -> None:
    first = make_establishment(session)
    second = make_establishment(session)
    _ingest(store_settings, first.id)
    assert service.run_detection(session, store_settings, second.id, rules).created == 0
    service.run_detection(session, store_settings, first.id, rules)
    assert len(service.list_alerts(session, first.id)) == 4
    assert service.list_alerts(session, second.id) == []
    alert = service.list_alerts(session, first.id)[0]
    with pytest.raises(NotFoundError):
        service.get_alert(session, second.id, alert.id)
    _ingest(store_settings, second.id)
    service.run_detection(session, store_settings, second.id, rules)
    assert len(service.list_alerts(session, second.id)) == 4
    assert len(service.list_alerts(session, first.id)) == 4
