"""The audit of an establishment: match its inventory against the feed snapshot, prioritise, store the
results and turn them into findings of the plan. The only writer of ``vulns_result``.

Findings. Each result is one finding of source ``vulnerability`` with the result's key, tied to the
catalogue controls TEC-PATCH (a CVE or advisory) or TEC-EOL (an obsolete system), plus TEC-BIOMED for
a medical device and TEC-EXPOSURE for a system the internet reaches. Severity and SLA by priority:

========  ========  ==========
priority  severity  SLA (days)
========  ========  ==========
act       critical  7
attend    high      30
track*    medium    90
track     low       180
========  ========  ==========

A vulnerability scanner's findings (OpenVAS reports imported into the inventory) are results too
(``hygie.vulns.scanner``): a check that names CVEs gives a CVE result, one that names none a result
of kind ``scanner``; both get their priority from the same SSVC tree.

A result that "needs review" gets the severity one step lower (never below low) and the same SLA:
someone has to confirm or dismiss it in that time. A rescan resolves the findings no longer found.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
from sqlalchemy import ColumnElement, Select, case, delete, func, or_, select
from sqlalchemy.orm import Session

from hygie.assets import service as assets_service
from hygie.assets.models import Asset, AssetKind, Patchable, PatchedBy
from hygie.core.errors import NotFoundError
from hygie.core.time import today as utc_today
from hygie.core.time import utcnow
from hygie.org import service as org_service
from hygie.plan import service as plan_service
from hygie.plan.models import FindingSource, Severity
from hygie.plan.schemas import FindingIn
from hygie.vulns import scanner
from hygie.vulns.feeds.cvss_scores import BadVectorError, score_vector
from hygie.vulns.feeds.errors import FeedError
from hygie.vulns.feeds.read import connect
from hygie.vulns.feeds.snapshot import Snapshot
from hygie.vulns.labels import subject
from hygie.vulns.matching.engine import AssetProfile, Match, SoftwareItem, feed_tables, match_assets
from hygie.vulns.matching.names import Aliases, default_aliases
from hygie.vulns.models import MatchBasis, MatchStatus, ResultKind, VulnResult
from hygie.vulns.ssvc import AssetFacts, CveFacts, Decision, Priority, decide, eol_decision

SLA_DAYS = {Priority.ACT: 7, Priority.ATTEND: 30, Priority.TRACK_STAR: 90, Priority.TRACK: 180}
SEVERITY = {
    Priority.ACT: Severity.CRITICAL,
    Priority.ATTEND: Severity.HIGH,
    Priority.TRACK_STAR: Severity.MEDIUM,
    Priority.TRACK: Severity.LOW,
}
_LOWER = {Severity.CRITICAL: Severity.HIGH, Severity.HIGH: Severity.MEDIUM, Severity.MEDIUM: Severity.LOW}


@dataclass
class ScanReport:
    establishment_id: int
    snapshot_id: str | None
    assets: int
    results: int
    new: int
    gone: int
    by_priority: dict[str, int]
    needs_review: int


def profile_of(asset: Asset) -> AssetProfile:
    software = [SoftwareItem(f"software:{s.id}", s.cpe, s.purl, s.version) for s in asset.software]
    software += [
        SoftwareItem(f"service:{s.protocol}/{s.port}", s.cpe, None, s.version)
        for s in asset.services
        if s.cpe
    ]
    return AssetProfile(
        asset_id=asset.id,
        maker=asset.maker,
        model=asset.model,
        firmware=asset.firmware,
        os_cpe=asset.os_cpe,
        end_of_support=asset.end_of_support,
        software=software,
    )


def facts_of(asset: Asset) -> AssetFacts:
    return AssetFacts(
        kind=asset.kind.value,
        criticality=asset.criticality.value if asset.criticality else None,
        department=asset.department,
        internet_exposed=asset.internet_exposed,
    )


def cannot_be_patched(asset: Asset) -> bool:
    """A medical device its MDS2 form says cannot take updates, or that only its maker may patch."""
    return asset.kind == AssetKind.MEDICAL_DEVICE and (
        asset.patchable == Patchable.NO or asset.patched_by == PatchedBy.MAKER
    )


# What a scanner's solution type (Greenbone's) asks, when it is not a fix from the vendor.
_SOLUTION_ACTIONS = {
    "Workaround": "mitigate",
    "Mitigation": "mitigate",
    "NoneAvailable": "restrict_access",
    "WillNotFix": "restrict_access",
}


def actions_for(
    asset: Asset, kind: ResultKind, status: MatchStatus, solution_type: str | None = None
) -> list[str]:
    """What to do, as codes the CLI and pages translate (``labels.ACTIONS``); ``solution_type`` is
    the scanner's, for a result it found."""
    actions = ["verify"] if status == MatchStatus.NEEDS_REVIEW else []
    if cannot_be_patched(asset):
        actions += ["isolate", "restrict_access", "ask_maker"]
        if kind == ResultKind.EOL:
            actions.append("plan_replacement")
    elif kind == ResultKind.EOL:
        actions.append("replace_or_upgrade")
    elif solution_type in _SOLUTION_ACTIONS:
        actions.append(_SOLUTION_ACTIONS[solution_type])
    else:
        actions.append("mitigate" if kind == ResultKind.SCANNER and solution_type is None else "patch")
    if asset.internet_exposed:
        actions.append("remove_exposure")
    return actions


