"""Web pages of the reports: the establishment's dashboard and the reports to download.

The dashboard is drawn from the ``MaturityReport`` the PDF is rendered from, with the same charts:
its figures cannot drift from the report's. Management gets the same page; it carries no form that
writes, only links to the pages where the security team acts.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from hygie.core.i18n import LANGUAGES, N_, gettext
from hygie.org.access import Action
from hygie.org.service import nis2_status
from hygie.plan.models import ActionStatus
from hygie.reports.api import (
    PROPOSED,
    ReportFormat,
    actions_by_status,
    build_report,
    export_management,
    export_report,
    has_campaign,
)
from hygie.reports.render import report_charts  # the report's own charts, not a copy
from hygie.reports.service import DEFAULT_DAYS, default_budget
from hygie.reports.vocabulary import label
from hygie.web.deps import ExportScope, ReadScope
from hygie.web.forms import optional_number
from hygie.web.layout import PageLayout
from hygie.web.registry import NavItem

router = APIRouter(include_in_schema=False)
NAV = (
    NavItem(N_("Dashboard"), "/dashboard", order=10),
    NavItem(N_("Reports"), "/reports", order=90),
)
# Where the assessment pages start a campaign (the assess domain's pages).
START_CAMPAIGN_PATH = "/assessments"
TOP_WEAKNESSES = 10

# A form's empty field arrives as "": hygie.web.forms reads it as "not given".
OptionalField = Annotated[str | None, Query(max_length=20)]


def _status_rows(counts: dict[str, int], lang: str) -> list[tuple[str, int]]:
    """(word, count) per status, in the reader's language."""
    return [
        (gettext(N_("Proposed"), lang) if key == PROPOSED else label(ActionStatus(key), lang), count)
        for key, count in counts.items()
    ]


@router.get("/e/{establishment_id}/dashboard")
def dashboard(scope: ReadScope, layout: PageLayout) -> HTMLResponse:
    lang = layout.lang
    establishment = scope.establishment
    context: dict[str, Any] = {
        "title": layout._("Dashboard"),
        "can_assess": scope.principal.may(scope.id, Action.ASSESS),
        "can_export": scope.principal.may(scope.id, Action.EXPORT),
        "start_campaign": f"/e/{scope.id}{START_CAMPAIGN_PATH}",
        "nis2": nis2_status(establishment, lang),
        "report": None,
    }
    if not has_campaign(scope):
        return layout.render("reports_web/dashboard.html", context)
    report = build_report(scope, lang)
    context.update(
        report=report,
        charts=report_charts(report, lang),
        weaknesses=report.weaknesses[:TOP_WEAKNESSES],
        status_rows=_status_rows(actions_by_status(report), lang),
        delta=None
        if report.previous_global_index is None
        else report.global_index - report.previous_global_index,
    )
    return layout.render("reports_web/dashboard.html", context)


@router.get("/e/{establishment_id}/reports")
def reports(scope: ReadScope, layout: PageLayout) -> HTMLResponse:
    return layout.render(
        "reports_web/reports.html",
        {
            "title": layout._("Reports"),
            "can_export": scope.principal.may(scope.id, Action.EXPORT),
            "has_campaign": has_campaign(scope),
            "languages": LANGUAGES,
            "default_budget": default_budget(scope.db, scope.id),
            "default_days": DEFAULT_DAYS,
        },
    )


@router.get("/e/{establishment_id}/reports/maturity.{fmt}")
def download(
    scope: ExportScope,
    layout: PageLayout,
    fmt: ReportFormat,
    lang: OptionalField = None,
    budget: OptionalField = None,
    days: OptionalField = None,
) -> Response:
    """The report file; the form's language, or the page's."""
    chosen = lang if lang in LANGUAGES else layout.lang
    amount = optional_number(budget, "budget")
    return export_report(
        scope, fmt, chosen, None if amount is None else round(amount), optional_number(days, "days")
    )


@router.get("/e/{establishment_id}/reports/management.{fmt}")
def download_management(
    scope: ExportScope, layout: PageLayout, fmt: ReportFormat, lang: OptionalField = None
) -> Response:
    """The management report file; the form's language, or the page's."""
    return export_management(scope, fmt, lang if lang in LANGUAGES else layout.lang)


__all__ = ["NAV", "router"]
