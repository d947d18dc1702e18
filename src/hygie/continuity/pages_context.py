"""What the continuity pages show, built for the templates: shared by the read pages (``pages``) and
the forms (``pages_edit``), which show the same page again with the refused values and their errors.

Everything is read through ``hygie.continuity.service``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from hygie.assets import service as assets_service
from hygie.continuity import backups, impact, service, views
from hygie.continuity.labels import hours, label
from hygie.continuity.models import ApplicationKind, Criticality, ExerciseKind, MediaKind, ServiceKind
from hygie.continuity.scenarios import get_scenario, scenarios
from hygie.core.errors import NotFoundError, ValidationError
from hygie.core.i18n import N_
from hygie.core.time import today
from hygie.org.access import Action
from hygie.web.deps import EstablishmentScope
from hygie.web.layout import Layout

ALARM_TEXTS = {
    "job_failed": N_("Last backup job failed"),
    "restore_overdue": N_("Restore test overdue"),
    "restore_never_tested": N_("Restore never tested"),
}
DATE_MALFORMED = N_("Give the date as YYYY-MM-DD (or DD/MM/YYYY).")


def can_write(scope: EstablishmentScope) -> bool:
    return scope.principal.may(scope.id, Action.WRITE)


def tabs(scope: EstablishmentScope, layout: Layout, current: str) -> list[tuple[str, str, bool]]:
    base = f"/e/{scope.id}/continuity"
    items = (
        ("", N_("Care services")),
        ("/dependencies", N_("Dependencies and impact")),
        ("/backups", N_("Backups")),
        ("/exercises", N_("Exercises")),
    )
    return [(base + path, layout._(text), path == current) for path, text in items]


def options(values: Iterable[StrEnum], layout: Layout) -> list[tuple[str, str]]:
    return [(v.value, label(v, layout.lang)) for v in values]


def day(text: str) -> date:
    for form in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), form).date()  # noqa: DTZ007 -- a calendar day
        except ValueError:
            continue
    raise ValueError(DATE_MALFORMED)


def _common(scope: EstablishmentScope, current: str, layout: Layout) -> dict[str, Any]:
    return {
        "tabs": tabs(scope, layout, current),
        "can_write": can_write(scope),
        "base": f"/e/{scope.id}/continuity",
        "errors": {},
        "form": {},
    }


def services_context(scope: EstablishmentScope, layout: Layout, **extra: Any) -> dict[str, Any]:
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
    return {
        "title": layout._("Continuity of care"),
        **_common(scope, "", layout),
        "rows": rows,
        "alarms": len(service.alarms(scope.db, scope.id, on)),
        "exercise": service.exercise_status(scope.db, scope.id, on),
        "service_kinds": options(ServiceKind, layout),
        **extra,
    }


def service_form_context(scope: EstablishmentScope, layout: Layout, **extra: Any) -> dict[str, Any]:
    """The edit form of a care service (``service`` in ``extra``)."""
    return {**_common(scope, "", layout), "service_kinds": options(ServiceKind, layout), **extra}


def _impact(
    scope: EstablishmentScope, layout: Layout, form: dict[str, str]
) -> tuple[impact.Impact | None, dict[str, int] | None, str | None]:
    given = {k: v for k, v in form.items() if v}
    if not given:
        return None, None, None
    try:
        if len(given) != 1:
            raise ValidationError(
                layout._("Give one of: an asset, an application, a network zone, an attacker's zone.")
            )
        for key in ("asset", "application"):
            if key in given and not given[key].isdigit():
                raise NotFoundError(given[key])
        result, reached = service.impact_and_reach(
            scope.db,
            scope.id,
            asset_id=int(given["asset"]) if "asset" in given else None,
            application_id=int(given["application"]) if "application" in given else None,
            zone=given.get("zone"),
            attacker_zone=given.get("attacker_zone"),
        )
    except NotFoundError:
        return None, None, layout._("Nothing of that name or id in this establishment.")
    except ValidationError as exc:
        return None, None, str(exc)
    return result, reached, None


def dependencies_context(
    scope: EstablishmentScope, layout: Layout, query: dict[str, str] | None = None, **extra: Any
) -> dict[str, Any]:
    """The applications, the edges, the forms that add them, and the impact asked in ``query``."""
    graph = service.graph(scope.db, scope.id)
    names = {("service", i): s.name for i, s in graph.services.items()}
    names.update({("application", i): a.name for i, a in graph.applications.items()})
    edges = []
    for dep in service.list_dependencies(scope.db, scope.id):
        if dep.service_id is not None:
            who = names[("service", dep.service_id)]
        elif dep.application_id is not None:
            who = names[("application", dep.application_id)]
        else:  # the check constraint makes it impossible
            continue
        on = graph.applications[dep.on_application_id].name
        edges.append((dep.id, who, on, label(dep.criticality, layout.lang)))
    apps = [
        (a.id, a.name, label(a.kind, layout.lang), [graph.asset_names.get(i, str(i)) for i in a.asset_ids])
        for a in views.applications_out(scope.db, scope.id)
    ]
    form = {k: (query or {}).get(k, "").strip() for k in ("asset", "application", "zone", "attacker_zone")}
    result, reached, problem = _impact(scope, layout, form)
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
    applications = sorted(((i, a.name) for i, a in graph.applications.items()), key=lambda x: x[1].casefold())
    return {
        "title": layout._("Dependencies and impact"),
        **_common(scope, "/dependencies", layout),
        "apps": apps,
        "edges": edges,
        "impact_form": form,
        "asked": any(form.values()),
        "problem": problem,
        "lost": [graph.applications[a].name for a in result.lost_applications] if result else [],
        "reached": list((reached or {}).items()),
        "hits": hits,
        "zones": sorted({z for z in graph.zones.values() if z}),
        "network_zones": service.network_zones(scope.db, scope.id),
        "assets": sorted(graph.asset_names.items(), key=lambda item: item[1].casefold()),
        "applications": applications,
        "services": [(s.id, s.name) for s in service.list_services(scope.db, scope.id)],
        "application_kinds": options(ApplicationKind, layout),
        "criticalities": options(Criticality, layout),
        "app_form": {},
        "app_errors": {},
        "dep_form": {},
        "dep_errors": {},
        **extra,
    }


def application_context(
    scope: EstablishmentScope, layout: Layout, application_id: int, **extra: Any
) -> dict[str, Any]:
    """An application's edit form, the assets it runs on and the form that links one."""
    row = service.get_application(scope.db, scope.id, application_id)
    linked = set(service.assets_of(scope.db, scope.id).get(row.id, []))
    inventory = sorted(assets_service.list_assets(scope.db, scope.id), key=lambda a: a.name.casefold())
    has_policy = any(p.application_id == row.id for p in service.list_policies(scope.db, scope.id))
    return {
        "title": row.name,
        **_common(scope, "/dependencies", layout),
        "application": row,
        "has_policy": has_policy,
        "linked": [(a.id, a.name, a.network_zone) for a in inventory if a.id in linked],
        "linkable": [(a.id, a.name) for a in inventory if a.id not in linked],
        "application_kinds": options(ApplicationKind, layout),
        "link_errors": {},
        **extra,
    }


