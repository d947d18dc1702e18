"""Web pages of the action plan: the weaknesses, the plan as a list and as a board by status, the
roadmap by quarter, the budget indicator and the optimisation with its "adopt" button.

Everything here is read from the same functions as the API (``hygie.plan.api``). Moving a card is a
plain form (select + button) that htmx, when present, sends in the background to swap the board in
place. Each action has its page (what it does, costs and addresses, where it stands) with a form to
change its status, owner, due date and notes, saved by the API's own ``edit_action``; with htmx the
form is swapped in place (``/static/plan.js`` lets a 422 show its errors). Callers without the write
permission (management, auditors) see no form, and their POSTs are refused by the write scope.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hygie.core.errors import NotFoundError, ValidationError
from hygie.core.i18n import N_
from hygie.core.time import today
from hygie.org.access import Action
from hygie.plan import service
from hygie.plan.api import (
    ActionPatch,
    OptimiseIn,
    by_quarter,
    candidates_of,
    edit_action,
    filtered_actions,
    library,
    move_action,
    refreshed_findings,
    run_optimisation,
)
from hygie.plan.catalogue import default_actions
from hygie.plan.models import ActionStatus, FindingSource, FindingStatus, PlanAction, Severity
from hygie.plan.schemas import CostBasis, OwnerRole
from hygie.plan.service import ActionEditError
from hygie.reports.charts import budget_gauge
from hygie.reports.vocabulary import label
from hygie.web.deps import EstablishmentScope, ReadScope, WriteScope
from hygie.web.forms import enum_choice, optional_number
from hygie.web.layout import Layout, PageLayout
from hygie.web.registry import NavItem

router = APIRouter(include_in_schema=False)
NAV = (
    NavItem(N_("Weaknesses"), "/findings", order=30),
    NavItem(N_("Action plan"), "/plan", order=40),
)
BOARD_COLUMNS = (ActionStatus.TODO, ActionStatus.IN_PROGRESS, ActionStatus.DONE, ActionStatus.CANCELLED)
FINDING_SOURCE_LABELS = {
    FindingSource.ASSESSMENT: N_("Assessment"),
    FindingSource.VULNERABILITY: N_("Vulnerabilities"),
    FindingSource.NETWORK: N_("Network"),
    FindingSource.DETECTION: N_("Detection"),
    FindingSource.CONTINUITY: N_("Continuity of care"),
    FindingSource.AWARENESS: N_("Awareness"),
    FindingSource.INCIDENT: N_("Incidents"),
    FindingSource.EVIDENCE: N_("Evidence"),
}
FINDING_STATUS_LABELS = {
    FindingStatus.OPEN: N_("Open"),
    FindingStatus.RESOLVED: N_("Resolved"),
    FindingStatus.ACCEPTED: N_("Risk accepted"),
}
OptionalField = Annotated[str, Query(max_length=40)]


def _owner(owner: str, layout: Layout) -> str:
    try:
        return label(OwnerRole(owner), layout.lang)
    except ValueError:  # a name given at adoption rather than a role
        return owner


def _cards(actions: list[PlanAction], layout: Layout) -> list[dict[str, Any]]:
    """The actions with what a card shows: the title in the reader's language, the owner's word."""
    templates = default_actions().by_id()
    cards = []
    for action in actions:
        template = templates.get(action.template_id)
        cards.append(
            {
                "action": action,
                "title": template.title.get(layout.lang) if template else action.title,
                "owner": _owner(action.owner, layout),
            }
        )
    return cards


def _board_context(scope: EstablishmentScope, layout: Layout) -> dict[str, Any]:
    actions = service.list_actions(scope.db, scope.id, include_cancelled=True)
    cards = _cards(actions, layout)
    return {
        "columns": [(status, [c for c in cards if c["action"].status == status]) for status in BOARD_COLUMNS],
        "statuses": BOARD_COLUMNS,
        "has_actions": bool(actions),
        "can_write": scope.principal.may(scope.id, Action.WRITE),
    }


def _budget(scope: EstablishmentScope, layout: Layout) -> dict[str, Any]:
    position = service.budget_position(scope.db, scope.id)
    gauge = budget_gauge(
        None if position.share is None else 100 * position.share,
        100 * position.reference_min,
        100 * position.reference_max,
        lang=layout.lang,
    )
    return {"position": position, "gauge": gauge}


@router.get("/e/{establishment_id}/findings")
def findings_page(
    scope: ReadScope,
    layout: PageLayout,
    source: OptionalField = "",
    severity: OptionalField = "",
    status: OptionalField = "open",
) -> HTMLResponse:
    chosen_source = enum_choice(FindingSource, source, "source")
    chosen_severity = enum_choice(Severity, severity, "severity")
    chosen_status = enum_choice(FindingStatus, status, "status")
    rows = refreshed_findings(scope, chosen_source, chosen_severity, chosen_status)
    return layout.render(
        "plan/findings.html",
        {
            "title": layout._("Weaknesses"),
            "findings": rows,
            "filters": {"source": source, "severity": severity, "status": status},
            "sources": [(s.value, layout._(m)) for s, m in FINDING_SOURCE_LABELS.items()],
            "severities": [(s.value, label(s, layout.lang)) for s in Severity],
            "finding_statuses": [(s.value, layout._(m)) for s, m in FINDING_STATUS_LABELS.items()],
            "source_labels": {s.value: layout._(m) for s, m in FINDING_SOURCE_LABELS.items()},
        },
    )


@router.get("/e/{establishment_id}/plan")
def plan_page(
    scope: ReadScope,
    layout: PageLayout,
    view: Annotated[str, Query(pattern="^(board|list)$")] = "board",
    status: OptionalField = "",
    quarter: OptionalField = "",
    owner: OptionalField = "",
) -> HTMLResponse:
    context: dict[str, Any] = {
        "title": layout._("Action plan"),
        "view": view,
        "adopted": layout.request.query_params.get("adopted") == "1",
        **_board_context(scope, layout),
        **_budget(scope, layout),
    }
    if view == "list":
        rows = filtered_actions(
            scope, enum_choice(ActionStatus, status, "status"), quarter.strip() or None, owner.strip() or None
        )
        all_actions = service.list_actions(scope.db, scope.id, include_cancelled=True)
        context.update(
            {
                "rows": _cards(rows, layout),
                "filters": {"status": status, "quarter": quarter, "owner": owner},
                "quarters": sorted({a.quarter for a in all_actions}),
                "owners": sorted({(a.owner, _owner(a.owner, layout)) for a in all_actions}),
            }
        )
    return layout.render("plan/plan.html", context)


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


@router.post("/e/{establishment_id}/plan/actions/{action_id}/status")
def move_card(
    scope: WriteScope,
    layout: PageLayout,
    action_id: int,
    status: Annotated[str, Form(max_length=20)],
    view: Annotated[str, Form(pattern="^(board|list)$")] = "board",
) -> Response:
    chosen = enum_choice(ActionStatus, status, "status")
    if chosen is None:
        raise ValidationError("status: a status is required")
    move_action(scope, action_id, chosen)
    if _is_htmx(layout.request) and view == "board":
        return layout.render("plan/_board.html", _board_context(scope, layout))
    return RedirectResponse(f"/e/{scope.id}/plan?view={view}", status_code=303)


@router.get("/e/{establishment_id}/plan/roadmap")
def roadmap_page(scope: ReadScope, layout: PageLayout) -> HTMLResponse:
    quarters = by_quarter(service.list_actions(scope.db, scope.id))
    titles = {c["action"].id: c for c in _cards(service.list_actions(scope.db, scope.id), layout)}
    return layout.render(
        "plan/roadmap.html",
        {
            "title": layout._("Roadmap"),
            "quarters": quarters,
            "cards": titles,
            "total_cost": sum(q.cost for q in quarters),
            "total_days": sum(q.effort_days for q in quarters),
        },
    )


@router.get("/e/{establishment_id}/plan/optimise")
def optimise_page(
    scope: ReadScope,
    layout: PageLayout,
    budget: OptionalField = "",
    days: OptionalField = "",
    cost_basis: OptionalField = "mid",
) -> HTMLResponse:
    basis = enum_choice(CostBasis, cost_basis, "cost_basis") or CostBasis.MID
    amount = optional_number(budget, "budget")
    staff = optional_number(days, "days")
    context: dict[str, Any] = {
        "title": layout._("Best plan for a budget"),
        # The establishment's security budget is the first amount worth trying.
        "form": {
            "budget": budget or str(scope.establishment.security_budget or ""),
            "days": days,
            "cost_basis": basis.value,
        },
        "bases": [(b.value, layout._(m)) for b, m in _BASIS_LABELS.items()],
        "can_write": scope.principal.may(scope.id, Action.WRITE),
        "outcome": None,
        "no_assessment": False,
        "quick_wins": [],
        "index_now": None,
    }
    try:
        candidates = candidates_of(scope, basis)
    except NotFoundError:
        context["no_assessment"] = True
        return layout.render("plan/optimise.html", context)
    context["index_now"] = candidates.index
    context["quick_wins"] = [
        c.template.title.get(layout.lang) for c in candidates.candidates if c.priority.quick_win
    ][:5]
    if amount is not None:
        data = OptimiseIn(budget=int(amount), days=staff, cost_basis=basis)
        context["outcome"] = run_optimisation(scope, data)
    return layout.render("plan/optimise.html", context)


_BASIS_LABELS = {
    CostBasis.LOW: N_("Low estimate"),
    CostBasis.MID: N_("Middle estimate"),
    CostBasis.HIGH: N_("High estimate"),
}


@router.post("/e/{establishment_id}/plan/adopt")
def adopt(
    scope: WriteScope,
    budget: Annotated[str, Form(max_length=40)],
    days: Annotated[str, Form(max_length=40)] = "",
    cost_basis: Annotated[str, Form(max_length=10)] = "mid",
) -> Response:
    """Recomputes the plan shown (same inputs, same optimum) and makes it the establishment's."""
    amount = optional_number(budget, "budget")
    if amount is None:
        raise ValidationError("budget: a budget is required")
    basis = enum_choice(CostBasis, cost_basis, "cost_basis") or CostBasis.MID
    data = OptimiseIn(budget=int(amount), days=optional_number(days, "days"), cost_basis=basis, adopt=True)
    run_optimisation(scope, data)
    return RedirectResponse(f"/e/{scope.id}/plan?adopted=1", status_code=303)


