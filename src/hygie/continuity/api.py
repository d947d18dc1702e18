"""REST routes of continuity of care: care services and their business impact, applications and
dependencies, the impact of a loss, backup policies with their 3-2-1-1-0 score, restore tests,
backup job reports (import, and a CSV export safe for spreadsheets), exercises, lessons, scenarios.

Reads need the read scope, writes the write scope, the job log export the export scope; every write
is recorded in the audit trail. The pages call the same helpers (``import_report``).
"""

from __future__ import annotations

import csv
import io
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, TypeVar

from fastapi import APIRouter, File, Form, HTTPException, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from hygie.assess import evidence
from hygie.continuity import jobreports, service, views
from hygie.continuity.models import JobReportFormat
from hygie.continuity.scenarios import Scenario, scenarios
from hygie.continuity.schemas import (
    ApplicationIn,
    ApplicationOut,
    DependencyIn,
    DependencyOut,
    ExerciseIn,
    ExerciseOut,
    ImpactOut,
    JobImportOut,
    LessonActionIn,
    LessonIn,
    LessonOut,
    PolicyIn,
    PolicyOut,
    RestoreTestIn,
    RestoreTestOut,
    ServiceIn,
    ServiceOut,
)
from hygie.core.csvtext import neutralise
from hygie.core.time import today
from hygie.frameworks.service import get_library
from hygie.org import audit
from hygie.plan.schemas import FindingOut, PlanActionOut
from hygie.web.deps import CurrentPrincipal, EstablishmentScope, ExportScope, ReadScope, WriteScope
from hygie.web.errors import API_ERRORS
from hygie.web.forms import upload_name
from hygie.web.pagination import Page, Pagination
from hygie.web.security import MAX_BODY_BYTES

router = APIRouter(prefix="/api/v1", tags=["continuity"], responses=API_ERRORS)
BASE = "/establishments/{establishment_id}/continuity"
MAX_WEB_IMPORT_BYTES = MAX_BODY_BYTES - 64 * 1024
T = TypeVar("T")


class ServiceStatusOut(ServiceOut):
    tested_restore_hours: float | None = Field(description="None: a restore it needs was never tested")
    verdict: str = Field(description="within (green), unknown (amber) or over (red) the RTO")
    procedure_overdue: bool


class AlarmOut(BaseModel):
    kind: str
    application: str
    since: date | None
    detail: str


class BackupsOut(BaseModel):
    policies: list[PolicyOut]
    alarms: list[AlarmOut]


class ExerciseStatusOut(BaseModel):
    last_exercise: date | None
    last_crisis_cell: date | None
    exercise_overdue: bool
    crisis_cell_overdue: bool


def _page(rows: list[T], pages: Pagination) -> Page[T]:
    return Page[T](items=rows[pages.offset : pages.offset + pages.limit], total=len(rows), **pages.__dict__)


def facts_changed(scope: EstablishmentScope) -> None:
    """After a write: the assessment's evidence gaps brought up to date with the new facts."""
    evidence.refresh_latest(scope.db, scope.id, get_library())


def written(
    scope: EstablishmentScope, action: str, object_type: str, object_id: int | None, **details: object
) -> None:
    """Every write of the API and the pages: its audit entry, then the evidence gaps refreshed."""
    audit.record_for(
        scope.db,
        scope.principal,
        action=action,
        object_type=object_type,
        object_id=object_id,
        establishment_id=scope.id,
        details=details or None,
    )
    facts_changed(scope)


def import_report(
    scope: EstablishmentScope, upload: UploadFile, report_format: JobReportFormat | None = None
) -> tuple[JobImportOut, list[str]]:
    """Reads an uploaded job report and stores it, all of it or nothing; audited."""
    name = upload_name(upload.filename, "rapport.csv")
    with tempfile.TemporaryDirectory(prefix="hygie-backups-") as folder:
        path = Path(folder) / "upload.csv"
        with path.open("wb") as out:
            while chunk := upload.file.read(1024 * 1024):
                out.write(chunk)
        fmt, records, notes = jobreports.read_job_report(
            path, report_format, max_bytes=MAX_WEB_IMPORT_BYTES, display_name=name
        )
    result = service.import_jobs(scope.db, scope.id, records, fmt, name)
    audit.record_for(
        scope.db,
        scope.principal,
        action="backup_jobs.import",
        object_type="continuity_backup_job",
        establishment_id=scope.id,
        details={"file": name, "format": fmt.value, "created": result.created},
    )
    facts_changed(scope)
    return result, notes


def status_rows(scope: EstablishmentScope) -> list[ServiceStatusOut]:
    on = today()
    return [
        ServiceStatusOut(
            **ServiceOut.model_validate(row).model_dump(),
            tested_restore_hours=ready.restore_hours,
            verdict=ready.verdict.value,
            procedure_overdue=service.procedure_overdue(row, on),
        )
        for row, ready in service.readiness(scope.db, scope.id)
    ]


