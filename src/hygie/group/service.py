"""A group's (GHT's) consolidated view: its establishments side by side, benchmarked on the median.

Read-only, built from each domain's service as that domain's own pages count. Who sees it is
decided here, not by the callers: ``group_view`` checks ``org.access.require_group`` (a role on
the group itself) and keeps only the group's establishments the caller may read, so that a page,
the API, the CSV and the report can never show an establishment outside the group, nor a group
to someone who holds a role in one of its establishments only.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from hygie.assess import scoring
from hygie.assess import service as assess_service
from hygie.assess.schemas import AnswerValue
from hygie.awareness import service as awareness_service
from hygie.continuity import service as continuity_service
from hygie.continuity.impact import Verdict
from hygie.core.i18n import gettext, normalise_language
from hygie.core.time import today
from hygie.detect import service as detect_service
from hygie.detect.models import AlertStatus
from hygie.frameworks.loader import Library
from hygie.frameworks.schema import Dimension
from hygie.group.schemas import (
    ConsolidatedAction,
    DimensionCell,
    DimensionMedian,
    EstablishmentColumn,
    EstablishmentPlan,
    GroupBudget,
    GroupSummary,
    GroupView,
    Headline,
    SharedWeakness,
)
from hygie.incidents import service as incidents_service
from hygie.incidents.models import CaseStatus
from hygie.org import service as org_service
from hygie.org.access import Principal, require_group, visible_establishments, visible_groups
from hygie.org.models import Establishment, Group
from hygie.plan import priority
from hygie.plan import service as plan_service
from hygie.plan.catalogue import default_actions
from hygie.plan.models import ActionStatus, Finding, FindingSource, PlanAction, Severity
from hygie.vulns import service as vulns_service
from hygie.vulns.ssvc import Priority

SEVERITY_RANK = {s: i for i, s in enumerate(Severity)}
# A weakness is shared when this many establishments of the group have it.
SHARED_AT_LEAST = 2


def list_groups(session: Session, principal: Principal) -> list[GroupSummary]:
    """The groups whose consolidated view the caller may open, by name."""
    ids = visible_groups(session, principal)
    return [
        GroupSummary(id=g.id, name=g.name, establishments=len(g.establishments))
        for g in org_service.list_groups(session)
        if g.id in ids
    ]


def get_group(session: Session, principal: Principal, group_id: int) -> Group:
    """The group if the caller may open its view; NotFoundError (a missing group) otherwise."""
    require_group(principal, group_id)
    return org_service.get_group(session, group_id)


def find_group(session: Session, principal: Principal, key: str) -> Group:
    """By id or name, with the same check as ``get_group``."""
    group = org_service.find_group(session, key)
    require_group(principal, group.id)
    return group


def members(session: Session, principal: Principal, group_id: int) -> list[Establishment]:
    """The group's establishments the caller may read, by name (after ``require_group``)."""
    require_group(principal, group_id)
    readable = visible_establishments(session, principal)
    return [e for e in org_service.group_members(session, group_id) if e.id in readable]


# --- Figures of one establishment -------------------------------------------------------------


@dataclass(frozen=True)
class _Maturity:
    campaign: str | None
    assessed_on: date | None
    index: float | None
    dimensions: dict[Dimension, float | None]
    index_after: float | None


def _with_levels(
    answers: Mapping[str, AnswerValue], before: Mapping[str, int], after: Mapping[str, int]
) -> dict[str, AnswerValue]:
    """The answers with the levels the plan reaches in place of those it raises."""
    updated = dict(answers)
    for control_id, level in after.items():
        if level != before.get(control_id):
            updated[control_id] = AnswerValue.of_level(level)
    return updated


def _maturity(
    session: Session, establishment_id: int, library: Library, actions: Sequence[PlanAction]
) -> _Maturity:
    """Where the establishment stands now (its latest campaign moved by the actions done since, as
    the dashboard counts) and where its adopted plan takes it."""
    if not assess_service.list_campaigns(session, establishment_id):
        return _Maturity(None, None, None, dict.fromkeys(Dimension), None)
    current = plan_service.current_maturity(session, establishment_id, library)
    scope = assess_service.scope_of(current.campaign, library)
    now = scoring.score(library, current.answers, scope)
    index_after = None
    templates = default_actions().by_id()
    pending = [
        templates[a.template_id]
        for a in actions
        if a.status != ActionStatus.DONE and a.template_id in templates
    ]
    if actions:
        states = priority.control_states(library, current.levels)
        after = priority.levels_after(states, pending)
        answers = _with_levels(current.answers, current.levels, after)
        index_after = scoring.score(library, answers, scope).global_index
    return _Maturity(
        campaign=current.campaign.name,
        assessed_on=current.campaign.assessed_on,
        index=now.global_index,
        dimensions={d.dimension: d.score for d in now.dimensions},
        index_after=index_after,
    )


