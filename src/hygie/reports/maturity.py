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
from hygie.core.formatting import fmt_number
from hygie.core.i18n import gettext
from hygie.core.time import today
from hygie.frameworks.loader import Library
from hygie.frameworks.schema import Control, Dimension
from hygie.org import service as org_service
from hygie.plan import optimise as plan_optimise
from hygie.plan import priority
from hygie.plan import service as plan_service
from hygie.plan.catalogue import default_actions
from hygie.plan.models import ActionStatus, Finding, FindingSource, FindingStatus, PlanAction, Severity
from hygie.plan.roadmap import next_quarter_start, roadmap_for
from hygie.plan.schemas import CostBasis, OwnerRole
from hygie.reports import schemas as r
from hygie.reports.continuity import continuity_section
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


def _with_levels(
    answers: Mapping[str, AnswerValue], before: Mapping[str, int], after: Mapping[str, int]
) -> dict[str, AnswerValue]:
    """The answers with the levels an action plan reaches in place of those it raised."""
    updated = dict(answers)
    for control_id, level in after.items():
        if level != before.get(control_id):
            updated[control_id] = AnswerValue.of_level(level)
    return updated


def _grouped(findings: list[Finding]) -> list[tuple[Finding, int]]:
    """One line per weakness: the findings of one vulnerability on many assets (same ``subject``) are
    one line with their number of assets, so that one flaw on 80 machines does not fill the list."""
    groups: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        subject = (finding.evidence or {}).get("subject")
        key = (finding.source.value, subject) if isinstance(subject, str) else ("", finding.key)
        groups.setdefault(key, []).append(finding)
    ordered = sorted(groups.values(), key=lambda g: (SEVERITY_ORDER[g[0].severity], -len(g), g[0].title))
    return [(min(g, key=lambda f: SEVERITY_ORDER[f.severity]), len(g)) for g in ordered]


def _weaknesses(session: Session, establishment_id: int, library: Library, lang: str) -> list[r.Weakness]:
    findings = plan_service.list_findings(session, establishment_id, status=FindingStatus.OPEN)
    findings.sort(key=lambda f: (SEVERITY_ORDER[f.severity], f.title))
    result: list[r.Weakness] = []
    for finding, assets in _grouped(findings)[:TOP_WEAKNESSES]:
        control_id = finding.control_ids[0] if finding.control_ids else None
        if control_id is None or control_id not in library.controls:
            continue
        control = library.control(control_id)
        # An assessment finding is its control; others keep the title their domain wrote (in English
        # from ``evidence["title_en"]`` when the domain gave one, as the findings page does).
        english = (finding.evidence or {}).get("title_en") if lang == "en" else None
        title = (
            control.title.get(lang)
            if finding.source == FindingSource.ASSESSMENT
            else english
            if isinstance(english, str) and english
            else finding.title
        )
        if assets > 1:
            evidence = finding.evidence or {}
            what = str(evidence.get("subject"))
            if evidence.get("kind") == "eol":
                what = gettext("end of life: %(what)s", lang) % {"what": what}
            title = gettext("%(what)s — %(count)s assets", lang) % {
                "what": what,
                "count": fmt_number(assets, lang),
            }
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


def _quarters(items: list[tuple[str, str, int, float]]) -> list[r.RoadmapQuarter]:
    """(quarter, title, cost, days) rows gathered by quarter."""
    quarters: dict[str, r.RoadmapQuarter] = {}
    for quarter, title, cost, days in items:
        previous = quarters.get(quarter, r.RoadmapQuarter(quarter=quarter, cost=0, days=0))
        quarters[quarter] = r.RoadmapQuarter(
            quarter=quarter,
            actions=[*previous.actions, title],
            cost=previous.cost + cost,
            days=previous.days + days,
        )
    return [quarters[q] for q in sorted(quarters)]


class _PlanContext:
    """What both plan sections need: the current answers and levels, and a way to score levels."""

    def __init__(self, library: Library, campaign: Campaign, current: plan_service.CurrentMaturity) -> None:
        self.library = library
        self.campaign = campaign
        self.current = current
        self.templates = default_actions().by_id()

    def index(self, levels: Mapping[str, int]) -> float:
        answers = _with_levels(self.current.answers, self.current.levels, levels)
        return _score_of(self.library, self.campaign, answers).global_index or 0.0

    def index_before(self) -> float:
        return self.index(self.current.levels)


