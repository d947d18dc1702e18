"""The management report's figures: the one place they are computed, for the API, the HTML, the PDF and
the CLI alike.

Every fact comes through the domains' services: the assessment (declared levels and scores), the levels
measured from evidence, the plan (findings, actions, budget), the vulnerabilities, the network, the
continuity of care, the detection, the incidents and the awareness. ``management_summary`` reads them
(it refreshes the assessment's findings first, as every report does); ``generate`` renders the report
and stores its headline figures, which the next report's trend compares with.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session

from hygie.assess import evidence, scoring
from hygie.assess import service as assess_service
from hygie.assess.schemas import AnswerValue, MaturityScore, ReferentialResult, RequirementStatus
from hygie.assets import service as assets_service
from hygie.assets.models import AssetKind
from hygie.awareness import service as awareness_service
from hygie.core.i18n import gettext, normalise_language
from hygie.core.time import today, utcnow
from hygie.detect import service as detect_service
from hygie.detect.detectors import signals as detect_signals
from hygie.detect.models import AlertLevel, AlertStatus
from hygie.frameworks.loader import Library
from hygie.incidents import service as incidents_service
from hygie.incidents.clocks import ClockStatus
from hygie.incidents.models import CaseStatus
from hygie.incidents.views import local_text  # a pure formatting function
from hygie.network import service as network_service
from hygie.org import service as org_service
from hygie.plan import service as plan_service
from hygie.plan.models import ActionStatus, FindingSource, FindingStatus, Severity
from hygie.reports import schemas as r
from hygie.reports import service
from hygie.reports.continuity import continuity_section
from hygie.reports.vocabulary import HEADLINE
from hygie.vulns import service as vulns_service
from hygie.vulns.models import ResultKind
from hygie.vulns.ssvc import Priority

KIND = "management"
NIS2 = "nis2-art21"
CARE = "care"
NAMES_SHOWN = 3  # names given after a count in the threats ("… : A, B, C")
NEXT_ACTIONS = 6
PROPOSED = "proposed"  # the plan's actions before the establishment adopts it have no status yet
SEVERITY_RANK = {severity: rank for rank, severity in enumerate(Severity)}
OPEN_ALERTS = (AlertStatus.NEW, AlertStatus.IN_PROGRESS)
PENDING_CLOCKS = (ClockStatus.OVERDUE, ClockStatus.DUE, ClockStatus.SOON)


CHANGE_THRESHOLD = 0.05  # smaller changes (rounding) are "unchanged"


# --- Where we stand --------------------------------------------------------------------------------


def _measured_score(library: Library, scope: list[str], effective: Mapping[str, int | None]) -> MaturityScore:
    answers = {cid: AnswerValue.of_level(level) for cid, level in effective.items() if level is not None}
    return scoring.score(library, answers, scope)


def _standing(
    report: r.MaturityReport | None, measured: MaturityScore | None, rows: list[evidence.EvidenceRow]
) -> r.Standing:
    if report is None or measured is None:
        return r.Standing()
    by_dimension = {d.dimension: d.score for d in measured.dimensions}
    return r.Standing(
        campaign=report.campaign.name,
        campaign_date=report.campaign.date,
        completion=report.campaign.completion,
        declared_index=report.global_index,
        measured_index=measured.global_index,
        measured_controls=len(rows),
        evidence_gaps=sum(1 for row in rows if row.gap),
        dimensions=[
            r.DimensionStanding(
                dimension=d.dimension, declared=d.score, measured=by_dimension.get(d.dimension)
            )
            for d in report.dimensions
        ],
    )


# --- Regulatory status -----------------------------------------------------------------------------


def _referential(result: ReferentialResult, measured: MaturityScore | None, lang: str) -> r.ReferentialFigure:
    measured_percent = None
    if measured is not None:
        measured_percent = next((m.percent for m in measured.referentials if m.id == result.id), None)
    return r.ReferentialFigure(
        id=result.id,
        name=result.name.get(lang),
        percent=result.percent,
        measured_percent=measured_percent,
        compliant=result.compliant,
        partial=result.partial,
        non_compliant=result.non_compliant,
        not_assessed=result.not_assessed,
    )


def _domains(library: Library, result: ReferentialResult, lang: str) -> list[r.DomainProgress]:
    """Per section of the referential (CaRE's domains): Σ degree / assessed requirements, as scoring does
    for the whole referential."""
    referential = library.referential(result.id)
    section_of = {req.id: req.section for req in referential.requirements}
    domains = []
    for section in referential.sections:
        rows = [req for req in result.requirements if section_of.get(req.id) == section.id]
        assessed = [req.degree for req in rows if req.degree is not None]
        domains.append(
            r.DomainProgress(
                id=section.id,
                title=section.title.get(lang),
                percent=100 * sum(assessed) / len(assessed) if assessed else None,
                requirements=len(rows),
                compliant=sum(1 for req in rows if req.status == RequirementStatus.COMPLIANT),
            )
        )
    return domains


def _regulatory(
    library: Library,
    declared: MaturityScore | None,
    measured: MaturityScore | None,
    nis2: r.EstablishmentInfo,
    lang: str,
) -> r.Regulatory:
    results = {ref.id: ref for ref in declared.referentials} if declared else {}
    figures = {rid: _referential(result, measured, lang) for rid, result in results.items()}
    return r.Regulatory(
        nis2_category=nis2.nis2_category,
        nis2_reasons=nis2.nis2_reasons,
        nis2=figures.get(NIS2),
        care=figures.get(CARE),
        care_domains=_domains(library, results[CARE], lang) if CARE in results else [],
        referentials=list(figures.values()),
    )


# --- The domains -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _VulnCounts:
    kev_open: int
    obsolete: int
    exposed_vulnerable: list[str]  # names of the exposed systems with an urgent or KEV vulnerability


def _inventory(session: Session, establishment_id: int) -> tuple[r.InventoryFigures, _VulnCounts]:
    """The inventory and its vulnerabilities, and the counts the threats need."""
    kinds = assets_service.counts_by_kind(session, establishment_id)
    exposed = {a.id: a.name for a in assets_service.internet_exposed_assets(session, establishment_id)}
    by_priority = vulns_service.priority_counts(
        session, establishment_id, vulns_service.ResultFilters(vulnerabilities_only=True)
    )
    kev = vulns_service.list_results(session, establishment_id, kev=True, exclude_kind=ResultKind.EOL)
    urgent = vulns_service.list_results(
        session, establishment_id, priorities=list(vulns_service.URGENT), exclude_kind=ResultKind.EOL
    )
    obsolete = {row.asset_id for row in vulns_service.obsolete(session, establishment_id)}
    vulnerable = {row.asset_id for row in kev} | {row.asset_id for row in urgent}
    exposed_vulnerable = sorted(exposed[a] for a in vulnerable & set(exposed))
    figures = r.InventoryFigures(
        assets=sum(kinds.values()),
        by_kind={kind.value: count for kind, count in kinds.items() if count},
        medical_devices=kinds.get(AssetKind.MEDICAL_DEVICE, 0),
        exposed_systems=len(exposed),
        vulnerabilities=sum(by_priority.values()),
        by_priority={
            p.value: by_priority.get(p, 0)
            for p in (Priority.ACT, Priority.ATTEND, Priority.TRACK_STAR, Priority.TRACK)
        },
        kev_systems=len({row.asset_id for row in kev}),
        last_scan=vulns_service.last_scan(session, establishment_id),
    )
    return figures, _VulnCounts(
        kev_open=len(kev), obsolete=len(obsolete), exposed_vulnerable=exposed_vulnerable
    )


def _network(session: Session, establishment_id: int) -> r.NetworkFigures:
    """The network's state as its last check recorded it (its findings), with what was imported."""
    findings = plan_service.list_findings(session, establishment_id, source=FindingSource.NETWORK)
    severities: dict[str, int] = {}
    for finding in findings:
        severities[finding.severity.value] = severities.get(finding.severity.value, 0) + 1
    return r.NetworkFigures(
        zones=len(network_service.list_zones(session, establishment_id)),
        firewalls=len(network_service.list_firewalls(session, establishment_id)),
        exposed_ports=len(network_service.list_exposed_ports(session, establishment_id)),
        policy_violations=sum(1 for f in findings if f.key.startswith("policy:")),
        exposures=sum(1 for f in findings if f.key.startswith("exposure:")),
        findings={s.value: severities[s.value] for s in Severity if s.value in severities},
    )


def _detection(
    session: Session, establishment_id: int, until: dt.datetime | None, lang: str
) -> r.DetectionFigures:
    alerts = detect_service.list_alerts(session, establishment_id)
    open_by_level = {level.value: 0 for level in reversed(AlertLevel)}
    for alert in alerts:
        if alert.status in OPEN_ALERTS:
            open_by_level[alert.level.value] += 1
    return r.DetectionFigures(
        alerts=len(alerts),
        open_by_level=open_by_level,
        signals=[
            r.SignalFigure(
                signal=s.signal.value,
                label=gettext(s.label, lang),
                open=s.open,
                this_week=s.this_week,
                week_before=s.week_before,
            )
            for s in detect_signals.summary(session, establishment_id, until)
        ],
    )


def _incidents(session: Session, establishment_id: int, now: dt.datetime, lang: str) -> r.IncidentFigures:
    cases = [
        c for c in incidents_service.list_cases(session, establishment_id) if c.status != CaseStatus.CLOSED
    ]
    deadlines: list[r.DeadlineFigure] = []
    for case in cases:
        for clock in incidents_service.case_clocks(session, case, now):
            if clock.status in PENDING_CLOCKS:
                deadlines.append(
                    r.DeadlineFigure(
                        case=case.title,
                        notification=gettext(clock.title, lang),
                        authority=gettext(clock.authority, lang),
                        deadline=clock.deadline,
                        when=local_text(clock.deadline, lang),
                        status=clock.status.value,
                    )
                )
    deadlines.sort(key=lambda d: (d.deadline is None, d.deadline or now))
    return r.IncidentFigures(
        open=len(cases),
        cases=[
            r.CaseFigure(title=c.title, severity=c.severity.value, status=c.status.value, aware_at=c.aware_at)
            for c in sorted(cases, key=lambda c: c.aware_at, reverse=True)
        ],
        deadlines=deadlines,
        overdue=sum(1 for d in deadlines if d.status == ClockStatus.OVERDUE.value),
    )


def _continuity(section: r.ContinuitySection | None) -> r.ContinuityFigures:
    if section is None:
        return r.ContinuityFigures(ready=0, policies=0, policies_full=0)
    return r.ContinuityFigures(
        services=section.services,
        ready=sum(1 for s in section.services if s.verdict == "within"),
        policies=len(section.policies),
        policies_full=sum(1 for p in section.policies if p.met == 5),
        last_exercise=section.last_exercise,
        last_crisis_cell=section.last_crisis_cell,
        overdue=section.overdue,
    )


def _awareness(
    session: Session, establishment_id: int, section: r.ContinuitySection | None
) -> r.AwarenessFigures:
    campaigns = len(awareness_service.list_campaigns(session, establishment_id))
    if section is None:
        return r.AwarenessFigures(campaigns=campaigns)
    return r.AwarenessFigures(
        campaigns=campaigns,
        last_campaign=section.phishing_campaign,
        last_campaign_on=section.phishing_on,
        click_rate=section.click_rate,
        report_rate=section.report_rate,
        training_completion=section.training_completion,
    )


def _plan(report: r.MaturityReport | None) -> tuple[r.PlanFigures | None, r.PlanDetail]:
    if report is None or report.plan is None or report.budget is None:
        return None, r.PlanDetail()
    plan = report.plan
    counts: dict[str, int] = {}
    for action in plan.actions:
        key = PROPOSED if action.status is None else action.status.value
        counts[key] = counts.get(key, 0) + 1
    order = [PROPOSED, *(s.value for s in ActionStatus)]
    pending = [a for a in plan.actions if a.status not in (ActionStatus.DONE, ActionStatus.CANCELLED)]
    figures = r.PlanFigures(
        adopted=plan.adopted,
        actions=len(plan.actions),
        done=plan.done,
        in_progress=counts.get(ActionStatus.IN_PROGRESS.value, 0),
        cost=plan.total_cost,
        days=plan.total_days,
        budget=plan.budget,
        index_before=plan.index_before,
        index_after=plan.index_after,
        budget_position=report.budget,
    )
    detail = r.PlanDetail(
        by_status={key: counts[key] for key in order if key in counts},
        next_actions=pending[:NEXT_ACTIONS],
        roadmap=report.roadmap,
    )
    return figures, detail


# --- What threatens care ---------------------------------------------------------------------------


def _threats(
    session: Session,
    establishment_id: int,
    report: r.MaturityReport | None,
    vulns: _VulnCounts,
    continuity: r.ContinuityFigures,
    detection: r.DetectionFigures,
    incidents: r.IncidentFigures,
) -> r.Threats:
    findings = plan_service.list_findings(session, establishment_id, status=FindingStatus.OPEN)
    critical = sum(1 for f in findings if f.severity == Severity.CRITICAL)
    high = sum(1 for f in findings if f.severity == Severity.HIGH)
    exposed = vulns.exposed_vulnerable
    not_ready = [s for s in continuity.services if s.verdict != "within"]
    critical_alerts = detection.open_by_level.get(AlertLevel.CRITICAL.value, 0)
    top_critical = [w.title for w in (report.weaknesses if report else []) if w.severity == Severity.CRITICAL]
    # Worst first: what an attacker can reach now, then what is happening, then what would slow recovery.
    candidates = [
        (r.ThreatKind.EXPOSED_VULNERABLE, len(exposed), Severity.CRITICAL, exposed),
        (r.ThreatKind.CRITICAL_ALERTS, critical_alerts, Severity.CRITICAL, []),
        (r.ThreatKind.INCIDENTS, incidents.open, Severity.HIGH, [c.title for c in incidents.cases]),
        (r.ThreatKind.DEADLINES_OVERDUE, incidents.overdue, Severity.HIGH, []),
        (
            r.ThreatKind.CARE_NOT_READY,
            len(not_ready),
            Severity.CRITICAL if any(s.verdict == "over" for s in not_ready) else Severity.HIGH,
            [s.name for s in not_ready],
        ),
        (r.ThreatKind.KEV, vulns.kev_open, Severity.HIGH, []),
        (r.ThreatKind.CRITICAL_FINDINGS, critical, Severity.CRITICAL, top_critical),
        (r.ThreatKind.OBSOLETE, vulns.obsolete, Severity.MEDIUM, []),
    ]
    return r.Threats(
        critical_findings=critical,
        high_findings=high,
        exposed_vulnerable_systems=len(exposed),
        kev_open=vulns.kev_open,
        obsolete_systems=vulns.obsolete,
        services_not_ready=len(not_ready),
        critical_alerts_open=critical_alerts,
        incidents_open=incidents.open,
        deadlines_overdue=incidents.overdue,
        top=sorted(
            (
                r.Threat(kind=kind, count=count, severity=severity, names=names[:NAMES_SHOWN])
                for kind, count, severity, names in candidates
                if count > 0
            ),
            key=lambda t: SEVERITY_RANK[t.severity],  # stable: the order above within a severity
        ),
    )


# --- Trend -----------------------------------------------------------------------------------------


def _trend(session: Session, establishment_id: int, day: dt.date, now: dict[str, float | None]) -> r.Trend:
    previous = service.previous_snapshot(session, establishment_id, KIND, day)
    if previous is None:
        return r.Trend()
    lines = []
    for key, head in HEADLINE.items():
        rise_is_good = head.rise_is_good
        raw = previous.figures.get(key)
        before = float(raw) if isinstance(raw, int | float) else None
        current = now.get(key)
        delta = None if before is None or current is None else current - before
        better = None
        if delta is not None and abs(delta) >= CHANGE_THRESHOLD and rise_is_good is not None:
            better = (delta > 0) == rise_is_good
        lines.append(r.TrendLine(key=key, before=before, now=current, delta=delta, better=better))
    return r.Trend(previous_day=previous.day, lines=lines)


# --- The summary -----------------------------------------------------------------------------------


def management_summary(
    session: Session, establishment_id: int, library: Library, lang: str, on: dt.date | None = None
) -> r.ManagementSummary:
    """Every figure of the management report of ``on`` (today by default), in ``lang``."""
    lang = normalise_language(lang)
    day = on or today()
    now = utcnow() if on is None else dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC)
    establishment = org_service.get_establishment(session, establishment_id)
    nis2 = org_service.nis2_status(establishment, lang)
    info = r.EstablishmentInfo(
        name=establishment.name,
        finess=establishment.finess,
        kind=establishment.kind,
        beds=establishment.beds,
        nis2_category=nis2.category,
        nis2_reasons=nis2.reasons,
    )

    report: r.MaturityReport | None = None
    declared: MaturityScore | None = None
    measured: MaturityScore | None = None
    # Measured once: every provider reads its domain (the network check, the detection coverage…);
    # the maturity report's refresh and the continuity section below find the readings in the
    # transaction's cache (hygie.assess.evidence_cache).
    declared_levels = evidence.declared_levels(session, establishment_id, library)
    facts = evidence.measured_levels(session, establishment_id, on, library)
    if assess_service.list_campaigns(session, establishment_id):
        report = service.maturity_report(session, establishment_id, library, lang=lang)
        current = plan_service.current_maturity(session, establishment_id, library)
        scope = assess_service.scope_of(current.campaign, library)
        declared = scoring.score(library, current.answers, scope)
        effective = plan_service.with_measured(declared_levels, {c: m.level for c, m in facts.items()})
        measured = _measured_score(library, scope, effective)
    rows = evidence.compare(declared_levels, facts)
    section = continuity_section(session, establishment_id, library, declared_levels, lang=lang, on=day)

    inventory, vuln_counts = _inventory(session, establishment_id)
    detection = _detection(session, establishment_id, None if on is None else now, lang)
    incidents = _incidents(session, establishment_id, now, lang)
    continuity = _continuity(section)
    awareness = _awareness(session, establishment_id, section)
    threats = _threats(session, establishment_id, report, vuln_counts, continuity, detection, incidents)
    standing = _standing(report, measured, rows)
    plan, plan_detail = _plan(report)
    regulatory = _regulatory(library, declared, measured, info, lang)

    figures: dict[str, float | None] = {
        "declared_index": standing.declared_index,
        "measured_index": standing.measured_index,
        "critical_findings": threats.critical_findings,
        "exposed_vulnerable_systems": threats.exposed_vulnerable_systems,
        "kev_open": threats.kev_open,
        "obsolete_systems": threats.obsolete_systems,
        "services_not_ready": threats.services_not_ready,
        "critical_alerts_open": threats.critical_alerts_open,
        "incidents_open": threats.incidents_open,
        "deadlines_overdue": threats.deadlines_overdue,
        "plan_cost": plan.cost if plan else None,
        "index_after_plan": plan.index_after if plan else None,
        "nis2_percent": regulatory.nis2.percent if regulatory.nis2 else None,
        "care_percent": regulatory.care.percent if regulatory.care else None,
        "click_rate": awareness.click_rate,
        "training_completion": awareness.training_completion,
    }
    figures = {key: None if value is None else float(value) for key, value in figures.items()}
    return r.ManagementSummary(
        establishment_id=establishment_id,
        generated_on=day,
        lang=lang,
        establishment=info,
        standing=standing,
        threats=threats,
        plan=plan,
        regulatory=regulatory,
        trend=_trend(session, establishment_id, day, figures),
        headline=figures,
        assessment=r.AssessmentFigures(
            knowledge_gaps=len(report.knowledge_gaps) if report else 0,
            weaknesses=report.weaknesses if report else [],
            measured=section.measured if section else [],
        ),
        inventory=inventory,
        network=_network(session, establishment_id),
        detection=detection,
        continuity=continuity,
        incidents=incidents,
        awareness=awareness,
        plan_detail=plan_detail,
    )


ReportFormat = Literal["pdf", "html"]


def generate(
    session: Session,
    establishment_id: int,
    library: Library,
    lang: str,
    fmt: ReportFormat,
    on: dt.date | None = None,
) -> tuple[r.ManagementSummary, bytes]:
    """The report as a file's bytes, its headline figures stored for the next report's trend."""
    from hygie.reports.render import render_management_html, render_management_pdf_bytes

    summary = management_summary(session, establishment_id, library, lang, on)
    content = (
        render_management_pdf_bytes(summary)
        if fmt == "pdf"
        else render_management_html(summary).encode("utf-8")
    )
    service.record_snapshot(session, establishment_id, KIND, summary.headline, day=summary.generated_on)
    return summary, content


def file_name(finess: str, lang: str, fmt: ReportFormat, on: dt.date | None = None) -> str:
    return f"hygie-direction-{finess}-{(on or today()).isoformat()}-{lang}.{fmt}"


__all__ = ["KIND", "file_name", "generate", "management_summary"]
