"""Operations of awareness; the only writer of the ``awareness_*`` tables.

Every write refreshes the awareness findings of the plan (``plan.service.upsert_findings``). An
import is one call: everything it brings is checked before the first row is written, and the
caller's transaction lands it whole or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from hygie.awareness import rates as rates_mod
from hygie.awareness.findings import MAX_AGE, AwarenessFacts, awareness_findings
from hygie.awareness.gophish import GophishResults, count_by_department
from hygie.awareness.models import (
    PhishingCampaign,
    PhishingDepartment,
    RecordSource,
    TrainingSession,
)
from hygie.awareness.rates import CampaignCounts, Completion, Counts, TrendPoint
from hygie.awareness.schemas import (
    AwarenessOverview,
    CompletionOut,
    DepartmentCountsOut,
    DepartmentOverview,
    PhishingCampaignOut,
    TrainingImportReport,
    TrainingIn,
    TrendPointOut,
)
from hygie.core.errors import NotFoundError, ValidationError
from hygie.core.time import today
from hygie.org import service as org_service
from hygie.plan import service as plan_service
from hygie.plan.models import Finding, FindingSource

__all__ = [
    "add_training",
    "campaign_out",
    "campaigns_query",
    "delete_training",
    "facts",
    "get_campaign",
    "import_phishing",
    "import_trainings",
    "list_campaigns",
    "list_trainings",
    "overview",
    "refresh_findings",
    "trainings_query",
]


# --- Training -------------------------------------------------------------------------------------


def _training_row(establishment_id: int, data: TrainingIn, source: RecordSource) -> TrainingSession:
    return TrainingSession(
        establishment_id=establishment_id,
        held_on=data.held_on,
        topic=data.topic,
        format=data.format,
        department=data.department,
        staff_category=data.staff_category,
        invited=data.invited,
        completed=data.completed,
        source=source,
    )


def add_training(session: Session, establishment_id: int, data: TrainingIn) -> TrainingSession:
    """Records one training session entered by hand."""
    org_service.get_establishment(session, establishment_id)
    row = _training_row(establishment_id, data, RecordSource.MANUAL)
    session.add(row)
    session.flush()
    refresh_findings(session, establishment_id)
    return row


def import_trainings(
    session: Session, establishment_id: int, sessions: Sequence[TrainingIn], file_name: str
) -> TrainingImportReport:
    """Records the sessions read from a training CSV (already checked whole by its reader)."""
    org_service.get_establishment(session, establishment_id)
    if not sessions:
        raise ValidationError(f"{file_name}: no training session in the file")
    session.add_all(_training_row(establishment_id, data, RecordSource.CSV) for data in sessions)
    session.flush()
    refresh_findings(session, establishment_id)
    return TrainingImportReport(
        file_name=file_name,
        sessions=len(sessions),
        invited=sum(s.invited for s in sessions),
        completed=sum(s.completed for s in sessions),
    )


def delete_training(session: Session, establishment_id: int, training_id: int) -> None:
    """A training session recorded by mistake, removed (the findings follow)."""
    row = session.get(TrainingSession, training_id)
    if row is None or row.establishment_id != establishment_id:
        raise NotFoundError(f"no training session {training_id} in establishment {establishment_id}")
    session.delete(row)
    session.flush()
    refresh_findings(session, establishment_id)


def trainings_query(establishment_id: int) -> Select[TrainingSession]:
    return (
        select(TrainingSession)
        .where(TrainingSession.establishment_id == establishment_id)
        .order_by(TrainingSession.held_on.desc(), TrainingSession.department, TrainingSession.id)
    )


def list_trainings(session: Session, establishment_id: int) -> list[TrainingSession]:
    """The sessions, latest first."""
    return list(session.scalars(trainings_query(establishment_id)))


# --- Phishing -------------------------------------------------------------------------------------


def import_phishing(
    session: Session,
    establishment_id: int,
    name: str,
    results: GophishResults,
    *,
    source: RecordSource,
    mapping: Mapping[str, str] | None = None,
    launched_on: date | None = None,
    file_name: str | None = None,
) -> PhishingCampaign:
    """Stores a campaign's counts per department; a campaign of the same name is replaced. The
    recipients' addresses are used to find departments here and go no further."""
    org_service.get_establishment(session, establishment_id)
    name = name.strip()[:200]
    if not name:
        raise ValidationError("a phishing campaign needs a name")
    if not results.recipients:
        raise ValidationError(f"{name}: the campaign has no recipient")
    day = launched_on or results.launched_on
    if day is None:
        raise ValidationError(f"{name}: no e-mail was sent yet; give the launch date")
    counts = count_by_department(results.recipients, mapping or {})
    existing = session.scalar(
        select(PhishingCampaign).where(
            PhishingCampaign.establishment_id == establishment_id, PhishingCampaign.name == name
        )
    )
    if existing is not None:
        session.delete(existing)
        session.flush()
    campaign = PhishingCampaign(
        establishment_id=establishment_id,
        name=name,
        launched_on=day,
        source=source,
        gophish_id=results.gophish_id,
        file_name=file_name[:200] if file_name else None,
    )
    campaign.departments = [
        PhishingDepartment(
            department=department,
            recipients=c.recipients,
            sent=c.sent,
            opened=c.opened,
            clicked=c.clicked,
            submitted=c.submitted,
            reported=c.reported,
        )
        for department, c in counts.items()
    ]
    session.add(campaign)
    session.flush()
    refresh_findings(session, establishment_id)
    return campaign


