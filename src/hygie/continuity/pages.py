"""Web pages of continuity of care: the care services with their business impact (tested restores
against the RTO, green/amber/red), one service's needs, the dependencies with the impact of a loss,
the backups with 3-2-1-1-0 per policy and the job report import, the exercises and their lessons.

Everything is read through ``hygie.continuity.service``; forms are plain GET/POST forms (no script
needed). Write forms show to the roles that may write; their POSTs need the write scope.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hygie.continuity import backups, impact, service, views
from hygie.continuity.api import MAX_WEB_IMPORT_BYTES, import_report
from hygie.continuity.labels import hours, label
from hygie.continuity.scenarios import get_scenario, scenarios
from hygie.core.errors import ContentError, ImportRejectedError, NotFoundError, ValidationError
from hygie.core.i18n import N_
from hygie.core.time import today
from hygie.org import audit
from hygie.org.access import Action
from hygie.plan.service import ActionEditError
from hygie.web.deps import EstablishmentScope, ReadScope, WriteScope
from hygie.web.layout import Layout, PageLayout
from hygie.web.registry import NavItem

router = APIRouter(include_in_schema=False)
NAV = (NavItem(N_("Continuity"), "/continuity", order=45),)
BASE = "/e/{establishment_id}/continuity"
ALARM_TEXTS = {
    "job_failed": N_("Last backup job failed"),
    "restore_overdue": N_("Restore test overdue"),
    "restore_never_tested": N_("Restore never tested"),
}
TOO_LARGE = N_("The file is too large for the web: import it with « hygie continuity import-backups ».")
DATE_MALFORMED = N_("Give the date as YYYY-MM-DD (or DD/MM/YYYY).")


def _can_write(scope: EstablishmentScope) -> bool:
    return scope.principal.may(scope.id, Action.WRITE)


def _tabs(scope: EstablishmentScope, layout: Layout, current: str) -> list[tuple[str, str, bool]]:
    base = f"/e/{scope.id}/continuity"
    items = (
        ("", N_("Care services")),
        ("/dependencies", N_("Dependencies and impact")),
        ("/backups", N_("Backups")),
        ("/exercises", N_("Exercises")),
    )
    return [(base + path, layout._(text), path == current) for path, text in items]


@router.get(BASE)
def services_page(scope: ReadScope, layout: PageLayout) -> HTMLResponse:
    """The care services with their RTO/RPO, degraded-mode procedure and business impact."""
    on = today()
    rows = [
        {
            "service": row,
            "kind": label(row.kind, layout.lang),
            "rto": hours(row.rto_hours, layout.lang),
            "rpo": hours(row.rpo_hours, layout.lang),
            "restore": hours(ready.restore_hours, layout.lang),
            "verdict": ready.verdict.value,
            "verdict_text": label(ready.verdict, layout.lang),
            "procedure_overdue": service.procedure_overdue(row, on),
        }
        for row, ready in service.readiness(scope.db, scope.id)
    ]
    return layout.render(
        "continuity/services.html",
        {
            "title": layout._("Continuity of care"),
            "tabs": _tabs(scope, layout, ""),
            "rows": rows,
            "alarms": len(service.alarms(scope.db, scope.id, on)),
            "exercise": service.exercise_status(scope.db, scope.id, on),
        },
    )


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
            "tabs": _tabs(scope, layout, ""),
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
) -> HTMLResponse:
    """The applications, what depends on what, and the impact of losing an asset, application or zone."""
    graph = service.graph(scope.db, scope.id)
    names = {**{("service", i): s.name for i, s in graph.services.items()}}
    names.update({("application", i): a.name for i, a in graph.applications.items()})
    edges = [
        (names[(e.kind, e.dependent)], graph.applications[e.on].name, label(e.criticality, layout.lang))
        for e in graph.edges
    ]
    apps = [
        (a.name, label(a.kind, layout.lang), [graph.asset_names.get(i, str(i)) for i in a.asset_ids])
        for a in views.applications_out(scope.db, scope.id)
    ]
    result: impact.Impact | None = None
    problem: str | None = None
    form = {"asset": asset.strip(), "application": application.strip(), "zone": zone.strip()}
    given = {k: v for k, v in form.items() if v}
    if given:
        try:
            if len(given) != 1:
                raise ValidationError(layout._("Give one of: an asset, an application, a network zone."))
            if "asset" in given and not given["asset"].isdigit():
                raise NotFoundError(given["asset"])
            if "application" in given and not given["application"].isdigit():
                raise NotFoundError(given["application"])
            result = service.impact_of(
                scope.db,
                scope.id,
                asset_id=int(given["asset"]) if "asset" in given else None,
                application_id=int(given["application"]) if "application" in given else None,
                zone=given.get("zone"),
            )
        except NotFoundError:
            problem = layout._("Nothing of that name or id in this establishment.")
        except ValidationError as exc:
            problem = str(exc)
    lost = [graph.applications[a].name for a in result.lost_applications] if result else []
    hits = [
        {
            "name": s.name,
            "effect": label(s.effect, layout.lang),
            "path": " → ".join(s.path),
            "rto": hours(s.rto_hours, layout.lang),
            "restore": hours(s.restore_hours, layout.lang),
            "verdict": s.verdict.value,
            "verdict_text": label(s.verdict, layout.lang),
        }
        for s in (result.services if result else ())
    ]
    zones = sorted({z for z in graph.zones.values() if z})
    assets = sorted(graph.asset_names.items(), key=lambda item: item[1].casefold())
    return layout.render(
        "continuity/dependencies.html",
        {
            "title": layout._("Dependencies and impact"),
            "tabs": _tabs(scope, layout, "/dependencies"),
            "apps": apps,
            "edges": edges,
            "form": form,
            "asked": bool(given),
            "problem": problem,
            "lost": lost,
            "hits": hits,
            "zones": zones,
            "assets": assets,
            "applications": sorted(((i, a.name) for i, a in graph.applications.items()), key=lambda x: x[1]),
        },
    )


def _backups_context(scope: EstablishmentScope, layout: Layout, **extra: Any) -> dict[str, Any]:
    statuses = service.backup_statuses(scope.db, scope.id)
    policies = []
    for status in statuses:
        out = views.policy_out(status, layout.lang)
        policies.append(
            {
                "policy": out,
                "rules": [
                    (label(c.rule, layout.lang), c.met, backups.reason_text(c, layout.lang))
                    for c in status.score.checks
                ],
                "media": ", ".join(label(m, layout.lang) for m in out.media),
                "last": hours(out.last_restore_hours, layout.lang),
            }
        )
    alarms = [
        (layout._(ALARM_TEXTS[a.kind]), a.application, a.since) for a in service.alarms(scope.db, scope.id)
    ]
    jobs = [(j, label(j.result, layout.lang)) for j in service.list_jobs(scope.db, scope.id, limit=30)]
    return {
        "title": layout._("Backups"),
        "tabs": _tabs(scope, layout, "/backups"),
        "policies": policies,
        "alarms": alarms,
        "jobs": jobs,
        "can_write": _can_write(scope),
        "can_export": scope.principal.may(scope.id, Action.EXPORT),
        "import_url": f"/e/{scope.id}/continuity/backups/import",
        "export_url": f"/api/v1/establishments/{scope.id}/continuity/backups/jobs.csv",
        "result": None,
        "problems": [],
        **extra,
    }


@router.get(BASE + "/backups")
def backups_page(scope: ReadScope, layout: PageLayout) -> HTMLResponse:
    """The backup policies with 3-2-1-1-0 rule by rule, the alarms and the latest job runs."""
    return layout.render("continuity/backups.html", _backups_context(scope, layout))


@router.post(BASE + "/backups/import")
def import_page(scope: WriteScope, layout: PageLayout, file: Annotated[UploadFile, File()]) -> HTMLResponse:
    """A job report uploaded from the page: the same reader and service as the API; problems inline."""
    if (file.size or 0) > MAX_WEB_IMPORT_BYTES:
        context = _backups_context(scope, layout, problems=[layout._(TOO_LARGE)])
        return layout.render("continuity/backups.html", context, status_code=413)
    try:
        result, notes = import_report(scope, file)
    except ImportRejectedError as exc:
        context = _backups_context(scope, layout, problems=[str(p) for p in exc.problems])
        return layout.render("continuity/backups.html", context, status_code=422)
    except ContentError as exc:
        context = _backups_context(scope, layout, problems=[str(exc)])
        return layout.render("continuity/backups.html", context, status_code=422)
    return layout.render(
        "continuity/backups.html", _backups_context(scope, layout, result=result, notes=notes)
    )


@router.get(BASE + "/exercises")
def exercises_page(scope: ReadScope, layout: PageLayout) -> HTMLResponse:
    """The exercises held, what is overdue, and the library of scenarios."""
    exercises = [
        (e, label(e.kind, layout.lang), len(service.lessons_of(scope.db, scope.id, e.id)))
        for e in service.list_exercises(scope.db, scope.id)
    ]
    return layout.render(
        "continuity/exercises.html",
        {
            "title": layout._("Crisis exercises"),
            "tabs": _tabs(scope, layout, "/exercises"),
            "exercises": exercises,
            "status": service.exercise_status(scope.db, scope.id),
            "scenarios": [
                (s.title.get(layout.lang), s.summary.get(layout.lang), label(s.kind, layout.lang))
                for s in scenarios()
            ],
        },
    )


def _exercise_context(
    scope: EstablishmentScope, layout: Layout, exercise_id: int, **extra: Any
) -> dict[str, Any]:
    exercise = service.get_exercise(scope.db, scope.id, exercise_id)
    scenario = get_scenario(exercise.scenario_id) if exercise.scenario_id else None
    return {
        "title": exercise.title,
        "tabs": _tabs(scope, layout, "/exercises"),
        "exercise": exercise,
        "kind": label(exercise.kind, layout.lang),
        "scenario": scenario.title.get(layout.lang) if scenario else None,
        "injects": scenario.injects.get(layout.lang) if scenario else [],
        "lessons": service.lessons_of(scope.db, scope.id, exercise_id),
        "can_write": _can_write(scope),
        "base": f"/e/{scope.id}",
        "errors": {},
        "form": {},
        **extra,
    }


@router.get(BASE + "/exercises/{exercise_id}")
def exercise_page(scope: ReadScope, layout: PageLayout, exercise_id: int) -> HTMLResponse:
    return layout.render("continuity/exercise.html", _exercise_context(scope, layout, exercise_id))


def _day(text: str) -> date:
    for form in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), form).date()  # noqa: DTZ007 -- a calendar day
        except ValueError:
            continue
    raise ValueError(DATE_MALFORMED)


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
        due = _day(due_date)
        action = service.lesson_to_action(scope.db, scope.id, lesson_id, owner=owner, due_date=due)
    except ValueError as exc:
        errors = {"due_date": layout._(str(exc))}
    except ActionEditError as exc:
        errors = {name: layout._(message) for name, message in exc.problems.items()}
    if errors:
        context = _exercise_context(
            scope,
            layout,
            lesson.exercise_id,
            errors={lesson_id: errors},
            form={"owner": owner, "due_date": due_date},
        )
        return layout.render("continuity/exercise.html", context, status_code=422)
    audit.record_for(
        scope.db, scope.principal, action="action.create", object_type="plan_action", object_id=action.id,
        establishment_id=scope.id,
    )  # fmt: skip
    return RedirectResponse(f"/e/{scope.id}/continuity/exercises/{lesson.exercise_id}", status_code=303)


__all__ = ["NAV", "router"]
