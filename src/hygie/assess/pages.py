"""Web pages of the maturity assessment: the campaigns, the questionnaire, the scores.

The questionnaire is saved one control at a time with a plain form that redirects back to the
control's anchor; with htmx, the same form is posted in the background and only that control's
fragment is swapped (``assess/_control.html``; a 422 fragment carries the server's error, which
``/static/assess.js`` lets htmx swap in). Every write goes through the helpers of ``assess.api``:
the page and the API record, check and audit the same way. Callers without the permission see no
form, and their POSTs are refused by the scope.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import select
from sqlalchemy.orm import object_session

from hygie.assess import evidence, scoring, service
from hygie.assess.api import (
    AnswerBody,
    CampaignIn,
    UploadTooLargeError,
    add_link,
    campaign_detail,
    campaign_of,
    close_campaign,
    create_campaign,
    evidence_download,
    export_workbook,
    import_workbook,
    library,
    remove_evidence,
    save_answer,
    store_evidence,
)
from hygie.assess.evidence_rules import MeasuredLevel
from hygie.assess.models import Answer, Campaign, Evidence
from hygie.assess.schemas import AnswerStatus, CampaignPath, CampaignStatus, MeasuredOut
from hygie.core.errors import ContentError, ImportRejectedError, ValidationError
from hygie.core.i18n import N_
from hygie.frameworks.loader import Library
from hygie.frameworks.schema import Dimension
from hygie.org import accounts
from hygie.org.access import Action
from hygie.reports import charts
from hygie.reports.vocabulary import label
from hygie.web.deps import AssessScope, EstablishmentScope, ExportScope, ReadScope, WriteScope
from hygie.web.layout import Layout, PageLayout
from hygie.web.registry import NavItem

router = APIRouter(include_in_schema=False)
NAV = (NavItem(N_("Assessment"), "/assess", order=20),)

# The meaning of each level, shown beside its radio button.
SCALE = (
    (0, N_("Absent: nothing is in place")),
    (1, N_("Initial: done case by case, not documented")),
    (2, N_("Repeatable: done regularly, partly documented")),
    (3, N_("Defined: documented and applied across the establishment")),
    (4, N_("Managed: measured and checked")),
    (5, N_("Optimised: reviewed and improved continuously")),
)
STATUS_LABELS = {
    AnswerStatus.LEVEL: N_("Maturity level (0 to 5)"),
    AnswerStatus.ALTERNATIVE: N_("Alternative measure (justification required)"),
    AnswerStatus.NOT_APPLICABLE: N_("Not applicable (justification required)"),
    AnswerStatus.UNKNOWN: N_("Don't know"),
}
PATH_LABELS = {
    CampaignPath.SHORT: N_("Essential path (short, for small establishments)"),
    CampaignPath.FULL: N_("Full questionnaire"),
}
CAMPAIGN_STATUS_LABELS = {CampaignStatus.OPEN: N_("Open"), CampaignStatus.CLOSED: N_("Closed")}
EVIDENCE_ACCEPT = ".pdf,.png,.jpg,.jpeg,.txt,.csv,.xlsx,.docx,.odt"
Text = Annotated[str, Form(max_length=4000)]


def _permissions(scope: EstablishmentScope) -> dict[str, bool]:
    may = scope.principal.may
    return {
        "can_write": may(scope.id, Action.WRITE),
        "can_export": may(scope.id, Action.EXPORT),
        "can_assess": may(scope.id, Action.ASSESS),
    }


def _is_htmx(layout: Layout) -> bool:
    return layout.request.headers.get("hx-request") == "true"


def _base(scope: EstablishmentScope, campaign_id: int) -> str:
    return f"/e/{scope.id}/assess/{campaign_id}"


# --- Campaigns ----------------------------------------------------------------------------------


def _campaigns_page(
    scope: EstablishmentScope, layout: Layout, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    lib = library()
    campaigns = sorted(
        service.list_campaigns(scope.db, scope.id), key=lambda c: (c.assessed_on, c.id), reverse=True
    )
    context: dict[str, Any] = {
        "title": layout._("Assessment"),
        "campaigns": [campaign_detail(c, lib) for c in campaigns],
        "path_labels": PATH_LABELS,
        "status_labels": CAMPAIGN_STATUS_LABELS,
        "error": None,
        "form": {"name": "", "assessed_on": "", "path": CampaignPath.FULL.value, "from_previous": False},
        **_permissions(scope),
    }
    context.update(extra)
    return layout.render("assess/campaigns.html", context, status_code=status_code)


@router.get("/e/{establishment_id}/assess")
def campaigns(scope: ReadScope, layout: PageLayout) -> HTMLResponse:
    return _campaigns_page(scope, layout)


@router.post("/e/{establishment_id}/assess")
def campaign_create(
    scope: WriteScope,
    layout: PageLayout,
    name: Annotated[str, Form(max_length=200)] = "",
    assessed_on: Annotated[str, Form(max_length=20)] = "",
    path: Annotated[str, Form(max_length=10)] = CampaignPath.FULL.value,
    from_previous: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    form = {"name": name, "assessed_on": assessed_on, "path": path, "from_previous": bool(from_previous)}
    try:
        data = CampaignIn.model_validate(
            {
                "name": name.strip(),
                "assessed_on": assessed_on,
                "path": path,
                "from_previous": bool(from_previous),
            }
        )
    except PydanticValidationError:
        message = layout._("Give a name, a date and a path for the campaign.")
        return _campaigns_page(scope, layout, 422, error=message, form=form)
    try:
        campaign = create_campaign(scope, data)
    except ValidationError as exc:
        return _campaigns_page(scope, layout, 422, error=str(exc), form=form)
    return RedirectResponse(_base(scope, campaign.id), status_code=303)


@router.post("/e/{establishment_id}/assess/{campaign_id}/close")
def campaign_close(scope: AssessScope, campaign_id: int) -> Response:
    close_campaign(scope, campaign_of(scope, campaign_id))
    return RedirectResponse(_base(scope, campaign_id), status_code=303)


# --- Questionnaire ------------------------------------------------------------------------------


def _item(
    lib: Library,
    layout: Layout,
    campaign: Campaign,
    control_id: str,
    answer: Answer | None,
    *,
    error: str | None = None,
    evidence_error: str | None = None,
    form: dict[str, Any] | None = None,
    measured: dict[str, MeasuredLevel] | None = None,
) -> dict[str, Any]:
    """What a control's fragment shows: the question, the answer (or what was just sent), errors,
    and the level the data measure (``measured``: every control's, else asked for this one)."""
    control = lib.controls[control_id]
    if form is None:
        form = {
            "status": answer.status.value if answer else "",
            "level": "" if answer is None or answer.level is None else str(answer.level),
            "justification": (answer.justification or "") if answer else "",
            "comment": (answer.comment or "") if answer else "",
        }
    return {
        "control": control,
        "title": control.title.get(layout.lang),
        "question": control.question.get(layout.lang),
        "description": control.description.get(layout.lang) if control.description else None,
        "answer": answer,
        "form": form,
        "error": error,
        "evidence_error": evidence_error,
        "action": f"/e/{campaign.establishment_id}/assess/{campaign.id}/controls/{control_id}",
        "measured": _measured(lib, campaign, control_id, answer, measured),
    }


def _measured(
    lib: Library,
    campaign: Campaign,
    control_id: str,
    answer: Answer | None,
    measured: dict[str, MeasuredLevel] | None,
) -> MeasuredOut | None:
    """The control's measured level beside this campaign's answer, if the data speak to it."""
    if lib.controls[control_id].evidence is None:
        return None
    if measured is None:
        session = object_session(campaign)
        if session is None:
            return None
        measured = evidence.measured_levels(session, campaign.establishment_id, None, lib, [control_id])
    found = measured.get(control_id)
    if found is None:
        return None
    control = lib.controls[control_id]
    declared = scoring.level_used(control, service.answers_of(campaign).get(control_id)) if answer else None
    return evidence.row_out(evidence.EvidenceRow(control_id, declared, found), lib)


def _fragment_context(scope: EstablishmentScope, campaign: Campaign) -> dict[str, Any]:
    # Queried rather than read from campaign.answers, which may predate the answer just saved.
    answered = select(Answer.answered_by).where(Answer.campaign_id == campaign.id)
    attached = select(Evidence.added_by).join(Answer).where(Answer.campaign_id == campaign.id)
    who = [*scope.db.scalars(answered), *scope.db.scalars(attached)]
    return {
        "actors": accounts.actor_names(scope.db, who),
        "campaign": campaign,
        "scale": SCALE,
        "statuses": STATUS_LABELS,
        "evidence_accept": EVIDENCE_ACCEPT,
        "editable": campaign.status == CampaignStatus.OPEN and scope.principal.may(scope.id, Action.WRITE),
        "source_labels": evidence.SOURCE_LABELS,
        **_permissions(scope),
    }


def _questionnaire(
    scope: EstablishmentScope,
    layout: Layout,
    campaign: Campaign,
    *,
    unanswered: bool = False,
    status_code: int = 200,
    focus: dict[str, Any] | None = None,
    import_errors: list[ContentError] | None = None,
    import_message: str | None = None,
    notice: str | None = None,
) -> HTMLResponse:
    """The whole questionnaire; ``focus`` replaces one control's item (to show its error)."""
    lib = library()
    answers = service.answers_detail(campaign)
    measured = evidence.measured_levels(scope.db, scope.id, None, lib)
    groups: dict[Dimension, list[dict[str, Any]]] = {d: [] for d in Dimension}
    for control in service.path_controls(campaign, lib):
        answer = answers.get(control.id)
        is_focus = focus is not None and focus["control"].id == control.id
        if unanswered and answer is not None and not is_focus:
            continue
        item = (
            focus
            if focus is not None and is_focus
            else _item(lib, layout, campaign, control.id, answer, measured=measured)
        )
        groups[control.dimension].append(item)
    detail = campaign_detail(campaign, lib)
    context: dict[str, Any] = {
        "title": campaign.name,
        "detail": detail,
        "groups": [(d, items) for d, items in groups.items() if items],
        "unanswered": unanswered,
        "path_labels": PATH_LABELS,
        "status_labels": CAMPAIGN_STATUS_LABELS,
        "base": _base(scope, campaign.id),
        "import_errors": import_errors or [],
        "import_message": import_message,
        "notice": notice,
        **_fragment_context(scope, campaign),
    }
    return layout.render("assess/questionnaire.html", context, status_code=status_code)


@router.get("/e/{establishment_id}/assess/{campaign_id}")
def questionnaire(
    scope: ReadScope,
    layout: PageLayout,
    campaign_id: int,
    unanswered: Annotated[bool, Query()] = False,
    imported: Annotated[int | None, Query(ge=0)] = None,
) -> HTMLResponse:
    campaign = campaign_of(scope, campaign_id)
    notice = None
    if imported is not None:
        notice = layout._("Workbook imported: {count} answer(s) recorded or changed.").format(count=imported)
    return _questionnaire(scope, layout, campaign, unanswered=unanswered, notice=notice)


def _control_response(
    scope: EstablishmentScope,
    layout: Layout,
    campaign: Campaign,
    item: dict[str, Any],
    unanswered: bool,
    status_code: int,
) -> HTMLResponse:
    """The control's fragment for htmx, the whole page otherwise (both with the error inline)."""
    if _is_htmx(layout):
        context = {**_fragment_context(scope, campaign), "item": item}
        return layout.render("assess/_control.html", context, status_code=status_code)
    return _questionnaire(scope, layout, campaign, unanswered=unanswered, status_code=status_code, focus=item)


def _back(scope: EstablishmentScope, campaign_id: int, control_id: str, unanswered: bool) -> Response:
    query = "?unanswered=true" if unanswered else ""
    return RedirectResponse(f"{_base(scope, campaign_id)}{query}#control-{control_id}", status_code=303)


@router.post("/e/{establishment_id}/assess/{campaign_id}/controls/{control_id}")
def save_control(
    scope: WriteScope,
    layout: PageLayout,
    campaign_id: int,
    control_id: str,
    status: Annotated[str, Form(max_length=20)] = "",
    level: Annotated[str, Form(max_length=2)] = "",
    justification: Text = "",
    comment: Text = "",
    unanswered: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    campaign = campaign_of(scope, campaign_id)
    lib = library()
    if control_id not in service.scope_of(campaign, lib):
        raise ValidationError(f"control {control_id} is not asked by campaign {campaign_id}")
    sent = {"status": status, "level": level, "justification": justification, "comment": comment}
    try:
        chosen = AnswerStatus(status)
    except ValueError:
        chosen = None
    # A level ticked before switching to another status is ignored rather than refused.
    level_value = int(level) if chosen == AnswerStatus.LEVEL and level.isdigit() else None
    error: str | None = None
    if chosen is None:
        error = layout._("Choose an answer.")
    elif chosen == AnswerStatus.LEVEL and level_value is None:
        error = layout._("Choose a level from 0 to 5.")
    else:
        try:
            body = AnswerBody(status=chosen, level=level_value, justification=justification, comment=comment)
            answer = save_answer(scope, campaign, control_id, body)
        except ValidationError as exc:
            error = str(exc)
    if error is not None:
        answer_now = service.answers_detail(campaign).get(control_id)
        item = _item(lib, layout, campaign, control_id, answer_now, error=error, form=sent)
        return _control_response(scope, layout, campaign, item, bool(unanswered), 422)
    if _is_htmx(layout):
        item = _item(lib, layout, campaign, control_id, answer)
        context = {**_fragment_context(scope, campaign), "item": item, "saved": True}
        return layout.render("assess/_control.html", context)
    return _back(scope, campaign_id, control_id, bool(unanswered))


def _evidence_error(
    scope: EstablishmentScope, layout: Layout, campaign: Campaign, control_id: str, message: str, status: int
) -> HTMLResponse:
    answer = service.answers_detail(campaign).get(control_id)
    item = _item(library(), layout, campaign, control_id, answer, evidence_error=message)
    return _questionnaire(scope, layout, campaign, status_code=status, focus=item)


@router.post("/e/{establishment_id}/assess/{campaign_id}/controls/{control_id}/evidence")
def upload_evidence(
    scope: WriteScope,
    layout: PageLayout,
    campaign_id: int,
    control_id: str,
    file: Annotated[UploadFile, File()],
) -> Response:
    campaign = campaign_of(scope, campaign_id)
    answer = service.get_answer(scope.db, campaign, control_id)
    try:
        store_evidence(scope, answer, file)
    except UploadTooLargeError as exc:
        return _evidence_error(scope, layout, campaign, control_id, str(exc), 413)
    except ValidationError as exc:
        return _evidence_error(scope, layout, campaign, control_id, str(exc), 422)
    return _back(scope, campaign_id, control_id, False)


@router.post("/e/{establishment_id}/assess/{campaign_id}/controls/{control_id}/links")
def link_evidence(
    scope: WriteScope,
    layout: PageLayout,
    campaign_id: int,
    control_id: str,
    url: Annotated[str, Form(max_length=2000)] = "",
    name: Annotated[str, Form(max_length=255)] = "",
) -> Response:
    campaign = campaign_of(scope, campaign_id)
    answer = service.get_answer(scope.db, campaign, control_id)
    try:
        add_link(scope, answer, url, name or None)
    except ValidationError as exc:
        return _evidence_error(scope, layout, campaign, control_id, str(exc), 422)
    return _back(scope, campaign_id, control_id, False)


@router.post("/e/{establishment_id}/assess/{campaign_id}/evidence/{evidence_id}/delete")
def delete_evidence(
    scope: WriteScope,
    layout: PageLayout,
    campaign_id: int,
    evidence_id: int,
    unanswered: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Removes an evidence; the control comes back without it (its fragment with htmx)."""
    campaign = campaign_of(scope, campaign_id)
    try:
        answer = remove_evidence(scope, campaign, evidence_id)
    except ValidationError as exc:  # the campaign was closed meanwhile
        control_id = scope.db.scalar(
            select(Answer.control_id)
            .join(Evidence)
            .where(Evidence.id == evidence_id, Answer.campaign_id == campaign.id)
        )
        if control_id is None:
            raise
        current = service.answers_detail(campaign).get(control_id)
        item = _item(library(), layout, campaign, control_id, current, evidence_error=str(exc))
        return _control_response(scope, layout, campaign, item, bool(unanswered), 422)
    if _is_htmx(layout):
        item = _item(library(), layout, campaign, answer.control_id, answer)
        context = {**_fragment_context(scope, campaign), "item": item, "removed": True}
        return layout.render("assess/_control.html", context)
    return _back(scope, campaign_id, answer.control_id, bool(unanswered))


@router.get("/e/{establishment_id}/evidence/{evidence_id}")
def download_evidence(scope: ReadScope, evidence_id: int) -> Response:
    return evidence_download(scope, evidence_id)


# --- Workbook -----------------------------------------------------------------------------------


@router.get("/e/{establishment_id}/assess/{campaign_id}/export.xlsx")
def export_xlsx(scope: ExportScope, layout: PageLayout, campaign_id: int) -> Response:
    return export_workbook(scope, campaign_of(scope, campaign_id), layout.lang)


@router.post("/e/{establishment_id}/assess/{campaign_id}/import")
def import_xlsx(
    scope: WriteScope, layout: PageLayout, campaign_id: int, file: Annotated[UploadFile, File()]
) -> Response:
    campaign = campaign_of(scope, campaign_id)
    try:
        result = import_workbook(scope, campaign, file)
    except ImportRejectedError as exc:
        message = layout._("Nothing was imported: correct every problem below and import the file again.")
        return _questionnaire(
            scope, layout, campaign, status_code=422, import_errors=exc.problems, import_message=message
        )
    except ValidationError as exc:
        return _questionnaire(scope, layout, campaign, status_code=422, import_message=str(exc))
    return RedirectResponse(f"{_base(scope, campaign_id)}?imported={result.recorded}", status_code=303)


# --- Scores -------------------------------------------------------------------------------------


@router.get("/e/{establishment_id}/assess/{campaign_id}/scores")
def scores(scope: ReadScope, layout: PageLayout, campaign_id: int) -> HTMLResponse:
    campaign = campaign_of(scope, campaign_id)
    lib = library()
    result = service.campaign_score(scope.db, campaign, lib)
    previous = service.previous_campaign(scope.db, campaign)
    before = service.campaign_score(scope.db, previous, lib) if previous is not None else None
    lang = layout.lang
    axes = [
        charts.RadarAxis(
            label(d.dimension, lang),
            d.score or 0.0,
            before.dimension(d.dimension).score if before is not None else None,
        )
        for d in result.dimensions
    ]
    # The chart functions escape every text they draw: their output is safe markup.
    radar = Markup(charts.radar_chart(axes, lang=lang)) if len(axes) >= 3 else None  # noqa: S704
    rules: dict[str, list[str]] = {}
    for referential in result.referentials:
        rules.setdefault(referential.rule.get(lang), []).append(referential.short_name)
    # Declared as in this campaign (as the rest of the page), measured from today's data.
    measured = evidence.measured_levels(scope.db, scope.id, None, lib)
    rows = [evidence.row_out(r, lib) for r in evidence.compare(dict(result.levels), measured)]
    both = scoring.measured_score(
        lib, result.levels, {c: m.level for c, m in measured.items()}, service.scope_of(campaign, lib)
    )
    context = {
        "title": layout._("Scores"),
        "campaign": campaign,
        "measured_rows": rows,
        "measured_score": both,
        "source_labels": evidence.SOURCE_LABELS,
        "measured_rule": scoring.MEASURED_RULE.get(lang),
        "score": result,
        "previous": previous,
        "radar": radar,
        "rules": list(rules.items()),
        "method": [rule.get(lang) for key, rule in scoring.RULES.items() if key != "compliance"],
        "gaps": [(c, lib.controls[c].title.get(lang)) for c in result.knowledge_gaps if c in lib.controls],
        "base": _base(scope, campaign.id),
    }
    return layout.render("assess/scores.html", context)


__all__ = ["NAV", "router"]