def headline(session: Session, establishment_id: int) -> Headline:
    """One figure per domain for the establishment."""
    network = plan_service.list_findings(session, establishment_id, source=FindingSource.NETWORK)
    readiness = continuity_service.readiness(session, establishment_id)
    alerts = detect_service.counts(session, establishment_id)["status"]
    cases = incidents_service.list_cases(session, establishment_id)
    trend = awareness_service.overview(session, establishment_id).trend
    return Headline(
        vulnerabilities_act=vulns_service.priority_counts(session, establishment_id)[Priority.ACT],
        network_violations=sum(1 for f in network if "policy_rule" in (f.evidence or {})),
        network_exposures=sum(1 for f in network if "seen_by" in (f.evidence or {})),
        care_services=len(readiness),
        services_within_rto=sum(1 for _service, r in readiness if r.verdict == Verdict.WITHIN),
        open_alerts=alerts[AlertStatus.NEW.value] + alerts[AlertStatus.IN_PROGRESS.value],
        open_incidents=sum(1 for c in cases if c.status != CaseStatus.CLOSED),
        phishing_click_rate=trend[-1].click_rate if trend else None,
    )


def _plan(actions: Sequence[PlanAction], maturity: _Maturity) -> EstablishmentPlan:
    return EstablishmentPlan(
        actions=len(actions),
        done=sum(1 for a in actions if a.status == ActionStatus.DONE),
        cost=sum(a.cost for a in actions),
        remaining_cost=sum(a.cost for a in actions if a.status != ActionStatus.DONE),
        annual_cost=plan_service.plan_annual_cost(actions),
        index_before=maturity.index,
        index_after=maturity.index_after,
    )


# --- Benchmark ----------------------------------------------------------------------------------


def median(values: Sequence[float | None]) -> float | None:
    """The median of the values measured (None left out); None when none is."""
    measured = [v for v in values if v is not None]
    return statistics.median(measured) if measured else None


def difference(value: float | None, reference: float | None) -> float | None:
    return None if value is None or reference is None else value - reference


# --- Shared weaknesses --------------------------------------------------------------------------


def shared_key(finding: Finding) -> str:
    """What makes two establishments' findings the same weakness: the control of an assessment gap,
    the vulnerability (or end of life) whatever the asset, the segmentation rule whatever the zones'
    names; otherwise the finding's own key."""
    evidence = finding.evidence or {}
    if finding.source == FindingSource.ASSESSMENT and finding.control_ids:
        return f"control:{finding.control_ids[0]}"
    subject = evidence.get("subject")
    if finding.source == FindingSource.VULNERABILITY and isinstance(subject, str):
        return f"vulnerability:{evidence.get('kind', '')}:{subject}"
    rule = evidence.get("policy_rule")
    if finding.source == FindingSource.NETWORK and isinstance(rule, str):
        return f"network-rule:{rule}"
    return f"{finding.source.value}:{finding.key}"


def _title(finding: Finding, library: Library, lang: str) -> str:
    evidence = finding.evidence or {}
    if finding.source == FindingSource.ASSESSMENT and finding.control_ids:
        control_id = finding.control_ids[0]
        control = library.controls.get(control_id)
        return f"{control_id} — {control.title.get(lang)}" if control else control_id
    subject = evidence.get("subject")
    if finding.source == FindingSource.VULNERABILITY and isinstance(subject, str):
        if evidence.get("kind") == "eol":
            if evidence.get("basis") == "maker":  # a device its maker no longer supports: no product key
                return gettext("devices whose maker ended support", lang)
            return gettext("end of life: %(what)s", lang) % {"what": subject}
        return subject
    english = evidence.get("title_en")
    title = english if lang == "en" and isinstance(english, str) and english else finding.title
    if finding.source == FindingSource.NETWORK and "policy_rule" in evidence:
        # "R12 <rule> : <zone> → <zone> (<services>)": the rule is shared, the zones are each one's.
        title = title.partition(" : ")[0] if " : " in title else title.partition(": ")[0]
    return title