def cve_facts(db: duckdb.DuckDBPyConnection, cve_ids: Sequence[str]) -> dict[str, CveFacts]:
    facts = {c: CveFacts() for c in cve_ids}
    if not facts:
        return facts
    ids = list(facts)
    tables = feed_tables(db)

    def rows(table: str, sql: str) -> list[Any]:
        return db.execute(sql, [ids]).fetchall() if table in tables else []

    for cve, due, ransomware in rows(
        "kev", "SELECT cve_id, due_date, known_ransomware_use FROM kev WHERE list_contains(?, cve_id)"
    ):
        facts[cve].in_kev, facts[cve].kev_due, facts[cve].ransomware = True, str(due), bool(ransomware)
    for cve, epss, percentile in rows(
        "epss", "SELECT cve_id, epss, percentile FROM epss WHERE list_contains(?, cve_id)"
    ):
        facts[cve].epss, facts[cve].epss_percentile = epss, percentile
    for cve, exploitation, automatable, impact, vector in rows(
        "vulnrichment_ssvc",
        """SELECT cve_id, exploitation, automatable, technical_impact, cvss3_vector
           FROM vulnrichment_ssvc WHERE list_contains(?, cve_id)""",
    ):
        f = facts[cve]
        f.exploitation, f.automatable, f.technical_impact = exploitation, automatable, impact
        f.cvss3_vector = f.cvss3_vector or vector
    for cve, v3, v4 in rows(
        "nvd_cve", "SELECT cve_id, cvss3_vector, cvss40_vector FROM nvd_cve WHERE list_contains(?, cve_id)"
    ):
        facts[cve].cvss3_vector = v3 or facts[cve].cvss3_vector
        facts[cve].cvss4_vector = v4
    for cve, vector in rows(
        "csaf_score",
        "SELECT cve_id, min(cvss_vector) FROM csaf_score WHERE list_contains(?, cve_id) GROUP BY 1",
    ):
        facts[cve].cvss3_vector = facts[cve].cvss3_vector or vector
    for cve, reference, kind, title, url, published in rows(
        "certfr_advisory",
        """SELECT c.cve_id, a.reference, a.kind, a.title, a.url, a.published
           FROM certfr_cve c JOIN certfr_advisory a USING (reference)
           WHERE list_contains(?, c.cve_id) ORDER BY a.published DESC NULLS LAST, a.reference""",
    ):
        facts[cve].certfr.append(
            {
                "reference": reference,
                "kind": kind,
                "title": title,
                "url": url,
                "published": published.date().isoformat() if published else None,
            }
        )
    _score(facts.values())
    return facts


