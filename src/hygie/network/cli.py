"""``hygie network``: zones, firewall rules, the zone × zone matrix, the policy check, exposure."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from hygie.assets.importers import read_file as read_inventory_file
from hygie.assets.models import Importer
from hygie.cli.common import (
    EstablishmentArg,
    JsonOption,
    LangOption,
    console,
    database,
    error_console,
    handle_errors,
    print_json,
)
from hygie.core.csvtext import neutralise
from hygie.core.errors import ImportRejectedError
from hygie.core.i18n import gettext, normalise_language
from hygie.network import service
from hygie.network.importers import read_firewall, read_zones
from hygie.network.models import FirewallFormat
from hygie.network.reachability import Analysis
from hygie.org import audit
from hygie.org import service as org_service

app = typer.Typer(
    help="Réseau / network: zones, firewall rules, what reaches what, segmentation policy, exposure.",
    no_args_is_help=True,
)

InterfaceOption = typer.Option(
    "--interface", help="An interface and the zone it faces: eth1=Postes (repeat the option)"
)
DefinitionsOption = typer.Option(
    "--definitions", help="aerleon: a definitions file or folder (networks, services); repeat the option"
)
PolicyOption = typer.Option(
    "--policy", help="Segmentation policy (YAML); default: HYGIE_HOME/network/policy.yaml"
)


def _rejected(exc: ImportRejectedError, file: Path, lang: str) -> typer.Exit:
    message = gettext("%(count)s problem(s), nothing imported", lang) % {"count": len(exc.problems)}
    error_console.print(f"[bold red]{escape(file.name)}[/] : {message}", highlight=False)
    for problem in exc.problems:
        error_console.print(f"  - {problem}", markup=False, highlight=False)
    return typer.Exit(1)


def _interfaces(values: list[str] | None) -> dict[str, str]:
    found: dict[str, str] = {}
    for value in values or []:
        interface, sep, zone = value.partition("=")
        if not sep or not interface.strip() or not zone.strip():
            raise typer.BadParameter("write INTERFACE=ZONE, e.g. eth1=Postes", param_hint="--interface")
        found[interface.strip()] = zone.strip()
    return found


@app.command("zones")
@handle_errors
def zones(
    establishment: EstablishmentArg,
    file: Annotated[Path, typer.Argument(help="Zone file (YAML: zones: [{name, kind, networks}])")],
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """Replace the establishment's zones by the file's."""
    lang = normalise_language(lang)
    try:
        read = read_zones(file)
    except ImportRejectedError as exc:
        raise _rejected(exc, file, lang) from exc
    with database() as session:
        target = org_service.find_establishment(session, establishment)
        rows = service.replace_zones(session, target.id, read)
        audit.record(
            session,
            actor=audit.cli_actor(),
            action="network.zones",
            object_type="network_zone",
            establishment_id=target.id,
            details={"file": file.name, "zones": len(rows)},
        )
    if as_json:
        print_json({"zones": [z.name for z in read]})
        return
    console.print(gettext("%(count)s zone(s) loaded", lang) % {"count": len(read)})


@app.command("import")
@handle_errors
def import_(
    establishment: EstablishmentArg,
    file: Annotated[
        Path,
        typer.Argument(
            help="iptables-save, nft -j list ruleset, pfSense/OPNsense config.xml, Cisco IOS/ASA "
            "running-config, aerleon policy (.yaml/.pol) or CSV"
        ),
    ],
    firewall: Annotated[str, typer.Option("--firewall", help="Name of the firewall (replaced if known)")],
    file_format: Annotated[
        FirewallFormat | None, typer.Option("--format", help="Format of the file (guessed otherwise)")
    ] = None,
    interface: Annotated[list[str] | None, InterfaceOption] = None,
    definitions: Annotated[list[Path] | None, DefinitionsOption] = None,
    add_zones: Annotated[
        bool,
        typer.Option("--add-zones", help="aerleon: add the policy's networks as zones (those not known yet)"),
    ] = False,
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """Load one firewall's rules: all of them, or nothing when any is wrong."""
    lang = normalise_language(lang)
    try:
        parsed = read_firewall(
            file, firewall, file_format, interfaces=_interfaces(interface), definitions=definitions or ()
        )
        with database() as session:
            target = org_service.find_establishment(session, establishment)
            before = {z.name for z in service.list_zones(session, target.id)}
            row = service.load_firewall(session, target.id, parsed, with_zones=add_zones)
            count = len(row.rules)
            added = sorted({z.name for z in service.list_zones(session, target.id)} - before)
            audit.record(
                session,
                actor=audit.cli_actor(),
                action="network.import",
                object_type="network_firewall",
                object_id=row.id,
                establishment_id=target.id,
                details={
                    "file": parsed.file_name,
                    "sha256": parsed.sha256,
                    "rules": count,
                    "zones_added": len(added),
                },
            )
    except ImportRejectedError as exc:
        raise _rejected(exc, file, lang) from exc
    if as_json:
        print_json({"firewall": firewall, "rules": count, "zones_added": added, "notes": parsed.warnings})
        return
    console.print(
        gettext("%(count)s rule(s) loaded for %(firewall)s", lang) % {"count": count, "firewall": firewall}
    )
    if added:
        console.print(
            Text(gettext("%(count)s zone(s) added", lang) % {"count": len(added)} + ": " + ", ".join(added))
        )
    for note in parsed.warnings:
        console.print(f"  - {note}", markup=False, highlight=False)