def shared_weaknesses(
    session: Session, establishments: Sequence[Establishment], library: Library, lang: str
) -> list[SharedWeakness]:
    """Open weaknesses present in at least two of the establishments, most widespread first."""
    found: dict[str, dict[int, Finding]] = {}
    for establishment in establishments:
        for finding in plan_service.list_findings(session, establishment.id):
            kept = found.setdefault(shared_key(finding), {})
            previous = kept.get(establishment.id)
            if previous is None or SEVERITY_RANK[finding.severity] < SEVERITY_RANK[previous.severity]:
                kept[establishment.id] = finding
    names = {e.id: e.name for e in establishments}
    result = []
    for key, by_establishment in found.items():
        if len(by_establishment) < SHARED_AT_LEAST:
            continue
        ids = sorted(by_establishment, key=lambda i: names[i])
        worst = min(by_establishment.values(), key=lambda f: SEVERITY_RANK[f.severity])
        result.append(
            SharedWeakness(
                key=key,
                title=_title(worst, library, lang),
                source=worst.source,
                severity=worst.severity,
                control=worst.control_ids[0] if worst.control_ids else None,
                establishment_ids=ids,
                establishments=[names[i] for i in ids],
            )
        )
    result.sort(key=lambda w: (-len(w.establishment_ids), SEVERITY_RANK[w.severity], w.title))
    return result


# --- The view -----------------------------------------------------------------------------------


def group_view(
    session: Session, principal: Principal, group_id: int, library: Library, lang: str
) -> GroupView:
    """The consolidated view of the group for ``principal`` (NotFoundError if it may not open it)."""
    lang = normalise_language(lang)
    group = get_group(session, principal, group_id)
    establishments = members(session, principal, group_id)
    templates = default_actions().by_id()
    columns: list[EstablishmentColumn] = []
    consolidated: list[ConsolidatedAction] = []
    for establishment in establishments:
        # The assessment's findings brought up to date, as before the dashboard or a report.
        plan_service.refresh_from_assessment(session, establishment.id, library)
        actions = plan_service.list_actions(session, establishment.id)
        maturity = _maturity(session, establishment.id, library, actions)
        columns.append(
            EstablishmentColumn(
                id=establishment.id,
                name=establishment.name,
                finess=establishment.finess,
                kind=establishment.kind.value,
                campaign=maturity.campaign,
                assessed_on=maturity.assessed_on,
                global_index=maturity.index,
                global_difference=None,
                dimensions=[
                    DimensionCell(dimension=d, score=maturity.dimensions[d], difference=None)
                    for d in Dimension
                ],
                headline=headline(session, establishment.id),
                security_budget=establishment.security_budget,
                it_budget=establishment.it_budget,
                plan=_plan(actions, maturity),
            )
        )
        for action in actions:
            template = templates.get(action.template_id)
            consolidated.append(
                ConsolidatedAction(
                    establishment_id=establishment.id,
                    establishment=establishment.name,
                    title=template.title.get(lang) if template else action.title,
                    quarter=action.quarter,
                    status=action.status,
                    cost=action.cost,
                    days=action.effort_days,
                )
            )

    medians = [
        DimensionMedian(
            dimension=d,
            median=median([c.dimensions[i].score for c in columns]),
            measured=sum(1 for c in columns if c.dimensions[i].score is not None),
        )
        for i, d in enumerate(Dimension)
    ]
    global_median = median([c.global_index for c in columns])
    for column in columns:
        column.global_difference = difference(column.global_index, global_median)
        for cell, reference in zip(column.dimensions, medians, strict=True):
            cell.difference = difference(cell.score, reference.median)

    consolidated.sort(key=lambda a: (a.quarter, a.establishment, a.title))
    return GroupView(
        id=group.id,
        name=group.name,
        generated_on=today(),
        establishments=columns,
        medians=medians,
        global_median=global_median,
        shared_weaknesses=shared_weaknesses(session, establishments, library, lang),
        actions=consolidated,
        budget=_budget(establishments, columns),
    )


def _budget(establishments: Sequence[Establishment], columns: Sequence[EstablishmentColumn]) -> GroupBudget:
    known = [e.security_budget for e in establishments if e.security_budget is not None]
    annual = sum(c.plan.annual_cost or 0 for c in columns)
    total = sum(known)
    return GroupBudget(
        security_budgets=total,
        unknown_budgets=[e.name for e in establishments if e.security_budget is None],
        plan_cost=sum(c.plan.cost for c in columns),
        remaining_cost=sum(c.plan.remaining_cost for c in columns),
        annual_plan_cost=annual,
        annual_share=100 * annual / total if total else None,
    )


__all__ = [
    "SHARED_AT_LEAST",
    "difference",
    "find_group",
    "get_group",
    "group_view",
    "headline",
    "list_groups",
    "median",
    "members",
    "shared_key",
    "shared_weaknesses",
]
