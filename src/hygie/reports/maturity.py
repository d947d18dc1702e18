"""Fills the maturity report from the services: the assessment, the findings, the plan, the budget.

Read-only: the findings must be refreshed before (the CLI and the demo do it), since the report
reads them as every other consumer does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy.orm import Session

from hygie.assess import scoring
from hygie.assess import service as assess_service
from hygie.assess.models import Campaign
from hygie.assess.schemas import AnswerStatus, AnswerValue, MaturityScore
from hygie.assess.schemas import RequirementStatus as AssessRequirementStatus
from hygie.core.errors import NotFoundError
from hygie.core.time import today
from hygie.frameworks.loader import Library
from hygie.frameworks.schema import Control, Dimension
from hygie.org import service as org_service
from hygie.plan import optimise as plan_optimise
from hygie.plan import service as plan_service
from hygie.plan.catalogue import default_actions
from hygie.plan.models import FindingSource, FindingStatus, Severity
from hygie.plan.roadmap import quarter_start, roadmap_for
from hygie.plan.schemas import CostBasis, OptimisationResult, OwnerRole, Roadmap
from hygie.reports import schemas as r
from hygie.reports.vocabulary import label

TOP_WEAKNESSES = 10
SEVERITY_ORDER = {s: i for i, s in enumerate(Severity)}
_REQUIREMENT_STATUS = {
    AssessRequirementStatus.COMPLIANT: r.RequirementStatus.COMPLIANT,
    AssessRequirementStatus.PARTIAL: r.RequirementStatus.PARTIAL,
    AssessRequirementStatus.NON_COMPLIANT: r.RequirementStatus.NON_COMPLIANT,
    AssessRequirementStatus.NOT_APPLICABLE: r.RequirementStatus.NOT_ASSESSED,
    AssessRequirementStatus.NOT_ASSESSED: r.RequirementStatus.NOT_ASSESSED,
}


def _score_of(library: Library, campaign: Campaign, answers: Mapping[str, AnswerValue]) -> MaturityScore:
    return scoring.score(library, answers, assess_service.scope_of(campaign, library))


def _with_levels(answers: Mapping[str, AnswerValue], levels: Mapping[str, int]) -> dict[str, AnswerValue]:
    """The answers with the given levels in place of the scored ones (after actions)."""
    updated = dict(answers)
    for control_id, level in levels.items():
        current = answers.get(control_id)
        if current is None or current.status == AnswerStatus.LEVEL:
            updated[control_id] = AnswerValue.of_level(level)
    return updated


def _weaknesses(session: Session, establishment_id: int, library: Library, lang: str) -> list[r.Weakness]:
    findings = plan_service.list_findings(session, establishment_id, status=FindingStatus.OPEN)
    findings.sort(key=lambda f: (SEVERITY_ORDER[f.severity], f.title))
    result: list[r.Weakness] = []
    for finding in findings[:TOP_WEAKNESSES]:
        control_id = finding.control_ids[0] if finding.control_ids else None
        if control_id is None or control_id not in library.controls:
            continue
        control = library.control(control_id)
        # An assessment finding is its control; others keep the title their domain wrote.
        title = control.title.get(lang) if finding.source == FindingSource.ASSESSMENT else finding.title
        level = (finding.evidence or {}).get("level")
        result.append(
            r.Weakness(
                title=title,
                control=control_id,
                dimension=control.dimension,
                severity=finding.severity,
                level=level if isinstance(level, int) else None,
                target=control.target,
            )
        )
    return result


def _plan_section(
    library: Library,
    answers: Mapping[str, AnswerValue],
    campaign: Campaign,
    result: OptimisationResult,
    greedy: OptimisationResult,
    roadmap: Roadmap,
    lang: str,
) -> tuple[r.OptimisedPlan, r.GreedyComparison, list[r.RoadmapQuarter]]:
    def index_after(levels: Mapping[str, int]) -> float:
        return _score_of(library, campaign, _with_levels(answers, levels)).global_index or 0.0

    quarter_of_action = {item.template_id: item for item in roadmap.items}
    templates = default_actions().by_id()
    actions = [
        r.PlannedAction(
            title=chosen.title.get(lang),
            quarter=quarter_of_action[chosen.template_id].quarter,
            owner=_owner(quarter_of_action[chosen.template_id].owner, lang),
            cost=chosen.cost,
            cost_low=templates[chosen.template_id].cost_min,
            cost_high=templates[chosen.template_id].cost_max,
            days=chosen.effort_days,
            controls=sorted(templates[chosen.template_id].raises),
        )
        for chosen in sorted(result.chosen, key=lambda c: (quarter_of_action[c.template_id].quarter, c.rank))
    ]
    before = _score_of(library, campaign, answers).global_index or 0.0
    plan = r.OptimisedPlan(
        budget=result.budget,
        days_available=result.days,
        actions=actions,
        total_cost=result.total_cost,
        total_days=result.total_days,
        index_before=before,
        index_after=index_after(result.levels_after),
    )
    comparison = r.GreedyComparison(
        actions=len(greedy.chosen), total_cost=greedy.total_cost, index_after=index_after(greedy.levels_after)
    )
    quarters: dict[str, r.RoadmapQuarter] = {}
    for item in roadmap.items:
        previous = quarters.get(item.quarter, r.RoadmapQuarter(quarter=item.quarter, cost=0, days=0))
        quarters[item.quarter] = r.RoadmapQuarter(
            quarter=item.quarter,
            actions=[*previous.actions, item.title.get(lang)],
            cost=previous.cost + item.cost,
            days=previous.days + item.effort_days,
        )
    return plan, comparison, [quarters[q] for q in sorted(quarters)]


def build_maturity_report(
    session: Session,
    establishment_id: int,
    library: Library,
    *,
    lang: str = "fr",
    budget: int,
    days: float | None,
    campaign_id: int | None = None,
    basis: CostBasis = CostBasis.MID,
    generated_on: dt.date | None = None,
) -> r.MaturityReport:
    establishment = org_service.get_establishment(session, establishment_id)
    campaigns = assess_service.list_campaigns(session, establishment_id)
    if not campaigns:
        raise NotFoundError(f"establishment {establishment.name} has no assessment campaign yet")
    campaign = (
        assess_service.get_campaign(session, establishment_id, campaign_id)
        if campaign_id is not None
        else campaigns[-1]
    )
    earlier = [c for c in campaigns if c.assessed_on < campaign.assessed_on]
    answers = plan_service.answers_with_done_actions(session, establishment_id, campaign, library)
    current = _score_of(library, campaign, answers)
    previous = _score_of(library, earlier[-1], assess_service.answers_of(earlier[-1])) if earlier else None
    history = [
        r.CampaignPoint(
            name=c.name,
            date=c.assessed_on,
            global_index=_score_of(library, c, assess_service.answers_of(c)).global_index or 0.0,
        )
        for c in [*earlier, campaign]
    ]

    nis2 = org_service.nis2_status(establishment, lang)
    previous_dims = {d.dimension: d.score for d in previous.dimensions} if previous else {}
    previous_refs = {ref.id: ref.percent for ref in previous.referentials} if previous else {}

    base_levels = assess_service.campaign_score(session, campaign, library).levels
    states, candidates = plan_service.plan_inputs(
        session, establishment_id, library, dict(base_levels), basis=basis, since=campaign.assessed_on
    )
    result = plan_optimise.optimise(states, candidates, budget, days, basis)
    greedy = plan_optimise.greedy(states, candidates, budget, days, basis)
    start = quarter_start(generated_on or today(), 1)
    roadmap = roadmap_for(result, start)
    plan, comparison, quarters = _plan_section(library, answers, campaign, result, greedy, roadmap, lang)

    position = plan_service.budget_position(session, establishment_id)
    budget_indicator = r.BudgetIndicator(
        security_budget=position.security_spending,
        it_budget=position.it_budget or None,
        share=None if position.share is None else 100 * position.share,
        reference_low=100 * position.reference_min,
        reference_high=100 * position.reference_max,
        verdict=_verdict(position.share, position.reference_min, position.reference_max),
        source=position.reference_source,
    )

    scope = assess_service.scope_of(campaign, library)
    stored = assess_service.answers_detail(campaign)
    controls: list[r.ControlDetail] = []
    for control_id in scope:
        control = library.control(control_id)
        answer = stored.get(control_id)
        status = (
            r.AnswerStatus.NOT_ASSESSED
            if answer is None
            else r.AnswerStatus.UNKNOWN
            if answer.status == AnswerStatus.UNKNOWN
            else r.AnswerStatus.NOT_APPLICABLE
            if answer.status == AnswerStatus.NOT_APPLICABLE
            else r.AnswerStatus.ANSWERED
        )
        controls.append(
            r.ControlDetail(
                control=control_id,
                title=control.title.get(lang),
                dimension=control.dimension,
                level=current.levels.get(control_id),
                target=control.target,
                status=status,
                justification=answer.justification if answer else None,
                comment=answer.comment if answer else None,
            )
        )

    referentials = [
        r.ReferentialCompliance(
            id=ref.id,
            name=ref.name.get(lang),
            percent=ref.percent or 0.0,
            previous_percent=previous_refs.get(ref.id),
            compliant=ref.compliant,
            partial=ref.partial,
            non_compliant=ref.non_compliant,
            not_assessed=ref.not_assessed,
            rule=ref.rule.get(lang),
        )
        for ref in current.referentials
        if ref.percent is not None
    ]
    details = []
    for ref in current.referentials:
        referential = library.referential(ref.id)
        titles = {req.id: req for req in referential.requirements}
        details.append(
            r.ReferentialDetail(
                id=ref.id,
                name=ref.name.get(lang),
                requirements=[
                    r.RequirementDetail(
                        id=req.id,
                        title=titles[req.id].title.get(lang),
                        status=_REQUIREMENT_STATUS[req.status],
                        controls=[m.control for m in titles[req.id].mappings],
                    )
                    for req in ref.requirements
                ],
            )
        )

    return r.MaturityReport(
        generated_on=generated_on or today(),
        establishment=r.EstablishmentInfo(
            name=establishment.name,
            finess=establishment.finess,
            kind=establishment.kind,
            beds=establishment.beds,
            nis2_category=nis2.category,
            nis2_reasons=nis2.reasons,
        ),
        campaign=r.CampaignInfo(
            name=campaign.name, date=campaign.assessed_on, path=campaign.path, completion=current.completion
        ),
        history=history,
        dimensions=[
            r.DimensionScore(
                dimension=d.dimension, score=d.score or 0.0, previous_score=previous_dims.get(d.dimension)
            )
            for d in sorted(current.dimensions, key=lambda d: list(Dimension).index(d.dimension))
        ],
        global_index=current.global_index or 0.0,
        previous_global_index=previous.global_index if previous else None,
        referentials=referentials,
        weaknesses=_weaknesses(session, establishment_id, library, lang),
        plan=plan,
        greedy=comparison,
        roadmap=quarters,
        budget=budget_indicator,
        knowledge_gaps=[
            r.KnowledgeGap(
                control=cid,
                title=library.control(cid).title.get(lang),
                dimension=library.control(cid).dimension,
            )
            for cid in current.knowledge_gaps
        ],
        controls=controls,
        referential_details=details,
    )


def _owner(owner: str, lang: str) -> str:
    """A role is shown by its name; a person named as owner stays as written."""
    return label(OwnerRole(owner), lang) if owner in OwnerRole.__members__.values() else owner


def _gap(control: Control, lang: str) -> r.KnowledgeGap:
    return r.KnowledgeGap(control=control.id, title=control.title.get(lang), dimension=control.dimension)


def _verdict(share: float | None, low: float, high: float) -> r.BudgetVerdict:
    if share is None:
        return r.BudgetVerdict.UNKNOWN
    if share < low:
        return r.BudgetVerdict.BELOW
    if share > high:
        return r.BudgetVerdict.ABOVE
    return r.BudgetVerdict.WITHIN