def campaigns_query(establishment_id: int) -> Select[PhishingCampaign]:
    return (
        select(PhishingCampaign)
        .where(PhishingCampaign.establishment_id == establishment_id)
        .options(selectinload(PhishingCampaign.departments))
        .order_by(PhishingCampaign.launched_on.desc(), PhishingCampaign.id.desc())
    )


def list_campaigns(session: Session, establishment_id: int) -> list[PhishingCampaign]:
    """The campaigns, latest first, with their departments."""
    return list(session.scalars(campaigns_query(establishment_id)))


def get_campaign(session: Session, establishment_id: int, campaign_id: int) -> PhishingCampaign:
    campaign = session.get(PhishingCampaign, campaign_id)
    if campaign is None or campaign.establishment_id != establishment_id:
        raise NotFoundError(f"no phishing campaign {campaign_id} in this establishment")
    return campaign


def _counts(row: PhishingDepartment) -> Counts:
    return Counts(row.recipients, row.sent, row.opened, row.clicked, row.submitted, row.reported)


def counts_out(department: str, counts: Counts) -> DepartmentCountsOut:
    measured = rates_mod.rates(counts)
    return DepartmentCountsOut(
        department=department,
        recipients=counts.recipients,
        sent=counts.sent,
        opened=counts.opened,
        clicked=counts.clicked,
        submitted=counts.submitted,
        reported=counts.reported,
        open_rate=measured.opened,
        click_rate=measured.clicked,
        submit_rate=measured.submitted,
        report_rate=measured.reported,
    )


def campaign_out(campaign: PhishingCampaign) -> PhishingCampaignOut:
    departments = [counts_out(d.department, _counts(d)) for d in campaign.departments]
    totals = rates_mod.total(_counts(d) for d in campaign.departments)
    return PhishingCampaignOut(
        id=campaign.id,
        name=campaign.name,
        launched_on=campaign.launched_on,
        source=campaign.source,
        gophish_id=campaign.gophish_id,
        file_name=campaign.file_name,
        imported_at=campaign.imported_at,
        totals=counts_out("", totals),
        departments=departments,
    )


# --- Overview and findings ------------------------------------------------------------------------


def _campaign_counts(campaigns: Sequence[PhishingCampaign]) -> list[CampaignCounts]:
    return [
        CampaignCounts(c.name, c.launched_on, {d.department: _counts(d) for d in c.departments})
        for c in campaigns
    ]


