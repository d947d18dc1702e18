"""Web pages of the vulnerability audit: the results by priority with filters and pages, one result
with its decision told step by step, and the obsolete systems by product and release cycle.

Read through ``hygie.vulns.service`` and the API's helpers (same results, same words as the CLI's
``hygie vulns``). Filters are a plain GET form, pages plain links. "Run the audit" is a POST form
shown to the roles that may write; it redirects back to the list with what the scan did (PRG), or
shows the list with the reason when no feed snapshot is installed.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hygie.assets import service as assets_service
from hygie.assets.labels import label as asset_label
from hygie.assets.models import Asset, AssetKind
from hygie.core.errors import NotFoundError
from hygie.core.formatting import fmt_percent
from hygie.core.i18n import N_
from hygie.core.settings import Settings
from hygie.core.time import today
from hygie.org.access import Action
from hygie.plan.models import FindingStatus, Severity
from hygie.reports.vocabulary import label as plan_label
from hygie.vulns import service
from hygie.vulns.api import NO_SNAPSHOT, NoSnapshotError, detail_of, run_scan, settings_of
from hygie.vulns.feeds import service as feeds_service
from hygie.vulns.labels import (
    ACTIONS,
    BASES,
    POINTS,
    PRIORITIES,
    PRIORITY_BADGES,
    PRIORITY_ORDER,
    SOURCES,
    STATUSES,
    VALUES,
    reason_text,
    word,
)
from hygie.vulns.models import MatchBasis, MatchStatus, ResultKind, VulnResult
from hygie.vulns.ssvc import Priority
from hygie.web.deps import EstablishmentScope, ReadScope, WriteScope
from hygie.web.forms import enum_choice
from hygie.web.layout import Layout, PageLayout
from hygie.web.pagination import PageParams, paginate
from hygie.web.registry import NavItem

router = APIRouter(include_in_schema=False)
NAV = (NavItem(N_("Vulnerabilities"), "/vulnerabilities", order=27, also=("/obsolete",)),)
PER_PAGE = 50
GROUP_ROWS = 10  # assets shown under one obsolete release; the next ones folded (<details>)
MAX_GROUP_ROWS = 500  # beyond, the filtered list of the results has them all
ORDER = PRIORITY_ORDER
BADGE = PRIORITY_BADGES
KINDS = {
    ResultKind.CVE: N_("CVE"),
    ResultKind.ADVISORY: N_("Medical advisory"),
    ResultKind.EOL: N_("End of life"),
}
FEED_STATES = {"ok": N_("up to date"), "stale": N_("stale"), "missing": N_("missing")}
FINDING_STATUSES = {
    FindingStatus.OPEN: N_("Open"),
    FindingStatus.RESOLVED: N_("Resolved"),
    FindingStatus.ACCEPTED: N_("Risk accepted"),
}
OptionalField = Annotated[str, Query(max_length=200)]
Count = Annotated[int | None, Query(ge=0, le=10_000_000)]


def _flag(value: str) -> bool:
    return value.strip() in {"1", "on", "true", "yes"}


def epss_text(value: float | None, lang: str) -> str:
    """EPSS as a percentage; below 0.1 % says so rather than a misleading 0."""
    if value is None:
        return "–"
    if value < 0.001:
        return "<\u00a0" + fmt_percent(0.1, lang, 1)
    return fmt_percent(100 * value, lang, 1)


def cvss_of(row: VulnResult) -> float | None:
    return row.cvss4 if row.cvss4 is not None else row.cvss3


def product_name(product: str, release: str) -> str:
    """An endoflife.date product and release as people write them: "Windows 7 SP1", "Nginx 1.14",
    the release alone when it already names the product ("Windows Server 2008 SP2")."""
    words = product.replace("-", " ").split()
    if words and all(w.lower() in release.lower() for w in words):
        return release
    name = " ".join(words)
    return f"{name[:1].upper()}{name[1:]} {release}".strip()


def what_of(row: VulnResult, layout: Layout, asset: Asset | None = None) -> str:
    """The CVE, the advisory, or the product and release cycle that ended (the maker's end of
    support: the maker and model of the asset)."""
    if row.kind is ResultKind.EOL:
        if row.eol_product == "maker":
            model = f"{asset.maker or ''} {asset.model or ''}".strip() if asset else ""
            return layout._("Maker's end of support") + (f" — {model}" if model else "")
        release = row.explanation.get("match", {}).get("label") or row.eol_cycle or ""
        return product_name(row.eol_product or "", str(release))
    return row.cve_id or row.advisory_id or ""


def feeds_context(settings: Settings, layout: Layout) -> dict[str, Any] | None:
    """The installed snapshot: when it was made, its sources with their age, the stale ones."""
    report = feeds_service.status(settings)
    if report.snapshot_id is None:
        return None
    ages = [f.age_days for f in report.feeds if f.age_days is not None]
    return {
        "id": report.snapshot_id,
        "created_at": report.created_at,
        "oldest_days": max(ages) if ages else None,
        "max_age_days": report.max_age_days,
        "warnings": [f.title for f in report.warnings],
        "feeds": [(f, layout._(FEED_STATES[f.state])) for f in report.feeds],
    }


# --- The list -----------------------------------------------------------------------------------


def _list_context(
    scope: EstablishmentScope,
    layout: Layout,
    request: Request,
    form: dict[str, str],
    page: int,
    *,
    scan_report: dict[str, int] | None = None,
    scan_error: str | None = None,
) -> dict[str, Any]:
    kind = enum_choice(ResultKind, form["kind"], "kind")
    asset_id = int(form["asset"]) if form["asset"].isdigit() else None
    filters = service.ResultFilters(
        priorities=(p,) if (p := enum_choice(Priority, form["priority"], "priority")) else (),
        kind=kind,
        vulnerabilities_only=kind is None,
        status=MatchStatus.NEEDS_REVIEW if _flag(form["review"]) else None,
        kev=True if _flag(form["kev"]) else None,
        medical=_flag(form["medical"]),
        department=form["department"].strip() or None,
        zone=form["zone"].strip() or None,
        asset_id=asset_id,
        text=form["q"].strip() or None,
    )
    query = service.results_query(scope.id, filters)
    rows, total = paginate(scope.db, query, PageParams(PER_PAGE, (page - 1) * PER_PAGE))
    assets = service.assets_of(scope.db, scope.id, rows)
    kept = {k: v for k, v in form.items() if v.strip()}
    last = max(1, -(-total // PER_PAGE))
    base = f"/e/{scope.id}/vulnerabilities"

    def href(**changes: Any) -> str:
        values = {k: v for k, v in {**kept, **changes}.items() if v not in (None, "")}
        return base + ("?" + urlencode(values) if values else "")

    counts = service.priority_counts(scope.db, scope.id, filters)
    chips = [
        {
            "value": p.value,
            "word": word(PRIORITIES, p.value, layout.lang),
            "count": counts[p],
            "badge": BADGE[p],
            "href": href(priority=p.value, page=None),
            "current": form["priority"] == p.value,
        }
        for p in ORDER
    ]
    return {
        "title": layout._("Vulnerabilities"),
        "rows": [_row(r, assets.get(r.asset_id), layout) for r in rows],
        "total": total,
        "chips": chips,
        "all_count": sum(counts.values()),
        "all_href": href(priority=None, page=None),
        "form": form,
        "filtered": bool(kept),
        "asset_filter": _asset_or_none(scope, asset_id),
        "kinds": [("", layout._("CVE and advisories"))] + [(k.value, layout._(m)) for k, m in KINDS.items()],
        "page": page,
        "last_page": last,
        "previous_href": href(page=page - 1) if page > 1 else None,
        "next_href": href(page=page + 1) if page < last else None,
        "can_write": scope.principal.may(scope.id, Action.WRITE),
        "feeds": feeds_context(settings_of(request), layout),
        "last_scan": service.last_scan(scope.db, scope.id),
        "scan_report": scan_report,
        "scan_error": scan_error,
        "eol_count": sum(
            service.priority_counts(scope.db, scope.id, service.ResultFilters(kind=ResultKind.EOL)).values()
        ),
    }


def _asset_or_none(scope: EstablishmentScope, asset_id: int | None) -> Asset | None:
    if asset_id is None:
        return None
    try:
        return assets_service.get_asset(scope.db, scope.id, asset_id)
    except NotFoundError:
        return None


def _row(row: VulnResult, asset: Asset | None, layout: Layout) -> dict[str, Any]:
    actions = [a for a in row.explanation.get("actions", []) if a != "verify"]
    return {
        "result": row,
        "asset": asset,
        "medical": asset is not None and asset.kind is AssetKind.MEDICAL_DEVICE,
        "what": what_of(row, layout, asset),
        "priority": word(PRIORITIES, row.priority.value, layout.lang),
        "badge": BADGE[row.priority],
        "cvss": cvss_of(row),
        "epss": epss_text(row.epss, layout.lang),
        "action": word(ACTIONS, actions[0], layout.lang) if actions else "",
        "more_actions": max(0, len(actions) - 1),
        "review": row.status is MatchStatus.NEEDS_REVIEW,
        "kind": layout._(KINDS[row.kind]),
    }


def _form(**values: str) -> dict[str, str]:
    keys = ("priority", "kind", "kev", "medical", "review", "department", "zone", "asset", "q")
    return {k: values.get(k, "") for k in keys}


@router.get("/e/{establishment_id}/vulnerabilities")
def vulnerabilities_page(
    scope: ReadScope,
    layout: PageLayout,
    request: Request,
    priority: OptionalField = "",
    kind: OptionalField = "",
    kev: OptionalField = "",
    medical: OptionalField = "",
    review: OptionalField = "",
    department: OptionalField = "",
    zone: OptionalField = "",
    asset: OptionalField = "",
    q: OptionalField = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    scanned: Count = None,
    new: Count = None,
    gone: Count = None,
    to_review: Count = None,
) -> HTMLResponse:
    form = _form(
        priority=priority,
        kind=kind,
        kev=kev,
        medical=medical,
        review=review,
        department=department,
        zone=zone,
        asset=asset,
        q=q,
    )
    report = None
    if scanned is not None:
        report = {"results": scanned, "new": new or 0, "gone": gone or 0, "review": to_review or 0}
    context = _list_context(scope, layout, request, form, page, scan_report=report)
    return layout.render("vulns/list.html", context)


@router.post("/e/{establishment_id}/vulnerabilities/scan")
def scan_submit(scope: WriteScope, layout: PageLayout, request: Request) -> Response:
    """Runs the audit, then back to the list with what it did; without a snapshot, the reason (409)."""
    try:
        report = run_scan(scope, settings_of(request))
    except NoSnapshotError:
        context = _list_context(scope, layout, request, _form(), 1, scan_error=layout._(NO_SNAPSHOT))
        return layout.render("vulns/list.html", context, status_code=409)
    query = urlencode(
        {"scanned": report.results, "new": report.new, "gone": report.gone, "to_review": report.needs_review}
    )
    return RedirectResponse(f"/e/{scope.id}/vulnerabilities?{query}", status_code=303)


# --- One result ---------------------------------------------------------------------------------


def decision_steps(row: VulnResult, layout: Layout) -> dict[str, Any]:
    """The SSVC decision path: each point with its value and where the value comes from, then the
    outcome of the table and the raise for internet exposure."""
    lang = layout.lang
    ssvc = row.explanation.get("ssvc", {})
    steps = [
        {
            "point": word(POINTS, p["name"], lang),
            "value": word(VALUES, p["value"], lang),
            "source": word(SOURCES, p["source"], lang),
            "assumed": p["source"].startswith("default"),
        }
        for p in ssvc.get("points", [])
    ]
    table, final = ssvc.get("table_outcome"), ssvc.get("priority")
    outcome = []
    if row.kind is ResultKind.EOL:
        outcome.append(
            layout._("An obsolete system gets no more fixes: %(priority)s.")
            % {"priority": word(PRIORITIES, final or "", lang)}
        )
    elif table:
        outcome.append(
            layout._("CISA coordinator decision table: %(outcome)s.")
            % {"outcome": word(PRIORITIES, table, lang)}
        )
    if table and final and table != final:
        outcome.append(
            layout._("Raised to %(priority)s because the internet reaches it.")
            % {"priority": word(PRIORITIES, final, lang)}
        )
    return {"steps": steps, "outcome": outcome}


def _cvss_name(vector: str | None) -> str:
    """ "CVSS 3.1" or "CVSS 3.0", as the vector says (3.1 when there is none)."""
    prefix = (vector or "").split("/", 1)[0]
    return prefix.replace("CVSS:", "CVSS ") if prefix.startswith("CVSS:3") else "CVSS 3.1"


def match_facts(row: VulnResult, layout: Layout) -> list[tuple[str, str]]:
    """How the result was found: the basis, the component and version, the catalogue's entry."""
    match = row.explanation.get("match", {})
    facts = [(layout._("Found through"), word(BASES, row.basis.value, layout.lang))]
    facts.append((layout._("Match"), word(STATUSES, row.status.value, layout.lang)))
    if row.component:
        facts.append((layout._("Component"), row.component))
    if row.version and row.version not in ("-", "*"):  # a CPE's "no version" and "any version"
        facts.append((layout._("Version"), row.version))
    if match.get("criteria"):
        facts.append((layout._("Catalogue entry"), str(match["criteria"])))
    if match.get("reason") and row.basis is not MatchBasis.MAKER:  # the maker's date is shown above
        facts.append((layout._("Why it matches"), reason_text(str(match["reason"]), layout.lang)))
    for context in match.get("context", []):
        reason = reason_text(str(context["reason"]), layout.lang)
        facts.append((layout._("Required platform"), f"{context['criteria']} ({reason})"))
    if match.get("advisory"):
        facts.append(
            (
                layout._("Advisory"),
                f"{match['advisory']} — {match.get('product', '')} "
                f"{match.get('advisory_versions') or ''}".strip(),
            )
        )
    return facts


