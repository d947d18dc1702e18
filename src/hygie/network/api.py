"""REST routes of the network domain: zones, firewalls, the zone × zone matrix and the policy check.

Reading the check computes it (nothing is written); ``POST …/network/check`` records its findings in
the plan, as ``hygie network check`` does, with the same audit entry. Files are loaded with the CLI.
"""

from __future__ import annotations

from fastapi import APIRouter

from hygie.network import service
from hygie.network.schemas import (
    CheckOut,
    ExpiredRuleOut,
    FirewallOut,
    FlowOut,
    MatrixOut,
    UselessRuleOut,
    ViolationOut,
    ZoneOut,
)
from hygie.org import audit
from hygie.web.deps import ReadScope, WriteScope
from hygie.web.errors import API_ERRORS

router = APIRouter(prefix="/api/v1", tags=["network"], responses=API_ERRORS)
BASE = "/establishments/{establishment_id}/network"


@router.get(BASE + "/zones")
def list_zones(scope: ReadScope) -> list[ZoneOut]:
    """The establishment's network zones, by name."""
    return [ZoneOut.model_validate(z) for z in service.list_zones(scope.db, scope.id)]


@router.get(BASE + "/firewalls")
def list_firewalls(scope: ReadScope) -> list[FirewallOut]:
    """The firewalls, the file each one's rules came from and how many rules it has."""
    return [
        FirewallOut.model_validate(f).model_copy(update={"rule_count": len(f.rules)})
        for f in service.list_firewalls(scope.db, scope.id)
    ]


@router.get(BASE + "/matrix")
def matrix(scope: ReadScope) -> MatrixOut:
    """What each zone may open towards each other zone, with the allowing rules; useless rules."""
    _zones, analysis = service.analyse_establishment(scope.db, scope.id)
    return MatrixOut(
        zones=[ZoneOut.model_validate(z) for z in service.list_zones(scope.db, scope.id)],
        flows=[
            FlowOut(
                source=f.source,
                destination=f.destination,
                services=f.allowed.describe(),
                rules={label: s.describe() for label, s in sorted(f.rules.items())},
            )
            for _, f in sorted(analysis.flows.items())
        ],
        useless=[
            UselessRuleOut(ruleset=u.ruleset, label=u.label, kind=u.kind, by=u.by) for u in analysis.useless
        ],
    )


def _check_out(report: service.CheckReport) -> CheckOut:
    return CheckOut(
        violations=[
            ViolationOut(
                rule_id=v.rule.id,
                title=v.rule.title.fr,
                severity=v.rule.severity,
                source=v.source,
                destination=v.destination,
                services=v.services.describe(),
                allowed_by={k: s.describe() for k, s in v.allowed_by.items()},
                controls=list(v.rule.controls),
            )
            for v in report.violations
        ],
        exposures=[
            {
                "address": e.port.address,
                "protocol": e.port.protocol,
                "port": e.port.port,
                "zone": e.port.zone,
                "severity": e.severity,
                "services": e.names,
                "seen_by": e.port.origin,
            }
            for e in report.exposures
        ],
        useless=[
            UselessRuleOut(ruleset=u.ruleset, label=u.label, kind=u.kind, by=u.by) for u in report.useless
        ],
        expired=[
            ExpiredRuleOut(
                firewall=e.rule.firewall,
                label=e.rule.label,
                expires=e.rule.expires,
                owner=e.rule.owner,
                origin=e.rule.origin,
            )
            for e in report.expired
            if e.rule.expires is not None
        ],
        findings=report.findings,
    )


@router.get(BASE + "/check")
def read_check(scope: ReadScope) -> CheckOut:
    """The policy violations, the exposure and the useless rules, computed now (nothing recorded)."""
    return _check_out(service.run_check(scope.db, scope.id, record=False))


@router.post(BASE + "/check")
def record_check(scope: WriteScope) -> CheckOut:
    """The same check, its results recorded as findings of the plan."""
    report = service.run_check(scope.db, scope.id)
    audit.record_for(
        scope.db,
        scope.principal,
        action="network.check",
        object_type="network_check",
        establishment_id=scope.id,
        details={"violations": len(report.violations), "exposures": len(report.exposures)},
    )
    return _check_out(report)