def advisory_facts(db: duckdb.DuckDBPyConnection, advisory_ids: Sequence[str]) -> dict[str, CveFacts]:
    """The CVSS vectors a medical advisory gives to its vulnerabilities without a CVE: the only facts
    SSVC can use for them (automatable and technical impact from the vector)."""
    facts = {a: CveFacts() for a in advisory_ids}
    if not facts or "csaf_score" not in feed_tables(db):
        return facts
    for advisory, v3, v4 in db.execute(
        """SELECT advisory_id,
                  max(cvss_vector) FILTER (WHERE cvss_version LIKE '3%'),
                  max(cvss_vector) FILTER (WHERE cvss_version LIKE '4%')
           FROM csaf_score WHERE cve_id IS NULL AND list_contains(?, advisory_id) GROUP BY 1""",
        [list(facts)],
    ).fetchall():
        facts[advisory].cvss3_vector, facts[advisory].cvss4_vector = v3, v4
    _score(facts.values())
    return facts


def _score(facts: Iterable[CveFacts]) -> None:
    for f in facts:
        for vector in (f.cvss3_vector, f.cvss4_vector):
            if not vector:
                continue
            try:
                score = score_vector(vector)
            except BadVectorError:
                continue
            if score.version == "4.0":
                f.cvss4_score, f.cvss4_label = score.score, score.nomenclature
            else:
                f.cvss3_score = score.score


def _explanation(
    match: Match, decision: Decision, facts: CveFacts | None, actions: list[str]
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "match": {"basis": match.basis, "status": match.status, **match.details},
        "ssvc": decision.as_dict(),
        "actions": actions,
        "sla_days": SLA_DAYS[decision.priority],
    }
    if facts is not None:
        out["scores"] = {
            "kev": facts.in_kev,
            "kev_due": facts.kev_due,
            "ransomware": facts.ransomware,
            "epss": facts.epss,
            "epss_percentile": facts.epss_percentile,
            "cvss3": {"vector": facts.cvss3_vector, "score": facts.cvss3_score},
            "cvss4": {"vector": facts.cvss4_vector, "score": facts.cvss4_score, "label": facts.cvss4_label},
            "certfr": facts.certfr,
        }
    return out


def scan(
    session: Session,
    establishment_id: int,
    *,
    db: duckdb.DuckDBPyConnection | None = None,
    snapshot_id: str | None = None,
    today: date | None = None,
    aliases: Aliases | None = None,
) -> ScanReport:
    """Matches the establishment's inventory against the feeds (default: the current snapshot) and
    replaces its results and vulnerability findings, in one transaction (a savepoint)."""
    org_service.get_establishment(session, establishment_id)
    aliases = aliases or default_aliases()
    day = today or utc_today()
    own = db is None
    feeds = connect() if db is None else db
    try:
        assets = {a.id: a for a in assets_service.list_assets(session, establishment_id)}
        found = match_assets(feeds, [profile_of(a) for a in assets.values()], aliases, day)
        seen, said = scanner.scanner_matches(assets_service.scan_findings(session, establishment_id))
        matches = scanner.merge(found, seen)
        facts = cve_facts(feeds, sorted({m.cve_id for m in matches if m.cve_id}))
        advisories = advisory_facts(
            feeds, sorted({m.advisory_id for m in matches if m.advisory_id and not m.cve_id})
        )
    finally:
        if own:
            feeds.close()
    now = utcnow()
    with session.begin_nested():
        existing = {
            r.key: r
            for r in session.scalars(
                select(VulnResult).where(VulnResult.establishment_id == establishment_id)
            )
        }
        keep: set[str] = set()
        new = 0
        for match in matches:
            asset = assets[match.asset_id]
            status, kind = MatchStatus(match.status), ResultKind(match.kind)
            cve = facts.get(match.cve_id) if match.cve_id else advisories.get(match.advisory_id or "")
            seen_by = said.get(match.key)  # the scanner's word on it
            if seen_by is not None:
                cve = scanner.with_vector(cve, seen_by.cvss_vector)
            essential = aliases.essential_departments
            decision = (
                decide(cve or CveFacts(), facts_of(asset), essential, seen_by)
                if kind != ResultKind.EOL
                else (eol_decision(facts_of(asset), essential))
            )
            actions = actions_for(asset, kind, status, scanner.solution_type(match))
            row = existing.get(match.key)
            if row is None:
                row = VulnResult(establishment_id=establishment_id, key=match.key, first_seen=now)
                session.add(row)
                new += 1
            row.asset_id, row.kind, row.basis, row.status = asset.id, kind, MatchBasis(match.basis), status
            row.cve_id, row.advisory_id, row.nvt_oid = match.cve_id, match.advisory_id, match.nvt_oid
            row.eol_product, row.eol_cycle, row.eol_date = match.eol_product, match.eol_cycle, match.eol_date
            row.component = (match.component or "")[:500] or None
            row.version = (match.version or "")[:200] or None
            row.priority = decision.priority
            row.kev = bool(cve and cve.in_kev)
            row.epss = cve.epss if cve else None
            row.cvss3 = cve.cvss3_score if cve else None
            row.cvss4 = cve.cvss4_score if cve else None
            row.explanation = _explanation(match, decision, cve, actions)
            row.snapshot_id = snapshot_id
            row.last_seen = now
            keep.add(match.key)
        gone = [k for k in existing if k not in keep]
        if gone:
            session.execute(
                delete(VulnResult).where(
                    VulnResult.establishment_id == establishment_id, VulnResult.key.in_(gone)
                )
            )
        session.flush()
        results = list_results(session, establishment_id)
        plan_service.upsert_findings(
            session,
            establishment_id,
            FindingSource.VULNERABILITY,
            [finding_of(r, assets[r.asset_id]) for r in results],
        )
    counts = {p.value: 0 for p in Priority}
    for r in results:
        counts[r.priority.value] += 1
    return ScanReport(
        establishment_id=establishment_id,
        snapshot_id=snapshot_id,
        assets=len(assets),
        results=len(results),
        new=new,
        gone=len(gone),
        by_priority=counts,
        needs_review=sum(1 for r in results if r.status == MatchStatus.NEEDS_REVIEW),
    )


