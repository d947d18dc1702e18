"""Web pages of the detection: "Precursor signals", the alerts by level and status with filters, an
alert with its events, assets and ATT&CK techniques; triage and escalation are plain POST forms."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse

from hygie.core.errors import ValidationError
from hygie.core.i18n import N_
from hygie.core.settings import get_settings
from hygie.detect import service
from hygie.detect.detectors import signals
from hygie.detect.detectors.explain import render
from hygie.detect.models import AlertLevel, AlertStatus
from hygie.org import audit
from hygie.org.access import Action
from hygie.web.deps import ReadScope, WriteScope
from hygie.web.layout import PageLayout
from hygie.web.registry import NavItem

router = APIRouter(include_in_schema=False)
NAV = (NavItem(N_("Precursor signals"), "/alerts", order=33),)
MAX_LISTED = 500

LEVEL_LABELS = {
    AlertLevel.INFORMATIONAL: N_("informational"),
    AlertLevel.LOW: N_("low"),
    AlertLevel.MEDIUM: N_("medium"),
    AlertLevel.HIGH: N_("high"),
    AlertLevel.CRITICAL: N_("critical"),
}
STATUS_LABELS = {
    AlertStatus.NEW: N_("new"),
    AlertStatus.IN_PROGRESS: N_("in progress"),
    AlertStatus.FALSE_POSITIVE: N_("false positive"),
    AlertStatus.TRUE_POSITIVE: N_("true positive"),
}


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
