"""Backup policies, restore tests and imported job reports: the facts that ``backups`` scores,
with the alarms they raise. Written only through ``hygie.continuity.service`` (which re-exports
these functions); every read and write is filtered by establishment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from hygie.continuity import backups
from hygie.continuity.models import (
    Application,
    BackupJob,
    BackupPolicy,
    JobReportFormat,
    JobResult,
    RestoreTest,
)
from hygie.continuity.schemas import JobImportOut, JobRecord, PolicyIn, RestoreTestIn
from hygie.continuity.service_care import get_application, list_applications
from hygie.core.errors import NotFoundError, ValidationError
from hygie.core.time import today, utcnow
from hygie.org import service as org_service


def last_restores(
    session: Session, establishment_id: int
) -> dict[int, tuple[RestoreTest | None, RestoreTest | None]]:
    """Policy id → (its latest restore test, its latest successful one)."""
    query = (
        select(RestoreTest)
        .where(RestoreTest.establishment_id == establishment_id)
        .order_by(RestoreTest.tested_on, RestoreTest.id)
    )
    result: dict[int, tuple[RestoreTest | None, RestoreTest | None]] = {}
    for test in session.scalars(query):
        _latest, success = result.get(test.policy_id, (None, None))
        result[test.policy_id] = (test, test if test.success else success)
    return result


def set_policy(session: Session, establishment_id: int, application_id: int, data: PolicyIn) -> BackupPolicy:
    """The application's backup policy, created or replaced."""
    get_application(session, establishment_id, application_id)
    row = session.scalar(select(BackupPolicy).where(BackupPolicy.application_id == application_id))
    values = data.model_dump()
    values["media"] = sorted({m.value for m in data.media})
    values["job_name"] = (data.job_name or "").strip() or None
    if row is None:
        row = BackupPolicy(establishment_id=establishment_id, application_id=application_id, **values)
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_at = utcnow()
    session.flush()
    return row


def delete_policy(session: Session, establishment_id: int, application_id: int) -> None:
    """The application's backup policy removed with its restore tests; its imported job runs stay,
    unmatched."""
    row = policy_of(session, establishment_id, application_id)
    session.execute(delete(RestoreTest).where(RestoreTest.policy_id == row.id))
    session.execute(update(BackupJob).where(BackupJob.policy_id == row.id).values(policy_id=None))
    session.delete(row)
    session.flush()


def list_policies(session: Session, establishment_id: int) -> list[BackupPolicy]:
    query = select(BackupPolicy).where(BackupPolicy.establishment_id == establishment_id)
    return list(session.scalars(query.order_by(BackupPolicy.id)))


def policy_of(session: Session, establishment_id: int, application_id: int) -> BackupPolicy:
    get_application(session, establishment_id, application_id)
    row = session.scalar(select(BackupPolicy).where(BackupPolicy.application_id == application_id))
    if row is None:
        raise NotFoundError(f"application {application_id} has no backup policy")
    return row


def log_restore_test(
    session: Session, establishment_id: int, application_id: int, data: RestoreTestIn
) -> RestoreTest:
    """A restore test of the application's backup (it needs a policy); not in the future."""
    policy = policy_of(session, establishment_id, application_id)
    if data.tested_on > today():
        raise ValidationError("a restore test cannot be dated in the future")
    row = RestoreTest(establishment_id=establishment_id, policy_id=policy.id, **data.model_dump())
    session.add(row)
    session.flush()
    return row


def get_restore_test(session: Session, establishment_id: int, test_id: int) -> RestoreTest:
    row = session.get(RestoreTest, test_id)
    if row is None or row.establishment_id != establishment_id:
        raise NotFoundError(f"no restore test {test_id} in establishment {establishment_id}")
    return row


def delete_restore_test(session: Session, establishment_id: int, test_id: int) -> RestoreTest:
    """A restore test logged by mistake, removed; gives it back (for the audit and the redirect)."""
    row = get_restore_test(session, establishment_id, test_id)
    session.delete(row)
    session.flush()
    return row


def restore_tests(
    session: Session, establishment_id: int, application_id: int | None = None
) -> list[RestoreTest]:
    query = select(RestoreTest).where(RestoreTest.establishment_id == establishment_id)
    if application_id is not None:
        query = query.where(RestoreTest.policy_id == policy_of(session, establishment_id, application_id).id)
    return list(session.scalars(query.order_by(RestoreTest.tested_on.desc(), RestoreTest.id.desc())))


def _last_jobs(session: Session, establishment_id: int) -> dict[int, BackupJob]:
    query = (
        select(BackupJob)
        .where(BackupJob.establishment_id == establishment_id, BackupJob.policy_id.is_not(None))
        .order_by(BackupJob.started_at, BackupJob.id)
    )
    return {job.policy_id: job for job in session.scalars(query) if job.policy_id is not None}


