"""REST routes of the detection's alerts: counts, list with filters, detail with its events, triage and
escalation to an incident; the establishment's tuning of the rules (exclusions, disabled rules, levels; a
host or user excluded from the statistical detectors) and the detectors' working hours. Running the rules
is ``hygie detect run`` (it reads the event store)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from hygie.core.settings import get_settings
from hygie.detect import coverage, service, tuning
from hygie.detect.detectors import config as detector_config
from hygie.detect.detectors.base import WorkingHours
from hygie.detect.models import Alert, AlertLevel, AlertStatus, RuleTuning
from hygie.detect.schemas import (
    AlertAssetOut,
    AlertCountsOut,
    AlertDetailOut,
    AlertOut,
    CoverageOut,
    EntityExclusionIn,
    ExclusionIn,
    FilterIn,
    LevelIn,
    RuleRefIn,
    RuleTuningOut,
    TriageIn,
    WorkingHoursIn,
    WorkingHoursOut,
)
from hygie.org import audit
from hygie.web.deps import EstablishmentScope, ReadScope, WriteScope
from hygie.web.errors import API_ERRORS
from hygie.web.pagination import Page, Pagination, paginate

router = APIRouter(prefix="/api/v1", tags=["detect"], responses=API_ERRORS)
BASE = "/establishments/{establishment_id}/alerts"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def detail_of(scope: EstablishmentScope, alert: Alert) -> AlertDetailOut:
    assets = service.assets_of(scope.db, alert)
    rows = service.evidence_rows(get_settings(), alert)
    return AlertDetailOut.model_validate(alert).model_copy(
        update={
            "assets": [AlertAssetOut(id=a.id, name=a.name, department=a.department) for a in assets],
            "departments": service.departments_of(assets),
            "events": [{k: _plain(v) for k, v in row.items()} for row in rows],
        }
    )


@router.get(BASE + "/counts")
def alert_counts(scope: ReadScope) -> AlertCountsOut:
    """Alerts by level and by triage status."""
    return AlertCountsOut(**service.counts(scope.db, scope.id))


@router.get(BASE, response_model=Page[AlertOut])
def list_alerts(
    scope: ReadScope,
    pages: Pagination,
    status: Annotated[AlertStatus | None, Query(description="Triage status")] = None,
    level: Annotated[AlertLevel | None, Query(description="Rule level")] = None,
) -> Page[AlertOut]:
    """The alerts, latest first."""
    rows, total = paginate(scope.db, service.alerts_query(scope.id, status=status, level=level), pages)
    items = [AlertOut.model_validate(a) for a in rows]
    return Page[AlertOut](items=items, total=total, limit=pages.limit, offset=pages.offset)


@router.get(BASE + "/{alert_id}")
def get_alert(scope: ReadScope, alert_id: int) -> AlertDetailOut:
    """An alert with the assets its host matches and the stored events behind it."""
    return detail_of(scope, service.get_alert(scope.db, scope.id, alert_id))


@router.post(BASE + "/{alert_id}/triage")
def triage_alert(scope: WriteScope, alert_id: int, body: TriageIn) -> AlertOut:
    """Set the triage status and note; confirmed high and critical alerts become findings."""
    alert = service.triage(scope.db, service.get_alert(scope.db, scope.id, alert_id), body.status, body.note)
    audit.record_for(
        scope.db,
        scope.principal,
        action="alert.triage",
        object_type="alert",
        object_id=alert.id,
        establishment_id=scope.id,
        details={"status": alert.status.value},
    )
    return AlertOut.model_validate(alert)


@router.post(BASE + "/{alert_id}/escalate")
def escalate_alert(scope: WriteScope, alert_id: int) -> AlertOut:
    """Open an incident case from a true positive alert (its reference in the case's alert refs)."""
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
    return AlertOut.model_validate(alert)


# --- Rule tuning per establishment ---------------------------------------------------------------------

TUNING = "/establishments/{establishment_id}/rule-tunings"


def _audit_tuning(scope: EstablishmentScope, action: str, item: RuleTuning, details: dict[str, Any]) -> None:
    audit.record_for(
        scope.db,
        scope.principal,
        action=action,
        object_type="detect_rule_tuning",
        object_id=item.id,
        establishment_id=scope.id,
        details=details,
    )


@router.get(TUNING, response_model=Page[RuleTuningOut])
def list_tunings(scope: ReadScope, pages: Pagination) -> Page[RuleTuningOut]:
    """The establishment's tuning of the rules: exclusions (Sigma filters), disabled rules, levels, and the
    hosts or users excluded from the statistical detectors (kind ``entity``)."""
    rows, total = paginate(scope.db, tuning.tunings_query(scope.id), pages)
    items = [RuleTuningOut.model_validate(t) for t in rows]
    return Page[RuleTuningOut](items=items, total=total, limit=pages.limit, offset=pages.offset)


@router.post(TUNING + "/exclusions", status_code=201)
def add_exclusion(scope: WriteScope, body: ExclusionIn) -> RuleTuningOut:
    """Exclude the events whose field equals the value from a rule (every rule of the product when
    ``rule_id`` is empty); stored as a standard Sigma filter, compiled in at the next run."""
    item = tuning.add_exclusion(
        scope.db, scope.id, body.field, body.value, rule_id=body.rule_id, product=body.product,
        author=scope.principal.actor, reason=body.reason,
    )  # fmt: skip
    _audit_tuning(scope, "rule.exclude", item, {"field": body.field, "rule": body.rule_id or "any"})
    return RuleTuningOut.model_validate(item)


@router.post(TUNING + "/entity-exclusions", status_code=201)
def add_entity_exclusion(scope: WriteScope, body: EntityExclusionIn) -> RuleTuningOut:
    """Drop the detections of a statistical detector rule (every one when ``rule_id`` is empty) whose
    host or user equals the value (case ignored), from the next run; the baselines still count its events."""
    item = tuning.add_entity_exclusion(
        scope.db, scope.id, body.field, body.value, rule_id=body.rule_id, author=scope.principal.actor,
        reason=body.reason,
    )  # fmt: skip
    details = {"field": body.field.value, "value": item.entity_value, "rule": item.rule_id}
    _audit_tuning(scope, "rule.exclude_entity", item, details)
    return RuleTuningOut.model_validate(item)


@router.post(TUNING + "/filters", status_code=201)
def add_filter(scope: WriteScope, body: FilterIn) -> RuleTuningOut:
    """Add a Sigma filter document; a bad one is refused with its line."""
    item = tuning.add_filter(
        scope.db,
        scope.id,
        body.filter_yaml,
        file="filter_yaml",
        author=scope.principal.actor,
        reason=body.reason,
    )
    _audit_tuning(scope, "rule.filter", item, {"rules": item.rule_id})
    return RuleTuningOut.model_validate(item)


@router.post(TUNING + "/disabled", status_code=201)
def disable_rule(scope: WriteScope, body: RuleRefIn) -> RuleTuningOut:
    """The rule (a Sigma rule or a statistical detector's ``hygie-stat-…``) raises no alert for this
    establishment; an unknown detector id is a 422."""
    item = tuning.disable_rule(
        scope.db, scope.id, body.rule_id, author=scope.principal.actor, reason=body.reason
    )
    _audit_tuning(scope, "rule.disable", item, {"rule": item.rule_id})
    return RuleTuningOut.model_validate(item)


@router.post(TUNING + "/levels", status_code=201)
def set_level(scope: WriteScope, body: LevelIn) -> RuleTuningOut:
    """The rule's alerts get another level for this establishment."""
    item = tuning.set_level(
        scope.db, scope.id, body.rule_id, body.level, author=scope.principal.actor, reason=body.reason
    )
    _audit_tuning(scope, "rule.level", item, {"rule": item.rule_id, "level": body.level.value})
    return RuleTuningOut.model_validate(item)


@router.delete(
    TUNING + "/{tuning_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={204: {"description": "Removed"}},
)
def remove_tuning(scope: WriteScope, tuning_id: int) -> Response:
    """Remove a tuning (exclusion, disabled rule or level)."""
    item = tuning.remove_tuning(scope.db, scope.id, tuning_id)
    _audit_tuning(scope, "rule.untune", item, {"kind": item.kind.value, "rule": item.rule_id})
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- Working hours of the statistical detectors -------------------------------------------------------

HOURS = "/establishments/{establishment_id}/detection/working-hours"


@router.get(HOURS)
def get_working_hours(scope: ReadScope) -> WorkingHoursOut:
    """The working hours that tell an off-hours privileged logon (7 h to 20 h, Monday to Friday, Paris
    time until set); days 1 = Monday … 7 = Sunday."""
    return WorkingHoursOut.of(detector_config.working_hours(scope.db, scope.id))


@router.put(HOURS)
def put_working_hours(scope: WriteScope, body: WorkingHoursIn) -> WorkingHoursOut:
    """Set the working hours, from the next detection run."""
    hours = detector_config.set_working_hours(
        scope.db,
        scope.id,
        WorkingHours(body.timezone, body.start, body.end, tuple(d - 1 for d in body.days)),
    )
    out = WorkingHoursOut.of(hours)
    audit.record_for(
        scope.db,
        scope.principal,
        action="detection.working_hours",
        object_type="establishment",
        object_id=scope.id,
        establishment_id=scope.id,
        details=out.model_dump(),
    )
    return out


# --- ATT&CK coverage -----------------------------------------------------------------------------------

COVERAGE = "/establishments/{establishment_id}/detection/coverage"
DAYS = coverage.DEFAULT_DAYS


@router.get(COVERAGE)
def detection_coverage(
    scope: ReadScope,
    days: Annotated[int, Query(ge=1, le=366, description="Log sources sent in these last days")] = DAYS,
    on: Annotated[date | None, Query(description="Day of the coverage (default today)")] = None,
    lang: Annotated[str, Query(pattern="^(fr|en)$")] = "fr",
) -> CoverageOut:
    """Which ATT&CK techniques of the ransomware chains against hospitals the active rules cover, given
    the log sources the establishment sent: covered, rule without logs (the sources to send), no rule."""
    summary = coverage.coverage_summary(scope.db, scope.id, on, days=days)
    return CoverageOut.model_validate(coverage.as_json(summary, lang))


@router.post(COVERAGE + "/findings")
def refresh_coverage_findings(
    scope: WriteScope,
    days: Annotated[int, Query(ge=1, le=366, description="Log sources sent in these last days")] = DAYS,
    lang: Annotated[str, Query(pattern="^(fr|en)$")] = "fr",
) -> CoverageOut:
    """Store today's coverage gaps as findings of the plan (key ``coverage:<technique>``); the gaps closed
    since are resolved."""
    summary = coverage.refresh(scope.db, scope.id, days=days)
    audit.record_for(
        scope.db,
        scope.principal,
        action="coverage.refresh",
        object_type="establishment",
        object_id=scope.id,
        establishment_id=scope.id,
        details={"share": round(summary.share, 4), "gaps": len(summary.gaps)},
    )
    return CoverageOut.model_validate(coverage.as_json(summary, lang))