def finding_of(result: VulnResult, asset: Asset) -> FindingIn:
    severity = SEVERITY[result.priority]
    if result.status == MatchStatus.NEEDS_REVIEW:
        severity = _LOWER.get(severity, Severity.LOW)
    controls = ["TEC-EOL"] if result.kind == ResultKind.EOL else ["TEC-PATCH"]
    if asset.kind == AssetKind.MEDICAL_DEVICE:
        controls.append("TEC-BIOMED")
    if asset.internet_exposed:
        controls.append("TEC-EXPOSURE")
    what = about = subject(result)
    if result.kind == ResultKind.EOL:
        what = f"end of life: {what}"
    sla = SLA_DAYS[result.priority]
    return FindingIn(
        key=result.key[:300],
        title=f"{what} — {asset.name}"[:500],
        severity=severity,
        control_ids=controls,
        asset_refs=[f"asset:{asset.id}"],
        care_services=[asset.department] if asset.department else [],
        evidence={
            "subject": about,  # the same on every asset: the report groups on it
            "kind": result.kind.value,
            "vulns_result": result.id,
            "priority": result.priority.value,
            "status": result.status.value,
            "basis": result.basis.value,
            "bases": list(result.explanation.get("match", {}).get("bases", [result.basis.value])),
            "nvt_oid": result.nvt_oid,
            "kev": result.kev,
            "epss": result.epss,
            "cvss3": result.cvss3,
            "cvss4": result.cvss4,
            "sla_days": sla,
            "due": (result.first_seen.date() + timedelta(days=sla)).isoformat(),
            "actions": list(result.explanation.get("actions", [])),
        },
    )


def list_results(
    session: Session,
    establishment_id: int,
    *,
    priorities: Sequence[Priority] | None = None,
    kev: bool | None = None,
    asset_id: int | None = None,
    kind: ResultKind | None = None,
    exclude_kind: ResultKind | None = None,
) -> list[VulnResult]:
    """The establishment's results, most urgent first (priority, KEV, EPSS), then by asset."""
    query = select(VulnResult).where(VulnResult.establishment_id == establishment_id)
    if priorities:
        query = query.where(VulnResult.priority.in_([p.value for p in priorities]))
    if kev is not None:
        query = query.where(VulnResult.kev.is_(kev))
    if asset_id is not None:
        query = query.where(VulnResult.asset_id == asset_id)
    if kind is not None:
        query = query.where(VulnResult.kind == kind)
    if exclude_kind is not None:
        query = query.where(VulnResult.kind != exclude_kind)
    rows = list(session.scalars(query.order_by(VulnResult.id)))
    rank = {p: i for i, p in enumerate((Priority.ACT, Priority.ATTEND, Priority.TRACK_STAR, Priority.TRACK))}
    rows.sort(key=lambda r: (rank[r.priority], not r.kev, -(r.epss or 0.0), r.asset_id, r.key))
    return rows


