"""Operations of continuity of care; the only writer of the ``continuity_*`` tables.

Care services, applications, their dependencies and the assets they run on make the graph that
``impact`` reads; backup policies, restore tests and imported job reports make the facts that
``backups`` scores; exercises and their lessons say when the crisis cell last trained. The gaps
become findings of the plan (``refresh_findings``). Every read and write is filtered by establishment:
an id of another establishment is "not found", the same as a missing one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hygie.assets import service as assets_service
from hygie.continuity import backups, gaps, impact
from hygie.continuity.models import (
    Application,
    ApplicationAsset,
    BackupJob,
    BackupPolicy,
    CareService,
    Dependency,
    Exercise,
    JobReportFormat,
    JobResult,
    Lesson,
    RestoreTest,
)
from hygie.continuity.scenarios import get_scenario
from hygie.continuity.schemas import (
    ApplicationIn,
    DependencyIn,
    ExerciseIn,
    JobImportOut,
    JobRecord,
    LessonIn,
    PolicyIn,
    RestoreTestIn,
    ServiceIn,
)
from hygie.core.errors import NotFoundError, ValidationError
from hygie.core.time import today, utcnow
from hygie.frameworks.loader import Library
from hygie.network import service as network_service
from hygie.org import service as org_service
from hygie.plan import service as plan_service
from hygie.plan.models import ActionStatus, Finding, FindingSource, PlanAction

REVIEW_MONTHS = 12  # a degraded-mode procedure not reviewed for a year is overdue
EXERCISE_MONTHS = 12  # no exercise (or no crisis-cell training) for a year is overdue


def _months_before(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, 28))


def _unique(session: Session, what: str, name: str) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        raise ValidationError(f"{what} {name!r} already exists in this establishment") from exc


# --- Care services and applications ----------------------------------------------------------------


def create_service(session: Session, establishment_id: int, data: ServiceIn) -> CareService:
    org_service.get_establishment(session, establishment_id)
    row = CareService(establishment_id=establishment_id, **data.model_dump())
    with session.begin_nested():
        session.add(row)
        _unique(session, "a care service", data.name)
    return row


def update_service(session: Session, establishment_id: int, service_id: int, data: ServiceIn) -> CareService:
    row = get_service(session, establishment_id, service_id)
    with session.begin_nested():
        for name, value in data.model_dump().items():
            setattr(row, name, value)
        _unique(session, "a care service", data.name)
    return row


def get_service(session: Session, establishment_id: int, service_id: int) -> CareService:
    row = session.get(CareService, service_id)
    if row is None or row.establishment_id != establishment_id:
        raise NotFoundError(f"no care service {service_id} in establishment {establishment_id}")
    return row


def find_service(session: Session, establishment_id: int, ref: str) -> CareService:
    """A care service by id or by name (case ignored)."""
    if ref.strip().isdigit():
        return get_service(session, establishment_id, int(ref))
    for row in list_services(session, establishment_id):
        if row.name.casefold() == ref.strip().casefold():
            return row
    raise NotFoundError(f"no care service {ref!r} in establishment {establishment_id}")


def list_services(session: Session, establishment_id: int) -> list[CareService]:
    query = select(CareService).where(CareService.establishment_id == establishment_id)
    return list(session.scalars(query.order_by(CareService.name, CareService.id)))


def delete_service(session: Session, establishment_id: int, service_id: int) -> None:
    row = get_service(session, establishment_id, service_id)
    session.execute(delete(Dependency).where(Dependency.service_id == row.id))
    session.delete(row)
    session.flush()


def create_application(session: Session, establishment_id: int, data: ApplicationIn) -> Application:
    org_service.get_establishment(session, establishment_id)
    row = Application(establishment_id=establishment_id, **data.model_dump())
    with session.begin_nested():
        session.add(row)
        _unique(session, "an application", data.name)
    return row


def get_application(session: Session, establishment_id: int, application_id: int) -> Application:
    row = session.get(Application, application_id)
    if row is None or row.establishment_id != establishment_id:
        raise NotFoundError(f"no application {application_id} in establishment {establishment_id}")
    return row


def find_application(session: Session, establishment_id: int, ref: str) -> Application:
    """An application by id or by name (case ignored)."""
    if ref.strip().isdigit():
        return get_application(session, establishment_id, int(ref))
    for row in list_applications(session, establishment_id):
        if row.name.casefold() == ref.strip().casefold():
            return row
    raise NotFoundError(f"no application {ref!r} in establishment {establishment_id}")


def list_applications(session: Session, establishment_id: int) -> list[Application]:
    query = select(Application).where(Application.establishment_id == establishment_id)
    return list(session.scalars(query.order_by(Application.name, Application.id)))


def update_application(
    session: Session, establishment_id: int, application_id: int, data: ApplicationIn
) -> Application:
    row = get_application(session, establishment_id, application_id)
    with session.begin_nested():
        row.name, row.kind = data.name, data.kind
        _unique(session, "an application", data.name)
    return row


def delete_application(session: Session, establishment_id: int, application_id: int) -> None:
    row = get_application(session, establishment_id, application_id)
    # Children first, by statement: the tables have no ORM relationships to order the deletes by.
    session.execute(
        delete(Dependency).where(
            (Dependency.application_id == row.id) | (Dependency.on_application_id == row.id)
        )
    )
    session.execute(delete(ApplicationAsset).where(ApplicationAsset.application_id == row.id))
    policies = select(BackupPolicy.id).where(BackupPolicy.application_id == row.id)
    session.execute(delete(RestoreTest).where(RestoreTest.policy_id.in_(policies)))
    session.execute(update(BackupJob).where(BackupJob.policy_id.in_(policies)).values(policy_id=None))
    session.execute(delete(BackupPolicy).where(BackupPolicy.application_id == row.id))
    session.delete(row)
    session.flush()


# --- Dependencies and assets -----------------------------------------------------------------------


def add_dependency(session: Session, establishment_id: int, data: DependencyIn) -> Dependency:
    """``data.service_id`` or ``data.application_id`` (exactly one) depends on ``on_application_id``;
    an existing edge takes the new criticality."""
    if (data.service_id is None) == (data.application_id is None):
        raise ValidationError("give either a care service or an application as the dependent, not both")
    get_application(session, establishment_id, data.on_application_id)
    if data.service_id is not None:
        get_service(session, establishment_id, data.service_id)
    elif data.application_id is not None:
        get_application(session, establishment_id, data.application_id)
        if data.application_id == data.on_application_id:
            raise ValidationError("an application cannot depend on itself")
    existing = session.scalar(
        select(Dependency).where(
            Dependency.establishment_id == establishment_id,
            Dependency.service_id.is_(None)
            if data.service_id is None
            else Dependency.service_id == data.service_id,
            Dependency.application_id.is_(None)
            if data.application_id is None
            else Dependency.application_id == data.application_id,
            Dependency.on_application_id == data.on_application_id,
        )
    )
    if existing is not None:
        existing.criticality = data.criticality
        session.flush()
        return existing
    row = Dependency(establishment_id=establishment_id, **data.model_dump())
    session.add(row)
    session.flush()
    return row


def remove_dependency(session: Session, establishment_id: int, dependency_id: int) -> None:
    row = session.get(Dependency, dependency_id)
    if row is None or row.establishment_id != establishment_id:
        raise NotFoundError(f"no dependency {dependency_id} in establishment {establishment_id}")
    session.delete(row)
    session.flush()


def list_dependencies(session: Session, establishment_id: int) -> list[Dependency]:
    query = select(Dependency).where(Dependency.establishment_id == establishment_id)
    return list(session.scalars(query.order_by(Dependency.id)))


def link_asset(
    session: Session, establishment_id: int, application_id: int, asset_id: int
) -> ApplicationAsset:
    """The application runs on the asset; an asset of another establishment is "not found"."""
    get_application(session, establishment_id, application_id)
    assets_service.get_asset(session, establishment_id, asset_id)
    existing = session.scalar(
        select(ApplicationAsset).where(
            ApplicationAsset.application_id == application_id, ApplicationAsset.asset_id == asset_id
        )
    )
    if existing is not None:
        return existing
    row = ApplicationAsset(application_id=application_id, asset_id=asset_id)
    session.add(row)
    session.flush()
    return row


def unlink_asset(session: Session, establishment_id: int, application_id: int, asset_id: int) -> None:
    get_application(session, establishment_id, application_id)
    row = session.scalar(
        select(ApplicationAsset).where(
            ApplicationAsset.application_id == application_id, ApplicationAsset.asset_id == asset_id
        )
    )
    if row is None:
        raise NotFoundError(f"application {application_id} does not run on asset {asset_id}")
    session.delete(row)
    session.flush()


def assets_of(session: Session, establishment_id: int) -> dict[int, list[int]]:
    """Application id → the ids of the assets it runs on."""
    query = (
        select(ApplicationAsset)
        .join(Application, Application.id == ApplicationAsset.application_id)
        .where(Application.establishment_id == establishment_id)
        .order_by(ApplicationAsset.asset_id)
    )
    result: dict[int, list[int]] = {}
    for row in session.scalars(query):
        result.setdefault(row.application_id, []).append(row.asset_id)
    return result


# --- The graph and the impact ----------------------------------------------------------------------


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


def graph(session: Session, establishment_id: int) -> impact.Graph:
    """The establishment's dependency graph, each application with its last tested restore time."""
    org_service.get_establishment(session, establishment_id)
    restores = last_restores(session, establishment_id)
    policies = {p.application_id: p for p in list_policies(session, establishment_id)}
    built = impact.Graph()
    for row in list_services(session, establishment_id):
        built.services[row.id] = impact.ServiceNode(row.name, row.rto_hours)
    for app in list_applications(session, establishment_id):
        policy = policies.get(app.id)
        success = restores.get(policy.id, (None, None))[1] if policy is not None else None
        built.applications[app.id] = impact.ApplicationNode(
            app.name, success.duration_hours if success is not None else None
        )
    for dep in list_dependencies(session, establishment_id):
        if dep.service_id is not None:
            built.edges.append(impact.Edge("service", dep.service_id, dep.on_application_id, dep.criticality))
        elif dep.application_id is not None:
            built.edges.append(
                impact.Edge("application", dep.application_id, dep.on_application_id, dep.criticality)
            )
    for app_id, asset_ids in assets_of(session, establishment_id).items():
        built.runs_on[app_id] = frozenset(asset_ids)
        for asset_id in asset_ids:
            asset = assets_service.get_asset(session, establishment_id, asset_id)
            built.zones[asset_id] = asset.network_zone
            built.asset_names[asset_id] = asset.name
    return built