def backups_context(scope: EstablishmentScope, layout: Layout, **extra: Any) -> dict[str, Any]:
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
    covered = {s.application.id for s in statuses}
    alarms = [
        (layout._(ALARM_TEXTS[a.kind]), a.application, a.since) for a in service.alarms(scope.db, scope.id)
    ]
    jobs = [(j, label(j.result, layout.lang)) for j in service.list_jobs(scope.db, scope.id, limit=30)]
    return {
        "title": layout._("Backups"),
        **_common(scope, "/backups", layout),
        "policies": policies,
        "uncovered": [
            (a.id, a.name) for a in service.list_applications(scope.db, scope.id) if a.id not in covered
        ],
        "alarms": alarms,
        "jobs": jobs,
        "can_export": scope.principal.may(scope.id, Action.EXPORT),
        "import_url": f"/e/{scope.id}/continuity/backups/import",
        "export_url": f"/api/v1/establishments/{scope.id}/continuity/backups/jobs.csv",
        "result": None,
        "problems": [],
        **extra,
    }


def _shortest_rto(scope: EstablishmentScope, application_id: int) -> float | None:
    """The shortest RTO of the care services that need the application through blocking edges."""
    needing = [
        row.rto_hours
        for row, ready in service.readiness(scope.db, scope.id)
        if application_id in ready.applications
    ]
    return min(needing, default=None)


