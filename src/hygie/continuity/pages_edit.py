"""The continuity forms: create, edit and delete care services, applications (and the assets they
run on), dependencies, backup policies, restore tests, exercises and their lessons.

Plain POST forms that redirect (303) to the page that shows the result; a refused value comes back
on the same page (422) with its message next to the field, in the reader's language. Every write
goes through ``hygie.continuity.service``, is audited and refreshes the assessment's evidence gaps
(``api.written``). An id of another establishment is "not found", the same as a missing one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, TypeVar

import pydantic
from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hygie.continuity import service
from hygie.continuity.api import written
from hygie.continuity.pages_context import (
    application_context,
    can_write,
    dependencies_context,
    exercise_context,
    exercise_form_context,
    exercise_values,
    exercises_context,
    policy_context,
    service_form_context,
    services_context,
)
from hygie.continuity.schemas import (
    ApplicationIn,
    DependencyIn,
    ExerciseIn,
    LessonIn,
    PolicyIn,
    RestoreTestIn,
    ServiceIn,
)
from hygie.core.errors import NotFoundError, ValidationError
from hygie.core.i18n import N_
from hygie.core.time import today
from hygie.frameworks.service import get_library
from hygie.web.deps import EstablishmentScope, ReadScope, WriteScope
from hygie.web.forms import field_errors, number_text
from hygie.web.layout import Layout, PageLayout

router = APIRouter(include_in_schema=False)
BASE = "/e/{establishment_id}/continuity"
M = TypeVar("M", bound=pydantic.BaseModel)
# Generous bounds: the schemas' own limits give the messages shown next to the fields.
Line = Annotated[str, Form(max_length=2000)]
Short = Annotated[str, Form(max_length=100)]
Long = Annotated[str, Form(max_length=40_000)]
Flag = Annotated[str, Form(max_length=10)]

SERVICE_TAKEN = N_("A care service of that name already exists.")
APPLICATION_TAKEN = N_("An application of that name already exists.")
IN_FUTURE = N_("This date is still to come.")
SELF_DEPENDENCY = N_("An application cannot depend on itself.")
UNKNOWN_SCENARIO = N_("Choose a scenario of the library.")
UNKNOWN_CONTROL = N_("No measure of the library has this id.")

__all__ = ["can_write", "router"]


def _given(values: dict[str, Any]) -> dict[str, Any]:
    """The form's values without its empty fields: a required one is then "missing", an optional one
    takes its default."""
    return {k: v for k, v in values.items() if not (isinstance(v, str) and not v.strip())}


def _check(model: type[M], values: dict[str, Any], layout: Layout) -> tuple[M | None, dict[str, str]]:
    try:
        return model.model_validate(_given(values)), {}
    except pydantic.ValidationError as exc:
        return None, field_errors(exc, layout._)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _back(scope: EstablishmentScope, path: str) -> RedirectResponse:
    return RedirectResponse(f"/e/{scope.id}/continuity{path}", status_code=303)


def _refused(layout: Layout, template: str, context: dict[str, Any]) -> HTMLResponse:
    return layout.render(template, context, status_code=422)


# --- Care services ---------------------------------------------------------------------------------


def _service_values(
    name: str, kind: str, rto_hours: str, rpo_hours: str, procedure_ref: str, procedure_reviewed_on: str
) -> dict[str, Any]:
    return {
        "name": name,
        "kind": kind,
        "rto_hours": number_text(rto_hours),
        "rpo_hours": number_text(rpo_hours),
        "procedure_ref": procedure_ref.strip(),
        "procedure_reviewed_on": procedure_reviewed_on.strip(),
    }


def _save_service(
    scope: EstablishmentScope, layout: Layout, values: dict[str, Any], service_id: int | None
) -> tuple[int | None, dict[str, str]]:
    data, errors = _check(ServiceIn, values, layout)
    try:
        reviewed = (
            date.fromisoformat(values["procedure_reviewed_on"]) if values["procedure_reviewed_on"] else None
        )
    except ValueError:
        reviewed = None  # the schema's message says it
    if reviewed is not None and reviewed > today():
        errors["procedure_reviewed_on"] = layout._(IN_FUTURE)
    if data is None or errors:
        return None, errors
    try:
        if service_id is None:
            row = service.create_service(scope.db, scope.id, data)
            written(scope, "continuity_service.create", "continuity_service", row.id)
        else:
            row = service.update_service(scope.db, scope.id, service_id, data)
            written(scope, "continuity_service.update", "continuity_service", row.id)
    except ValidationError:
        return None, {"name": layout._(SERVICE_TAKEN)}
    return row.id, {}


@router.post(BASE + "/services")
def create_service_page(
    scope: WriteScope,
    layout: PageLayout,
    name: Line = "",
    kind: Short = "",
    rto_hours: Short = "",
    rpo_hours: Short = "",
    procedure_ref: Line = "",
    procedure_reviewed_on: Short = "",
) -> Response:
    values = _service_values(name, kind, rto_hours, rpo_hours, procedure_ref, procedure_reviewed_on)
    created, errors = _save_service(scope, layout, values, None)
    if created is None:
        context = services_context(scope, layout, form=values, errors=errors)
        return _refused(layout, "continuity/services.html", context)
    return _back(scope, f"/services/{created}")


def _service_form(row: Any) -> dict[str, Any]:
    return {
        "name": row.name,
        "kind": row.kind.value,
        "rto_hours": f"{row.rto_hours:g}",
        "rpo_hours": f"{row.rpo_hours:g}",
        "procedure_ref": row.procedure_ref or "",
        "procedure_reviewed_on": row.procedure_reviewed_on.isoformat() if row.procedure_reviewed_on else "",
    }


@router.get(BASE + "/services/{service_id}/edit")
def edit_service_page(scope: WriteScope, layout: PageLayout, service_id: int) -> HTMLResponse:
    row = service.get_service(scope.db, scope.id, service_id)
    context = service_form_context(scope, layout, title=row.name, service=row, form=_service_form(row))
    return layout.render("continuity/service_form.html", context)


@router.post(BASE + "/services/{service_id}")
def update_service_page(
    scope: WriteScope,
    layout: PageLayout,
    service_id: int,
    name: Line = "",
    kind: Short = "",
    rto_hours: Short = "",
    rpo_hours: Short = "",
    procedure_ref: Line = "",
    procedure_reviewed_on: Short = "",
) -> Response:
    row = service.get_service(scope.db, scope.id, service_id)
    values = _service_values(name, kind, rto_hours, rpo_hours, procedure_ref, procedure_reviewed_on)
    saved, errors = _save_service(scope, layout, values, service_id)
    if saved is None:
        context = service_form_context(scope, layout, title=row.name, service=row, form=values, errors=errors)
        return _refused(layout, "continuity/service_form.html", context)
    return _back(scope, f"/services/{service_id}")


@router.post(BASE + "/services/{service_id}/delete")
def delete_service_page(scope: WriteScope, service_id: int) -> Response:
    row = service.get_service(scope.db, scope.id, service_id)
    name = row.name
    service.delete_service(scope.db, scope.id, service_id)
    written(scope, "continuity_service.delete", "continuity_service", service_id, name=name)
    return _back(scope, "")


# --- Applications and the assets they run on -------------------------------------------------------


@router.post(BASE + "/applications")
def create_application_page(
    scope: WriteScope, layout: PageLayout, name: Line = "", kind: Short = ""
) -> Response:
    values = {"name": name, "kind": kind}
    data, errors = _check(ApplicationIn, values, layout)
    if data is not None:
        try:
            row = service.create_application(scope.db, scope.id, data)
        except ValidationError:
            errors = {"name": layout._(APPLICATION_TAKEN)}
        else:
            written(scope, "continuity_application.create", "continuity_application", row.id)
            return _back(scope, f"/applications/{row.id}")
    context = dependencies_context(scope, layout, app_form=values, app_errors=errors)
    return _refused(layout, "continuity/dependencies.html", context)


@router.get(BASE + "/applications/{application_id}")
def application_page(scope: ReadScope, layout: PageLayout, application_id: int) -> HTMLResponse:
    """An application: its name and kind, the assets of the inventory it runs on."""
    row = service.get_application(scope.db, scope.id, application_id)
    form = {"name": row.name, "kind": row.kind.value}
    return layout.render("continuity/application.html", application_context(scope, layout, row.id, form=form))


@router.post(BASE + "/applications/{application_id}")
def update_application_page(
    scope: WriteScope, layout: PageLayout, application_id: int, name: Line = "", kind: Short = ""
) -> Response:
    service.get_application(scope.db, scope.id, application_id)
    values = {"name": name, "kind": kind}
    data, errors = _check(ApplicationIn, values, layout)
    if data is not None:
        try:
            service.update_application(scope.db, scope.id, application_id, data)
        except ValidationError:
            errors = {"name": layout._(APPLICATION_TAKEN)}
        else:
            written(scope, "continuity_application.update", "continuity_application", application_id)
            return _back(scope, f"/applications/{application_id}")
    context = application_context(scope, layout, application_id, form=values, errors=errors)
    return _refused(layout, "continuity/application.html", context)


@router.post(BASE + "/applications/{application_id}/delete")
def delete_application_page(scope: WriteScope, application_id: int) -> Response:
    name = service.get_application(scope.db, scope.id, application_id).name
    service.delete_application(scope.db, scope.id, application_id)
    written(scope, "continuity_application.delete", "continuity_application", application_id, name=name)
    return _back(scope, "/dependencies")


@router.post(BASE + "/applications/{application_id}/assets")
def link_asset_page(
    scope: WriteScope, layout: PageLayout, application_id: int, asset_id: Short = ""
) -> Response:
    service.get_application(scope.db, scope.id, application_id)
    if not asset_id.strip().isdigit():
        errors = {"asset_id": layout._("Required.")}
        context = application_context(scope, layout, application_id, link_errors=errors)
        return _refused(layout, "continuity/application.html", context)
    row = service.link_asset(scope.db, scope.id, application_id, int(asset_id))
    written(scope, "continuity_application.link_asset", "continuity_app_asset", row.id, asset=int(asset_id))
    return _back(scope, f"/applications/{application_id}")


@router.post(BASE + "/applications/{application_id}/assets/{asset_id}/delete")
def unlink_asset_page(scope: WriteScope, application_id: int, asset_id: int) -> Response:
    service.unlink_asset(scope.db, scope.id, application_id, asset_id)
    written(
        scope, "continuity_application.unlink_asset", "continuity_application", application_id, asset=asset_id
    )
    return _back(scope, f"/applications/{application_id}")


# --- Dependencies ----------------------------------------------------------------------------------


@router.post(BASE + "/dependencies")
def add_dependency_page(
    scope: WriteScope,
    layout: PageLayout,
    dependent: Short = "",
    on_application_id: Short = "",
    criticality: Short = "",
) -> Response:
    """``dependent`` is ``service:<id>`` or ``application:<id>``: who depends on the application."""
    values = {"dependent": dependent, "on_application_id": on_application_id, "criticality": criticality}
    kind, _sep, number = dependent.partition(":")
    errors: dict[str, str] = {}
    if kind not in ("service", "application") or not number.isdigit():
        errors["dependent"] = layout._("Required.")
    data, more = _check(
        DependencyIn,
        {
            "service_id": number if kind == "service" else None,
            "application_id": number if kind == "application" else None,
            "on_application_id": on_application_id,
            "criticality": criticality,
        },
        layout,
    )
    errors = {**more, **errors}
    if data is not None and not errors:
        try:
            row = service.add_dependency(scope.db, scope.id, data)
        except ValidationError:
            errors = {"on_application_id": layout._(SELF_DEPENDENCY)}
        else:
            written(scope, "continuity_dependency.create", "continuity_dependency", row.id)
            return _back(scope, "/dependencies")
    context = dependencies_context(scope, layout, dep_form=values, dep_errors=errors)
    return _refused(layout, "continuity/dependencies.html", context)


@router.post(BASE + "/dependencies/{dependency_id}/delete")
def delete_dependency_page(scope: WriteScope, dependency_id: int) -> Response:
    service.remove_dependency(scope.db, scope.id, dependency_id)
    written(scope, "continuity_dependency.delete", "continuity_dependency", dependency_id)
    return _back(scope, "/dependencies")


# --- Backup policies and restore tests -------------------------------------------------------------


@router.get(BASE + "/applications/{application_id}/backup")
def policy_page(scope: ReadScope, layout: PageLayout, application_id: int) -> HTMLResponse:
    """The application's backup policy (declared or to declare) and its restore tests."""
    return layout.render("continuity/backup.html", policy_context(scope, layout, application_id))