def impact_of(
    session: Session,
    establishment_id: int,
    *,
    asset_id: int | None = None,
    application_id: int | None = None,
    zone: str | None = None,
    attacker_zone: str | None = None,
) -> impact.Impact:
    """What stops if this asset, application or network zone is lost, or everything an attacker in
    ``attacker_zone`` can reach (give exactly one)."""
    given = [v for v in (asset_id, application_id, zone, attacker_zone) if v is not None]
    if len(given) != 1:
        raise ValidationError(
            "give exactly one of: an asset, an application, a network zone, an attacker's zone"
        )
    if attacker_zone is not None:
        return attacker_impact(session, establishment_id, attacker_zone).impact
    built = graph(session, establishment_id)
    if asset_id is not None:
        assets_service.get_asset(session, establishment_id, asset_id)
        return impact.impact_of_asset(built, asset_id)
    if application_id is not None:
        get_application(session, establishment_id, application_id)
        return impact.impact_of_application(built, application_id)
    return impact.impact_of_zone(built, str(zone))


@dataclass(frozen=True)
class AttackerImpact:
    """What stops if an attacker in ``zone`` takes everything the network lets them reach."""

    zone: str
    reached: dict[str, int]  # zone → hops from the attacker's zone (0: the zone itself)
    impact: impact.Impact


