"""Web pages of the network domain: the zone × zone matrix as a heat map, the policy violations with
the rules that allow them, the exposure and the useless rules; the zone graph; one pair's detail
(its services, the rules that allow them, what they break). Loading a firewall's configuration and
recording the check as findings are plain POST forms (write roles only)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hygie.core.errors import ContentError, ImportRejectedError, NotFoundError, ValidationError
from hygie.core.i18n import N_
from hygie.network import service
from hygie.network.api import MAX_WEB_IMPORT_BYTES, import_firewall_upload, parse_interfaces
from hygie.network.graph import GraphEdge, GraphZone, service_count, zone_graph
from hygie.network.models import FirewallFormat, ZoneKind
from hygie.network.schemas import FirewallImportOut
from hygie.org import audit
from hygie.org.access import Action
from hygie.web.deps import EstablishmentScope, ReadScope, WriteScope
from hygie.web.forms import enum_choice
from hygie.web.layout import Layout, PageLayout
from hygie.web.registry import NavItem

router = APIRouter(include_in_schema=False)
NAV = (NavItem(N_("Network"), "/network", order=27),)
MAX_ZONES = 40  # columns of the heat map and boxes of the graph; the API and the CLI give every pair
_HEAT = {"critical": 4, "high": 3, "medium": 2, "low": 2, "info": 1}
_ORDER = list(_HEAT)

KIND_LABELS = {
    ZoneKind.CLINICAL_WORKSTATIONS: N_("Clinical workstations"),
    ZoneKind.MEDICAL_DEVICES: N_("Medical devices"),
    ZoneKind.IMAGING: N_("Imaging"),
    ZoneKind.LABORATORY: N_("Laboratory"),
    ZoneKind.SERVERS: N_("Servers"),
    ZoneKind.ADMINISTRATION: N_("Administration"),
    ZoneKind.DMZ: N_("DMZ"),
    ZoneKind.BACKUP: N_("Backup"),
    ZoneKind.GUEST_WIFI: N_("Guest Wi-Fi"),
    ZoneKind.BUILDING_MANAGEMENT: N_("Building management"),
    ZoneKind.INTERNET: N_("Internet"),
    ZoneKind.PARTNERS: N_("Partners"),
    ZoneKind.OTHER: N_("Other"),
}
# How the form names the formats it knows; a format added later shows under its own value.
FORMAT_LABELS = {
    "iptables": "iptables-save",
    "nftables": "nftables (nft -j list ruleset)",
    "pfsense": "pfSense / OPNsense (config.xml)",
    "csv": N_("CSV flow matrix"),
}


def pair_href(establishment_id: int, source: str, destination: str) -> str:
    return f"/e/{establishment_id}/network/pair?" + urlencode({"from": source, "to": destination})


def _worst(report: service.CheckReport) -> dict[tuple[str, str], str]:
    worst: dict[tuple[str, str], str] = {}
    for v in report.violations:
        key = (v.source, v.destination)
        if key not in worst or _ORDER.index(v.rule.severity) < _ORDER.index(worst[key]):
            worst[key] = v.rule.severity
    return worst


def _cells(report: service.CheckReport, establishment_id: int) -> tuple[list[str], list[dict[str, Any]]]:
    names = [z.name for z in report.zones][:MAX_ZONES]
    worst = _worst(report)
    rows = []
    for source in names:
        cells = []
        for destination in names:
            allowed = report.analysis.allowed(source, destination)
            if not allowed:
                cells.append({"level": 0, "text": "", "title": "", "href": ""})
                continue
            severity = worst.get((source, destination))
            count = service_count(allowed)
            cells.append(
                {
                    "level": _HEAT[severity] if severity else 1,
                    "text": "∗" if count is None else str(count),
                    "title": f"{source} → {destination} : {allowed.describe()}",
                    "href": pair_href(establishment_id, source, destination),
                }
            )
        rows.append({"zone": source, "cells": cells})
    return names, rows


def _formats(layout: Layout) -> list[tuple[str, str]]:
    return [
        (f.value, layout._(FORMAT_LABELS[f.value]) if f.value in FORMAT_LABELS else f.value)
        for f in service.firewall_formats()
    ]


def _context(
    scope: EstablishmentScope,
    layout: Layout,
    *,
    problems: list[dict[str, Any]] | None = None,
    imported: FirewallImportOut | None = None,
    before: int | None = None,
) -> dict[str, Any]:
    report = service.run_check(scope.db, scope.id, record=False)
    names, rows = _cells(report, scope.id)
    violations = sorted(report.violations, key=lambda v: (_ORDER.index(v.rule.severity), v.rule.id, v.source))
    return {
        "title": layout._("Network segmentation"),
        "zones": names,
        "more_zones": max(0, len(report.zones) - MAX_ZONES),
        "rows": rows,
        "violations": violations,
        "misplacements": report.misplacements,
        "expired": report.expired,
        "exposures": report.exposures,
        "useless": report.useless,
        "firewalls": service.list_firewalls(scope.db, scope.id),
        "lang": layout.lang,
        "can_write": scope.principal.may(scope.id, Action.WRITE),
        "recorded": layout.request.query_params.get("recorded") == "1",
        "formats": _formats(layout),
        "limit_mb": MAX_WEB_IMPORT_BYTES // (1024 * 1024),
        "problems": problems or [],
        "imported": imported,
        "before": before,
    }


@router.get("/e/{establishment_id}/network")
def network_page(scope: ReadScope, layout: PageLayout) -> HTMLResponse:
    return layout.render("network/overview.html", _context(scope, layout))


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


def _problems(exc: Exception) -> list[dict[str, Any]]:
    found = exc.problems if isinstance(exc, ImportRejectedError) else [exc]
    out = []
    for problem in found:
        if isinstance(problem, ContentError):
            where = problem.location
            out.append(
                {
                    "file": where.file if where else None,
                    "line": where.line if where else None,
                    "field": where.field if where else None,
                    "message": problem.message,
                }
            )
        else:
            out.append({"file": None, "line": None, "field": None, "message": str(problem)})
    return out


@router.post("/e/{establishment_id}/network/import")
def import_submit(
    scope: WriteScope,
    layout: PageLayout,
    file: Annotated[UploadFile | None, File()] = None,
    firewall: Annotated[str, Form(max_length=100)] = "",
    source_format: Annotated[str, Form(alias="format", max_length=30)] = "",
    interfaces: Annotated[str, Form(max_length=2000)] = "",
) -> HTMLResponse:
    """Loads one firewall's configuration and shows the page again with what it loaded and the check
    computed after it; a refused file lists its problems by file and line, and nothing changes."""
    if file is None or not file.filename:
        problems = [
            {"file": None, "line": None, "field": None, "message": layout._("Choose a file to import.")}
        ]
        return layout.render(
            "network/overview.html", _context(scope, layout, problems=problems), status_code=422
        )
    try:
        before = len(service.run_check(scope.db, scope.id, record=False).violations)
    except ValidationError:
        before = None
    try:
        chosen = enum_choice(FirewallFormat, source_format, "format")
        imported = import_firewall_upload(scope, file, firewall, chosen, parse_interfaces(interfaces))
    except (ContentError, ImportRejectedError, ValidationError) as exc:
        return layout.render(
            "network/overview.html", _context(scope, layout, problems=_problems(exc)), status_code=422
        )
    return layout.render("network/overview.html", _context(scope, layout, imported=imported, before=before))


def _graph(
    report: service.CheckReport, establishment_id: int, layout: Layout
) -> tuple[str, list[dict[str, Any]]]:
    zones = [GraphZone(z.name, z.kind) for z in report.zones][:MAX_ZONES]
    shown = {z.name for z in zones}
    worst = _worst(report)
    edges = []
    rows = []
    for (source, destination), flow in sorted(report.analysis.flows.items()):
        if source == destination or source not in shown or destination not in shown or not flow.allowed:
            continue
        services = flow.allowed.describe()
        severity = worst.get((source, destination))
        label = f"{source} → {destination} : {services}"
        if severity:
            label += " — " + layout._("violates the policy")
        edge = GraphEdge(source, destination, service_count(flow.allowed), severity, label)
        edges.append(edge)
        rows.append(
            {
                "source": source,
                "destination": destination,
                "services": services,
                "severity": severity,
                "href": pair_href(establishment_id, source, destination),
            }
        )
    svg = zone_graph(
        zones,
        edges,
        lambda e: pair_href(establishment_id, e.source, e.destination),
        title=layout._("Zone graph"),
        desc=layout._(
            "Zones and the flows the firewalls allow between them; red: the flow breaks the policy."
        ),
    )
    return svg, rows


@router.get("/e/{establishment_id}/network/graph")
def graph_page(scope: ReadScope, layout: PageLayout) -> HTMLResponse:
    report = service.run_check(scope.db, scope.id, record=False)
    svg, rows = _graph(report, scope.id, layout)
    known = [k.value for k in ZoneKind]
    kinds = sorted({z.kind for z in report.zones}, key=lambda k: known.index(k) if k in known else len(known))
    return layout.render(
        "network/graph.html",
        {
            "title": layout._("Zone graph"),
            "svg": svg,
            "flows": rows,
            "kinds": [(k, layout._(KIND_LABELS[ZoneKind(k)]) if k in known else k) for k in kinds],
            "zone_count": len(report.zones),
            "more_zones": max(0, len(report.zones) - MAX_ZONES),
        },
    )


@router.get("/e/{establishment_id}/network/pair")
def pair_page(
    scope: ReadScope,
    layout: PageLayout,
    source: Annotated[str, Query(alias="from", max_length=100)] = "",
    destination: Annotated[str, Query(alias="to", max_length=100)] = "",
) -> Response:
    """What ``source`` may open towards ``destination``: the services, each allowing rule as the
    file wrote it, and the policy rules the pair breaks. Without a pair: the graph, to pick one."""
    if not source and not destination:
        return RedirectResponse(f"/e/{scope.id}/network/graph", status_code=303)
    report = service.run_check(scope.db, scope.id, record=False)
    names = {z.name: z for z in report.zones}
    if source not in names or destination not in names:
        raise NotFoundError(f"no zone pair {source!r} → {destination!r} in establishment {scope.id}")
    flow = report.analysis.flows.get((source, destination))
    stored = {
        f"{firewall.name} {rule.label}": (firewall, rule)
        for firewall in service.list_firewalls(scope.db, scope.id)
        for rule in firewall.rules
    }
    rules = []
    for label, services in sorted((flow.rules if flow else {}).items()):
        firewall, rule = stored.get(label, (None, None))
        rules.append({"label": label, "services": services.describe(), "firewall": firewall, "rule": rule})
    violations = [v for v in report.violations if (v.source, v.destination) == (source, destination)]
    violations.sort(key=lambda v: (_ORDER.index(v.rule.severity), v.rule.id))
    return layout.render(
        "network/pair.html",
        {
            "title": f"{source} → {destination}",
            "source": names[source],
            "destination": names[destination],
            "kind_labels": {k.value: layout._(v) for k, v in KIND_LABELS.items()},
            "services": flow.allowed.describe() if flow and flow.allowed else "",
            "rules": rules,
            "violations": violations,
            "lang": layout.lang,
            "reverse": pair_href(scope.id, destination, source)
            if (destination, source) in report.analysis.flows
            else "",
        },
    )
