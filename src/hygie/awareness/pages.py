"""Web page of awareness: per department, training completion, click and report rates and their
change; the trend across campaigns (all departments, or the one chosen); the campaigns and the
sessions; the import of GoPhish's CSV export and of a training CSV for the roles that may write.

Read through ``hygie.awareness.service``; imports go through the API's helpers (same readers, same
audit entry). Charts are ``hygie.reports.charts``'s.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import pydantic
from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from hygie.awareness import service
from hygie.awareness.api import (
    MAX_WEB_IMPORT_BYTES,
    UploadTooLargeError,
    import_phishing_upload,
    import_trainings_upload,
    record_training,
    remove_training,
)
from hygie.awareness.labels import category_label, department_label, label
from hygie.awareness.models import StaffCategory, TrainingFormat
from hygie.awareness.schemas import TrainingIn, TrendPointOut
from hygie.core.errors import ContentError, ImportRejectedError, ValidationError
from hygie.core.i18n import N_
from hygie.core.time import today
from hygie.org.access import Action
from hygie.reports import charts
from hygie.web.deps import EstablishmentScope, ReadScope, WriteScope
from hygie.web.forms import field_errors
from hygie.web.layout import Layout, PageLayout
from hygie.web.registry import NavItem

router = APIRouter(include_in_schema=False)
NAV = (NavItem(N_("Awareness"), "/awareness", order=50),)
MAX_ROWS = 30  # campaigns and sessions shown (the API and the CLI list them all)


def _chart(points: list[TrendPointOut], step: str, title: str, lang: str) -> Markup | None:
    values = [(p.campaign, getattr(p, step)) for p in points if getattr(p, step) is not None]
    if not values:
        return None
    chart = charts.trend_chart(
        [charts.TrendPoint(name, value) for name, value in values], lang=lang, title=title
    )
    # The chart functions escape every text they draw: their output is safe markup.
    return Markup(chart)  # noqa: S704


def _context(
    scope: EstablishmentScope,
    layout: Layout,
    department: str = "",
    *,
    problems: list[dict[str, Any]] | None = None,
    done: str | None = None,
    training_form: dict[str, str] | None = None,
    training_errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    lang = layout.lang
    view = service.overview(scope.db, scope.id)
    chosen = next((d for d in view.departments if d.department == department and d.trend), None)
    points = chosen.trend if chosen else view.trend
    whose = department_label(chosen.department, lang) if chosen else layout._("All departments")
    trainings = service.list_trainings(scope.db, scope.id)
    return {
        "title": layout._("Awareness"),
        "view": view,
        "departments": [(d, department_label(d.department, lang)) for d in view.departments],
        "categories": [(c, category_label(c.group, lang)) for c in view.categories],
        "chosen": chosen.department if chosen else None,
        "whose": whose,
        "click_chart": _chart(points, "click_rate", layout._("Click rate across campaigns (%)"), lang),
        "report_chart": _chart(points, "report_rate", layout._("Report rate across campaigns (%)"), lang),
        "campaigns": [service.campaign_out(c) for c in service.list_campaigns(scope.db, scope.id)[:MAX_ROWS]],
        "trainings": [
            (t, label(t.format, lang), label(t.staff_category, lang)) for t in trainings[:MAX_ROWS]
        ],
        "more_trainings": max(0, len(trainings) - MAX_ROWS),
        "can_write": scope.principal.may(scope.id, Action.WRITE),
        "limit_mb": MAX_WEB_IMPORT_BYTES // (1024 * 1024),
        "problems": problems or [],
        "done": done,
        "training_form": training_form or {"held_on": today().isoformat()},
        "training_errors": training_errors or {},
        "formats": [(f.value, label(f, lang)) for f in TrainingFormat],
        "staff_categories": [(c.value, label(c, lang)) for c in StaffCategory],
    }


@router.get("/e/{establishment_id}/awareness")
def awareness_page(
    scope: ReadScope, layout: PageLayout, department: Annotated[str, Query(max_length=120)] = ""
) -> HTMLResponse:
    return layout.render("awareness/index.html", _context(scope, layout, department))


def _problems(exc: Exception) -> list[dict[str, Any]]:
    if isinstance(exc, ImportRejectedError):
        return [_problem(p) for p in exc.problems]
    if isinstance(exc, ContentError):
        return [_problem(exc)]
    return [{"line": None, "field": None, "message": str(exc)}]


def _problem(problem: ContentError) -> dict[str, Any]:
    where = problem.location
    return {
        "line": where.line if where else None,
        "field": where.field if where else None,
        "message": problem.message,
    }


def _refused(scope: EstablishmentScope, layout: Layout, exc: Exception) -> HTMLResponse:
    code = 413 if isinstance(exc, UploadTooLargeError) else 422
    return layout.render(
        "awareness/index.html", _context(scope, layout, problems=_problems(exc)), status_code=code
    )


def _no_file(scope: EstablishmentScope, layout: Layout) -> HTMLResponse:
    problems = [{"line": None, "field": None, "message": layout._("Choose a file to import.")}]
    return layout.render("awareness/index.html", _context(scope, layout, problems=problems), status_code=422)


@router.post("/e/{establishment_id}/awareness/phishing/import")
def phishing_import_submit(
    scope: WriteScope,
    layout: PageLayout,
    file: Annotated[UploadFile | None, File()] = None,
    name: Annotated[str, Form(max_length=200)] = "",
    launched_on: Annotated[str, Form(max_length=10)] = "",
    mapping: Annotated[UploadFile | None, File()] = None,
) -> HTMLResponse:
    """Imports GoPhish's CSV export and shows the page again; a refused file lists its problems."""
    if file is None or not file.filename:
        return _no_file(scope, layout)
    try:
        day = date.fromisoformat(launched_on) if launched_on.strip() else None
        out = import_phishing_upload(scope, file, name, day, mapping)
    except (ContentError, ImportRejectedError, ValidationError) as exc:
        return _refused(scope, layout, exc)
    except ValueError:
        return _refused(
            scope, layout, ValidationError(layout._("The launch date is not a date (YYYY-MM-DD)."))
        )
    done = layout._("Campaign imported: %(name)s (%(count)s recipients)") % {
        "name": out.name,
        "count": out.totals.recipients,
    }
    return layout.render("awareness/index.html", _context(scope, layout, done=done))


