"""``hygie assets``: import inventories (Nmap, CSV, CycloneDX, GLPI, NetBox), list and show assets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from hygie.assets import service
from hygie.assets.importers import ParsedFile, glpi_api, netbox, read_file
from hygie.assets.labels import field_label, label, value_label, yes_no
from hygie.assets.models import AssetKind, ClinicalCriticality, Importer, MedicalSubtype
from hygie.assets.schemas import ASSET_FIELDS, AssetChange, AssetDetail, AssetOut, ImportReport
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
from hygie.core.errors import ImportRejectedError
from hygie.core.i18n import gettext, normalise_language
from hygie.org import audit
from hygie.org import service as org_service

app = typer.Typer(
    help="Inventaire / inventory: import scans, inventories and SBOMs; list and show assets.",
    no_args_is_help=True,
)

# Rows of a change table printed before "--json for the rest": an import of 3,000 assets stays readable.
MAX_ROWS = 100


def _add_row(table: Table, *cells: str) -> None:
    """A row whose cells are plain text: a value read from a file (``[bold]``, ``[/x]``) is never markup."""
    table.add_row(*(Text(cell) for cell in cells))


def _changes(entry: AssetChange, lang: str) -> str:
    lines = []
    for change in entry.changes:
        old, new = value_label(change.field, change.old, lang), value_label(change.field, change.new, lang)
        lines.append(f"{field_label(change.field, lang)} : {old} → {new}")
    return "\n".join(lines)


def _summary(entry: AssetChange, lang: str) -> str:
    """What a new asset came with: how many fields, addresses, open ports and software."""
    counts = {"fields": 0, "addresses": 0, "ports": 0, "software": 0, "findings": 0}
    for change in entry.changes:
        head = change.field.split(" ")[0]
        group = {"ip": "addresses", "mac": "addresses", "port": "ports", "software": "software"}
        counts[group.get(head, "findings" if head == "finding" else "fields")] += 1
    text = (
        gettext(
            "%(fields)s field(s), %(addresses)s address(es), %(ports)s open port(s), %(software)s software",
            lang,
        )
        % counts
    )
    if counts["findings"]:
        text += gettext(", %(findings)s scanner finding(s)", lang) % counts
    return text


def _print_report(report: ImportReport, warnings: list[str], lang: str) -> None:
    def _(message: str) -> str:
        return gettext(message, lang)

    summary = _("%(created)s created, %(updated)s updated, %(unchanged)s unchanged") % {
        "created": len(report.created),
        "updated": len(report.updated),
        "unchanged": len(report.unchanged),
    }
    console.print(
        f"[bold]{escape(report.file_name)}[/] ({label(report.importer, lang)}) — {summary}", highlight=False
    )
    tables = (
        (_("New assets"), report.created, _summary),
        (_("Assets updated"), report.updated, _changes),
    )
    for title, entries, describe in tables:
        if not entries:
            continue
        table = Table("#", _("Asset"), _("Matched on"), _("Changes"), title=title, show_lines=True)
        for entry in entries[:MAX_ROWS]:
            _add_row(table, str(entry.asset_id), entry.name, entry.matched_on or "", describe(entry, lang))
        console.print(table)
        if len(entries) > MAX_ROWS:
            more = _("… and %(count)s more (--json lists them all)") % {"count": len(entries) - MAX_ROWS}
            console.print(more, highlight=False)
    caution = _("Warning")
    for warning in [*warnings, *report.warnings]:
        console.print(f"[yellow]{caution}[/] : {escape(warning)}", highlight=False)


def _store(establishment: str, parsed: ParsedFile, lang: str, as_json: bool) -> None:
    """Merges what a reader gave into the inventory, records it in the audit trail, prints the report."""
    with database() as session:
        target = org_service.find_establishment(session, establishment)
        report = service.import_assets(session, target.id, parsed.records, parsed.source)
        audit.record(
            session,
            actor=audit.cli_actor(),
            action="asset.import",
            object_type="asset_import",
            object_id=report.import_id,
            establishment_id=target.id,
            details=service.audit_details(report, parsed.source),
        )
    if as_json:
        print_json({**report.model_dump(mode="json"), "notes": parsed.warnings})
        return
    _print_report(report, parsed.warnings, lang)


def _rejected(source: str, exc: ImportRejectedError, lang: str) -> typer.Exit:
    rejected = gettext("%(count)s problem(s), nothing imported", lang) % {"count": len(exc.problems)}
    error_console.print(f"[bold red]{escape(source)}[/] : {rejected}", highlight=False)
    for problem in exc.problems:
        error_console.print(f"  - {problem}", markup=False, highlight=False)
    return typer.Exit(1)


@app.command("import")
@handle_errors
def import_(
    establishment: EstablishmentArg,
    file: Annotated[
        Path,
        typer.Argument(
            help="Nmap XML, CSV inventory, GLPI export (CSV), CycloneDX SBOM (JSON/XML) "
            "or Greenbone/OpenVAS report (XML/CSV)"
        ),
    ],
    file_format: Annotated[
        Importer | None,
        typer.Option("--format", help="Format of the file (guessed from its content otherwise)"),
    ] = None,
    hostname: Annotated[
        str | None, typer.Option(help="CycloneDX: the hostname of the asset the SBOM describes")
    ] = None,
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """Import one file into the inventory: all of it, or nothing when any part is wrong."""
    lang = normalise_language(lang)
    if hostname and file_format not in (None, Importer.CYCLONEDX):
        raise typer.BadParameter(
            "--hostname names the asset of a CycloneDX SBOM only", param_hint="--hostname"
        )
    try:
        parsed = read_file(file, file_format, hostname=hostname)
        if hostname and parsed.source.importer is not Importer.CYCLONEDX:
            raise typer.BadParameter(
                "--hostname names the asset of a CycloneDX SBOM only", param_hint="--hostname"
            )
        _store(establishment, parsed, lang, as_json)
    except ImportRejectedError as exc:
        raise _rejected(file.name, exc, lang) from exc


@app.command("import-glpi")
@handle_errors
def import_glpi(
    establishment: EstablishmentArg,
    url: Annotated[
        str, typer.Option(help="GLPI's REST API, e.g. https://glpi.chu.local/apirest.php", show_default=False)
    ],
    app_token: Annotated[
        str | None,
        typer.Option(
            envvar="HYGIE_GLPI_APP_TOKEN",
            help="GLPI's App-Token for Hygie (better in HYGIE_GLPI_APP_TOKEN: a command line is visible)",
            show_default=False,
        ),
    ] = None,
    user_token: Annotated[
        str | None,
        typer.Option(
            envvar="HYGIE_GLPI_USER_TOKEN",
            help="The API token of a GLPI user who may read the assets (better in HYGIE_GLPI_USER_TOKEN)",
            show_default=False,
        ),
    ] = None,
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """Import the computers, network devices, printers and peripherals of a GLPI server, with their
    addresses, system and software: all of them, or nothing when anything goes wrong."""
    lang = normalise_language(lang)
    if not user_token:
        raise typer.BadParameter(
            "give the API token of a GLPI user (HYGIE_GLPI_USER_TOKEN)", param_hint="--user-token"
        )
    try:
        parsed = glpi_api.fetch(url, user_token=user_token, app_token=app_token)
        _store(establishment, parsed, lang, as_json)
    except ImportRejectedError as exc:
        raise _rejected(exc.source, exc, lang) from exc


@app.command("import-netbox")
@handle_errors
def import_netbox(
    establishment: EstablishmentArg,
    url: Annotated[
        str, typer.Option(help="NetBox's address, e.g. https://netbox.chu.local", show_default=False)
    ],
    token: Annotated[
        str | None,
        typer.Option(
            envvar="HYGIE_NETBOX_TOKEN",
            help="A NetBox API token that may read devices (better in HYGIE_NETBOX_TOKEN)",
            show_default=False,
        ),
    ] = None,
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """Import the devices and virtual machines of a NetBox, with their addresses, place, role and
    custom fields: all of them, or nothing when anything goes wrong."""
    lang = normalise_language(lang)
    try:
        parsed = netbox.fetch(url, token=token)
        _store(establishment, parsed, lang, as_json)
    except ImportRejectedError as exc:
        raise _rejected(exc.source, exc, lang) from exc


@app.command("list")
@handle_errors
def list_(
    establishment: EstablishmentArg,
    kind: Annotated[AssetKind | None, typer.Option(help="Only this kind of asset")] = None,
    subtype: Annotated[MedicalSubtype | None, typer.Option(help="Only this type of medical device")] = None,
    criticality: Annotated[
        ClinicalCriticality | None, typer.Option(help="Only this clinical criticality")
    ] = None,
    department: Annotated[str | None, typer.Option(help="Care department (part of its name)")] = None,
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """List the establishment's assets, with filters."""
    lang = normalise_language(lang)

    def _(message: str) -> str:
        return gettext(message, lang)

    with database() as session:
        target = org_service.find_establishment(session, establishment)
        assets = service.list_assets(
            session,
            target.id,
            kind=kind,
            department=department,
            medical_subtype=subtype,
            criticality=criticality,
        )
        rows = [AssetOut.model_validate(a) for a in assets]
    if as_json:
        print_json(rows)
        return
    table = Table(
        "#",
        _("Name"),
        _("Kind"),
        _("Addresses"),
        _("Maker"),
        _("Model"),
        _("Care department"),
        _("Criticality"),
    )
    for a in rows:
        kind_text = label(a.kind, lang)
        if a.medical_subtype is not None:
            kind_text += f"\n{label(a.medical_subtype, lang)}"
        _add_row(
            table,
            str(a.id),
            a.name if not a.hostname or a.hostname == a.name else f"{a.name}\n{a.hostname}",
            kind_text,
            "\n".join(address.value for address in a.addresses),
            a.maker or "",
            a.model or "",
            a.department or "",
            label(a.criticality, lang) if a.criticality else "",
        )
    console.print(table)
    console.print(_("%(count)s asset(s)") % {"count": len(rows)}, highlight=False)


