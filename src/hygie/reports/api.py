"""REST routes of the reports: the dashboard's data and the maturity report as PDF or HTML.

The dashboard is the ``MaturityReport`` itself (the same object the PDF is rendered from), plus the
plan's actions counted by status: the web page, the API and the report always show the same figures.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from hygie.assess import service as assess_service
from hygie.core.i18n import normalise_language
from hygie.frameworks.service import get_library
from hygie.org import audit
from hygie.plan.models import ActionStatus
from hygie.reports import management, service
from hygie.reports.render import render_html, render_pdf_bytes
from hygie.reports.schemas import ManagementSummary, MaturityReport
from hygie.web.deps import EstablishmentScope, ExportScope, ReadScope
from hygie.web.errors import API_ERRORS
from hygie.web.templating import request_language

router = APIRouter(prefix="/api/v1", tags=["reports"], responses=API_ERRORS)

ReportFormat = Literal["pdf", "html"]
MEDIA_TYPES: dict[str, str] = {"pdf": "application/pdf", "html": "text/html; charset=utf-8"}
PROPOSED = "proposed"  # the plan's actions before the establishment adopts it have no status yet

# Optional plan parameters, shared by the API and the pages (a form's empty field is "not given").
LangQuery = Annotated[
    str | None, Query(pattern="^(fr|en)$", description="Language of the report (default: the reader's)")
]
BudgetQuery = Annotated[
    int | None, Query(ge=0, description="Budget of the plan, euros (default: the security budget)")
]
DaysQuery = Annotated[float | None, Query(ge=0, description="Staff time of the plan, person-days")]


class DashboardOut(BaseModel):
    """What the dashboard shows: the maturity report, or ``None`` before the first campaign."""

    establishment_id: int
    has_campaign: bool
    report: MaturityReport | None = None
    actions_by_status: dict[str, int] = Field(
        default_factory=dict, description="Plan actions per status ('proposed' before adoption)"
    )


def actions_by_status(report: MaturityReport) -> dict[str, int]:
    """The plan's actions counted by status, in the order of the statuses (zero counts left out)."""
    if report.plan is None:
        return {}
    counts: dict[str, int] = {}
    for action in report.plan.actions:
        key = PROPOSED if action.status is None else action.status.value
        counts[key] = counts.get(key, 0) + 1
    order = [PROPOSED, *(s.value for s in ActionStatus)]
    return {key: counts[key] for key in order if key in counts}


def has_campaign(scope: EstablishmentScope) -> bool:
    return bool(assess_service.list_campaigns(scope.db, scope.id))


def build_report(
    scope: EstablishmentScope, lang: str, budget: int | None = None, days: float | None = None
) -> MaturityReport:
    """The report of the establishment, exactly as ``hygie report maturity`` builds it."""
    return service.maturity_report(
        scope.db,
        scope.id,
        get_library(),
        lang=normalise_language(lang),
        budget=budget,
        days=service.DEFAULT_DAYS if days is None else days,
    )


def dashboard_of(scope: EstablishmentScope, lang: str) -> DashboardOut:
    if not has_campaign(scope):
        return DashboardOut(establishment_id=scope.id, has_campaign=False)
    report = build_report(scope, lang)
    return DashboardOut(
        establishment_id=scope.id,
        has_campaign=True,
        report=report,
        actions_by_status=actions_by_status(report),
    )


def export_report(
    scope: EstablishmentScope,
    fmt: ReportFormat,
    lang: str,
    budget: int | None = None,
    days: float | None = None,
) -> Response:
    """The report as a file to download, the export recorded in the audit trail."""
    lang = normalise_language(lang)
    report = build_report(scope, lang, budget, days)
    content: bytes = (
        render_pdf_bytes(report, lang) if fmt == "pdf" else render_html(report, lang).encode("utf-8")
    )
    # Only the names: the report is sent, never written on the server.
    html_path, pdf_path = service.default_paths(Path(), scope.establishment.finess, lang)
    name = (pdf_path if fmt == "pdf" else html_path).name
    audit.record_for(
        scope.db,
        scope.principal,
        action="report.export",
        object_type="report",
        object_id="maturity",
        establishment_id=scope.id,
        details={"format": fmt, "lang": lang, "budget": budget, "days": days, "file": name},
    )
    return Response(
        content,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/establishments/{establishment_id}/dashboard", response_model=DashboardOut)
def dashboard(scope: ReadScope, request: Request, lang: LangQuery = None) -> DashboardOut:
    """The establishment's dashboard: the maturity report's figures (``report`` is null before the
    first campaign)."""
    return dashboard_of(scope, lang or request_language(request))


_FILE_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {"application/pdf": {}, "text/html": {}}, "description": "The report file"}
}


@router.get(
    "/establishments/{establishment_id}/reports/maturity.{fmt}",
    response_class=Response,
    responses=_FILE_RESPONSES,
)
def maturity_file(
    scope: ExportScope,
    request: Request,
    fmt: ReportFormat,
    lang: LangQuery = None,
    budget: BudgetQuery = None,
    days: DaysQuery = None,
) -> Response:
    """The maturity report as PDF or standalone HTML (an export: recorded in the audit trail)."""
    return export_report(scope, fmt, lang or request_language(request), budget, days)


def export_management(scope: EstablishmentScope, fmt: ReportFormat, lang: str) -> Response:
    """The management report as a file to download: its figures stored for the next report's trend, the
    export recorded in the audit trail."""
    lang = normalise_language(lang)
    summary, content = management.generate(scope.db, scope.id, get_library(), lang, fmt)
    name = management.file_name(scope.establishment.finess, lang, fmt, summary.generated_on)
    audit.record_for(
        scope.db,
        scope.principal,
        action="report.export",
        object_type="report",
        object_id="management",
        establishment_id=scope.id,
        details={"format": fmt, "lang": lang, "file": name},
    )
    return Response(
        content,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/establishments/{establishment_id}/reports/management", response_model=ManagementSummary)
def management_figures(scope: ReadScope, request: Request, lang: LangQuery = None) -> ManagementSummary:
    """Every figure of the management report, as the report would show them now (reading them stores
    nothing: the trend's snapshot is taken when the report file is produced)."""
    return management.management_summary(scope.db, scope.id, get_library(), lang or request_language(request))


@router.get(
    "/establishments/{establishment_id}/reports/management.{fmt}",
    response_class=Response,
    responses=_FILE_RESPONSES,
)
def management_file(
    scope: ExportScope, request: Request, fmt: ReportFormat, lang: LangQuery = None
) -> Response:
    """The management report as PDF or standalone HTML (an export: recorded in the audit trail; its
    headline figures are kept for the next report's trend)."""
    return export_management(scope, fmt, lang or request_language(request))


__all__ = [
    "DashboardOut",
    "actions_by_status",
    "build_report",
    "dashboard_of",
    "export_management",
    "export_report",
    "router",
]
