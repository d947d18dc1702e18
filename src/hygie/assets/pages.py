"""Web pages of the inventory: the assets with filters, the medical devices by care department, an
asset with the origin of each of its values, and the import of a file with its change report.

Everything is read through ``hygie.assets.service`` and the API's own helpers. Filters are a plain
GET form and pages plain links (no script needed). The import form shows to the roles that may write
(RSSI, technician); their POST goes through the API's ``import_upload`` (same readers, same audit
entry), the others' is refused by the write scope.
"""

from __future__ import annotations

from collections import defaultdict
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import HTMLResponse

from hygie.assets import service
from hygie.assets.api import (
    MAX_WEB_IMPORT_BYTES,
    Filters,
    UploadTooLargeError,
    filtered,
    import_upload,
    imports_of,
)
from hygie.assets.importers import FILE_FORMATS
from hygie.assets.labels import field_label, label, solution_label, threat_label, value_label, yes_no
from hygie.assets.models import (
    Asset,
    AssetKind,
    ClinicalCriticality,
    Importer,
    MedicalSubtype,
    Patchable,
)
from hygie.assets.schemas import ASSET_FIELDS, AssetChange, AssetDetail, ScanFindingOut
from hygie.core.errors import ContentError, ImportRejectedError, ValidationError
from hygie.core.formatting import fmt_number, fmt_percent
from hygie.core.i18n import N_
from hygie.org.access import Action
from hygie.vulns import service as vulns_service
from hygie.vulns.labels import PRIORITIES, PRIORITY_BADGES, PRIORITY_ORDER, word
from hygie.vulns.ssvc import Priority
from hygie.web.deps import EstablishmentScope, ReadScope, WriteScope
from hygie.web.forms import enum_choice
from hygie.web.layout import Layout, PageLayout
from hygie.web.pagination import PageParams, paginate
from hygie.web.registry import NavItem

router = APIRouter(include_in_schema=False)
NAV = (NavItem(N_("Inventory"), "/assets", order=25),)
PER_PAGE = 50
MAX_REPORT_ROWS = 100  # rows of each table of the change report (an import of 3,000 stays readable)
OptionalField = Annotated[str, Query(max_length=200)]
BOOLEAN_FIELDS = ("remote_service", "internet_exposed")
ENUM_FIELDS = ("kind", "medical_subtype", "criticality", "patchable", "patched_by")


def _options(values: type[StrEnum], layout: Layout) -> list[tuple[str, str]]:
    return [(v.value, label(v, layout.lang)) for v in values]


def _kind_text(asset: Asset, layout: Layout) -> str:
    text = label(asset.kind, layout.lang)
    return f"{text} — {label(asset.medical_subtype, layout.lang)}" if asset.medical_subtype else text