# --- Services, applications, dependencies, impact --------------------------------------------------


@router.get(BASE + "/services", response_model=Page[ServiceStatusOut])
def list_services(scope: ReadScope, pages: Pagination) -> Page[ServiceStatusOut]:
    """The care services with their RTO/RPO and business impact (tested restores against the RTO)."""
    return _page(status_rows(scope), pages)


@router.post(BASE + "/services", response_model=ServiceOut, status_code=201)
def create_service(scope: WriteScope, data: ServiceIn) -> ServiceOut:
    row = service.create_service(scope.db, scope.id, data)
    written(scope, "continuity_service.create", "continuity_service", row.id)
    return ServiceOut.model_validate(row)


@router.get(BASE + "/services/{service_id}", response_model=ServiceStatusOut)
def get_service(scope: ReadScope, service_id: int) -> ServiceStatusOut:
    service.get_service(scope.db, scope.id, service_id)
    return next(r for r in status_rows(scope) if r.id == service_id)


@router.get(BASE + "/applications", response_model=Page[ApplicationOut])
def list_applications(scope: ReadScope, pages: Pagination) -> Page[ApplicationOut]:
    """The applications with the assets of the inventory they run on."""
    return _page(views.applications_out(scope.db, scope.id), pages)


@router.post(BASE + "/applications", response_model=ApplicationOut, status_code=201)
def create_application(scope: WriteScope, data: ApplicationIn) -> ApplicationOut:
    row = service.create_application(scope.db, scope.id, data)
    written(scope, "continuity_application.create", "continuity_application", row.id)
    return ApplicationOut(id=row.id, name=row.name, kind=row.kind)


@router.put(BASE + "/applications/{application_id}/assets/{asset_id}", status_code=204)
def link_asset(scope: WriteScope, application_id: int, asset_id: int) -> Response:
    """The application runs on this asset of the inventory (the establishment's own)."""
    row = service.link_asset(scope.db, scope.id, application_id, asset_id)
    written(scope, "continuity_application.link_asset", "continuity_app_asset", row.id)
    return Response(status_code=204)


@router.get(BASE + "/dependencies", response_model=Page[DependencyOut])
def list_dependencies(scope: ReadScope, pages: Pagination) -> Page[DependencyOut]:
    rows = [DependencyOut.model_validate(d) for d in service.list_dependencies(scope.db, scope.id)]
    return _page(rows, pages)


@router.post(BASE + "/dependencies", response_model=DependencyOut, status_code=201)
def add_dependency(scope: WriteScope, data: DependencyIn) -> DependencyOut:
    row = service.add_dependency(scope.db, scope.id, data)
    written(scope, "continuity_dependency.create", "continuity_dependency", row.id)
    return DependencyOut.model_validate(row)


@router.get(BASE + "/impact", response_model=ImpactOut)
def impact(
    scope: ReadScope,
    asset_id: Annotated[int | None, Query(description="The lost asset")] = None,
    application_id: Annotated[int | None, Query(description="The lost application")] = None,
    zone: Annotated[str | None, Query(max_length=100, description="The lost network zone")] = None,
    attacker_zone: Annotated[
        str | None,
        Query(
            max_length=100, description="An attacker's network zone: everything its open flows reach is lost"
        ),
    ] = None,
) -> ImpactOut:
    """Which care services stop (or go degraded) if this is lost, through which path, for how long;
    with ``attacker_zone``, everything an attacker there can reach through the firewalls' open flows."""
    result, reached = service.impact_and_reach(
        scope.db,
        scope.id,
        asset_id=asset_id,
        application_id=application_id,
        zone=zone,
        attacker_zone=attacker_zone,
    )
    return views.impact_out(result, service.graph(scope.db, scope.id), "en", reached)


# --- Backups ---------------------------------------------------------------------------------------


@router.get(BASE + "/backups", response_model=BackupsOut)
def backups(scope: ReadScope, lang: Annotated[str, Query(pattern="^(fr|en)$")] = "fr") -> BackupsOut:
    """Each backup policy with its 3-2-1-1-0 score rule by rule (reasons in ``lang``), and the alarms."""
    return BackupsOut(
        policies=[views.policy_out(s, lang) for s in service.backup_statuses(scope.db, scope.id)],
        alarms=[AlarmOut(**a.__dict__) for a in service.alarms(scope.db, scope.id)],
    )


@router.put(BASE + "/applications/{application_id}/backup", response_model=PolicyOut)
def set_policy(scope: WriteScope, application_id: int, data: PolicyIn) -> PolicyOut:
    row = service.set_policy(scope.db, scope.id, application_id, data)
    written(scope, "backup_policy.set", "continuity_backup_policy", row.id)
    status = next(s for s in service.backup_statuses(scope.db, scope.id) if s.policy.id == row.id)
    return views.policy_out(status, "en")