def attacker_impact(session: Session, establishment_id: int, zone: str) -> AttackerImpact:
    """The zones reachable from ``zone`` through the firewalls' open flows (followed from zone to
    zone), and the care services that stop when the assets in them are lost. The zone must be one of
    the network analysis's; without firewall rules, only the zone itself is reached."""
    declared = {
        z.name.strip().casefold(): z.name for z in network_service.list_zones(session, establishment_id)
    }
    name = declared.get(zone.strip().casefold())
    if name is None:
        raise NotFoundError(f"no network zone {zone!r} in establishment {establishment_id}")
    _zones, analysis = network_service.analyse_establishment(session, establishment_id)
    reached = impact.reachable_zones(analysis.flows, name)
    return AttackerImpact(name, reached, impact.impact_of_zones(graph(session, establishment_id), reached))


def impact_and_reach(
    session: Session,
    establishment_id: int,
    *,
    asset_id: int | None = None,
    application_id: int | None = None,
    zone: str | None = None,
    attacker_zone: str | None = None,
) -> tuple[impact.Impact, dict[str, int] | None]:
    """``impact_of``, with the zones reached when the question is an attacker's zone (else None)."""
    if attacker_zone is not None and asset_id is None and application_id is None and zone is None:
        attack = attacker_impact(session, establishment_id, attacker_zone)
        return attack.impact, attack.reached
    found = impact_of(
        session,
        establishment_id,
        asset_id=asset_id,
        application_id=application_id,
        zone=zone,
        attacker_zone=attacker_zone,
    )
    return found, None