def _flag(value: str) -> bool:
    return value.strip().lower() in ("on", "true", "1", "yes", "oui")


@router.post(BASE + "/applications/{application_id}/backup")
def set_policy_page(
    scope: WriteScope,
    layout: PageLayout,
    application_id: int,
    copies: Short = "",
    media: Annotated[list[str] | None, Form()] = None,
    offsite_copies: Short = "",
    offline_copy: Flag = "",
    immutable_copy: Flag = "",
    test_every_days: Short = "",
    job_name: Line = "",
) -> Response:
    service.get_application(scope.db, scope.id, application_id)
    values: dict[str, Any] = {
        "copies": number_text(copies),
        "media": [m for m in media or [] if m],
        "offsite_copies": number_text(offsite_copies),
        "offline_copy": _flag(offline_copy),
        "immutable_copy": _flag(immutable_copy),
        "test_every_days": number_text(test_every_days),
        "job_name": job_name.strip(),
    }
    data, errors = _check(PolicyIn, values, layout)
    if data is None:
        context = policy_context(scope, layout, application_id, form=values, errors=errors)
        return _refused(layout, "continuity/backup.html", context)
    row = service.set_policy(scope.db, scope.id, application_id, data)
    written(scope, "backup_policy.set", "continuity_backup_policy", row.id)
    return _back(scope, f"/applications/{application_id}/backup")


