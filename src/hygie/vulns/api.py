"""REST routes of the vulnerability audit: the results with filters, one result with why it is there
and what to do, the obsolete systems, a scan against the installed feed snapshot, and the snapshot's
status. The pages call the helpers here (``run_scan``, ``detail_of``, ``outs``) so that both say the
same thing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from hygie.core.errors import HygieError
from hygie.core.i18n import N_, gettext
from hygie.core.settings import Settings
from hygie.org import audit
from hygie.plan import service as plan_service
from hygie.plan.models import FindingSource
from hygie.vulns import service
from hygie.vulns.feeds import service as feeds_service
from hygie.vulns.feeds.read import connect
from hygie.vulns.labels import ACTIONS, explain, word
from hygie.vulns.models import MatchStatus, ResultKind, VulnResult
from hygie.vulns.schemas import (
    ActionOut,
    FindingRef,
    KevOut,
    ScanOut,
    VulnResultDetail,
    VulnResultOut,
)
from hygie.vulns.ssvc import Priority
from hygie.web.deps import CurrentPrincipal, EstablishmentScope, ReadScope, WriteScope
from hygie.web.errors import API_ERRORS, ErrorBody, ErrorInfo, error_json
from hygie.web.pagination import Page, Pagination, paginate
from hygie.web.templating import request_language

router = APIRouter(prefix="/api/v1", tags=["vulnerabilities"], responses=API_ERRORS)
BASE = "/establishments/{establishment_id}"
NO_SNAPSHOT = N_(
    "No vulnerability feed snapshot is installed: run `hygie feeds update` on the server, "
    "or `hygie feeds import` with a bundle on a network without internet access."
)
COMPENSATING = frozenset({"isolate", "restrict_access", "ask_maker"})


class NoSnapshotError(HygieError):
    """A scan asked before any feed snapshot was installed (HTTP 409, code ``no_feed_snapshot``)."""

    def __init__(self) -> None:
        super().__init__(NO_SNAPSHOT)


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def run_scan(scope: EstablishmentScope, settings: Settings) -> service.ScanReport:
    """Scans the establishment against the installed snapshot and records it in the audit trail."""
    snapshot = feeds_service.current_snapshot(settings)
    if snapshot is None:
        raise NoSnapshotError
    feeds = connect(snapshot)
    try:
        report = service.scan(scope.db, scope.id, db=feeds, snapshot_id=snapshot.id)
    finally:
        feeds.close()
    audit.record_for(
        scope.db,
        scope.principal,
        action="vulns.scan",
        object_type="establishment",
        object_id=scope.id,
        establishment_id=scope.id,
        details={"snapshot": report.snapshot_id, "results": report.results},
    )
    return report


def outs(db: Session, establishment_id: int, rows: list[VulnResult]) -> list[VulnResultOut]:
    names = {i: a.name for i, a in service.assets_of(db, establishment_id, rows).items()}
    return [out_of(r, names.get(r.asset_id, "")) for r in rows]


def out_of(row: VulnResult, asset_name: str) -> VulnResultOut:
    return VulnResultOut(
        id=row.id,
        asset_id=row.asset_id,
        asset_name=asset_name,
        kind=row.kind,
        cve_id=row.cve_id,
        advisory_id=row.advisory_id,
        eol_product=row.eol_product,
        eol_cycle=row.eol_cycle,
        eol_date=row.eol_date,
        basis=row.basis,
        status=row.status,
        component=row.component,
        version=row.version,
        priority=row.priority,
        kev=row.kev,
        epss=row.epss,
        cvss3=row.cvss3,
        cvss4=row.cvss4,
        actions=list(row.explanation.get("actions", [])),
        snapshot_id=row.snapshot_id,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
    )


def finding_of(db: Session, establishment_id: int, row: VulnResult) -> FindingRef | None:
    """The result's weakness in the plan (same key), whatever its status."""
    findings = plan_service.list_findings(
        db, establishment_id, status=None, source=FindingSource.VULNERABILITY
    )
    found = next((f for f in findings if f.key == row.key), None)
    if found is None:
        return None
    sla = found.evidence.get("sla_days")
    due = found.first_seen.date() + timedelta(days=int(sla)) if sla else None
    return FindingRef(
        id=found.id,
        status=found.status.value,
        severity=found.severity.value,
        due=due,
        control_ids=list(found.control_ids),
    )