@router.post("/e/{establishment_id}/awareness/trainings/import")
def trainings_import_submit(
    scope: WriteScope, layout: PageLayout, file: Annotated[UploadFile | None, File()] = None
) -> HTMLResponse:
    """Imports a training CSV and shows the page again; a refused file lists its problems."""
    if file is None or not file.filename:
        return _no_file(scope, layout)
    try:
        report = import_trainings_upload(scope, file)
    except (ContentError, ImportRejectedError, ValidationError) as exc:
        return _refused(scope, layout, exc)
    done = layout._("Training sessions imported: %(count)s") % {"count": report.sessions}
    return layout.render("awareness/index.html", _context(scope, layout, done=done))


@router.post("/e/{establishment_id}/awareness/trainings")
def training_submit(
    scope: WriteScope,
    layout: PageLayout,
    held_on: Annotated[str, Form(max_length=20)] = "",
    topic: Annotated[str, Form(max_length=2000)] = "",
    format: Annotated[str, Form(max_length=40)] = "",
    department: Annotated[str, Form(max_length=2000)] = "",
    staff_category: Annotated[str, Form(max_length=40)] = "",
    invited: Annotated[str, Form(max_length=20)] = "",
    completed: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """One training session typed in the page; a refused value comes back next to its field."""
    form = {
        "held_on": held_on.strip(),
        "topic": topic,
        "format": format,
        "department": department,
        "staff_category": staff_category,
        "invited": invited.strip(),
        "completed": completed.strip(),
    }
    errors: dict[str, str] = {}
    try:
        data = TrainingIn.model_validate({k: v for k, v in form.items() if v.strip()})
    except pydantic.ValidationError as exc:
        errors = field_errors(exc, layout._)
        if "" in errors:  # the one rule on the whole session: completed within invited
            errors["completed"] = layout._("Cannot be more than the staff invited.")
            del errors[""]
        context = _context(scope, layout, training_form=form, training_errors=errors)
        return layout.render("awareness/index.html", context, status_code=422)
    record_training(scope, data)
    return RedirectResponse(f"/e/{scope.id}/awareness#trainings-title", status_code=303)


@router.post("/e/{establishment_id}/awareness/trainings/{training_id}/delete")
def training_delete(scope: WriteScope, training_id: int) -> Response:
    remove_training(scope, training_id)
    return RedirectResponse(f"/e/{scope.id}/awareness#trainings-title", status_code=303)