def _point(point: TrendPoint) -> TrendPointOut:
    measured = point.rates
    return TrendPointOut(
        campaign=point.campaign,
        launched_on=point.launched_on,
        click_rate=measured.clicked,
        submit_rate=measured.submitted,
        report_rate=measured.reported,
    )


def _recent_trainings(session: Session, establishment_id: int, as_of: date) -> list[TrainingSession]:
    since = as_of - MAX_AGE
    return [t for t in list_trainings(session, establishment_id) if since < t.held_on <= as_of]


def facts(session: Session, establishment_id: int, as_of: date | None = None) -> AwarenessFacts:
    """What the findings are drawn from, on ``as_of`` (today by default)."""
    as_of = as_of or today()
    campaigns = [c for c in list_campaigns(session, establishment_id) if c.launched_on <= as_of]
    latest = campaigns[0] if campaigns else None
    trainings = list_trainings(session, establishment_id)
    held = [t.held_on for t in trainings if t.held_on <= as_of]
    recent = _recent_trainings(session, establishment_id, as_of)
    return AwarenessFacts(
        as_of=as_of,
        last_campaign=latest.launched_on if latest else None,
        last_campaign_name=latest.name if latest else None,
        latest={d.department: _counts(d) for d in latest.departments} if latest else {},
        last_training=max(held) if held else None,
        completion=rates_mod.completion_by((t.department, t.invited, t.completed) for t in recent),
        categories=rates_mod.completion_by((t.staff_category.value, t.invited, t.completed) for t in recent),
    )


def refresh_findings(
    session: Session, establishment_id: int, as_of: date | None = None, *, observed: bool = True
) -> list[Finding]:
    """Puts the awareness weaknesses of today into the plan's findings (and resolves the others)."""
    found = awareness_findings(facts(session, establishment_id, as_of))
    return plan_service.upsert_findings(
        session, establishment_id, FindingSource.AWARENESS, found, observed=observed
    )


def _completion_out(group: str, completion: Completion) -> CompletionOut:
    return CompletionOut(
        group=group,
        invited=completion.invited,
        completed=completion.completed,
        completion_rate=completion.rate,
    )


def overview(session: Session, establishment_id: int, as_of: date | None = None) -> AwarenessOverview:
    """Per department: training completion over twelve months, the latest phishing rates and their
    trend; per staff category: completion; the whole establishment's trend."""
    org_service.get_establishment(session, establishment_id)
    as_of = as_of or today()
    campaigns = [c for c in list_campaigns(session, establishment_id) if c.launched_on <= as_of]
    counted = _campaign_counts(campaigns)
    trends = rates_mod.trend(counted)
    known = facts(session, establishment_id, as_of)
    departments: list[DepartmentOverview] = []
    for department in sorted(set(trends) | set(known.completion)):
        points = trends.get(department, [])
        completion = known.completion.get(department, Completion(0, 0))
        last = points[-1].rates if points else None
        departments.append(
            DepartmentOverview(
                department=department,
                invited=completion.invited,
                completed=completion.completed,
                completion_rate=completion.rate,
                recipients=points[-1].counts.recipients if points else 0,
                click_rate=last.clicked if last else None,
                submit_rate=last.submitted if last else None,
                report_rate=last.reported if last else None,
                click_change=rates_mod.change(points, "clicked"),
                report_change=rates_mod.change(points, "reported"),
                trend=[_point(p) for p in points],
            )
        )
    return AwarenessOverview(
        establishment_id=establishment_id,
        as_of=as_of,
        campaigns=len(campaigns),
        last_campaign=known.last_campaign,
        last_training=known.last_training,
        departments=departments,
        categories=[_completion_out(group, c) for group, c in known.categories.items()],
        trend=[_point(p) for p in rates_mod.overall_trend(counted)],
    )
