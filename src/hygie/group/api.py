"""REST routes of a group's (GHT's) consolidated view, its CSV table and its report.

Every route with ``{group_id}`` depends on ``GroupReadScope``: only the holders of a role on the
group itself get past it; anyone else (an establishment's RSSI included) gets a 404, as for a
group that does not exist.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from hygie.core.i18n import normalise_language
from hygie.frameworks.service import get_library
from hygie.group import report, service
from hygie.group.schemas import GroupSummary, GroupView
from hygie.group.table import to_csv
from hygie.org import audit
from hygie.web.deps import CurrentPrincipal, Db, GroupReadScope, GroupScope
from hygie.web.errors import API_ERRORS
from hygie.web.templating import request_language

router = APIRouter(prefix="/api/v1", tags=["groups"], responses=API_ERRORS)

ReportFormat = Literal["pdf", "html"]
MEDIA_TYPES: dict[str, str] = {"pdf": "application/pdf", "html": "text/html; charset=utf-8"}
LangQuery = Annotated[
    str | None, Query(pattern="^(fr|en)$", description="Language of the texts (default: the reader's)")
]


def view_of(scope: GroupScope, lang: str) -> GroupView:
    return service.group_view(scope.db, scope.principal, scope.id, get_library(), normalise_language(lang))


def export(scope: GroupScope, what: str, lang: str) -> Response:
    """The CSV table or the report (``what``: csv, html or pdf) as a download, recorded in the audit trail."""
    lang = normalise_language(lang)
    view = view_of(scope, lang)
    if what == "csv":
        # A byte-order mark: a spreadsheet then reads the accents as UTF-8.
        content = ("\ufeff" + to_csv(view, lang)).encode("utf-8")
        media_type = "text/csv; charset=utf-8"
    else:
        content = report.render(view, lang, what)
        media_type = MEDIA_TYPES[what]
    name = report.file_name(view, lang, what)
    audit.record_for(
        scope.db,
        scope.principal,
        action="group_report.export" if what != "csv" else "group_table.export",
        object_type="group",
        object_id=str(scope.id),
        details={
            "format": what,
            "lang": lang,
            "file": name,
            "establishments": [c.id for c in view.establishments],
        },
    )
    return Response(
        content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get("/groups", response_model=list[GroupSummary])
def list_groups(db: Db, principal: CurrentPrincipal) -> list[GroupSummary]:
    """The groups (GHT) whose consolidated view the caller may open (a role on the group itself)."""
    return service.list_groups(db, principal)


@router.get("/groups/{group_id}", response_model=GroupView)
def group_view(scope: GroupReadScope, request: Request, lang: LangQuery = None) -> GroupView:
    """The group's establishments side by side, benchmarked on the group's median, with the shared
    weaknesses, the consolidated plan and the budgets."""
    return view_of(scope, lang or request_language(request))


@router.get(
    "/groups/{group_id}/table.csv",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}}, "description": "The side-by-side table, formulas neutralised"}
    },
)
def table_csv(scope: GroupReadScope, request: Request, lang: LangQuery = None) -> Response:
    """The side-by-side table as CSV (an export: recorded in the audit trail)."""
    return export(scope, "csv", lang or request_language(request))


@router.get(
    "/groups/{group_id}/report.{fmt}",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "text/html": {}}, "description": "The report file"}},
)
def report_file(
    scope: GroupReadScope, request: Request, fmt: ReportFormat, lang: LangQuery = None
) -> Response:
    """The group report as PDF or standalone HTML (an export: recorded in the audit trail)."""
    return export(scope, fmt, lang or request_language(request))


__all__ = ["export", "router", "view_of"]