@router.post(
    BASE + "/applications/{application_id}/restore-tests", response_model=RestoreTestOut, status_code=201
)
def log_restore_test(scope: WriteScope, application_id: int, data: RestoreTestIn) -> RestoreTestOut:
    row = service.log_restore_test(scope.db, scope.id, application_id, data)
    written(scope, "restore_test.create", "continuity_restore_test", row.id)
    return RestoreTestOut.model_validate(row)


class JobImportOutcome(JobImportOut):
    notes: list[str] = Field(default_factory=list)


@router.post(BASE + "/backups/import", response_model=JobImportOutcome)
def import_jobs(
    scope: WriteScope,
    file: Annotated[UploadFile, File(description="Hygie's backup CSV or Veeam's session export")],
    report_format: Annotated[JobReportFormat | None, Form(alias="format")] = None,
) -> JobImportOutcome:
    """Imports a backup job report: every run, or nothing and a 422 naming each wrong cell."""
    if (file.size or 0) > MAX_WEB_IMPORT_BYTES:
        raise HTTPException(
            413, detail="the file is over the web's limit: use `hygie continuity import-backups`"
        )
    result, notes = import_report(scope, file, report_format)
    return JobImportOutcome(**result.model_dump(), notes=notes)


@router.get(
    BASE + "/backups/jobs.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The job log, formulas neutralised"}},
)
def export_jobs(scope: ExportScope) -> Response:
    """The latest backup job runs as CSV; every text is neutralised against spreadsheet formulas."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["job", "started", "ended", "result", "message", "file"])
    for job in service.list_jobs(scope.db, scope.id, limit=5000):
        writer.writerow(
            [
                neutralise(job.job_name),
                job.started_at.isoformat(),
                job.ended_at.isoformat() if job.ended_at else "",
                job.result.value,
                neutralise(job.message or ""),
                neutralise(job.file_name),
            ]
        )
    audit.record_for(
        scope.db,
        scope.principal,
        action="backup_jobs.export",
        object_type="continuity_backup_job",
        establishment_id=scope.id,
    )
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="sauvegardes.csv"'},
    )


# --- Exercises -------------------------------------------------------------------------------------


@router.get(BASE + "/exercises", response_model=Page[ExerciseOut])
def list_exercises(scope: ReadScope, pages: Pagination) -> Page[ExerciseOut]:
    rows = [views.exercise_out(scope.db, scope.id, e) for e in service.list_exercises(scope.db, scope.id)]
    return _page(rows, pages)


@router.get(BASE + "/exercises/status", response_model=ExerciseStatusOut)
def exercise_status(scope: ReadScope) -> ExerciseStatusOut:
    """When the last exercise was held and the crisis cell last trained; overdue after 12 months."""
    return ExerciseStatusOut(**service.exercise_status(scope.db, scope.id).__dict__)


@router.post(BASE + "/exercises", response_model=ExerciseOut, status_code=201)
def create_exercise(scope: WriteScope, data: ExerciseIn) -> ExerciseOut:
    row = service.create_exercise(scope.db, scope.id, data)
    written(scope, "exercise.create", "continuity_exercise", row.id)
    return views.exercise_out(scope.db, scope.id, row)


@router.get(BASE + "/exercises/{exercise_id}", response_model=ExerciseOut)
def get_exercise(scope: ReadScope, exercise_id: int) -> ExerciseOut:
    return views.exercise_out(scope.db, scope.id, service.get_exercise(scope.db, scope.id, exercise_id))


@router.post(BASE + "/exercises/{exercise_id}/lessons", response_model=LessonOut, status_code=201)
def add_lesson(scope: WriteScope, exercise_id: int, data: LessonIn) -> LessonOut:
    row = service.add_lesson(scope.db, scope.id, exercise_id, data, get_library())
    written(scope, "lesson.create", "continuity_lesson", row.id)
    return LessonOut.model_validate(row)


@router.post(BASE + "/lessons/{lesson_id}/action", response_model=PlanActionOut)
def lesson_to_action(scope: WriteScope, lesson_id: int, data: LessonActionIn) -> PlanActionOut:
    """The lesson becomes an action of the plan (the same action when asked again)."""
    action = service.lesson_to_action(scope.db, scope.id, lesson_id, owner=data.owner, due_date=data.due_date)
    written(scope, "action.create", "plan_action", action.id)
    return PlanActionOut.model_validate(action)


@router.post(BASE + "/findings/refresh", response_model=list[FindingOut])
def refresh_findings(scope: WriteScope) -> list[FindingOut]:
    """Today's continuity gaps stored as findings of the plan (those gone are resolved)."""
    return [FindingOut.model_validate(f) for f in service.refresh_findings(scope.db, scope.id)]


@router.get("/continuity/scenarios", response_model=list[Scenario])
def list_scenarios(principal: CurrentPrincipal) -> list[Scenario]:
    """The packaged library of hospital crisis-exercise scenarios (French and English)."""
    return list(scenarios())