@router.post(BASE + "/applications/{application_id}/backup/delete")
def delete_policy_page(scope: WriteScope, application_id: int) -> Response:
    policy_id = service.policy_of(scope.db, scope.id, application_id).id
    service.delete_policy(scope.db, scope.id, application_id)
    written(scope, "backup_policy.delete", "continuity_backup_policy", policy_id)
    return _back(scope, "/backups")


@router.post(BASE + "/applications/{application_id}/restore-tests")
def log_restore_test_page(
    scope: WriteScope,
    layout: PageLayout,
    application_id: int,
    tested_on: Short = "",
    duration_hours: Short = "",
    success: Flag = "",
    data_loss_hours: Short = "",
    notes: Long = "",
) -> Response:
    """A restore test carried out: its date, how long it took (shown against the RTO), whether it
    worked, the data lost."""
    service.policy_of(scope.db, scope.id, application_id)
    values: dict[str, Any] = {
        "tested_on": tested_on.strip(),
        "duration_hours": number_text(duration_hours),
        "success": _flag(success),
        "data_loss_hours": number_text(data_loss_hours),
        "notes": notes.strip(),
    }
    data, errors = _check(RestoreTestIn, values, layout)
    if data is not None:
        try:
            row = service.log_restore_test(scope.db, scope.id, application_id, data)
        except ValidationError:
            errors = {"tested_on": layout._(IN_FUTURE)}
        else:
            written(scope, "restore_test.create", "continuity_restore_test", row.id)
            return _back(scope, f"/applications/{application_id}/backup#restore-tests")
    context = policy_context(scope, layout, application_id, test_form=values, test_errors=errors)
    return _refused(layout, "continuity/backup.html", context)