def _fact(test: RestoreTest | None) -> backups.RestoreFact | None:
    return None if test is None else backups.RestoreFact(test.tested_on, test.success, test.duration_hours)


@dataclass(frozen=True)
class PolicyStatus:
    policy: BackupPolicy
    application: Application
    facts: backups.BackupFacts
    score: backups.Score
    due_on: date | None  # next restore test due (None: never tested, due now)
    overdue: bool


def backup_statuses(session: Session, establishment_id: int, on: date | None = None) -> list[PolicyStatus]:
    """Each policy with its 3-2-1-1-0 score as of ``on`` (today by default), by application name."""
    day = on or today()
    restores = last_restores(session, establishment_id)
    jobs = _last_jobs(session, establishment_id)
    apps = {a.id: a for a in list_applications(session, establishment_id)}
    result: list[PolicyStatus] = []
    for policy in list_policies(session, establishment_id):
        latest, success = restores.get(policy.id, (None, None))
        job = jobs.get(policy.id)
        facts = backups.BackupFacts(
            copies=policy.copies,
            media=backups.media_of(policy.media),
            offsite_copies=policy.offsite_copies,
            offline_copy=policy.offline_copy,
            immutable_copy=policy.immutable_copy,
            last_restore=_fact(latest),
            last_success=_fact(success),
            last_job_on=job.started_at.date() if job is not None else None,
            last_job_result=job.result if job is not None else None,
            test_every_days=policy.test_every_days,
        )
        result.append(
            PolicyStatus(
                policy=policy,
                application=apps[policy.application_id],
                facts=facts,
                score=backups.score(facts, day),
                due_on=backups.restore_due(facts, day),
                overdue=backups.restore_overdue(facts, day),
            )
        )
    return sorted(result, key=lambda s: (s.application.name, s.policy.id))


def import_jobs(
    session: Session,
    establishment_id: int,
    records: Sequence[JobRecord],
    report_format: JobReportFormat,
    file_name: str,
) -> JobImportOut:
    """Stores the runs of a job report in one go; a run already known (same job, same start) is
    skipped, a job no policy names is stored and reported as unmatched."""
    org_service.get_establishment(session, establishment_id)
    by_job = {
        p.job_name.casefold(): p.id
        for p in list_policies(session, establishment_id)
        if p.job_name is not None
    }
    known = {
        (name.casefold(), started)
        for name, started in session.execute(
            select(BackupJob.job_name, BackupJob.started_at).where(
                BackupJob.establishment_id == establishment_id
            )
        )
    }
    created = duplicates = 0
    unmatched: set[str] = set()
    for record in records:
        signature = (record.job_name.casefold(), record.started_at)
        if signature in known:
            duplicates += 1
            continue
        known.add(signature)
        policy_id = by_job.get(record.job_name.casefold())
        if policy_id is None:
            unmatched.add(record.job_name)
        session.add(
            BackupJob(
                establishment_id=establishment_id,
                policy_id=policy_id,
                job_name=record.job_name,
                started_at=record.started_at,
                ended_at=record.ended_at,
                result=record.result,
                message=record.message,
                report_format=report_format,
                file_name=file_name[-200:],
            )
        )
        created += 1
    session.flush()
    return JobImportOut(
        file_name=file_name, created=created, already_known=duplicates, unmatched_jobs=sorted(unmatched)
    )


def list_jobs(session: Session, establishment_id: int, limit: int = 200) -> list[BackupJob]:
    query = (
        select(BackupJob)
        .where(BackupJob.establishment_id == establishment_id)
        .order_by(BackupJob.started_at.desc(), BackupJob.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


@dataclass(frozen=True)
class Alarm:
    kind: str  # "job_failed", "restore_overdue", "restore_never_tested"
    application: str
    since: date | None
    detail: str  # the job's message, or the policy's interval


def alarms(session: Session, establishment_id: int, on: date | None = None) -> list[Alarm]:
    """What needs attention now: policies whose last job failed, restore tests overdue or never made."""
    result: list[Alarm] = []
    jobs = _last_jobs(session, establishment_id)
    for status in backup_statuses(session, establishment_id, on):
        job = jobs.get(status.policy.id)
        name = status.application.name
        if job is not None and job.result == JobResult.FAILED:
            result.append(Alarm("job_failed", name, job.started_at.date(), job.message or job.job_name))
        if status.facts.last_success is None:
            result.append(Alarm("restore_never_tested", name, None, str(status.policy.test_every_days)))
        elif status.overdue:
            result.append(Alarm("restore_overdue", name, status.due_on, str(status.policy.test_every_days)))
    return result
