"""REST routes of the network domain: zones, firewalls, the zone × zone matrix and the policy check.

Reading the check computes it (nothing is written); ``POST …/network/check`` records its findings in
the plan, as ``hygie network check`` does, with the same audit entry. A firewall's configuration is
uploaded to ``POST …/network/firewalls`` (the page's form goes through ``import_firewall_upload``
too); the zone file and outside scans are loaded with the CLI.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from hygie.core.errors import ContentError, ImportRejectedError, Location, ValidationError
from hygie.network import service
from hygie.network.importers import read_firewall
from hygie.network.models import FirewallFormat
from hygie.network.schemas import (
    CheckOut,
    ExpiredRuleOut,
    FirewallImportOut,
    FirewallOut,
    FlowOut,
    MatrixOut,
    MisplacementOut,
    UselessRuleOut,
    ViolationOut,
    ZoneOut,
)
from hygie.org import audit
from hygie.web.deps import EstablishmentScope, ReadScope, WriteScope
from hygie.web.errors import API_ERRORS
from hygie.web.forms import upload_name
from hygie.web.security import MAX_BODY_BYTES

router = APIRouter(prefix="/api/v1", tags=["network"], responses=API_ERRORS)
BASE = "/establishments/{establishment_id}/network"
# The request body's own limit, less room for the form around the file; larger files go by the CLI.
MAX_WEB_IMPORT_BYTES = MAX_BODY_BYTES - 64 * 1024


def parse_interfaces(text: str) -> dict[str, str]:
    """``wan0=Internet, wlan1=Wi-Fi invités`` (commas or new lines) → interface → zone."""
    found: dict[str, str] = {}
    for item in text.replace("\n", ",").split(","):
        if not item.strip():
            continue
        interface, sep, zone = item.partition("=")
        if not sep or not interface.strip() or not zone.strip():
            raise ValidationError(
                f"interfaces: write INTERFACE=ZONE, e.g. eth1=Postes (not {item.strip()!r})"
            )
        found[interface.strip()] = zone.strip()
    return found


def import_firewall_upload(
    scope: EstablishmentScope,
    upload: UploadFile,
    firewall: str,
    source_format: FirewallFormat | None = None,
    interfaces: dict[str, str] | None = None,
) -> FirewallImportOut:
    """Reads an uploaded configuration with the CLI's reader and loads it, all or nothing (a file
    over the web's limit, a wrong line or a rule naming an unknown zone: ImportRejectedError naming
    the file and the line), with the CLI's audit entry; then the check, computed (not recorded)."""
    name = upload_name(upload.filename, "firewall.conf")
    firewall = firewall.strip() or Path(name).stem or "firewall"
    with tempfile.TemporaryDirectory(prefix="hygie-network-") as folder:
        path = Path(folder) / name
        written = 0
        with path.open("wb") as out:
            while chunk := upload.file.read(1024 * 1024):
                written += len(chunk)
                if written > MAX_WEB_IMPORT_BYTES:
                    limit = MAX_WEB_IMPORT_BYTES // (1024 * 1024)
                    problem = ContentError(
                        f"the file is over {limit} MB: load it with `hygie network import` on the server",
                        Location(name),
                    )
                    raise ImportRejectedError(name, [problem])
                out.write(chunk)
        parsed = read_firewall(
            path, firewall, source_format, interfaces=interfaces, max_bytes=MAX_WEB_IMPORT_BYTES
        )
    row = service.load_firewall(scope.db, scope.id, parsed)
    audit.record_for(
        scope.db,
        scope.principal,
        action="network.import",
        object_type="network_firewall",
        object_id=row.id,
        establishment_id=scope.id,
        details={"file": parsed.file_name, "sha256": parsed.sha256, "rules": len(row.rules)},
    )
    report = service.run_check(scope.db, scope.id, record=False)
    prefix = f"{row.name} "
    touched = {
        zone
        for (source, destination), flow in report.analysis.flows.items()
        if any(label.startswith(prefix) for label in flow.rules)
        for zone in (source, destination)
    }
    return FirewallImportOut(
        firewall=row.name,
        source_format=row.source_format,
        file_name=parsed.file_name,
        rules=len(row.rules),
        zones=sorted(touched),
        notes=parsed.warnings,
        check=check_out(report),
    )


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


def check_out(report: service.CheckReport) -> CheckOut:
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
        misplacements=[
            MisplacementOut(
                rule_id=m.rule.id,
                title=m.rule.title.fr,
                severity=m.rule.severity,
                subject=m.subject,
                zones=m.zones,
                detail=m.detail,
                fix=m.fix,
                controls=list(m.rule.controls),
            )
            for m in report.misplacements
        ],
    )


@router.get(BASE + "/check")
def read_check(scope: ReadScope) -> CheckOut:
    """The policy violations, the exposure and the useless rules, computed now (nothing recorded)."""
    return check_out(service.run_check(scope.db, scope.id, record=False))


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
    return check_out(report)


@router.get(BASE + "/formats")
def firewall_formats(scope: ReadScope) -> list[FirewallFormat]:
    """The configuration formats a firewall can be loaded from."""
    return service.firewall_formats()


@router.post(BASE + "/firewalls", status_code=201)
def import_firewall(
    scope: WriteScope,
    file: Annotated[UploadFile, File(description="The firewall's configuration")],
    firewall: Annotated[str, Form(max_length=100, description="Its name; replaced when known")] = "",
    source_format: Annotated[
        FirewallFormat | None, Form(alias="format", description="Guessed from the content when left out")
    ] = None,
    interfaces: Annotated[str, Form(max_length=2000, description="INTERFACE=ZONE, comma-separated")] = "",
) -> FirewallImportOut:
    """Load one firewall's rules from its configuration file: all of them or nothing (422 naming the
    file and the line); the answer has the check computed after it (nothing recorded)."""
    return import_firewall_upload(scope, file, firewall, source_format, parse_interfaces(interfaces))