@router.get("/e/{establishment_id}/vulnerabilities/{result_id}")
def result_page(scope: ReadScope, layout: PageLayout, request: Request, result_id: int) -> HTMLResponse:
    row = service.get_result(scope.db, scope.id, result_id)
    detail = detail_of(scope.db, scope.id, row, layout.lang, settings_of(request))
    asset = service.assets_of(scope.db, scope.id, [row])[row.asset_id]
    scores = row.explanation.get("scores") or {}
    sla = row.explanation.get("sla_days")
    finding = detail.finding
    return layout.render(
        "vulns/result.html",
        {
            "title": f"{what_of(row, layout, asset)} — {asset.name}",
            "result": row,
            "detail": detail,
            "asset": asset,
            "asset_kind": asset_label(asset.kind, layout.lang),
            "what": what_of(row, layout, asset),
            "priority": word(PRIORITIES, row.priority.value, layout.lang),
            "badge": BADGE[row.priority],
            "status": word(STATUSES, row.status.value, layout.lang),
            "decision": decision_steps(row, layout),
            "facts": match_facts(row, layout),
            "scores": scores,
            "cvss3": {"score": None, "vector": None} | (scores.get("cvss3") or {}),
            "cvss3_name": _cvss_name((scores.get("cvss3") or {}).get("vector")),
            "cvss4": {"score": None, "vector": None, "label": None} | (scores.get("cvss4") or {}),
            "epss": epss_text(row.epss, layout.lang),
            "epss_percentile": scores.get("epss_percentile"),
            "sla_days": sla,
            "deadline": row.first_seen.date() + timedelta(days=int(sla)) if sla else None,
            "finding": finding,
            "finding_status": layout._(FINDING_STATUSES[FindingStatus(finding.status)]) if finding else None,
            "finding_severity": plan_label(Severity(finding.severity), layout.lang) if finding else None,
            "eol_ended": row.eol_date is not None and row.eol_date <= today(),
        },
    )