def get_result(session: Session, establishment_id: int, result_id: int) -> VulnResult:
    """The result, if it belongs to the establishment (NotFoundError otherwise, the same for both)."""
    row = session.scalar(
        select(VulnResult).where(VulnResult.id == result_id, VulnResult.establishment_id == establishment_id)
    )
    if row is None:
        raise NotFoundError(f"no vulnerability result {result_id} in establishment {establishment_id}")
    return row


def obsolete(session: Session, establishment_id: int) -> list[VulnResult]:
    """The establishment's systems past (or near) their end of life."""
    return list_results(session, establishment_id, kind=ResultKind.EOL)


# --- Reading for the web: filtered pages, counts, the feeds' KEV dates ----------------------------

URGENT = (Priority.ACT, Priority.ATTEND)
_RANK = {Priority.ACT: 0, Priority.ATTEND: 1, Priority.TRACK_STAR: 2, Priority.TRACK: 3}


@dataclass(frozen=True)
class ResultFilters:
    """The filters of the results' list (API and pages). ``vulnerabilities_only`` leaves out the
    end-of-life results (the obsolete systems have their own list); department, zone and text match
    a part of the value, as in the inventory."""

    priorities: tuple[Priority, ...] = ()
    kind: ResultKind | None = None
    vulnerabilities_only: bool = False
    status: MatchStatus | None = None
    kev: bool | None = None
    medical: bool = False
    department: str | None = None
    zone: str | None = None
    asset_id: int | None = None
    text: str | None = None


def _asset_ids(establishment_id: int, **filters: Any) -> Select[tuple[int]]:
    """Ids of the establishment's assets matching the inventory's own filters (its service's query)."""
    found = assets_service.assets_query(establishment_id, **filters).subquery()
    return select(found.c.id)


