"""Web page of the network domain: the zone × zone matrix as a heat map, the policy violations with
the rules that allow them, the exposure and the useless rules. Recording the check as findings is a
plain POST form (write roles only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse

from hygie.core.i18n import N_
from hygie.network import service
from hygie.org import audit
from hygie.org.access import Action
from hygie.web.deps import ReadScope, WriteScope
from hygie.web.layout import PageLayout
from hygie.web.registry import NavItem

router = APIRouter(include_in_schema=False)
NAV = (NavItem(N_("Network"), "/network", order=27),)
MAX_ZONES = 40  # columns of the heat map; the API and the CLI give every pair
_HEAT = {"critical": 4, "high": 3, "medium": 2, "low": 2, "info": 1}


def _cells(report: service.CheckReport) -> tuple[list[str], list[dict[str, Any]]]:
    names = [z.name for z in report.zones][:MAX_ZONES]
    worst: dict[tuple[str, str], int] = {}
    for v in report.violations:
        key = (v.source, v.destination)
        worst[key] = max(worst.get(key, 0), _HEAT.get(v.rule.severity, 1))
    rows = []
    for source in names:
        cells = []
        for destination in names:
            allowed = report.analysis.allowed(source, destination)
            if not allowed:
                cells.append({"level": 0, "text": "", "title": ""})
                continue
            level = worst.get((source, destination), 1)
            services = allowed.describe()
            short = "∗" if allowed.others else str(sum(1 for _ in allowed.services()))
            cells.append({"level": level, "text": short, "title": f"{source} → {destination} : {services}"})
        rows.append({"zone": source, "cells": cells})
    return names, rows


@router.get("/e/{establishment_id}/network")
def network_page(scope: ReadScope, layout: PageLayout) -> HTMLResponse:
    report = service.run_check(scope.db, scope.id, record=False)
    names, rows = _cells(report)
    firewalls = service.list_firewalls(scope.db, scope.id)
    order = list(_HEAT)
    violations = sorted(report.violations, key=lambda v: (order.index(v.rule.severity), v.rule.id, v.source))
    return layout.render(
        "network/overview.html",
        {
            "zones": names,
            "more_zones": max(0, len(report.zones) - MAX_ZONES),
            "rows": rows,
            "violations": violations,
            "exposures": report.exposures,
            "useless": report.useless,
            "firewalls": firewalls,
            "lang": layout.lang,
            "can_write": scope.principal.may(scope.id, Action.WRITE),
            "recorded": layout.request.query_params.get("recorded") == "1",
        },
    )


@router.post("/e/{establishment_id}/network/check")
def record_check(scope: WriteScope) -> RedirectResponse:
    report = service.run_check(scope.db, scope.id)
    audit.record_for(
        scope.db,
        scope.principal,
        action="network.check",
        object_type="network_check",
        establishment_id=scope.id,
        details={"violations": len(report.violations), "exposures": len(report.exposures)},
    )
    return RedirectResponse(f"/e/{scope.id}/network?recorded=1", status_code=303)