def _flows(analysis: Analysis) -> list[dict[str, Any]]:
    return [
        {
            "source": flow.source,
            "destination": flow.destination,
            "services": flow.allowed.describe(),
            "rules": {label: s.describe() for label, s in sorted(flow.rules.items())},
        }
        for (_, _), flow in sorted(analysis.flows.items())
    ]


@app.command("matrix")
@handle_errors
def matrix(
    establishment: EstablishmentArg,
    csv_file: Annotated[
        Path | None, typer.Option("--csv", help="Also write the matrix to this CSV file")
    ] = None,
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """What each zone may open towards each other zone, and the rules that allow it."""
    lang = normalise_language(lang)

    def _(message: str) -> str:
        return gettext(message, lang)

    with database() as session:
        target = org_service.find_establishment(session, establishment)
        _zones, analysis = service.analyse_establishment(session, target.id)
    flows = _flows(analysis)
    if csv_file is not None:
        with csv_file.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, delimiter=";")
            writer.writerow([_("From"), _("To"), _("Allowed services"), _("Rules")])
            for flow in flows:
                rules = " | ".join(f"{k}: {v}" for k, v in flow["rules"].items())
                writer.writerow(
                    [neutralise(str(flow[c])) for c in ("source", "destination", "services")]
                    + [neutralise(rules)]
                )
    if as_json:
        print_json({"flows": flows, "useless": [u.__dict__ for u in analysis.useless]})
        return
    table = Table(_("From"), _("To"), _("Allowed services"), _("Rules"))
    for flow in flows:
        rules = "\n".join(f"{k}: {v}" for k, v in flow["rules"].items())
        table.add_row(*(Text(str(flow[c])) for c in ("source", "destination", "services")), Text(rules))
    console.print(table)