def _conditions(
    establishment_id: int, filters: ResultFilters, *, with_priority: bool = True
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [VulnResult.establishment_id == establishment_id]
    if with_priority and filters.priorities:
        where.append(VulnResult.priority.in_(filters.priorities))
    if filters.kind is not None:
        where.append(VulnResult.kind == filters.kind)
    if filters.vulnerabilities_only:
        where.append(VulnResult.kind != ResultKind.EOL)
    if filters.status is not None:
        where.append(VulnResult.status == filters.status)
    if filters.kev is not None:
        where.append(VulnResult.kev.is_(filters.kev))
    if filters.asset_id is not None:
        where.append(VulnResult.asset_id == filters.asset_id)
    if filters.medical or filters.department or filters.zone:
        ids = _asset_ids(
            establishment_id,
            kind=AssetKind.MEDICAL_DEVICE if filters.medical else None,
            department=filters.department,
            zone=filters.zone,
        )
        where.append(VulnResult.asset_id.in_(ids))
    text = (filters.text or "").strip().lower()
    if text:
        columns = (VulnResult.cve_id, VulnResult.advisory_id, VulnResult.component, VulnResult.eol_product)
        where.append(
            or_(
                *(func.lower(c).contains(text, autoescape=True) for c in columns),
                VulnResult.asset_id.in_(_asset_ids(establishment_id, text=text)),
            )
        )
    return where


def results_query(establishment_id: int, filters: ResultFilters | None = None) -> Select[VulnResult]:
    """The results with these filters, most urgent first: priority, then KEV, EPSS and CVSS (4.0,
    else 3.x) from the highest; a statement, for pages of it."""
    rank = case(_RANK, value=VulnResult.priority, else_=len(_RANK))
    return (
        select(VulnResult)
        .where(*_conditions(establishment_id, filters or ResultFilters()))
        .order_by(
            rank,
            VulnResult.kev.desc(),
            func.coalesce(VulnResult.epss, -1.0).desc(),
            func.coalesce(VulnResult.cvss4, VulnResult.cvss3, -1.0).desc(),
            VulnResult.id,
        )
    )


def priority_counts(
    session: Session, establishment_id: int, filters: ResultFilters | None = None
) -> dict[Priority, int]:
    """How many results of each priority the filters give, leaving their own priority choice aside
    (the counts of the priority chips)."""
    where = _conditions(establishment_id, filters or ResultFilters(), with_priority=False)
    rows = session.execute(
        select(VulnResult.priority, func.count()).where(*where).group_by(VulnResult.priority)
    )
    counts = dict.fromkeys(_RANK, 0)
    for priority, count in rows:
        counts[Priority(priority)] = count
    return counts


def assets_of(session: Session, establishment_id: int, results: Sequence[VulnResult]) -> dict[int, Asset]:
    """The assets the results touch, by id."""
    ids = sorted({r.asset_id for r in results})
    if not ids:
        return {}
    query = assets_service.assets_query(establishment_id).where(Asset.id.in_(ids))
    return {a.id: a for a in session.scalars(query)}


@dataclass(frozen=True)
class AssetVulnSummary:
    """One asset's results: how many vulnerabilities (CVE, advisories, scanner checks) of each
    priority, as the results' list filtered on the asset counts them, and its end-of-life results."""

    priorities: dict[Priority, int]
    eol: int

    @property
    def total(self) -> int:
        return sum(self.priorities.values())


def asset_summary(session: Session, establishment_id: int, asset_id: int) -> AssetVulnSummary:
    """The asset's results by priority and its end-of-life count (all zero for an asset never matched)."""
    vulns = priority_counts(
        session, establishment_id, ResultFilters(asset_id=asset_id, vulnerabilities_only=True)
    )
    eol = priority_counts(session, establishment_id, ResultFilters(asset_id=asset_id, kind=ResultKind.EOL))
    return AssetVulnSummary(vulns, sum(eol.values()))


def urgent_by_department(session: Session, establishment_id: int) -> dict[str, dict[Priority, int]]:
    """Per care department of the medical devices ("" for none given): how many Act and Attend
    vulnerabilities (CVE and advisories, not end of life) touch its devices."""
    departments = {
        d.id: d.department or "" for d in assets_service.medical_devices(session, establishment_id)
    }
    rows = session.execute(
        select(VulnResult.asset_id, VulnResult.priority, func.count())
        .where(
            VulnResult.establishment_id == establishment_id,
            VulnResult.priority.in_(URGENT),
            VulnResult.kind != ResultKind.EOL,
        )
        .group_by(VulnResult.asset_id, VulnResult.priority)
    )
    counts: dict[str, dict[Priority, int]] = {}
    for asset_id, priority, count in rows:
        if asset_id not in departments:
            continue
        per = counts.setdefault(departments[asset_id], dict.fromkeys(URGENT, 0))
        per[Priority(priority)] += count
    return counts


def last_scan(session: Session, establishment_id: int) -> datetime | None:
    """When the establishment's results were last refreshed (None: never, or nothing found)."""
    return session.scalar(
        select(func.max(VulnResult.last_seen)).where(VulnResult.establishment_id == establishment_id)
    )


@dataclass(frozen=True)
class KevEntry:
    date_added: date | None
    due_date: date | None
    ransomware: bool
    required_action: str | None


def kev_entry(cve_id: str, snapshot: Snapshot | None = None) -> KevEntry | None:
    """What the current snapshot's KEV catalogue says of a CVE (None: not there, or no snapshot)."""
    try:
        feeds = connect(snapshot)
    except FeedError:
        return None
    try:
        if "kev" not in feed_tables(feeds):
            return None
        row = feeds.execute(
            "SELECT date_added, due_date, known_ransomware_use, required_action FROM kev WHERE cve_id = ?",
            [cve_id],
        ).fetchone()
    finally:
        feeds.close()
    if row is None:
        return None
    return KevEntry(row[0], row[1], bool(row[2]), row[3])