@router.post(BASE + "/restore-tests/{test_id}/delete")
def delete_restore_test_page(scope: WriteScope, test_id: int) -> Response:
    test = service.get_restore_test(scope.db, scope.id, test_id)
    application_id = next(
        p.application_id for p in service.list_policies(scope.db, scope.id) if p.id == test.policy_id
    )
    service.delete_restore_test(scope.db, scope.id, test_id)
    written(scope, "restore_test.delete", "continuity_restore_test", test_id)
    return _back(scope, f"/applications/{application_id}/backup#restore-tests")


# --- Exercises and lessons -------------------------------------------------------------------------


def _exercise_input(
    title: str,
    kind: str,
    held_on: str,
    scenario_id: str,
    participants: str,
    crisis_cell: str,
    objectives: str,
    observations: str,
) -> dict[str, Any]:
    """The form's values as shown again (text areas as typed)."""
    return {
        "title": title,
        "kind": kind,
        "held_on": held_on.strip(),
        "scenario_id": scenario_id.strip(),
        "participants": participants,
        "crisis_cell": _flag(crisis_cell),
        "objectives": objectives,
        "observations": observations.strip(),
    }


def _save_exercise(
    scope: EstablishmentScope, layout: Layout, form: dict[str, Any], save: Callable[[ExerciseIn], int]
) -> tuple[int | None, dict[str, str]]:
    values = {**form, "participants": _lines(form["participants"]), "objectives": _lines(form["objectives"])}
    data, errors = _check(ExerciseIn, values, layout)
    if data is None:
        return None, errors
    try:
        return save(data), {}
    except NotFoundError:
        return None, {"scenario_id": layout._(UNKNOWN_SCENARIO)}