# --- One action ---------------------------------------------------------------------------------

ACTIVE = (ActionStatus.TODO, ActionStatus.IN_PROGRESS)
STATUS_REQUIRED = N_("Choose a status.")
DUE_REQUIRED = N_("Give a due date.")
DUE_MALFORMED = N_("Give the date as YYYY-MM-DD (or DD/MM/YYYY).")


def _owner_value(text: str) -> str:
    """What the owner field means: a role when it names one (its id or its word in any language,
    as the form shows it), else the name as typed."""
    text = text.strip()
    for role in OwnerRole:
        if text.casefold() in {role.value, label(role, "fr").casefold(), label(role, "en").casefold()}:
            return role.value
    return text


def _due_date(text: str) -> date:
    """The form's date: ISO (what a date field sends) or the French way of writing it."""
    text = text.strip()
    if not text:
        raise ValueError(DUE_REQUIRED)
    for form in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, form).date()  # noqa: DTZ007 -- a calendar day, no time
        except ValueError:
            continue
    raise ValueError(DUE_MALFORMED)


def _action_context(
    scope: EstablishmentScope,
    layout: Layout,
    action: PlanAction,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    saved: bool = False,
) -> dict[str, Any]:
    """The action with what it does, costs and addresses, and its form (as sent, when refused)."""
    templates = default_actions().by_id()
    template = templates.get(action.template_id)
    lib = library()
    raises = template.raises if template else {}
    controls = [
        (c, lib.controls[c].title.get(layout.lang) if c in lib.controls else c, gain)
        for c, gain in raises.items()
    ]
    findings = [
        f for f in refreshed_findings(scope, status=FindingStatus.OPEN) if set(f.control_ids) & set(raises)
    ]
    plan = {a.template_id: a for a in service.list_actions(scope.db, scope.id, include_cancelled=True)}
    prerequisites = [
        (templates[p].title.get(layout.lang) if p in templates else p, plan.get(p))
        for p in (template.prerequisites if template else [])
    ]
    owner = _owner(action.owner, layout)
    if form is None:
        form = {
            "status": action.status.value,
            "owner": owner,
            "due_date": action.due_date.isoformat(),
            "notes": action.notes or "",
        }
    return {
        "title": template.title.get(layout.lang) if template else action.title,
        "action": action,
        "template": template,
        "description": template.description.get(layout.lang) if template else None,
        "owner": owner,
        "overdue": action.status in ACTIVE and action.due_date < today(),
        "controls": controls,
        "findings": findings,
        "prerequisites": prerequisites,
        "source_labels": {s.value: layout._(m) for s, m in FINDING_SOURCE_LABELS.items()},
        "statuses": BOARD_COLUMNS,
        "roles": [label(r, layout.lang) for r in OwnerRole],
        "form": form,
        "errors": {name: layout._(message) for name, message in (errors or {}).items()},
        "saved": saved,
        "url": f"/e/{scope.id}/plan/actions/{action.id}",
        "can_write": scope.principal.may(scope.id, Action.WRITE),
    }