# --- Obsolete systems ---------------------------------------------------------------------------


def obsolete_groups(
    rows: list[VulnResult], assets: dict[int, Asset], layout: Layout, establishment_id: int
) -> list[dict[str, Any]]:
    """The end-of-life results by product and release cycle (the maker's end of support by maker and
    model), the groups with medical devices first, and in each group the medical devices first."""
    grouped: dict[tuple[str, str], list[tuple[VulnResult, Asset]]] = defaultdict(list)
    for row in rows:
        asset = assets.get(row.asset_id)
        if asset is None:
            continue
        if row.eol_product == "maker":
            key = ("maker", f"{asset.maker or ''}\0{asset.model or ''}")
        else:
            key = (row.eol_product or "", row.eol_cycle or "")
        grouped[key].append((row, asset))
    groups: list[dict[str, Any]] = []
    for (product, _cycle), members in grouped.items():
        members.sort(
            key=lambda m: (
                m[1].kind is not AssetKind.MEDICAL_DEVICE,
                ORDER.index(m[0].priority),
                m[1].name.casefold(),
            )
        )
        ends = sorted({r.eol_date for r, _a in members if r.eol_date is not None})
        rows_of = [
            {
                "result": r,
                "asset": a,
                "kind": asset_label(a.kind, layout.lang),
                "medical": a.kind is AssetKind.MEDICAL_DEVICE,
                "priority": word(PRIORITIES, r.priority.value, layout.lang),
                "badge": BADGE[r.priority],
                "end": r.eol_date,
            }
            for r, a in members[:MAX_GROUP_ROWS]
        ]
        query = {"kind": "eol", "q": product} if product != "maker" else {"kind": "eol"}
        groups.append(
            {
                "title": what_of(members[0][0], layout, members[0][1]),
                "first_end": ends[0] if ends else None,
                "last_end": ends[-1] if ends else None,
                "ended": bool(ends) and ends[-1] <= today(),
                "dates_differ": len(ends) > 1,
                "count": len(members),
                "medical": sum(1 for _r, a in members if a.kind is AssetKind.MEDICAL_DEVICE),
                "shown": rows_of[:GROUP_ROWS],
                "folded": rows_of[GROUP_ROWS:],
                "more": max(0, len(members) - MAX_GROUP_ROWS),
                "more_href": f"/e/{establishment_id}/vulnerabilities?" + urlencode(query),
            }
        )
    groups.sort(key=lambda g: (g["medical"] == 0, g["first_end"] or date.min, g["title"].casefold()))
    for number, group in enumerate(groups, start=1):
        group["anchor"] = f"eol-{number}"
    return groups


@router.get("/e/{establishment_id}/obsolete")
def obsolete_page(scope: ReadScope, layout: PageLayout, request: Request) -> HTMLResponse:
    rows = service.obsolete(scope.db, scope.id)
    assets = service.assets_of(scope.db, scope.id, rows)
    groups = obsolete_groups(rows, assets, layout, scope.id)
    systems = {r.asset_id for r in rows}
    medical = {i for i in systems if i in assets and assets[i].kind is AssetKind.MEDICAL_DEVICE}
    return layout.render(
        "vulns/obsolete.html",
        {
            "title": layout._("Obsolete systems"),
            "groups": groups,
            "systems": len(systems),
            "medical": len(medical),
            "feeds": feeds_context(settings_of(request), layout),
            "last_scan": service.last_scan(scope.db, scope.id),
            "can_write": scope.principal.may(scope.id, Action.WRITE),
        },
    )


__all__ = ["NAV", "router"]