@router.get("/e/{establishment_id}/assets")
def inventory_page(
    scope: ReadScope,
    layout: PageLayout,
    kind: OptionalField = "",
    subtype: OptionalField = "",
    criticality: OptionalField = "",
    department: OptionalField = "",
    zone: OptionalField = "",
    q: OptionalField = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    filters = Filters(
        kind=enum_choice(AssetKind, kind, "kind"),
        medical_subtype=enum_choice(MedicalSubtype, subtype, "subtype"),
        criticality=enum_choice(ClinicalCriticality, criticality, "criticality"),
        department=department.strip() or None,
        zone=zone.strip() or None,
        q=q.strip() or None,
    )
    rows, total = paginate(scope.db, filtered(scope.id, filters), PageParams(PER_PAGE, (page - 1) * PER_PAGE))
    form = {
        "kind": kind,
        "subtype": subtype,
        "criticality": criticality,
        "department": department,
        "zone": zone,
        "q": q,
    }
    kept = {k: v for k, v in form.items() if v.strip()}
    last = max(1, -(-total // PER_PAGE))

    def href(number: int) -> str:
        return f"/e/{scope.id}/assets?" + urlencode({**kept, "page": number})

    counts = service.counts_by_kind(scope.db, scope.id)
    return layout.render(
        "assets/inventory.html",
        {
            "title": layout._("Inventory"),
            "assets": [
                (a, _kind_text(a, layout), label(a.criticality, layout.lang) if a.criticality else "")
                for a in rows
            ],
            "total": total,
            "all_count": sum(counts.values()),
            "counts": [
                (k.value, label(k, layout.lang), counts[k], f"/e/{scope.id}/assets?kind={k.value}")
                for k in AssetKind
                if counts.get(k)
            ],
            "form": form,
            "filtered": bool(kept),
            "kinds": _options(AssetKind, layout),
            "subtypes": _options(MedicalSubtype, layout),
            "criticalities": _options(ClinicalCriticality, layout),
            "page": page,
            "last_page": last,
            "previous_href": href(page - 1) if page > 1 else None,
            "next_href": href(page + 1) if page < last else None,
            "can_write": scope.principal.may(scope.id, Action.WRITE),
        },
    )


@router.get("/e/{establishment_id}/assets/medical")
def medical_page(scope: ReadScope, layout: PageLayout) -> HTMLResponse:
    """Per care department: its devices by type, with criticality and patchability; the
    life-sustaining devices that cannot be patched listed apart, they need compensating measures."""
    devices = service.medical_devices(scope.db, scope.id)
    urgent = vulns_service.urgent_by_department(scope.db, scope.id)
    by_department: dict[str, list[Asset]] = defaultdict(list)
    for device in devices:
        by_department[device.department or ""].append(device)
    departments: list[dict[str, Any]] = []
    critical_total = 0
    for name in sorted(by_department, key=lambda d: (d == "", d.casefold())):
        members = by_department[name]
        subtypes: dict[MedicalSubtype, list[Asset]] = defaultdict(list)
        for device in members:
            subtypes[device.medical_subtype or MedicalSubtype.OTHER].append(device)
        rows = [
            {
                "subtype": label(subtype, layout.lang),
                "href": f"/e/{scope.id}/assets?"
                + urlencode({"kind": "medical_device", "subtype": subtype.value, "department": name}),
                "total": len(group),
                "life_sustaining": _count(group, criticality=ClinicalCriticality.LIFE_SUSTAINING),
                "diagnostic": _count(group, criticality=ClinicalCriticality.DIAGNOSTIC),
                "patchable": _count(group, patchable=Patchable.YES),
                "unpatchable": _count(group, patchable=Patchable.NO),
                "patchable_unknown": _count(group, patchable=Patchable.UNKNOWN),
                "remote": sum(1 for d in group if d.remote_service),
            }
            for subtype, group in sorted(subtypes.items(), key=lambda item: (-len(item[1]), item[0].value))
        ]
        critical = [d for d in members if _unpatchable_life_sustaining(d)]
        critical_total += len(critical)
        departments.append(
            {
                "name": name or layout._("No care department given"),
                "anchor": f"dept-{len(departments) + 1}",
                "count": len(members),
                "rows": rows,
                "critical": [(d, label(d.medical_subtype, layout.lang)) for d in critical],
                "urgent": _urgent_links(scope.id, name, urgent.get(name), layout),
            }
        )
    return layout.render(
        "assets/medical.html",
        {
            "title": layout._("Medical devices by care department"),
            "departments": departments,
            "total": len(devices),
            "critical_total": critical_total,
            "unpatchable_total": sum(1 for d in devices if d.patchable is Patchable.NO),
        },
    )


def _urgent_links(
    establishment_id: int, department: str, counts: dict[Priority, int] | None, layout: Layout
) -> list[dict[str, Any]]:
    """The department's Act and Attend vulnerabilities (from the audit), each with the link to them."""
    links = []
    for priority in vulns_service.URGENT:
        query = {"medical": "1", "priority": priority.value}
        if department:
            query["department"] = department
        links.append(
            {
                "count": (counts or {}).get(priority, 0),
                "word": word(PRIORITIES, priority.value, layout.lang),
                "badge": "critical" if priority is Priority.ACT else "high",
                "href": f"/e/{establishment_id}/vulnerabilities?" + urlencode(query),
            }
        )
    return links


def _count(
    devices: list[Asset],
    *,
    criticality: ClinicalCriticality | None = None,
    patchable: Patchable | None = None,
) -> int:
    return sum(
        1
        for d in devices
        if (criticality is None or d.criticality is criticality)
        and (patchable is None or d.patchable is patchable)
    )


def _unpatchable_life_sustaining(device: Asset) -> bool:
    return device.criticality is ClinicalCriticality.LIFE_SUSTAINING and device.patchable is Patchable.NO


def _value(detail: AssetDetail, field: str, layout: Layout) -> str:
    value = getattr(detail, field)
    if field in BOOLEAN_FIELDS:
        return yes_no(value, layout.lang)
    if field in ENUM_FIELDS:
        return label(value, layout.lang)
    return "–" if value is None else str(value)


@router.get("/e/{establishment_id}/assets/import")
def import_page(scope: ReadScope, layout: PageLayout) -> HTMLResponse:
    return layout.render("assets/import.html", _import_context(scope, layout))


def _import_context(
    scope: EstablishmentScope,
    layout: Layout,
    *,
    form: dict[str, str] | None = None,
    problems: list[dict[str, Any]] | None = None,
    report: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "title": layout._("Import into the inventory"),
        "imports": [(i, label(i.importer, layout.lang)) for i in imports_of(scope.db, scope.id)],
        "formats": [(f.value, label(f, layout.lang)) for f in FILE_FORMATS],
        "form": form or {"format": "", "hostname": ""},
        "problems": problems or [],
        "report": report,
        "can_write": scope.principal.may(scope.id, Action.WRITE),
        "limit_mb": MAX_WEB_IMPORT_BYTES // (1024 * 1024),
    }


def _problem(problem: ContentError, layout: Layout) -> dict[str, Any]:
    where = problem.location
    return {
        "line": where.line if where else None,
        "field": where.field if where else None,
        "message": problem.message,
    }


def _changes(entry: AssetChange, layout: Layout) -> list[tuple[str, str, str]]:
    return [
        (
            field_label(c.field, layout.lang),
            value_label(c.field.split(" ")[0], c.old, layout.lang),
            value_label(c.field.split(" ")[0], c.new, layout.lang),
        )
        for c in entry.changes
    ]


@router.post("/e/{establishment_id}/assets/import")
def import_submit(
    scope: WriteScope,
    layout: PageLayout,
    file: Annotated[UploadFile | None, File()] = None,
    file_format: Annotated[str, Form(alias="format", max_length=20)] = "",
    hostname: Annotated[str, Form(max_length=255)] = "",
) -> HTMLResponse:
    """Imports the file and shows what changed; a refused file lists its problems, nothing imported."""
    form = {"format": file_format, "hostname": hostname}
    problems: list[dict[str, Any]] = []
    if file is None or not file.filename:
        problems.append({"line": None, "field": None, "message": layout._("Choose a file to import.")})
    else:
        try:
            outcome = import_upload(scope, file, enum_choice(Importer, file_format, "format"), hostname)
        except ImportRejectedError as exc:
            problems = [_problem(p, layout) for p in exc.problems]
        except UploadTooLargeError as exc:
            context = _import_context(scope, layout, form=form, problems=[_message(str(exc))])
            return layout.render("assets/import.html", context, status_code=413)
        except ValidationError as exc:
            problems.append(_message(str(exc)))
    if problems:
        context = _import_context(scope, layout, form=form, problems=problems)
        return layout.render("assets/import.html", context, status_code=422)
    report = {
        "outcome": outcome,
        "importer": label(outcome.importer, layout.lang),
        "created": outcome.created[:MAX_REPORT_ROWS],
        "updated": [(entry, _changes(entry, layout)) for entry in outcome.updated[:MAX_REPORT_ROWS]],
        "more_created": max(0, len(outcome.created) - MAX_REPORT_ROWS),
        "more_updated": max(0, len(outcome.updated) - MAX_REPORT_ROWS),
    }
    return layout.render("assets/import.html", _import_context(scope, layout, form=form, report=report))


def _message(text: str) -> dict[str, Any]:
    return {"line": None, "field": None, "message": text}


@router.get("/e/{establishment_id}/assets/{asset_id}")
def asset_page(scope: ReadScope, layout: PageLayout, asset_id: int) -> HTMLResponse:
    detail = service.asset_detail(scope.db, scope.id, asset_id)
    origin = {p.field: p for p in detail.provenance}
    fields = [
        {
            "label": field_label(field, layout.lang),
            "value": _value(detail, field, layout),
            "origin": origin.get(field),
            "importer": label(origin[field].importer, layout.lang) if field in origin else None,
        }
        for field in ASSET_FIELDS
    ]
    return layout.render(
        "assets/asset.html",
        {
            "title": detail.name,
            "asset": detail,
            "kind": label(detail.kind, layout.lang),
            "subtype": label(detail.medical_subtype, layout.lang) if detail.medical_subtype else None,
            "fields": fields,
            "software": [(s, label(s.source, layout.lang)) for s in detail.software],
            "unpatchable_life_sustaining": detail.criticality is ClinicalCriticality.LIFE_SUSTAINING
            and detail.patchable is Patchable.NO,
            "vulns": _vulns_summary(scope, detail.id, layout),
            "scan_findings": [_scan_finding(f, layout) for f in detail.scan_findings],
        },
    )


# The scanner's threat levels as the plan's badges (a log entry is information, not a weakness).
THREAT_BADGES = {"high": "high", "medium": "medium", "low": "low"}


def _vulns_summary(scope: EstablishmentScope, asset_id: int, layout: Layout) -> dict[str, Any]:
    """The asset's results by priority (from the audit), each count a link to the filtered list."""
    summary = vulns_service.asset_summary(scope.db, scope.id, asset_id)
    base = f"/e/{scope.id}/vulnerabilities"
    return {
        "total": summary.total,
        "href": f"{base}?" + urlencode({"asset": asset_id}),
        "chips": [
            {
                "count": summary.priorities[p],
                "word": word(PRIORITIES, p.value, layout.lang),
                "badge": PRIORITY_BADGES[p],
                "href": f"{base}?" + urlencode({"asset": asset_id, "priority": p.value}),
            }
            for p in PRIORITY_ORDER
        ],
        "eol": summary.eol,
        "eol_href": f"{base}?" + urlencode({"asset": asset_id, "kind": "eol"}),
        "audited": vulns_service.last_scan(scope.db, scope.id) is not None,
    }


def _scan_finding(finding: ScanFindingOut, layout: Layout) -> dict[str, Any]:
    return {
        "finding": finding,
        "severity": fmt_number(finding.severity, layout.lang, 1),
        "badge": THREAT_BADGES.get((finding.threat or "").lower(), "info"),
        "threat": threat_label(finding.threat, layout.lang),
        "qod": fmt_percent(finding.qod, layout.lang) if finding.qod is not None else "–",
        "solution_type": solution_label(finding.solution_type, layout.lang),
    }


__all__ = ["NAV", "router"]
