"""Failing, missing and untested backups from the continuity domain, as alerts and findings."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from hygie.continuity import service as continuity_service
from hygie.continuity.models import JobReportFormat, JobResult
from hygie.continuity.schemas import (
    ApplicationIn,
    DependencyIn,
    JobRecord,
    PolicyIn,
    RestoreTestIn,
    ServiceIn,
)
from hygie.core.settings import Settings
from hygie.detect import service
from hygie.detect.detectors.base import Status
from hygie.detect.detectors.explain import render
from hygie.detect.models import AlertLevel
from hygie.plan import service as plan_service
from hygie.plan.models import FindingSource, FindingStatus, Severity
from tests.detect.detectors.helpers import at, run
from tests.factories import make_establishment


def _setup(session: Session, establishment_id: int, test_every_days: int = 90) -> int:
    """The DPI application, needed by the emergency department (RPO 12 h) and the pharmacy (RPO 24 h)."""
    app = continuity_service.create_application(session, establishment_id, ApplicationIn(name="DPI"))
    for name, rpo in (("Urgences", 12.0), ("Pharmacie", 24.0)):
        care = continuity_service.create_service(
            session, establishment_id, ServiceIn(name=name, rto_hours=4, rpo_hours=rpo)
        )
        continuity_service.add_dependency(
            session, establishment_id, DependencyIn(service_id=care.id, on_application_id=app.id)
        )
    policy = PolicyIn(copies=3, test_every_days=test_every_days, job_name="DPI-nightly")
    continuity_service.set_policy(session, establishment_id, app.id, policy)
    return app.id


def _jobs(session: Session, establishment_id: int, runs: list[tuple[datetime, JobResult]]) -> None:
    records = [
        JobRecord(job_name="DPI-nightly", started_at=ts, result=result, message="VSS error 0x800423f4")
        for ts, result in runs
    ]
    continuity_service.import_jobs(session, establishment_id, records, JobReportFormat.HYGIE, "jobs.csv")


def test_failed_missing_and_never_tested(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)
    _setup(session, est.id)
    _jobs(session, est.id, [(at(20, 1), JobResult.SUCCESS), (at(21, 1), JobResult.FAILED),
                            (at(22, 1), JobResult.FAILED), (at(23, 1), JobResult.FAILED)])  # fmt: skip
    outcome = run(session, store_settings, est.id, "backups")
    assert outcome.status == Status.OK
    found = {d.rule.id: d for d in outcome.detections}
    assert sorted(found) == [
        "hygie-stat-backup-failed",
        "hygie-stat-backup-missing",
        "hygie-stat-restore-untested",
    ]
    failed = found["hygie-stat-backup-failed"]
    assert (failed.count, failed.first, failed.last, failed.effective_level) == (
        3, at(21, 1), at(23, 1), AlertLevel.HIGH
    )  # fmt: skip
    missing = found["hygie-stat-backup-missing"]
    # last success 20 February 1:00 UTC; the smallest RPO is 12 h: overdue since 13:00; 81 h before now
    assert (missing.first, missing.last, missing.host) == (at(20, 13), at(23, 10, 30), "DPI")
    assert render(missing.explanation.as_json(), "fr") == (
        "Aucune sauvegarde réussie de DPI depuis le 20/02/2026 02:00, il y a 81 heures ; PDMA 12 heures "
        "(services de soins : Pharmacie, Urgences)"
    )
    assert render(found["hygie-stat-restore-untested"].explanation.as_json(), "en") == (
        "The backup of DPI has never been restored in a test; the policy asks for one every 90 days"
    )
    findings = plan_service.list_findings(session, est.id, source=FindingSource.DETECTION)
    assert sorted((f.key.split(":")[1], f.severity, f.control_ids) for f in findings) == [
        ("backup-missing", Severity.HIGH, ["CON-BACKUP-MONITOR"]),
        ("restore-untested", Severity.HIGH, ["CON-RESTORE-TEST"]),
    ]
    assert findings[0].care_services == ["Pharmacie", "Urgences"]
    assert sorted(f.title for f in findings) == [
        "Aucune sauvegarde réussie dans la PDMA : DPI",
        "Restauration de sauvegarde non testée : DPI",
    ]
    assert sorted(f.evidence["title_en"] for f in findings) == [
        "Backup restore not tested: DPI",
        "No successful backup within the RPO: DPI",
    ]

    # triage elsewhere keeps the weaknesses; a successful run and a restore test resolve them
    alert = service.get_alert(session, est.id, outcome.alert_ids[0])
    service.triage(session, alert, alert.status, "vu")
    assert len(plan_service.list_findings(session, est.id, source=FindingSource.DETECTION)) == 2
    _jobs(session, est.id, [(at(23, 2), JobResult.SUCCESS)])
    app_id = continuity_service.list_applications(session, est.id)[0].id
    continuity_service.log_restore_test(
        session, est.id, app_id, RestoreTestIn(tested_on=date(2026, 2, 10), duration_hours=3)
    )
    later = run(session, store_settings, est.id, "backups")
    assert later.detections == []
    assert plan_service.list_findings(session, est.id, source=FindingSource.DETECTION) == []
    resolved = plan_service.list_findings(
        session, est.id, status=FindingStatus.RESOLVED, source=FindingSource.DETECTION
    )
    assert len(resolved) == 2
    assert len(service.list_alerts(session, est.id)) == 3  # the alerts stay, for the record


def test_restore_overdue_and_healthy_jobs(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)
    app_id = _setup(session, est.id, test_every_days=10)
    _jobs(session, est.id, [(at(22, 23), JobResult.SUCCESS), (at(23, 1), JobResult.WARNING)])
    continuity_service.log_restore_test(
        session, est.id, app_id, RestoreTestIn(tested_on=date(2026, 2, 10), duration_hours=3)
    )
    outcome = run(session, store_settings, est.id, "backups")
    # last success (a warning counts) 23 February 1:00, within 12 h; restore due 20 February
    assert [d.rule.id for d in outcome.detections] == ["hygie-stat-restore-untested"]
    overdue = outcome.detections[0]
    assert overdue.first == datetime(2026, 2, 20, tzinfo=UTC)
    assert render(overdue.explanation.as_json(), "fr") == (
        "Le dernier test de restauration réussi de DPI date du 10 février 2026, le suivant était dû le "
        "20 février 2026 ; la politique en demande un tous les 10 jours"
    )
    finding = plan_service.list_findings(session, est.id, source=FindingSource.DETECTION)[0]
    assert finding.severity == Severity.MEDIUM


def test_no_report_says_so(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)
    _setup(session, est.id)
    outcome = run(session, store_settings, est.id, "backups")
    assert [d.rule.id for d in outcome.detections] == ["hygie-stat-restore-untested"]
    assert "no job report imported" in render(outcome.notes[0].as_json(), "en")


def test_no_policy(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)
    assert run(session, store_settings, est.id, "backups").status == Status.NO_DATA


def test_rerun_does_not_duplicate(session: Session, store_settings: Settings) -> None:
    est = make_establishment(session)
    _setup(session, est.id)
    _jobs(session, est.id, [(at(20, 1), JobResult.SUCCESS), (at(21, 1), JobResult.FAILED)])
    first = run(session, store_settings, est.id, "backups")
    again = run(session, store_settings, est.id, "backups")
    assert (first.created, again.created, again.updated, again.alert_ids) == (3, 0, 0, first.alert_ids)
    # a day later the same conditions hold: the same alerts are refreshed (last seen), none added
    later = run(session, store_settings, est.id, "backups", now=at(24, 10, 30))
    assert (later.created, later.alert_ids) == (0, first.alert_ids)
    assert len(service.list_alerts(session, est.id)) == 3
