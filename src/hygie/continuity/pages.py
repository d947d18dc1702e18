"""Web pages of continuity of care: the care services with their business impact (tested restores
against the RTO, green/amber/red), one service's needs, the dependencies with the impact of a loss
(or of an attacker in a network zone), the backups with 3-2-1-1-0 per policy and the job report
import, the exercises and their lessons.

Everything is read through ``hygie.continuity.service`` (the pages' contexts are in
``pages_context``); the forms that create, edit and delete are in ``pages_edit``, included here.
Forms are plain GET/POST forms (no script needed); write forms show to the roles that may write and
their POSTs need the write scope.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hygie.continuity import impact, pages_edit, service
from hygie.continuity.api import MAX_WEB_IMPORT_BYTES, import_report, written
from hygie.continuity.labels import hours, label
from hygie.continuity.pages_context import (
    backups_context,
    day,
    dependencies_context,
    exercise_context,
    exercises_context,
    services_context,
    tabs,
)
from hygie.core.errors import ContentError, ImportRejectedError
from hygie.core.i18n import N_
from hygie.core.time import today
from hygie.plan.service import ActionEditError
from hygie.web.deps import ReadScope, WriteScope
from hygie.web.layout import PageLayout
from hygie.web.registry import NavItem

router = APIRouter(include_in_schema=False)
router.include_router(pages_edit.router)
NAV = (NavItem(N_("Continuity"), "/continuity", order=45),)
BASE = "/e/{establishment_id}/continuity"
TOO_LARGE = N_("The file is too large for the web: import it with « hygie continuity import-backups ».")


@router.get(BASE)
def services_page(scope: ReadScope, layout: PageLayout) -> HTMLResponse:
    """The care services with their RTO/RPO, degraded-mode procedure and business impact."""
    return layout.render("continuity/services.html", services_context(scope, layout))


@router.get(BASE + "/services/{service_id}")
def service_page(scope: ReadScope, layout: PageLayout, service_id: int) -> HTMLResponse:
    """One care service: what it needs, each with its tested restore against the RTO."""
    row = service.get_service(scope.db, scope.id, service_id)
    graph = service.graph(scope.db, scope.id)
    ready = impact.readiness(graph, row.id)
    needs = [
        {
            "name": graph.applications[a].name,
            "restore": hours(graph.applications[a].restore_hours, layout.lang),
            "verdict": impact.verdict(graph.applications[a].restore_hours, row.rto_hours).value,
            "assets": [graph.asset_names.get(i, str(i)) for i in sorted(graph.runs_on.get(a, ()))],
        }
        for a in ready.applications
    ]
    direct = [
        (graph.applications[e.on].name, label(e.criticality, layout.lang))
        for e in graph.edges
        if e.kind == "service" and e.dependent == row.id
    ]
    return layout.render(
        "continuity/service.html",
        {
            "title": row.name,
            "tabs": tabs(scope, layout, ""),
            "base": f"/e/{scope.id}/continuity",
            "can_write": pages_edit.can_write(scope),
            "service": row,
            "kind": label(row.kind, layout.lang),
            "rto": hours(row.rto_hours, layout.lang),
            "rpo": hours(row.rpo_hours, layout.lang),
            "restore": hours(ready.restore_hours, layout.lang),
            "verdict": ready.verdict.value,
            "verdict_text": label(ready.verdict, layout.lang),
            "procedure_overdue": service.procedure_overdue(row, today()),
            "needs": needs,
            "direct": direct,
        },
    )


@router.get(BASE + "/dependencies")
def dependencies_page(
    scope: ReadScope,
    layout: PageLayout,
    asset: Annotated[str, Query(max_length=20)] = "",
    application: Annotated[str, Query(max_length=20)] = "",
    zone: Annotated[str, Query(max_length=100)] = "",
    attacker_zone: Annotated[str, Query(max_length=100)] = "",
) -> HTMLResponse:
    """The applications, what depends on what, and the impact of losing an asset, application or
    zone, or of an attacker in a network zone."""
    query = {"asset": asset, "application": application, "zone": zone, "attacker_zone": attacker_zone}
    return layout.render("continuity/dependencies.html", dependencies_context(scope, layout, query))


@router.get(BASE + "/backups")
def backups_page(scope: ReadScope, layout: PageLayout) -> HTMLResponse:
    """The backup policies with 3-2-1-1-0 rule by rule, the alarms and the latest job runs."""
    return layout.render("continuity/backups.html", backups_context(scope, layout))


@router.post(BASE + "/backups/import")
def import_page(scope: WriteScope, layout: PageLayout, file: Annotated[UploadFile, File()]) -> HTMLResponse:
    """A job report uploaded from the page: the same reader and service as the API; problems inline."""
    if (file.size or 0) > MAX_WEB_IMPORT_BYTES:
        context = backups_context(scope, layout, problems=[layout._(TOO_LARGE)])
        return layout.render("continuity/backups.html", context, status_code=413)
    try:
        result, notes = import_report(scope, file)
    except ImportRejectedError as exc:
        context = backups_context(scope, layout, problems=[str(p) for p in exc.problems])
        return layout.render("continuity/backups.html", context, status_code=422)
    except ContentError as exc:
        context = backups_context(scope, layout, problems=[str(exc)])
        return layout.render("continuity/backups.html", context, status_code=422)
    return layout.render(
        "continuity/backups.html", backups_context(scope, layout, result=result, notes=notes)
    )


@router.get(BASE + "/exercises")
def exercises_page(scope: ReadScope, layout: PageLayout) -> HTMLResponse:
    """The exercises held, what is overdue, the form to record one, and the library of scenarios."""
    return layout.render("continuity/exercises.html", exercises_context(scope, layout))


@router.get(BASE + "/exercises/{exercise_id}")
def exercise_page(scope: ReadScope, layout: PageLayout, exercise_id: int) -> HTMLResponse:
    return layout.render("continuity/exercise.html", exercise_context(scope, layout, exercise_id))


@router.post(BASE + "/lessons/{lesson_id}/action")
def lesson_action_page(
    scope: WriteScope,
    layout: PageLayout,
    lesson_id: int,
    owner: Annotated[str, Form(max_length=200)] = "",
    due_date: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """The lesson becomes an action of the plan; a refused owner or date comes back inline."""
    lesson = service.get_lesson(scope.db, scope.id, lesson_id)
    errors: dict[str, str] = {}
    try:
        due = day(due_date)
        action = service.lesson_to_action(scope.db, scope.id, lesson_id, owner=owner, due_date=due)
    except ValueError as exc:
        errors = {"due_date": layout._(str(exc))}
    except ActionEditError as exc:
        errors = {name: layout._(message) for name, message in exc.problems.items()}
    if errors:
        context = exercise_context(
            scope,
            layout,
            lesson.exercise_id,
            errors={lesson_id: errors},
            form={"owner": owner, "due_date": due_date},
        )
        return layout.render("continuity/exercise.html", context, status_code=422)
    written(scope, "action.create", "plan_action", action.id)
    return RedirectResponse(f"/e/{scope.id}/continuity/exercises/{lesson.exercise_id}", status_code=303)


__all__ = ["NAV", "router"]