def network_zones(session: Session, establishment_id: int) -> list[str]:
    """The names of the network analysis's zones (where an attacker may stand)."""
    return [z.name for z in network_service.list_zones(session, establishment_id)]


def readiness(session: Session, establishment_id: int) -> list[tuple[CareService, impact.Readiness]]:
    """Each care service's business impact: tested restores against its RTO."""
    built = graph(session, establishment_id)
    return [(row, impact.readiness(built, row.id)) for row in list_services(session, establishment_id)]


def procedure_overdue(row: CareService, on: date) -> bool:
    """No degraded-mode procedure, never reviewed, or last reviewed more than 12 months ago."""
    if not row.procedure_ref or row.procedure_reviewed_on is None:
        return True
    return row.procedure_reviewed_on < _months_before(on, REVIEW_MONTHS)


# --- Backups ---------------------------------------------------------------------------------------


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


# --- Exercises -------------------------------------------------------------------------------------


def _exercise_values(data: ExerciseIn) -> dict[str, object]:
    if data.scenario_id:
        get_scenario(data.scenario_id)
    values = data.model_dump()
    values["participants"] = [p.strip() for p in data.participants if p.strip()]
    values["objectives"] = [o.strip() for o in data.objectives if o.strip()]
    return values


def create_exercise(session: Session, establishment_id: int, data: ExerciseIn) -> Exercise:
    org_service.get_establishment(session, establishment_id)
    row = Exercise(establishment_id=establishment_id, **_exercise_values(data))
    session.add(row)
    session.flush()
    return row


def update_exercise(session: Session, establishment_id: int, exercise_id: int, data: ExerciseIn) -> Exercise:
    row = get_exercise(session, establishment_id, exercise_id)
    for name, value in _exercise_values(data).items():
        setattr(row, name, value)
    session.flush()
    return row


def delete_exercise(session: Session, establishment_id: int, exercise_id: int) -> None:
    """The exercise and its lessons; the plan's actions made from them stay in the plan."""
    row = get_exercise(session, establishment_id, exercise_id)
    session.execute(delete(Lesson).where(Lesson.exercise_id == row.id))
    session.delete(row)
    session.flush()


def get_exercise(session: Session, establishment_id: int, exercise_id: int) -> Exercise:
    row = session.get(Exercise, exercise_id)
    if row is None or row.establishment_id != establishment_id:
        raise NotFoundError(f"no exercise {exercise_id} in establishment {establishment_id}")
    return row


def list_exercises(session: Session, establishment_id: int) -> list[Exercise]:
    query = select(Exercise).where(Exercise.establishment_id == establishment_id)
    return list(session.scalars(query.order_by(Exercise.held_on.desc(), Exercise.id.desc())))


def add_lesson(
    session: Session, establishment_id: int, exercise_id: int, data: LessonIn, library: Library | None = None
) -> Lesson:
    """A lesson learned; its control, when given, must be one of the library's."""
    get_exercise(session, establishment_id, exercise_id)
    control_id = (data.control_id or "").strip() or None
    if control_id is not None and library is not None and control_id not in library.controls:
        raise ValidationError(f"no control {control_id!r} in the library")
    row = Lesson(
        establishment_id=establishment_id, exercise_id=exercise_id, text=data.text, control_id=control_id
    )
    session.add(row)
    session.flush()
    return row