def _value(detail: AssetDetail, field: str, lang: str) -> str:
    value = getattr(detail, field)
    if isinstance(value, bool) or (value is None and field in ("remote_service", "internet_exposed")):
        return yes_no(value, lang)
    if field in ("kind", "medical_subtype", "criticality", "patchable", "patched_by"):
        return label(value, lang)
    return "–" if value is None else str(value)


@app.command("show")
@handle_errors
def show(
    establishment: EstablishmentArg,
    asset_id: Annotated[int, typer.Argument(help="Id of the asset")],
    lang: str = LangOption,
    as_json: bool = JsonOption,
) -> None:
    """Show an asset: each field with where its value comes from, addresses, ports, software, and
    what a vulnerability scanner found on it."""
    lang = normalise_language(lang)

    def _(message: str) -> str:
        return gettext(message, lang)

    with database() as session:
        target = org_service.find_establishment(session, establishment)
        detail = service.asset_detail(session, target.id, asset_id)
    if as_json:
        print_json(detail)
        return
    origin = {p.field: p for p in detail.provenance}
    guessed = _("guessed")
    fields = Table(
        _("Field"), _("Value"), _("Source"), _("Imported at"), title=escape(f"#{detail.id} {detail.name}")
    )
    for field in ASSET_FIELDS:
        p = origin.get(field)
        source = ""
        if p is not None:
            source = f"{label(p.importer, lang)} · {p.file_name}"
            if p.guessed:
                source += f" ({guessed})"
        when = p.imported_at.strftime("%Y-%m-%d %H:%M UTC") if p is not None else ""
        _add_row(fields, field_label(field, lang), _value(detail, field, lang), source, when)
    console.print(fields)
    if detail.addresses:
        addresses = Table(_("Address"), _("Vendor"), _("First seen"), _("Last seen"), title=_("Addresses"))
        for a in detail.addresses:
            _add_row(
                addresses, a.value, a.vendor or "", f"{a.first_seen:%Y-%m-%d}", f"{a.last_seen:%Y-%m-%d}"
            )
        console.print(addresses)
    if detail.services:
        ports = Table(_("Port"), _("Service"), _("Product"), _("Version"), "CPE", title=_("Open ports"))
        for s in detail.services:
            _add_row(
                ports,
                f"{s.protocol}/{s.port}",
                s.service or "",
                s.product or "",
                s.version or "",
                s.cpe or "",
            )
        console.print(ports)
    if detail.software:
        software = Table(
            _("Software"), _("Version"), _("Source"), "CPE / purl", title=_("Installed software")
        )
        for item in detail.software[:MAX_ROWS]:
            _add_row(
                software, item.name, item.version or "", label(item.source, lang), item.purl or item.cpe or ""
            )
        console.print(software)
        if len(detail.software) > MAX_ROWS:
            more = _("… and %(count)s more (--json lists them all)") % {
                "count": len(detail.software) - MAX_ROWS
            }
            console.print(more, highlight=False)
    _print_findings(detail, lang)


def _print_findings(detail: AssetDetail, lang: str) -> None:
    """The scanner's findings, most severe first (log entries included: they say what it saw)."""
    if not detail.scan_findings:
        return

    def _(message: str) -> str:
        return gettext(message, lang)

    table = Table(
        _("Port"), _("Check"), _("Severity"), "QoD", "CVE", _("Last seen"), title=_("Scanner findings")
    )
    for f in detail.scan_findings[:MAX_ROWS]:
        cves = ", ".join(f.cves[:3]) + (f" (+{len(f.cves) - 3})" if len(f.cves) > 3 else "")
        qod = f"{f.qod} %" if f.qod is not None else "–"
        _add_row(table, f.port, f.name, f"{f.severity:.1f}", qod, cves, f"{f.seen_at:%Y-%m-%d}")
    console.print(table)
    if len(detail.scan_findings) > MAX_ROWS:
        more = _("… and %(count)s more (--json lists them all)") % {
            "count": len(detail.scan_findings) - MAX_ROWS
        }
        console.print(more, highlight=False)