def policy_context(
    scope: EstablishmentScope, layout: Layout, application_id: int, **extra: Any
) -> dict[str, Any]:
    """An application's backup policy form, its restore tests against the RTO and the form to log one."""
    row = service.get_application(scope.db, scope.id, application_id)
    policy = next((p for p in service.list_policies(scope.db, scope.id) if p.application_id == row.id), None)
    rto = _shortest_rto(scope, row.id)
    tests = []
    if policy is not None:
        for test in service.restore_tests(scope.db, scope.id, row.id):
            if not test.success:
                verdict, text = impact.Verdict.OVER.value, layout._("Restore failed")
            elif rto is None:
                verdict, text = impact.Verdict.UNKNOWN.value, layout._("No care service needs it")
            else:
                found = impact.verdict(test.duration_hours, rto)
                verdict, text = found.value, label(found, layout.lang)
            tests.append(
                {
                    "test": test,
                    "duration": hours(test.duration_hours, layout.lang),
                    "loss": hours(test.data_loss_hours, layout.lang),
                    "verdict": verdict,
                    "verdict_text": text,
                }
            )
    form: dict[str, Any] = {}
    if policy is not None:
        form = {
            "copies": str(policy.copies),
            "media": list(policy.media),
            "offsite_copies": str(policy.offsite_copies),
            "offline_copy": policy.offline_copy,
            "immutable_copy": policy.immutable_copy,
            "test_every_days": str(policy.test_every_days),
            "job_name": policy.job_name or "",
        }
    return {
        "title": layout._("Backup of %(name)s") % {"name": row.name},
        **_common(scope, "/backups", layout),
        "application": row,
        "policy": policy,
        "rto": hours(rto, layout.lang) if rto is not None else None,
        "tests": tests,
        "form": form,
        "test_form": {"tested_on": today().isoformat(), "success": True},
        "test_errors": {},
        "media_kinds": options(MediaKind, layout),
        **extra,
    }


def _scenario_options(layout: Layout) -> list[tuple[str, str]]:
    return [(s.id, s.title.get(layout.lang)) for s in scenarios()]


def exercises_context(scope: EstablishmentScope, layout: Layout, **extra: Any) -> dict[str, Any]:
    exercises = [
        (e, label(e.kind, layout.lang), len(service.lessons_of(scope.db, scope.id, e.id)))
        for e in service.list_exercises(scope.db, scope.id)
    ]
    return {
        "title": layout._("Crisis exercises"),
        **_common(scope, "/exercises", layout),
        "exercises": exercises,
        "status": service.exercise_status(scope.db, scope.id),
        "scenarios": [
            (s.title.get(layout.lang), s.summary.get(layout.lang), label(s.kind, layout.lang))
            for s in scenarios()
        ],
        "scenario_options": _scenario_options(layout),
        "exercise_kinds": options(ExerciseKind, layout),
        **extra,
    }


def exercise_form_context(scope: EstablishmentScope, layout: Layout, **extra: Any) -> dict[str, Any]:
    """The edit form of an exercise (``exercise`` in ``extra``)."""
    return {
        **_common(scope, "/exercises", layout),
        "scenario_options": _scenario_options(layout),
        "exercise_kinds": options(ExerciseKind, layout),
        **extra,
    }


def exercise_values(exercise: Any) -> dict[str, Any]:
    """An exercise's values as its form shows them."""
    return {
        "title": exercise.title,
        "kind": exercise.kind.value,
        "held_on": exercise.held_on.isoformat(),
        "scenario_id": exercise.scenario_id or "",
        "participants": "\n".join(exercise.participants),
        "crisis_cell": exercise.crisis_cell,
        "objectives": "\n".join(exercise.objectives),
        "observations": exercise.observations or "",
    }


def exercise_context(
    scope: EstablishmentScope, layout: Layout, exercise_id: int, **extra: Any
) -> dict[str, Any]:
    exercise = service.get_exercise(scope.db, scope.id, exercise_id)
    scenario = get_scenario(exercise.scenario_id) if exercise.scenario_id else None
    return {
        "title": exercise.title,
        **_common(scope, "/exercises", layout),
        "exercise": exercise,
        "kind": label(exercise.kind, layout.lang),
        "scenario": scenario.title.get(layout.lang) if scenario else None,
        "injects": scenario.injects.get(layout.lang) if scenario else [],
        "lessons": service.lessons_of(scope.db, scope.id, exercise_id),
        "base": f"/e/{scope.id}",
        "lesson_form": {},
        "lesson_errors": {},
        **extra,
    }
