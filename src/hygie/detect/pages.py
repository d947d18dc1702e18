"""Web pages of the detection: "Precursor signals", the alerts by level and status with filters, an
alert with its events, assets and ATT&CK techniques; triage and escalation are plain POST forms. "Detection
rules": the establishment's tuning (exclusions as Sigma filters, disabled rules, levels), its statistical
detectors (each disabled, leveled, or with hosts and users excluded) and their working hours, with its
forms. "ATT&CK coverage": the techniques of the ransomware chains by tactic, covered or not, and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from babel.dates import get_day_names
from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hygie.core.errors import ContentError, HygieError, ValidationError
from hygie.core.i18n import N_, babel_locale
from hygie.core.settings import get_settings
from hygie.detect import coverage, service, tuning
from hygie.detect.attack_catalogue import IMPORTANCE_LABELS
from hygie.detect.detectors import RULES as DETECTOR_RULES
from hygie.detect.detectors import config as detector_config
from hygie.detect.detectors import signals
from hygie.detect.detectors.base import Rule, WorkingHours
from hygie.detect.detectors.explain import render, weekday_names
from hygie.detect.models import (
    LEVEL_LABELS,
    STATUS_LABELS,
    AlertLevel,
    AlertStatus,
    EntityField,
    RuleTuning,
    TuningKind,
)
from hygie.detect.schemas import WorkingHoursOut
from hygie.detect.sigma.filters import PRODUCTS
from hygie.org import accounts, audit
from hygie.org.access import Action
from hygie.web.deps import EstablishmentScope, ReadScope, WriteScope
from hygie.web.layout import Layout, PageLayout
from hygie.web.registry import NavItem

router = APIRouter(include_in_schema=False)
NAV = (
    NavItem(N_("Precursor signals"), "/alerts", order=33, also=("/rules",)),
    NavItem(N_("ATT&CK coverage"), "/detection/coverage", order=34, group=N_("Monitor")),
)
MAX_LISTED = 500


def _level(value: str | None) -> AlertLevel | None:
    return AlertLevel(value) if value in set(AlertLevel) else None


def _status(value: str | None) -> AlertStatus | None:
    return AlertStatus(value) if value in set(AlertStatus) else None


@router.get("/e/{establishment_id}/alerts")
def alerts_page(scope: ReadScope, layout: PageLayout) -> HTMLResponse:
    params = layout.request.query_params
    status = _status(params.get("status"))
    level = _level(params.get("level"))
    alerts = service.list_alerts(scope.db, scope.id, status=status, level=level)
    return layout.render(
        "detect/alerts.html",
        {
            "alerts": alerts[:MAX_LISTED],
            "more": max(0, len(alerts) - MAX_LISTED),
            "counts": service.counts(scope.db, scope.id),
            "signals": signals.summary(scope.db, scope.id),
            "level_labels": LEVEL_LABELS,
            "status_labels": STATUS_LABELS,
            "status": status.value if status else "",
            "level": level.value if level else "",
            "zone": detector_config.working_hours(scope.db, scope.id).zone,
        },
    )


@router.get("/e/{establishment_id}/alerts/{alert_id}")
def alert_page(scope: ReadScope, layout: PageLayout, alert_id: int) -> HTMLResponse:
    alert = service.get_alert(scope.db, scope.id, alert_id)
    assets = service.assets_of(scope.db, alert)
    return layout.render(
        "detect/alert.html",
        {
            "alert": alert,
            "assets": assets,
            "departments": service.departments_of(assets),
            "events": service.evidence_rows(get_settings(), alert),
            "explanation": render(alert.explanation, layout.lang),
            # Times in the establishment's zone, as its explanations give them.
            "zone": detector_config.working_hours(scope.db, scope.id).zone,
            "level_labels": LEVEL_LABELS,
            "status_labels": STATUS_LABELS,
            "can_write": scope.principal.may(scope.id, Action.WRITE),
        },
    )


@router.post("/e/{establishment_id}/alerts/{alert_id}/triage")
def triage_page(
    scope: WriteScope,
    alert_id: int,
    status: Annotated[str, Form()],
    note: Annotated[str, Form(max_length=20_000)] = "",
) -> RedirectResponse:
    chosen = _status(status)
    if chosen is None:
        raise ValidationError(f"status: {status!r}")
    alert = service.triage(scope.db, service.get_alert(scope.db, scope.id, alert_id), chosen, note)
    audit.record_for(
        scope.db,
        scope.principal,
        action="alert.triage",
        object_type="alert",
        object_id=alert.id,
        establishment_id=scope.id,
        details={"status": chosen.value},
    )
    return RedirectResponse(f"/e/{scope.id}/alerts/{alert.id}", status_code=303)


@router.post("/e/{establishment_id}/alerts/{alert_id}/escalate")
def escalate_page(scope: WriteScope, alert_id: int) -> RedirectResponse:
    alert = service.get_alert(scope.db, scope.id, alert_id)
    case = service.escalate(scope.db, alert, scope.principal.actor)
    audit.record_for(
        scope.db,
        scope.principal,
        action="alert.escalate",
        object_type="alert",
        object_id=alert.id,
        establishment_id=scope.id,
        details={"case_id": case.id},
    )
    return RedirectResponse(f"/e/{scope.id}/incidents/{case.id}", status_code=303)


# --- Rule tuning: exclusions, disabled rules, levels ---------------------------------------------------

# Fields an exclusion is usually about (the form accepts any Sigma field).
COMMON_FIELDS = ("Computer", "User", "SubjectUserName", "TargetUserName", "IpAddress", "Image", "ParentImage")
ENTITY_LABELS = {EntityField.HOST: N_("host"), EntityField.USER: N_("user")}
TIMEZONES = (
    "Europe/Paris",
    "America/Guadeloupe",
    "America/Martinique",
    "America/Cayenne",
    "Indian/Reunion",
    "Indian/Mayotte",
    "America/Miquelon",
    "Pacific/Noumea",
    "Pacific/Tahiti",
    "Pacific/Wallis",
    "UTC",
)
"""The zones of metropolitan France and its overseas territories (the API and the CLI take any zone)."""


@dataclass
class DetectorRow:
    """A detector rule as this establishment runs it."""

    rule: Rule
    level: AlertLevel  # the override when there is one
    disabled: RuleTuning | None = None
    override: RuleTuning | None = None
    exclusions: list[RuleTuning] = field(default_factory=list)


def detector_rows(tunings: list[RuleTuning]) -> tuple[list[DetectorRow], list[RuleTuning]]:
    """Every detector rule with its tunings, and the exclusions that apply to every detector rule."""
    rows = {rule_id: DetectorRow(rule, rule.level) for rule_id, rule in DETECTOR_RULES.items()}
    for t in tunings:
        row = rows.get(t.rule_id)
        if row is None:
            continue
        if t.kind == TuningKind.DISABLE:
            row.disabled = t
        elif t.kind == TuningKind.LEVEL and t.level is not None:
            row.override, row.level = t, t.level
        elif t.kind == TuningKind.ENTITY:
            row.exclusions.append(t)
    everywhere = [t for t in tunings if t.kind == TuningKind.ENTITY and t.rule_id == tuning.ANY_DETECTOR]
    return list(rows.values()), everywhere


def _hour_label(hour: int, lang: str) -> str:
    return f"{hour}\u00a0h" if lang == "fr" else f"{hour}:00"


def _rules_context(scope: EstablishmentScope, layout: Layout, **extra: Any) -> dict[str, Any]:
    seen = {a.rule_id: a.title for a in service.list_alerts(scope.db, scope.id)}
    tunings = tuning.list_tunings(scope.db, scope.id)
    params = layout.request.query_params
    rule_id = params.get("rule", "")[:100]
    detector_id = rule_id if rule_id in DETECTOR_RULES else ""
    rows, everywhere = detector_rows(tunings)
    saved_hours = detector_config.working_hours(scope.db, scope.id)
    hours = extra.pop("hours", None) or saved_hours  # what was typed, when refused
    lang = layout.lang
    day_names = get_day_names("wide", locale=babel_locale(lang))
    return {
        "tunings": tunings,
        "actors": accounts.actor_names(scope.db, [t.created_by for t in tunings]),
        "tuning_labels": tuning.KIND_LABELS,
        "level_labels": LEVEL_LABELS,
        "seen_rules": sorted((r for r in seen.items() if r[0] not in DETECTOR_RULES), key=lambda r: r[1]),
        "fields": COMMON_FIELDS,
        "products": PRODUCTS,
        "can_write": scope.principal.may(scope.id, Action.WRITE),
        "rule_id": "" if detector_id else rule_id,
        "host": "" if detector_id else params.get("host", "")[:255],
        "detectors": rows,
        "everywhere": everywhere,
        "signal_labels": signals.LABELS,
        "entity_labels": ENTITY_LABELS,
        "detector_id": detector_id,
        "entity_field": "user" if detector_id and params.get("user") else "host",
        "entity_value": (params.get("user") or params.get("host") or "")[:255] if detector_id else "",
        "hours": hours,
        "saved_hours": saved_hours,
        "saved_days": weekday_names(saved_hours.days, lang),
        "hour_label": lambda h: _hour_label(h, lang),
        "timezones": TIMEZONES if hours.timezone in TIMEZONES else (hours.timezone, *TIMEZONES),
        "start_hours": [(h, _hour_label(h, lang)) for h in range(24)],
        "end_hours": [(h, _hour_label(h, lang)) for h in range(1, 25)],
        "weekdays": [(d, str(day_names[d]).capitalize()) for d in range(7)],
        "hours_saved": params.get("saved") == "hours",
        "error": "",
        "error_at": "sigma",  # the section whose form was refused: sigma, detectors or hours
        "filter_text": "",
    } | extra


@router.get("/e/{establishment_id}/rules")
def rules_page(scope: ReadScope, layout: PageLayout) -> HTMLResponse:
    return layout.render("detect/rules.html", _rules_context(scope, layout))


def _recorded(
    scope: EstablishmentScope, action: str, item: RuleTuning, details: dict[str, str]
) -> RedirectResponse:
    audit.record_for(
        scope.db,
        scope.principal,
        action=action,
        object_type="detect_rule_tuning",
        object_id=item.id,
        establishment_id=scope.id,
        details=details,
    )
    # Back where the form was: a detector's tuning is in the "Statistical detectors" section.
    detector = item.kind == TuningKind.ENTITY or tuning.is_detector_rule(item.rule_id)
    return RedirectResponse(
        f"/e/{scope.id}/rules" + ("#detectors-title" if detector else ""), status_code=303
    )


def _refused(scope: EstablishmentScope, layout: Layout, exc: HygieError, **kept: Any) -> HTMLResponse:
    """The page again with the reason (file, line) and what was typed: nothing was stored."""
    context = _rules_context(scope, layout, error=str(exc), **kept)
    return layout.render("detect/rules.html", context, status_code=422)


def _section(rule_id: str) -> str:
    return "detectors" if tuning.is_detector_rule(rule_id.strip()) else "sigma"


@router.post("/e/{establishment_id}/rules/exclusions")
def exclusion_page(
    scope: WriteScope,
    layout: PageLayout,
    field: Annotated[str, Form(max_length=120)],
    value: Annotated[str, Form(max_length=500)],
    rule_id: Annotated[str, Form(max_length=100)] = "",
    product: Annotated[str, Form(max_length=20)] = "windows",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        item = tuning.add_exclusion(
            scope.db, scope.id, field, value, rule_id=rule_id, product=product, author=scope.principal.actor,
            reason=reason,
        )  # fmt: skip
    except (ContentError, ValidationError) as exc:
        return _refused(scope, layout, exc, rule_id=rule_id, host=value)
    return _recorded(scope, "rule.exclude", item, {"field": field, "rule": rule_id or "any"})


@router.post("/e/{establishment_id}/rules/entity-exclusions")
def entity_exclusion_page(
    scope: WriteScope,
    layout: PageLayout,
    field: Annotated[str, Form(max_length=10)],
    value: Annotated[str, Form(max_length=255)],
    rule_id: Annotated[str, Form(max_length=100)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        item = tuning.add_entity_exclusion(
            scope.db, scope.id, field, value, rule_id=rule_id, author=scope.principal.actor, reason=reason
        )
    except ValidationError as exc:
        kept = {"detector_id": rule_id, "entity_field": field, "entity_value": value}
        return _refused(scope, layout, exc, error_at="detectors", **kept)
    details = {"field": field, "value": item.entity_value, "rule": item.rule_id}
    return _recorded(scope, "rule.exclude_entity", item, details)


@router.post("/e/{establishment_id}/rules/working-hours")
def working_hours_page(
    scope: WriteScope,
    layout: PageLayout,
    timezone: Annotated[str, Form(max_length=64)],
    start: Annotated[int, Form()],
    end: Annotated[int, Form()],
    days: Annotated[list[int] | None, Form()] = None,
) -> Response:
    hours = WorkingHours(timezone, start, end, tuple(sorted(set(days or []))))
    try:
        # The usual mistakes said in the reader's language; the service checks everything again.
        if start >= end:
            raise ValidationError(layout._("The end of the working day must come after its start."))
        if not days:
            raise ValidationError(layout._("Tick at least one working day."))
        saved = detector_config.set_working_hours(scope.db, scope.id, hours)
    except ValidationError as exc:
        return _refused(scope, layout, exc, error_at="hours", hours=hours)
    audit.record_for(
        scope.db,
        scope.principal,
        action="detection.working_hours",
        object_type="establishment",
        object_id=scope.id,
        establishment_id=scope.id,
        details=WorkingHoursOut.of(saved).model_dump(),
    )
    return RedirectResponse(f"/e/{scope.id}/rules?saved=hours#hours-title", status_code=303)


@router.post("/e/{establishment_id}/rules/filters")
def filter_page(
    scope: WriteScope,
    layout: PageLayout,
    filter_yaml: Annotated[str, Form(max_length=65_536)],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        item = tuning.add_filter(
            scope.db, scope.id, filter_yaml, file="filter_yaml", author=scope.principal.actor, reason=reason
        )
    except (ContentError, ValidationError) as exc:
        return _refused(scope, layout, exc, filter_text=filter_yaml)
    return _recorded(scope, "rule.filter", item, {"rules": item.rule_id})


@router.post("/e/{establishment_id}/rules/disabled")
def disable_page(
    scope: WriteScope,
    layout: PageLayout,
    rule_id: Annotated[str, Form(max_length=100)],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        item = tuning.disable_rule(scope.db, scope.id, rule_id, author=scope.principal.actor, reason=reason)
    except ValidationError as exc:
        return _refused(scope, layout, exc, error_at=_section(rule_id))
    return _recorded(scope, "rule.disable", item, {"rule": item.rule_id})


@router.post("/e/{establishment_id}/rules/levels")
def level_page(
    scope: WriteScope,
    layout: PageLayout,
    rule_id: Annotated[str, Form(max_length=100)],
    level: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    chosen = _level(level)
    detector = DETECTOR_RULES.get(rule_id.strip())
    if detector is not None and not level:
        # "Published" on the detector's row: no override (a level chosen, even the published one, pins
        # it, over the detector's stronger cases too, as through the API and the CLI).
        for override in tuning.list_tunings(scope.db, scope.id, TuningKind.LEVEL):
            if override.rule_id == detector.id:
                removed = tuning.remove_tuning(scope.db, scope.id, override.id)
                return _recorded(scope, "rule.untune", removed, {"kind": "level", "rule": detector.id})
        return RedirectResponse(f"/e/{scope.id}/rules#detectors-title", status_code=303)
    try:
        if chosen is None:
            raise ValidationError(f"level: {level!r}")
        item = tuning.set_level(
            scope.db, scope.id, rule_id, chosen, author=scope.principal.actor, reason=reason
        )
    except ValidationError as exc:
        return _refused(scope, layout, exc, rule_id=rule_id, error_at=_section(rule_id))
    return _recorded(scope, "rule.level", item, {"rule": item.rule_id, "level": chosen.value})


@router.post("/e/{establishment_id}/rules/{tuning_id}/delete")
def remove_page(scope: WriteScope, tuning_id: int) -> RedirectResponse:
    item = tuning.remove_tuning(scope.db, scope.id, tuning_id)
    return _recorded(scope, "rule.untune", item, {"kind": item.kind.value, "rule": item.rule_id})


# --- ATT&CK coverage ----------------------------------------------------------------------------------

STATUS_CLASSES = {
    coverage.Status.COVERED: "cov-covered",
    coverage.Status.NO_LOGS: "cov-no-logs",
    coverage.Status.NO_RULE: "cov-no-rule",
}


@router.get("/e/{establishment_id}/detection/coverage")
def coverage_page(scope: ReadScope, layout: PageLayout) -> HTMLResponse:
    summary = coverage.coverage_summary(scope.db, scope.id)
    return layout.render(
        "detect/coverage.html",
        {
            "summary": summary,
            "advice": {t.id: coverage.advice(t, layout.lang) for t in summary.techniques},
            "status_labels": coverage.STATUS_LABELS,
            "status_classes": STATUS_CLASSES,
            "importance_labels": IMPORTANCE_LABELS,
            "statuses": list(coverage.Status),
            "can_write": scope.principal.may(scope.id, Action.WRITE),
            "refreshed": layout.request.query_params.get("refreshed") == "1",
        },
    )


@router.post("/e/{establishment_id}/detection/coverage/findings")
def coverage_findings_page(scope: WriteScope) -> RedirectResponse:
    summary = coverage.refresh(scope.db, scope.id)
    audit.record_for(
        scope.db,
        scope.principal,
        action="coverage.refresh",
        object_type="establishment",
        object_id=scope.id,
        establishment_id=scope.id,
        details={"share": round(summary.share, 4), "gaps": len(summary.gaps)},
    )
    return RedirectResponse(f"/e/{scope.id}/detection/coverage?refreshed=1", status_code=303)
