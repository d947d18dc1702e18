"""Web pages of a group's (GHT's) consolidated view: the list of the caller's groups, the view
itself, and its downloads (the side-by-side table as CSV, the report as HTML or PDF)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from hygie.core.i18n import LANGUAGES
from hygie.group import service
from hygie.group.api import ReportFormat, export, view_of
from hygie.group.report import median_radar
from hygie.group.table import side_by_side
from hygie.web.deps import GroupReadScope
from hygie.web.layout import PageLayout

router = APIRouter(include_in_schema=False)
# The page shows this many shared weaknesses; the report and the API give them all.
TOP_SHARED = 15

LangField = Annotated[str | None, Query(max_length=5)]


@router.get("/groups")
def groups(layout: PageLayout) -> HTMLResponse:
    return layout.render(
        "group/groups.html",
        {"title": layout._("Groups (GHT)"), "groups": service.list_groups(layout.db, layout.principal)},
    )


@router.get("/g/{group_id}")
def group_page(scope: GroupReadScope, layout: PageLayout) -> HTMLResponse:
    view = view_of(scope, layout.lang)
    return layout.render(
        "group/group.html",
        {
            "title": view.name,
            "view": view,
            "rows": side_by_side(view, layout.lang),
            "chart": median_radar(view, layout.lang),
            "shared": view.shared_weaknesses[:TOP_SHARED],
            "languages": LANGUAGES,
        },
    )


@router.get("/g/{group_id}/table.csv")
def table_csv(scope: GroupReadScope, layout: PageLayout, lang: LangField = None) -> Response:
    return export(scope, "csv", lang if lang in LANGUAGES else layout.lang)


@router.get("/g/{group_id}/report.{fmt}")
def report_file(
    scope: GroupReadScope, layout: PageLayout, fmt: ReportFormat, lang: LangField = None
) -> Response:
    return export(scope, fmt, lang if lang in LANGUAGES else layout.lang)


__all__ = ["router"]