def detail_of(
    db: Session, establishment_id: int, row: VulnResult, lang: str, settings: Settings
) -> VulnResultDetail:
    asset_name = next(iter(service.assets_of(db, establishment_id, [row]).values())).name
    base = out_of(row, asset_name)
    kev = service.kev_entry(row.cve_id, feeds_service.current_snapshot(settings)) if row.cve_id else None
    return VulnResultDetail(
        **base.model_dump(),
        explanation=row.explanation,
        sentences=explain(row, asset_name, lang),
        action_texts=[ActionOut(code=a, text=word(ACTIONS, a, lang)) for a in base.actions],
        compensating=bool(COMPENSATING & set(base.actions)),
        kev_entry=KevOut(**kev.__dict__) if kev else None,
        finding=finding_of(db, establishment_id, row),
    )


def no_snapshot_response(lang: str = "en") -> JSONResponse:
    info = ErrorInfo(code="no_feed_snapshot", message=gettext(NO_SNAPSHOT, lang))
    return error_json(409, info)


# --- Routes -------------------------------------------------------------------------------------

PriorityQuery = Annotated[list[Priority] | None, Query(description="Only these priorities (repeatable)")]


@router.get(BASE + "/vulnerabilities", response_model=Page[VulnResultOut])
def list_vulnerabilities(
    scope: ReadScope,
    pages: Pagination,
    priority: PriorityQuery = None,
    kind: Annotated[ResultKind | None, Query(description="cve, advisory or eol (default: all)")] = None,
    status: Annotated[MatchStatus | None, Query(description="affected or needs_review")] = None,
    kev: Annotated[bool | None, Query(description="Only (true) or never (false) in KEV")] = None,
    medical: Annotated[bool, Query(description="Only the medical devices")] = False,
    department: Annotated[
        str | None, Query(max_length=200, description="Part of the asset's care department")
    ] = None,
    zone: Annotated[str | None, Query(max_length=100, description="Part of the asset's network zone")] = None,
    asset_id: Annotated[int | None, Query(description="Only this asset")] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Part of a CVE, advisory, component or asset name")
    ] = None,
) -> Page[VulnResultOut]:
    """The results of the last scan, most urgent first: priority, then KEV, EPSS and CVSS."""
    filters = service.ResultFilters(
        priorities=tuple(priority or ()),
        kind=kind,
        status=status,
        kev=kev,
        medical=medical,
        department=department,
        zone=zone,
        asset_id=asset_id,
        text=q,
    )
    rows, total = paginate(scope.db, service.results_query(scope.id, filters), pages)
    items = outs(scope.db, scope.id, rows)
    return Page[VulnResultOut](items=items, total=total, limit=pages.limit, offset=pages.offset)


@router.get(BASE + "/vulnerabilities/{result_id}", response_model=VulnResultDetail)
def get_vulnerability(scope: ReadScope, request: Request, result_id: int) -> VulnResultDetail:
    """One result with its SSVC decision path, scores, match basis, actions and plan finding;
    ``sentences`` in the language of ``?lang=`` (French by default)."""
    row = service.get_result(scope.db, scope.id, result_id)
    return detail_of(scope.db, scope.id, row, request_language(request), settings_of(request))


@router.get(BASE + "/obsolete", response_model=Page[VulnResultOut])
def list_obsolete(
    scope: ReadScope,
    pages: Pagination,
    medical: Annotated[bool, Query(description="Only the medical devices")] = False,
) -> Page[VulnResultOut]:
    """Systems past (or within six months of) their end of life or their maker's end of support."""
    filters = service.ResultFilters(kind=ResultKind.EOL, medical=medical)
    rows, total = paginate(scope.db, service.results_query(scope.id, filters), pages)
    items = outs(scope.db, scope.id, rows)
    return Page[VulnResultOut](items=items, total=total, limit=pages.limit, offset=pages.offset)


@router.post(
    BASE + "/vulnerabilities/scan",
    response_model=ScanOut,
    responses={409: {"model": ErrorBody, "description": "No feed snapshot installed (no_feed_snapshot)"}},
)
def scan(scope: WriteScope, request: Request) -> Any:
    """Matches the inventory against the installed feed snapshot and replaces the results and
    their findings in the plan; 409 ``no_feed_snapshot`` before the first ``hygie feeds update``."""
    try:
        report = run_scan(scope, settings_of(request))
    except NoSnapshotError:
        return no_snapshot_response()
    return ScanOut(**report.__dict__)


@router.get("/feeds", response_model=feeds_service.StatusReport)
def feeds_status(principal: CurrentPrincipal, request: Request) -> feeds_service.StatusReport:
    """The installed feed snapshot: per source its version, date, age in days, rows and state."""
    return feeds_service.status(settings_of(request))