def _adopted_plan(
    context: _PlanContext, actions: list[PlanAction], budget: int, days: float | None, lang: str
) -> tuple[r.OptimisedPlan, list[r.RoadmapQuarter]]:
    """The plan the establishment adopted, with where each action stands."""
    pending = [
        context.templates[a.template_id]
        for a in actions
        if a.status != ActionStatus.DONE and a.template_id in context.templates
    ]
    states = priority.control_states(context.library, context.current.levels)
    after = priority.levels_after(states, pending)
    planned = []
    for action in actions:
        template = context.templates.get(action.template_id)
        planned.append(
            r.PlannedAction(
                title=template.title.get(lang) if template else action.title,
                quarter=action.quarter,
                owner=_owner(action.owner, lang),
                cost=action.cost,
                cost_low=template.cost_min if template else None,
                cost_high=template.cost_max if template else None,
                days=action.effort_days,
                controls=sorted(template.raises) if template else [],
                status=action.status,
            )
        )
    plan = r.OptimisedPlan(
        budget=budget,
        days_available=days,
        actions=planned,
        total_cost=sum(a.cost for a in actions),
        total_days=sum(a.effort_days for a in actions),
        index_before=context.index_before(),
        index_after=context.index(after),
        adopted=True,
        done=sum(1 for a in actions if a.status == ActionStatus.DONE),
    )
    roadmap = _quarters([(p.quarter, p.title, p.cost, p.days) for p in planned])
    return plan, roadmap


def _optimised_plan(
    session: Session,
    establishment_id: int,
    context: _PlanContext,
    budget: int,
    days: float | None,
    basis: CostBasis,
    start: dt.date,
    lang: str,
) -> tuple[r.OptimisedPlan, r.GreedyComparison, list[r.RoadmapQuarter]]:
    """No plan adopted yet: the best one for the budget, beside what a greedy ranking would buy."""
    declared = scoring.scored_levels(
        context.library, context.current.declared, assess_service.scope_of(context.campaign, context.library)
    )
    states, candidates = plan_service.plan_inputs(
        session, establishment_id, context.library, dict(declared), basis=basis, since=context.current.since
    )
    result = plan_optimise.optimise(states, candidates, budget, days, basis)
    greedy = plan_optimise.greedy(states, candidates, budget, days, basis)
    roadmap = roadmap_for(result, start)
    item_of = {item.template_id: item for item in roadmap.items}
    actions = [
        r.PlannedAction(
            title=chosen.title.get(lang),
            quarter=item_of[chosen.template_id].quarter,
            owner=_owner(item_of[chosen.template_id].owner, lang),
            cost=chosen.cost,
            cost_low=context.templates[chosen.template_id].cost_min,
            cost_high=context.templates[chosen.template_id].cost_max,
            days=chosen.effort_days,
            controls=sorted(context.templates[chosen.template_id].raises),
        )
        for chosen in sorted(result.chosen, key=lambda c: (item_of[c.template_id].quarter, c.rank))
    ]
    plan = r.OptimisedPlan(
        budget=result.budget,
        days_available=result.days,
        actions=actions,
        total_cost=result.total_cost,
        total_days=result.total_days,
        index_before=context.index_before(),
        index_after=context.index(result.levels_after),
    )
    comparison = r.GreedyComparison(
        actions=len(greedy.chosen),
        total_cost=greedy.total_cost,
        index_after=context.index(greedy.levels_after),
    )
    roadmap_quarters = _quarters([(a.quarter, a.title, a.cost, a.days) for a in actions])
    return plan, comparison, roadmap_quarters


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
    moved = plan_service.current_maturity(session, establishment_id, library, campaign)
    answers = moved.answers
    current = _score_of(library, campaign, answers)
    previous = _score_of(library, earlier[-1], assess_service.answers_of(earlier[-1])) if earlier else None
    # Earlier campaigns as answered; the current one as it stands now, as in the headline.
    history = [
        r.CampaignPoint(
            name=c.name,
            date=c.assessed_on,
            global_index=_score_of(library, c, assess_service.answers_of(c)).global_index or 0.0,
        )
        for c in earlier
    ]
    history.append(
        r.CampaignPoint(
            name=campaign.name, date=campaign.assessed_on, global_index=current.global_index or 0.0
        )
    )

    nis2 = org_service.nis2_status(establishment, lang)
    previous_dims = {d.dimension: d.score for d in previous.dimensions} if previous else {}
    previous_refs = {ref.id: ref.percent for ref in previous.referentials} if previous else {}

    context = _PlanContext(library, campaign, moved)
    adopted = plan_service.list_actions(session, establishment_id)
    comparison: r.GreedyComparison | None = None
    if adopted:
        plan, quarters = _adopted_plan(context, adopted, budget, days, lang)
    else:
        start = next_quarter_start(generated_on or today())
        plan, comparison, quarters = _optimised_plan(
            session, establishment_id, context, budget, days, basis, start, lang
        )

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
        actions_done_since=len(plan_service.done_template_ids(session, establishment_id, moved.since)),
        dimensions=[
            r.DimensionScore(
                dimension=d.dimension, score=d.score, previous_score=previous_dims.get(d.dimension)
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
        knowledge_gaps=[_gap(library.control(cid), lang) for cid in current.knowledge_gaps],
        controls=controls,
        referential_details=details,
        continuity=continuity_section(
            session,
            establishment_id,
            library,
            {c.control: c.level for c in controls},
            lang=lang,
            on=generated_on or today(),
        ),
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