@router.post(BASE + "/exercises")
def create_exercise_page(
    scope: WriteScope,
    layout: PageLayout,
    title: Line = "",
    kind: Short = "",
    held_on: Short = "",
    scenario_id: Short = "",
    participants: Long = "",
    crisis_cell: Flag = "",
    objectives: Long = "",
    observations: Long = "",
) -> Response:
    form = _exercise_input(
        title, kind, held_on, scenario_id, participants, crisis_cell, objectives, observations
    )

    def save(data: ExerciseIn) -> int:
        row = service.create_exercise(scope.db, scope.id, data)
        written(scope, "exercise.create", "continuity_exercise", row.id)
        return row.id

    created, errors = _save_exercise(scope, layout, form, save)
    if created is None:
        return _refused(
            layout, "continuity/exercises.html", exercises_context(scope, layout, form=form, errors=errors)
        )
    return _back(scope, f"/exercises/{created}")


@router.get(BASE + "/exercises/{exercise_id}/edit")
def edit_exercise_page(scope: WriteScope, layout: PageLayout, exercise_id: int) -> HTMLResponse:
    row = service.get_exercise(scope.db, scope.id, exercise_id)
    context = exercise_form_context(scope, layout, title=row.title, exercise=row, form=exercise_values(row))
    return layout.render("continuity/exercise_form.html", context)


@router.post(BASE + "/exercises/{exercise_id}")
def update_exercise_page(
    scope: WriteScope,
    layout: PageLayout,
    exercise_id: int,
    title: Line = "",
    kind: Short = "",
    held_on: Short = "",
    scenario_id: Short = "",
    participants: Long = "",
    crisis_cell: Flag = "",
    objectives: Long = "",
    observations: Long = "",
) -> Response:
    row = service.get_exercise(scope.db, scope.id, exercise_id)
    form = _exercise_input(
        title, kind, held_on, scenario_id, participants, crisis_cell, objectives, observations
    )

    def save(data: ExerciseIn) -> int:
        service.update_exercise(scope.db, scope.id, exercise_id, data)
        written(scope, "exercise.update", "continuity_exercise", exercise_id)
        return exercise_id

    saved, errors = _save_exercise(scope, layout, form, save)
    if saved is None:
        context = exercise_form_context(
            scope, layout, title=row.title, exercise=row, form=form, errors=errors
        )
        return _refused(layout, "continuity/exercise_form.html", context)
    return _back(scope, f"/exercises/{exercise_id}")


@router.post(BASE + "/exercises/{exercise_id}/delete")
def delete_exercise_page(scope: WriteScope, exercise_id: int) -> Response:
    title = service.get_exercise(scope.db, scope.id, exercise_id).title
    service.delete_exercise(scope.db, scope.id, exercise_id)
    written(scope, "exercise.delete", "continuity_exercise", exercise_id, title=title)
    return _back(scope, "/exercises")


@router.post(BASE + "/exercises/{exercise_id}/lessons")
def add_lesson_page(
    scope: WriteScope, layout: PageLayout, exercise_id: int, text: Line = "", control_id: Short = ""
) -> Response:
    """A lesson learned (optionally tied to a measure of the library); it can then become an action."""
    service.get_exercise(scope.db, scope.id, exercise_id)
    values = {"text": text, "control_id": control_id.strip()}
    data, errors = _check(LessonIn, values, layout)
    if data is not None:
        try:
            row = service.add_lesson(scope.db, scope.id, exercise_id, data, get_library())
        except ValidationError:
            errors = {"control_id": layout._(UNKNOWN_CONTROL)}
        else:
            written(scope, "lesson.create", "continuity_lesson", row.id)
            return _back(scope, f"/exercises/{exercise_id}#lessons")
    context = exercise_context(scope, layout, exercise_id, lesson_form=values, lesson_errors=errors)
    return _refused(layout, "continuity/exercise.html", context)


@router.post(BASE + "/lessons/{lesson_id}/delete")
def delete_lesson_page(scope: WriteScope, lesson_id: int) -> Response:
    lesson = service.delete_lesson(scope.db, scope.id, lesson_id)
    written(scope, "lesson.delete", "continuity_lesson", lesson_id)
    return _back(scope, f"/exercises/{lesson.exercise_id}#lessons")