@router.get("/e/{establishment_id}/plan/actions/{action_id}")
def action_page(
    scope: ReadScope,
    layout: PageLayout,
    action_id: int,
    saved: Annotated[bool, Query()] = False,
) -> HTMLResponse:
    action = service.get_action(scope.db, scope.id, action_id)
    return layout.render("plan/action.html", _action_context(scope, layout, action, saved=saved))


@router.post("/e/{establishment_id}/plan/actions/{action_id}")
def edit_action_page(
    scope: WriteScope,
    layout: PageLayout,
    action_id: int,
    status: Annotated[str, Form(max_length=20)] = "",
    owner: Annotated[str, Form(max_length=200)] = "",
    due_date: Annotated[str, Form(max_length=20)] = "",
    notes: Annotated[str, Form(max_length=8000)] = "",
) -> Response:
    """Saves the form through ``edit_action`` (as the API's PATCH); refused values come back inline."""
    action = service.get_action(scope.db, scope.id, action_id)
    sent = {"status": status, "owner": owner, "due_date": due_date, "notes": notes}
    owner_value = _owner_value(owner)
    unreadable: dict[str, str] = {}
    try:
        chosen = ActionStatus(status)
    except ValueError:
        chosen = None
        unreadable["status"] = STATUS_REQUIRED
    try:
        due: date | None = _due_date(due_date)
    except ValueError as exc:
        due = None
        unreadable["due_date"] = str(exc)
    if unreadable:  # the other fields checked as well, so that every problem shows at once
        errors = service.edit_problems(action, owner=owner_value, due_date=due, notes=notes) | unreadable
    else:
        try:
            data = ActionPatch(status=chosen, owner=owner_value, due_date=due, notes=notes)
            edit_action(scope, action_id, data)
            errors = {}
        except ActionEditError as exc:
            errors = exc.problems
    if errors:
        context = _action_context(scope, layout, action, form=sent, errors=errors)
        template = "plan/_action.html" if _is_htmx(layout.request) else "plan/action.html"
        return layout.render(template, context, status_code=422)
    if _is_htmx(layout.request):
        return layout.render("plan/_action.html", _action_context(scope, layout, action, saved=True))
    return RedirectResponse(f"/e/{scope.id}/plan/actions/{action_id}?saved=1", status_code=303)


__all__ = ["NAV", "router"]
