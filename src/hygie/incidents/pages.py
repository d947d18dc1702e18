"""Web pages of the incidents: the list (with each case's most urgent clock) and the form to open one;
the incident page with its clocks counting down (overdue ones at the top, in red), the drafts to
download, and the forms of the crisis cell: facts, timeline, indicators, tasks, evidence, reports
sent, closing review and its conclusions.

Plain forms that post and redirect back (no script needed); ``/static/incidents.js`` only makes the
remaining times tick between two loads. Callers without the write permission see no form, and their
POSTs are refused by the write scope. Writes go through the API's helpers (same audit entries).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import pydantic
from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from hygie.core.errors import ContentError, ValidationError
from hygie.core.i18n import N_
from hygie.core.time import utcnow
from hygie.incidents import service
from hygie.incidents.api import (
    add_conclusion,
    author,
    draft_response,
    export_response,
    import_upload,
    open_incident,
    record,
    upload_evidence,
)
from hygie.incidents.clocks import DEFAULT_HOURS, PARIS, TITLE, ClockStatus, most_urgent
from hygie.incidents.models import (
    Answer,
    CareService,
    Case,
    CaseStatus,
    Category,
    ClockKind,
    EntryKind,
    IndicatorKind,
    Severity,
)
from hygie.incidents.schemas import (
    CaseIn,
    CaseUpdate,
    ConclusionIn,
    EntryIn,
    IndicatorIn,
    ReviewIn,
    SentIn,
    TaskIn,
)
from hygie.incidents.sharing_bridge import ExportFormat
from hygie.incidents.views import clock_out, label, local_text, remaining_text
from hygie.org import audit
from hygie.org.access import Action
from hygie.web.deps import EstablishmentScope, ExportScope, ReadScope, WriteScope
from hygie.web.layout import Layout, PageLayout
from hygie.web.registry import NavItem

router = APIRouter(include_in_schema=False)
NAV = (NavItem(N_("Incidents"), "/incidents", order=45),)
Text = Annotated[str, Form(max_length=20_000)]
Line = Annotated[str, Form(max_length=300)]
Short = Annotated[str, Form(max_length=40)]
FACT_FIELDS = ("significant", "malicious", "cross_border", "patient_data", "high_risk_to_persons")
FACT_LABELS = {
    "significant": N_("Significant incident (NIS2, L.1111-8-2)"),
    "malicious": N_("Suspected malicious"),
    "cross_border": N_("Cross-border impact"),
    "patient_data": N_("Patient data concerned"),
    "high_risk_to_persons": N_("High risk to the persons"),
}


def parse_local(text: str) -> datetime | None:
    """A form's date and time (``datetime-local``: Paris time); empty: None."""
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{text[:40]!r} is not a date and time (YYYY-MM-DDTHH:MM)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=PARIS)
    return moment.astimezone(UTC)