def delete_lesson(session: Session, establishment_id: int, lesson_id: int) -> Lesson:
    row = get_lesson(session, establishment_id, lesson_id)
    session.delete(row)
    session.flush()
    return row


def lessons_of(session: Session, establishment_id: int, exercise_id: int | None = None) -> list[Lesson]:
    query = select(Lesson).where(Lesson.establishment_id == establishment_id)
    if exercise_id is not None:
        query = query.where(Lesson.exercise_id == exercise_id)
    return list(session.scalars(query.order_by(Lesson.id)))


def get_lesson(session: Session, establishment_id: int, lesson_id: int) -> Lesson:
    row = session.get(Lesson, lesson_id)
    if row is None or row.establishment_id != establishment_id:
        raise NotFoundError(f"no lesson {lesson_id} in establishment {establishment_id}")
    return row


def lesson_to_action(
    session: Session, establishment_id: int, lesson_id: int, *, owner: str, due_date: date
) -> PlanAction:
    """The lesson becomes an action of the plan (once: again gives the same action)."""
    lesson = get_lesson(session, establishment_id, lesson_id)
    exercise = get_exercise(session, establishment_id, lesson.exercise_id)
    action = plan_service.add_action(
        session,
        establishment_id,
        key=f"lesson:{lesson.id}",
        title=lesson.text,
        owner=owner,
        due_date=due_date,
        notes=f"Exercice « {exercise.title} » du {exercise.held_on.isoformat()}",
    )
    lesson.action_id = action.id
    session.flush()
    return action


@dataclass(frozen=True)
class ExerciseStatus:
    last_exercise: date | None
    last_crisis_cell: date | None
    exercise_overdue: bool
    crisis_cell_overdue: bool


def exercise_status(session: Session, establishment_id: int, on: date | None = None) -> ExerciseStatus:
    """When the establishment last held an exercise, and its crisis cell last trained (12 months)."""
    day = on or today()
    held = [e for e in list_exercises(session, establishment_id) if e.held_on <= day]
    last = max((e.held_on for e in held), default=None)
    cell = max((e.held_on for e in held if e.crisis_cell), default=None)
    limit = _months_before(day, EXERCISE_MONTHS)
    return ExerciseStatus(
        last_exercise=last,
        last_crisis_cell=cell,
        exercise_overdue=last is None or last < limit,
        crisis_cell_overdue=cell is None or cell < limit,
    )


# --- Findings --------------------------------------------------------------------------------------


def gap_facts(session: Session, establishment_id: int, on: date | None = None) -> gaps.Facts:
    day = on or today()
    applications = list_applications(session, establishment_id)
    scores = {s.application.id: s.score for s in backup_statuses(session, establishment_id, day)}
    status = exercise_status(session, establishment_id, day)
    open_lessons = []
    for lesson in lessons_of(session, establishment_id):
        if lesson.control_id is None:
            continue
        if lesson.action_id is not None:
            action = plan_service.get_action(session, establishment_id, lesson.action_id)
            if action.status in (ActionStatus.DONE, ActionStatus.CANCELLED):
                continue
        open_lessons.append(lesson)
    return gaps.Facts(
        on=day,
        applications=applications,
        statuses=[scores.get(a.id) for a in applications],
        services=[
            (row, ready, procedure_overdue(row, day)) for row, ready in readiness(session, establishment_id)
        ],
        last_exercise=status.last_exercise,
        last_crisis_cell=status.last_crisis_cell,
        exercise_overdue=status.exercise_overdue,
        crisis_cell_overdue=status.crisis_cell_overdue,
        open_lessons=open_lessons,
        assets=assets_of(session, establishment_id),
    )


def refresh_findings(session: Session, establishment_id: int, on: date | None = None) -> list[Finding]:
    """The continuity gaps of today stored as findings of the plan (those gone are resolved)."""
    found = gaps.findings(gap_facts(session, establishment_id, on))
    return plan_service.upsert_findings(session, establishment_id, FindingSource.CONTINUITY, found)