@app.command("check")
@handle_errors
def check(
    establishment: EstablishmentArg,
    policy: Annotated[Path | None, PolicyOption] = None,
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """Check the matrix and the exposure against the segmentation policy; violations become findings."""
    lang = normalise_language(lang)

    def _(message: str) -> str:
        return gettext(message, lang)

    with database() as session:
        target = org_service.find_establishment(session, establishment)
        report = service.run_check(session, target.id, service.policy_for(policy))
        audit.record(
            session,
            actor=audit.cli_actor(),
            action="network.check",
            object_type="network_check",
            establishment_id=target.id,
            details={"violations": len(report.violations), "exposures": len(report.exposures)},
        )
    violations: list[dict[str, Any]] = [
        {
            "rule": v.rule.id,
            "title": v.rule.title.fr if lang == "fr" else v.rule.title.en,
            "severity": v.rule.severity,
            "source": v.source,
            "destination": v.destination,
            "services": v.services.describe(),
            "allowed_by": {k: s.describe() for k, s in v.allowed_by.items()},
        }
        for v in report.violations
    ]
    exposures = [
        {
            "address": e.port.address,
            "port": f"{e.port.protocol}/{e.port.port}",
            "severity": e.severity,
            "services": e.names,
        }
        for e in report.exposures
    ]
    useless = [{"ruleset": u.ruleset, "rule": u.label, "kind": u.kind, "by": u.by} for u in report.useless]
    expired = [
        {
            "firewall": e.rule.firewall,
            "rule": e.rule.label,
            "expires": e.rule.expires.isoformat() if e.rule.expires else None,
            "owner": e.rule.owner,
            "origin": e.rule.origin,
        }
        for e in report.expired
    ]
    misplaced = [
        {
            "rule": m.rule.id,
            "severity": m.rule.severity,
            "subject": m.subject,
            "detail": m.detail_in(lang),
            "fix": m.fix_in(lang),
        }
        for m in report.misplacements
    ]
    if as_json:
        print_json(
            {
                "violations": violations,
                "exposures": exposures,
                "useless": useless,
                "expired": expired,
                "misplacements": misplaced,
                "findings": report.findings,
            }
        )
        return
    table = Table(_("Rule"), _("Severity"), _("From"), _("To"), _("Services"), _("Allowed by"))
    for v in violations:
        allowed = "\n".join(f"{k}: {s}" for k, s in v["allowed_by"].items())
        table.add_row(
            Text(f"{v['rule']} {v['title']}"),
            _(str(v["severity"]).capitalize()),
            Text(str(v["source"])),
            Text(str(v["destination"])),
            Text(str(v["services"])),
            Text(allowed),
        )
    console.print(table)
    for e in exposures:
        console.print(Text(f"{_('Exposed to the internet')}: {e['address']} {e['port']} ({e['severity']})"))
    for u in useless:
        kind = _("shadowed") if u["kind"] == "shadowed" else _("redundant")
        console.print(Text(f"{u['ruleset']} {u['rule']}: {kind}"))
    expired_on = _("expired on")
    for x in expired:
        owner = f" ({x['owner']})" if x["owner"] else ""
        console.print(Text(f"{x['firewall']} {x['rule']}: {expired_on} {x['expires']}{owner}"))
    for m in misplaced:
        console.print(Text(f"{m['rule']} ({_(str(m['severity']).capitalize())}) {m['detail']} → {m['fix']}"))
    console.print(
        _("%(violations)s violation(s), %(exposures)s exposure(s), %(findings)s finding(s) recorded")
        % {"violations": len(violations), "exposures": len(exposures), "findings": report.findings}
    )


@app.command("diff")
@handle_errors
def diff(
    establishment: EstablishmentArg,
    file: Annotated[Path, typer.Argument(help="The new configuration of a known firewall")],
    firewall: Annotated[str, typer.Option("--firewall", help="Name of the firewall to compare with")],
    file_format: Annotated[FirewallFormat | None, typer.Option("--format", help="Format of the file")] = None,
    interface: Annotated[list[str] | None, InterfaceOption] = None,
    definitions: Annotated[list[Path] | None, DefinitionsOption] = None,
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """What loading this file would open and close between zones (nothing is saved)."""
    lang = normalise_language(lang)

    def _(message: str) -> str:
        return gettext(message, lang)

    try:
        parsed = read_firewall(
            file, firewall, file_format, interfaces=_interfaces(interface), definitions=definitions or ()
        )
    except ImportRejectedError as exc:
        raise _rejected(exc, file, lang) from exc
    with database() as session:
        target = org_service.find_establishment(session, establishment)
        changes = service.diff_firewall(session, target.id, parsed)
    rows: list[dict[str, Any]] = [
        {
            "direction": direction,
            "source": c.source,
            "destination": c.destination,
            "opened": c.opened.describe() if c.opened else "",
            "closed": c.closed.describe() if c.closed else "",
            "opened_by": {k: s.describe() for k, s in c.opened_by.items()},
        }
        for direction, c in changes
    ]
    if as_json:
        print_json(rows)
        return
    table = Table(_("Direction"), _("From"), _("To"), _("Opened"), _("Closed by the change"), _("Opened by"))
    for r in rows:
        by = "\n".join(f"{k}: {s}" for k, s in r["opened_by"].items())
        table.add_row(
            *(Text(str(r[c])) for c in ("direction", "source", "destination", "opened", "closed")), Text(by)
        )
    console.print(table)
    if not rows:
        console.print(_("No flow opened or closed."))


@app.command("exposure")
@handle_errors
def exposure(
    establishment: EstablishmentArg,
    file: Annotated[Path, typer.Argument(help="Nmap XML report of a scan taken from outside")],
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """Load what a scan from outside found open (replaces the previous scan); `check` rates it."""
    lang = normalise_language(lang)
    try:
        parsed = read_inventory_file(file, Importer.NMAP)
    except ImportRejectedError as exc:
        raise _rejected(exc, file, lang) from exc
    with database() as session:
        target = org_service.find_establishment(session, establishment)
        count = service.import_exposure(session, target.id, parsed.records, file.name)
        audit.record(
            session,
            actor=audit.cli_actor(),
            action="network.exposure",
            object_type="network_exposed_port",
            establishment_id=target.id,
            details={"file": file.name, "ports": count},
        )
    if as_json:
        print_json({"ports": count})
        return
    console.print(gettext("%(count)s open port(s) seen from outside", lang) % {"count": count})