def _input_value(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")


def _options(values: Any, layout: Layout) -> list[tuple[str, str]]:
    return [(v.value, label(v, layout.lang)) for v in values]


def _vocabularies(layout: Layout) -> dict[str, Any]:
    return {
        "categories": _options(Category, layout),
        "severities": _options(Severity, layout),
        "services": _options(CareService, layout),
        "answers": _options(Answer, layout),
        "entry_kinds": _options(EntryKind, layout),
        "indicator_kinds": _options(IndicatorKind, layout),
        "statuses": _options([CaseStatus.OPEN, CaseStatus.CONTAINED], layout),
    }


def _message(exc: Exception) -> str:
    if isinstance(exc, pydantic.ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" if e["loc"] else e["msg"]
            for e in exc.errors()
        )
    return str(exc)


# --- The list ----------------------------------------------------------------------------------


def _list_context(scope: EstablishmentScope, layout: Layout) -> dict[str, Any]:
    now = utcnow()
    rows = []
    for case in service.list_cases(scope.db, scope.id):
        clocks = service.case_clocks(scope.db, case, now)
        urgent = most_urgent(clocks)
        rows.append(
            {
                "case": case,
                "urgent": urgent,
                "urgent_title": layout._(urgent.title) if urgent else "",
                "urgent_left": remaining_text(urgent.remaining(now), layout.lang) if urgent else "",
                "overdue": sum(1 for c in clocks if c.status == ClockStatus.OVERDUE),
            }
        )
    overrides = service.deadline_overrides(scope.db, scope.id)
    delays = [
        {
            "kind": kind.value,
            "title": layout._(TITLE[kind]),
            "default": DEFAULT_HOURS[kind],
            "hours": overrides[kind].hours if kind in overrides else None,
            "note": overrides[kind].note if kind in overrides else "",
        }
        for kind in DEFAULT_HOURS
    ]
    return {
        "title": layout._("Incidents"),
        "error": None,
        "delays": delays,
        "rows": rows,
        "can_write": scope.principal.may(scope.id, Action.WRITE),
        "now_value": _input_value(now),
        "label": lambda v: label(v, layout.lang),
        "when": lambda v: local_text(v, layout.lang),
        **_vocabularies(layout),
    }


@router.get("/e/{establishment_id}/incidents")
def incidents_page(scope: ReadScope, layout: PageLayout) -> HTMLResponse:
    return layout.render("incidents/incidents.html", _list_context(scope, layout))


@router.post("/e/{establishment_id}/incidents")
def open_page(
    scope: WriteScope,
    layout: PageLayout,
    title: Line = "",
    category: Short = "",
    severity: Short = "",
    detected_at: Short = "",
    aware_at: Short = "",
    description: Text = "",
    care_services: Annotated[list[str] | None, Form()] = None,
) -> Response:
    try:
        data = CaseIn.model_validate(
            {
                "title": title.strip(),
                "category": category,
                "severity": severity,
                "detected_at": parse_local(detected_at) or utcnow(),
                "aware_at": parse_local(aware_at),
                "description": description,
                "care_services": care_services or [],
            }
        )
        case = open_incident(scope, data)
    except (ValidationError, pydantic.ValidationError) as exc:
        context = _list_context(scope, layout) | {"error": _message(exc)}
        return layout.render("incidents/incidents.html", context, status_code=422)
    return RedirectResponse(f"/e/{scope.id}/incidents/{case.id}", status_code=303)


@router.post("/e/{establishment_id}/incidents/deadlines")
def deadline_page(
    scope: WriteScope, layout: PageLayout, clock: Short = "", hours: Short = "", note: Line = ""
) -> Response:
    """The establishment's own delay for a clock the texts leave open; empty hours: the default."""
    try:
        kind = ClockKind(clock)
        value = int(hours) if hours.strip() else None
        service.set_deadline(scope.db, scope.id, kind, value, note)
    except (ValueError, ValidationError) as exc:
        context = _list_context(scope, layout) | {"error": _message(exc)}
        return layout.render("incidents/incidents.html", context, status_code=422)
    audit.record_for(
        scope.db,
        scope.principal,
        action="incident.deadline",
        object_type="establishment",
        object_id=scope.id,
        establishment_id=scope.id,
        details={"clock": kind.value, "hours": value},
    )
    return RedirectResponse(f"/e/{scope.id}/incidents#delays", status_code=303)


# --- One incident ------------------------------------------------------------------------------


def _case_context(scope: EstablishmentScope, layout: Layout, case: Case) -> dict[str, Any]:
    now = utcnow()
    clocks = [clock_out(c, layout.lang, now) for c in service.case_clocks(scope.db, case, now)]
    shown = [c for c in clocks if c.status != ClockStatus.NOT_APPLICABLE]
    order = {ClockStatus.OVERDUE: 0, ClockStatus.SOON: 1, ClockStatus.DUE: 2, ClockStatus.REQUESTABLE: 3}
    shown.sort(key=lambda c: (order.get(c.status, 4), c.deadline or now))
    return {
        "title": layout._("Incident %(number)s") % {"number": case.id} + " — " + case.title,
        "case": case,
        "error": None,
        "imported": None,
        "share_formats": [("stix", "STIX 2.1"), ("misp", "MISP"), ("iris", "DFIR-IRIS")],
        "clocks": shown,
        # The countdown script's words, raw patterns (the msgids are views.remaining_text's).
        "countdown": {
            "left": layout._("%(span)s left"),
            "late": layout._("overdue by %(span)s"),
            "days": layout._("%(days)d d %(hours)d h"),
            "hours": layout._("%(hours)d h %(minutes)02d min"),
        },
        "not_applicable": [c for c in clocks if c.status == ClockStatus.NOT_APPLICABLE],
        "overdue": [c for c in clocks if c.status == ClockStatus.OVERDUE],
        "left": {
            c.kind: remaining_text(c.deadline - now, layout.lang) for c in shown if c.deadline is not None
        },
        "can_write": scope.principal.may(scope.id, Action.WRITE) and case.status != CaseStatus.CLOSED,
        "can_review": scope.principal.may(scope.id, Action.WRITE),
        "can_export": scope.principal.may(scope.id, Action.EXPORT),
        "base": f"/e/{scope.id}/incidents/{case.id}",
        "facts": [(name, layout._(FACT_LABELS[name]), getattr(case, name)) for name in FACT_FIELDS],
        "now_value": _input_value(now),
        "label": lambda v: label(v, layout.lang),
        "when": lambda v: local_text(v, layout.lang),
        **_vocabularies(layout),
    }


@router.get("/e/{establishment_id}/incidents/{incident_id}")
def incident_page(scope: ReadScope, layout: PageLayout, incident_id: int) -> HTMLResponse:
    case = service.get_case(scope.db, scope.id, incident_id)
    return layout.render("incidents/incident.html", _case_context(scope, layout, case))


def _write(
    scope: EstablishmentScope, layout: Layout, incident_id: int, anchor: str, work: Callable[[Case], object]
) -> Response:
    """Runs ``work`` on the case; back to the page at ``anchor``, or the page with the error (422)."""
    case = service.get_case(scope.db, scope.id, incident_id)
    try:
        work(case)
    except (ValidationError, pydantic.ValidationError) as exc:
        scope.db.rollback()
        case = service.get_case(scope.db, scope.id, incident_id)
        context = _case_context(scope, layout, case) | {"error": _message(exc)}
        return layout.render("incidents/incident.html", context, status_code=422)
    return RedirectResponse(f"/e/{scope.id}/incidents/{incident_id}#{anchor}", status_code=303)


@router.post("/e/{establishment_id}/incidents/{incident_id}/facts")
def facts_page(
    scope: WriteScope,
    layout: PageLayout,
    incident_id: int,
    status: Short = "",
    severity: Short = "",
    significant: Short = "",
    malicious: Short = "",
    cross_border: Short = "",
    patient_data: Short = "",
    high_risk_to_persons: Short = "",
    persons_affected: Short = "",
    care_impact: Text = "",
    measures: Text = "",
    root_cause: Text = "",
    care_services: Annotated[list[str] | None, Form()] = None,
) -> Response:
    def work(case: Case) -> None:
        values: dict[str, Any] = {
            "status": status or None,
            "severity": severity or None,
            "significant": significant or None,
            "malicious": malicious or None,
            "cross_border": cross_border or None,
            "patient_data": patient_data or None,
            "high_risk_to_persons": high_risk_to_persons or None,
            "care_impact": care_impact,
            "measures": measures,
            "root_cause": root_cause,
            "care_services": care_services or [],
            "persons_affected": persons_affected.strip() or None,
        }
        changes = CaseUpdate.model_validate({k: v for k, v in values.items() if v is not None})
        if not persons_affected.strip():
            changes.persons_affected = None
        changed = service.update_case(scope.db, case, changes, author(scope))
        if changed:
            record(scope, case, "incident.update", fields=changed)

    return _write(scope, layout, incident_id, "facts", work)


@router.post("/e/{establishment_id}/incidents/{incident_id}/timeline")
def timeline_page(
    scope: WriteScope,
    layout: PageLayout,
    incident_id: int,
    text: Text = "",
    kind: Short = "note",
    at: Short = "",
) -> Response:
    def work(case: Case) -> None:
        entry = service.add_entry(
            scope.db,
            case,
            EntryIn.model_validate({"text": text, "kind": kind, "at": parse_local(at)}),
            author(scope),
        )
        record(scope, case, "incident.timeline", kind=entry.kind.value)

    return _write(scope, layout, incident_id, "timeline", work)


@router.post("/e/{establishment_id}/incidents/{incident_id}/indicators")
def indicator_page(
    scope: WriteScope,
    layout: PageLayout,
    incident_id: int,
    value: Text = "",
    kind: Short = "",
    comment: Line = "",
) -> Response:
    def work(case: Case) -> None:
        data = IndicatorIn.model_validate({"value": value, "kind": kind or None, "comment": comment})
        indicator = service.add_indicator(scope.db, case, data, author(scope))
        record(scope, case, "incident.indicator", kind=indicator.kind.value)

    return _write(scope, layout, incident_id, "indicators", work)


@router.post("/e/{establishment_id}/incidents/{incident_id}/tasks")
def task_page(
    scope: WriteScope,
    layout: PageLayout,
    incident_id: int,
    title: Line = "",
    owner: Line = "",
    due_at: Short = "",
) -> Response:
    def work(case: Case) -> None:
        data = TaskIn.model_validate({"title": title, "owner": owner, "due_at": parse_local(due_at)})
        task = service.add_task(scope.db, case, data)
        record(scope, case, "incident.task", title=task.title)

    return _write(scope, layout, incident_id, "tasks", work)


@router.post("/e/{establishment_id}/incidents/{incident_id}/tasks/{task_id}/done")
def task_done_page(scope: WriteScope, layout: PageLayout, incident_id: int, task_id: int) -> Response:
    def work(case: Case) -> None:
        service.set_task_done(scope.db, case, task_id, True, author(scope))
        record(scope, case, "incident.task_done", task=task_id, done=True)

    return _write(scope, layout, incident_id, "tasks", work)


@router.post("/e/{establishment_id}/incidents/{incident_id}/evidence")
def evidence_page(
    scope: WriteScope, layout: PageLayout, incident_id: int, file: Annotated[UploadFile, File()]
) -> Response:
    return _write(scope, layout, incident_id, "evidence", lambda case: upload_evidence(scope, case, file))


@router.get("/e/{establishment_id}/incidents/{incident_id}/share")
def share_download(
    scope: ExportScope,
    incident_id: int,
    fmt: Annotated[ExportFormat, Query(alias="format")] = ExportFormat.STIX,
) -> Response:
    """The "Share" links: the case as a STIX 2.1, MISP or DFIR-IRIS file."""
    return export_response(scope, service.get_case(scope.db, scope.id, incident_id), fmt)


@router.post("/e/{establishment_id}/incidents/{incident_id}/indicators/import")
def indicators_import_page(
    scope: WriteScope, layout: PageLayout, incident_id: int, file: Annotated[UploadFile, File()]
) -> Response:
    """Adds the indicators of an uploaded STIX bundle or MISP event; the page says what was done."""
    case = service.get_case(scope.db, scope.id, incident_id)
    try:
        result = import_upload(scope, case, file)
    except (ValidationError, ContentError) as exc:
        scope.db.rollback()
        case = service.get_case(scope.db, scope.id, incident_id)
        context = _case_context(scope, layout, case) | {"error": str(exc)}
        return layout.render("incidents/incident.html", context, status_code=422)
    context = _case_context(scope, layout, case) | {"imported": result.out()}
    return layout.render("incidents/incident.html", context)


@router.get("/e/{establishment_id}/incidents/{incident_id}/evidence/{file_id}")
def evidence_download(scope: ExportScope, incident_id: int, file_id: int) -> FileResponse:
    case = service.get_case(scope.db, scope.id, incident_id)
    evidence, path = service.get_evidence(case, file_id)
    record(scope, case, "incident.evidence_download", file=evidence.id)
    return FileResponse(path, filename=evidence.name, media_type="application/octet-stream")


@router.post("/e/{establishment_id}/incidents/{incident_id}/clocks/{clock}/sent")
def sent_page(
    scope: WriteScope,
    layout: PageLayout,
    incident_id: int,
    clock: ClockKind,
    sent_at: Short = "",
    reference: Line = "",
) -> Response:
    def work(case: Case) -> None:
        data = SentIn.model_validate({"sent_at": parse_local(sent_at), "reference": reference})
        service.mark_sent(scope.db, case, clock, data, author(scope))
        record(scope, case, "incident.report_sent", clock=clock.value, reference=data.reference)

    return _write(scope, layout, incident_id, "clocks", work)


@router.get("/e/{establishment_id}/incidents/{incident_id}/clocks/{clock}/draft")
def draft_page(
    scope: ExportScope,
    layout: PageLayout,
    incident_id: int,
    clock: ClockKind,
    format: str = "txt",
) -> Response:
    case = service.get_case(scope.db, scope.id, incident_id)
    return draft_response(scope, case, clock, "pdf" if format == "pdf" else "txt", layout.lang)


@router.post("/e/{establishment_id}/incidents/{incident_id}/review")
def review_page(
    scope: WriteScope,
    layout: PageLayout,
    incident_id: int,
    what_happened: Text = "",
    what_worked: Text = "",
    what_failed: Text = "",
) -> Response:
    def work(case: Case) -> None:
        data = ReviewIn(what_happened=what_happened, what_worked=what_worked, what_failed=what_failed)
        service.set_review(scope.db, case, data)
        record(scope, case, "incident.review")

    return _write(scope, layout, incident_id, "review", work)


@router.post("/e/{establishment_id}/incidents/{incident_id}/conclusions")
def conclusion_page(
    scope: WriteScope,
    layout: PageLayout,
    incident_id: int,
    text: Text = "",
    controls: Line = "",
    owner: Line = "",
    due_date: Short = "",
) -> Response:
    def work(case: Case) -> None:
        data = ConclusionIn.model_validate(
            {
                "text": text,
                "control_ids": [c.strip() for c in controls.replace(";", ",").split(",") if c.strip()],
                "owner": owner.strip() or None,
                "due_date": due_date.strip() or None,
            }
        )
        add_conclusion(scope, case, data)

    return _write(scope, layout, incident_id, "review", work)


@router.post("/e/{establishment_id}/incidents/{incident_id}/close")
def close_page(scope: WriteScope, layout: PageLayout, incident_id: int) -> Response:
    def work(case: Case) -> None:
        service.close_case(scope.db, case, author(scope))
        record(scope, case, "incident.close")

    return _write(scope, layout, incident_id, "review", work)


__all__ = ["NAV", "router"]
