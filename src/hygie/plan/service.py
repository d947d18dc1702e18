"""Operations of the action plan; the only writer of ``plan_finding`` and ``plan_action``.

The control levels come in as a plain mapping ``control_id -> level (0..5) or None`` for the
controls in scope, the library giving each control its target, weight and dimension. Levels from
the assessment domain are fetched by ``levels_from_assessment``; everything else takes them as input.
``plan_inputs`` and ``refresh_assessment_findings`` put the level measured from evidence in place of
the declared one wherever it exists (``measured_levels``, ``with_measured``): the plan acts on what
the data show.
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from hygie.assess import scoring
from hygie.assess import service as assess_service
from hygie.assess.models import Campaign
from hygie.assess.schemas import AnswerValue
from hygie.core.errors import NotFoundError, ValidationError
from hygie.core.formatting import fmt_percent
from hygie.core.i18n import N_
from hygie.core.time import quarter_of, today, utcnow
from hygie.frameworks.loader import Library
from hygie.frameworks.schema import Text
from hygie.org import service as org_service
from hygie.plan.catalogue import default_actions
from hygie.plan.models import ActionStatus, Finding, FindingSource, FindingStatus, PlanAction, Severity
from hygie.plan.priority import control_states, current_levels, find_candidates
from hygie.plan.schemas import (
    MAX_LEVEL,
    ActionCatalogue,
    BudgetPosition,
    Candidate,
    ControlState,
    CostBasis,
    FindingIn,
    OptimisationResult,
    Roadmap,
)

BUDGET_REFERENCE = Path(__file__).parent / "budget_reference.yaml"
_log = logging.getLogger(__name__)

__all__ = [
    "OUTSIDE_CATALOGUE",
    "ActionEditError",
    "add_action",
    "adopt_plan",
    "budget_position",
    "completed_raises",
    "current_levels",
    "current_maturity",
    "done_template_ids",
    "edit_problems",
    "findings_from_levels",
    "get_action",
    "levels_from_assessment",
    "list_actions",
    "list_findings",
    "measured_levels",
    "plan_inputs",
    "refresh_assessment_findings",
    "refresh_from_assessment",
    "set_status",
    "severity_of",
    "update_action",
    "upsert_findings",
    "with_measured",
]


# --- Findings --------------------------------------------------------------------------------


def upsert_findings(
    session: Session,
    establishment_id: int,
    source: FindingSource,
    findings: Sequence[FindingIn],
    *,
    observed: bool = True,
) -> list[Finding]:
    """Stores what ``source`` reports now: new keys are created, known ones refreshed (a resolved one
    reopens), and the findings of that source it no longer reports are resolved.

    ``observed=False`` for findings derived again from stored data (the assessment's): an unchanged
    finding is then left as it is, ``last_seen`` included, so that reading a page writes nothing.
    """
    org_service.get_establishment(session, establishment_id)
    keys = [f.key for f in findings]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise ValidationError(f"duplicate finding keys from {source.value}: {', '.join(duplicates)}")
    existing = {
        f.key: f
        for f in session.scalars(
            select(Finding).where(Finding.establishment_id == establishment_id, Finding.source == source)
        )
    }
    now = utcnow()
    result: list[Finding] = []
    for item in findings:
        row = existing.get(item.key)
        changed = row is None or row.status == FindingStatus.RESOLVED
        if row is None:
            row = Finding(
                establishment_id=establishment_id,
                source=source,
                key=item.key,
                first_seen=now,
                status=FindingStatus.OPEN,
            )
            session.add(row)
        elif row.status == FindingStatus.RESOLVED:
            row.status = FindingStatus.OPEN
            row.resolved_at = None
        content = {
            "title": item.title,
            "severity": item.severity,
            "control_ids": list(item.control_ids),
            "asset_refs": list(item.asset_refs),
            "care_services": list(item.care_services),
            "evidence": dict(item.evidence),
        }
        for name, value in content.items():
            if getattr(row, name) != value:
                setattr(row, name, value)
                changed = True
        if observed or changed:
            row.last_seen = now
        result.append(row)
    reported = set(keys)
    for key, row in existing.items():
        if key not in reported and row.status != FindingStatus.RESOLVED:
            row.status = FindingStatus.RESOLVED
            row.resolved_at = now
    session.flush()
    return result


def list_findings(
    session: Session,
    establishment_id: int,
    status: FindingStatus | None = FindingStatus.OPEN,
    source: FindingSource | None = None,
) -> list[Finding]:
    query = select(Finding).where(Finding.establishment_id == establishment_id)
    if status is not None:
        query = query.where(Finding.status == status)
    if source is not None:
        query = query.where(Finding.source == source)
    rows = list(session.scalars(query))
    order = list(Severity)
    return sorted(rows, key=lambda f: (order.index(f.severity), f.key))


def severity_of(gap: int, weight: int) -> Severity:
    """Gap to target (levels) × control weight (1..5): 15+ critical, 9+ high, 4+ medium, else low."""
    product = gap * weight
    if product >= 15:
        return Severity.CRITICAL
    if product >= 9:
        return Severity.HIGH
    if product >= 4:
        return Severity.MEDIUM
    if product >= 1:
        return Severity.LOW
    return Severity.INFO


def findings_from_levels(library: Library, levels: Mapping[str, int | None]) -> list[FindingIn]:
    """One finding per control in scope below its target (unanswered controls count as level 0)."""
    result: list[FindingIn] = []
    for control_id, state in control_states(library, levels).items():
        gap = state.target - state.level
        if gap <= 0:
            continue
        control = library.control(control_id)
        if state.assessed:
            title = (
                f"Contrôle {control_id} ({control.title.fr}) au niveau {state.level} "
                f"pour une cible de {state.target}"
            )
        else:
            title = f"Contrôle {control_id} ({control.title.fr}) non évalué, cible {state.target}"
        result.append(
            FindingIn(
                key=f"control:{control_id}",
                title=title[:500],
                severity=severity_of(gap, state.weight),
                control_ids=[control_id],
                evidence={
                    "level": state.level if state.assessed else None,
                    "target": state.target,
                    "weight": state.weight,
                    "dimension": state.dimension.value,
                    "title_en": (
                        f"Control {control_id} ({control.title.en}) at level {state.level} "
                        f"for a target of {state.target}"
                        if state.assessed
                        else f"Control {control_id} ({control.title.en}) not assessed, target {state.target}"
                    ),
                },
            )
        )
    return result


def with_measured(levels: Mapping[str, int | None], measured: Mapping[str, int]) -> dict[str, int | None]:
    """The levels with the measured one in place wherever the evidence measures a control in scope."""
    return {c: measured.get(c, level) for c, level in levels.items()}


def measured_levels(
    session: Session, establishment_id: int, library: Library, on: date | None = None
) -> dict[str, int]:
    """The levels the evidence measures (``hygie.assess.evidence``, rules of the control catalogue):
    the one place the plan takes them from. They replace the declared levels, the actions done since
    included (the data already show what was done)."""
    from hygie.assess import evidence  # late: the evidence module writes the plan's findings

    return {c: m.level for c, m in evidence.measured_levels(session, establishment_id, on, library).items()}


def _plan_levels(
    session: Session,
    establishment_id: int,
    library: Library,
    levels: Mapping[str, int | None],
    raised: Mapping[str, int],
    measured: Mapping[str, int] | None,
) -> dict[str, int | None]:
    if measured is None:
        measured = measured_levels(session, establishment_id, library)
    return with_measured(current_levels(levels, raised), measured)


def refresh_assessment_findings(
    session: Session,
    establishment_id: int,
    library: Library,
    levels: Mapping[str, int | None],
    catalogue: ActionCatalogue | None = None,
    since: datetime | None = None,
    measured: Mapping[str, int] | None = None,
) -> list[Finding]:
    """The assessment's findings from the current levels (answers of ``since`` plus actions done after),
    the measured level in place wherever the evidence measures a control (``measured``: default
    ``measured_levels``; ``{}`` for the declared levels alone)."""
    raised = completed_raises(session, establishment_id, catalogue, since)
    current = _plan_levels(session, establishment_id, library, levels, raised, measured)
    return upsert_findings(
        session,
        establishment_id,
        FindingSource.ASSESSMENT,
        findings_from_levels(library, current),
        observed=False,
    )


def refresh_from_assessment(session: Session, establishment_id: int, library: Library) -> None:
    """The assessment's findings brought up to date before a page, the API or a report reads them.

    Nothing to do without a campaign (the other sources' findings still count). Several readers may
    refresh at once: the one that loses the race (a lock, or a key just inserted by the other)
    keeps what is stored, which the winner has brought up to date, rather than failing the read.
    """
    try:
        since, levels = levels_from_assessment(session, establishment_id, library)
    except NotFoundError:
        return
    try:
        with session.begin_nested():
            refresh_assessment_findings(session, establishment_id, library, levels, since=since)
    except (OperationalError, IntegrityError):
        _log.info("findings of establishment %s refreshed by a concurrent request", establishment_id)


@dataclass(frozen=True)
class CurrentMaturity:
    """Where the establishment stands now: its latest campaign, moved by the actions done since.

    Every figure shown to a user (``assess score``, the plan, the report, the dashboard) starts from
    this, so that they all agree. An action counts when it was done after the campaign was opened:
    the answers of a campaign opened later already reflect it.
    """

    campaign: Campaign
    since: datetime
    declared: dict[str, AnswerValue]
    answers: dict[str, AnswerValue]
    levels: dict[str, int]
    raised: dict[str, int]

    @property
    def moved(self) -> bool:
        return self.answers != self.declared


def current_maturity(
    session: Session, establishment_id: int, library: Library, campaign: Campaign | None = None
) -> CurrentMaturity:
    """The latest (or given) campaign's answers, with the levels raised by the actions done since.

    Only scored controls move: not applicable, "don't know" and unanswered ones are left out, as
    they are of the score. A raised alternative measure becomes a plain level.
    """
    campaign = campaign or assess_service.latest_campaign(session, establishment_id)
    declared = assess_service.answers_of(campaign)
    scope = assess_service.scope_of(campaign, library)
    scored = scoring.scored_levels(library, declared, scope)
    raised = completed_raises(session, establishment_id, since=campaign.created_at)
    answers = dict(declared)
    levels: dict[str, int] = {}
    for control_id, level in current_levels(scored, raised).items():
        assert level is not None  # every scored control has a level
        levels[control_id] = level
        if level != scored[control_id]:
            answers[control_id] = AnswerValue.of_level(level)
    return CurrentMaturity(
        campaign=campaign,
        since=campaign.created_at,
        declared=declared,
        answers=answers,
        levels=levels,
        raised={c: r for c, r in raised.items() if c in scored},
    )


def levels_from_assessment(
    session: Session, establishment_id: int, library: Library
) -> tuple[datetime, dict[str, int | None]]:
    """When the latest campaign was opened, and the level scoring used for each of its scored controls.

    The plan adds the actions done since (``since``), so that its index is the assessment's current
    global index.
    """
    campaign = assess_service.latest_campaign(session, establishment_id)
    scored = scoring.scored_levels(
        library, assess_service.answers_of(campaign), assess_service.scope_of(campaign, library)
    )
    return campaign.created_at, dict(scored)


# --- Candidates and plan ---------------------------------------------------------------------


def done_template_ids(session: Session, establishment_id: int, since: datetime | None = None) -> set[str]:
    """Templates of the done actions; with ``since``, only those done after that moment (a campaign
    opened later already reflects the earlier ones)."""
    query = select(PlanAction.template_id).where(
        PlanAction.establishment_id == establishment_id, PlanAction.status == ActionStatus.DONE
    )
    if since is not None:
        query = query.where(PlanAction.done_at > since)
    return set(session.scalars(query))


def completed_raises(
    session: Session,
    establishment_id: int,
    catalogue: ActionCatalogue | None = None,
    since: datetime | None = None,
) -> dict[str, int]:
    """Levels gained per control by the done actions (templates since removed are ignored)."""
    templates = (catalogue or default_actions()).by_id()
    raised: dict[str, int] = {}
    for template_id in sorted(done_template_ids(session, establishment_id, since)):
        template = templates.get(template_id)
        if template is None:
            continue
        for control_id, levels in template.raises.items():
            raised[control_id] = min(MAX_LEVEL, raised.get(control_id, 0) + levels)
    return raised


def plan_inputs(
    session: Session,
    establishment_id: int,
    library: Library,
    levels: Mapping[str, int | None],
    catalogue: ActionCatalogue | None = None,
    basis: CostBasis = CostBasis.MID,
    since: datetime | None = None,
    measured: Mapping[str, int] | None = None,
) -> tuple[dict[str, ControlState], list[Candidate]]:
    """Controls at their current level (answers of ``since`` + actions done after, the measured level
    in place wherever evidence exists; ``measured`` as in ``refresh_assessment_findings``) and the
    ranked candidate actions."""
    catalogue = catalogue or default_actions()
    org_service.get_establishment(session, establishment_id)
    raised = completed_raises(session, establishment_id, catalogue, since)
    states = control_states(
        library, _plan_levels(session, establishment_id, library, levels, raised, measured)
    )
    done = done_template_ids(session, establishment_id)
    return states, find_candidates(catalogue, states, done, basis)


def adopt_plan(
    session: Session, establishment_id: int, result: OptimisationResult, roadmap: Roadmap
) -> list[PlanAction]:
    """Makes the roadmap the establishment's plan.

    Actions already in progress or done are kept as they are; pending (todo) actions are rescheduled
    if the new plan keeps them and cancelled otherwise; the others are created.
    """
    org_service.get_establishment(session, establishment_id)
    chosen = {a.template_id for a in result.chosen}
    stray = [i.template_id for i in roadmap.items if i.template_id not in chosen]
    if stray:
        raise ValidationError(f"the roadmap holds actions the plan did not choose: {', '.join(stray)}")
    current = list(
        session.scalars(
            select(PlanAction).where(
                PlanAction.establishment_id == establishment_id, PlanAction.status != ActionStatus.CANCELLED
            )
        )
    )
    planned = {i.template_id for i in roadmap.items}
    by_template: dict[str, PlanAction] = {}
    for existing in current:
        if (
            existing.status == ActionStatus.TODO
            and existing.template_id not in planned
            and not existing.template_id.startswith(OUTSIDE_CATALOGUE)
        ):
            existing.status = ActionStatus.CANCELLED
        else:
            by_template[existing.template_id] = existing
    adopted: list[PlanAction] = []
    for item in roadmap.items:
        action = by_template.get(item.template_id)
        if action is not None and action.status != ActionStatus.TODO:
            adopted.append(action)
            continue
        if action is None:
            action = PlanAction(
                establishment_id=establishment_id,
                template_id=item.template_id,
                status=ActionStatus.TODO,
                created_at=utcnow(),
            )
            session.add(action)
        action.title = item.title.fr
        action.owner = item.owner
        action.quarter = item.quarter
        action.due_date = item.due_date
        action.cost = item.cost
        action.effort_days = item.effort_days
        adopted.append(action)
    session.flush()
    return adopted


# Actions that come from elsewhere than the catalogue (a lesson of an exercise, "lesson:12", or of an
# incident, "incident:3:conclusion:7"): their id holds a colon, which no catalogue id has, and a new
# plan does not cancel them.
OUTSIDE_CATALOGUE = ("lesson:", "incident:")


def add_action(
    session: Session,
    establishment_id: int,
    *,
    key: str,
    title: str,
    owner: str,
    due_date: date,
    notes: str | None = None,
    on: date | None = None,
) -> PlanAction:
    """An action outside the catalogue, at no cost known yet, keyed by where it comes from; the same
    key again updates that action instead of adding another. Owner, due date and notes are checked
    as an edit's (ActionEditError)."""
    org_service.get_establishment(session, establishment_id)
    if not key.startswith(OUTSIDE_CATALOGUE) or len(key) > 100:
        raise ValidationError(f"not an id for an action outside the catalogue: {key!r}")
    now = on or today()
    problems: dict[str, str] = {}
    if not 0 < len(owner.strip()) <= MAX_OWNER:
        problems["owner"] = OWNER_REQUIRED
    if (due_date.year, due_date.month, due_date.day) > (now.year + MAX_YEARS_AHEAD, now.month, now.day):
        problems["due_date"] = DUE_TOO_FAR
    if notes is not None and len(notes.strip()) > MAX_NOTES:
        problems["notes"] = NOTES_TOO_LONG
    action = session.scalar(
        select(PlanAction).where(
            PlanAction.establishment_id == establishment_id,
            PlanAction.template_id == key,
            PlanAction.status != ActionStatus.CANCELLED,
        )
    )
    if action is None and due_date < now:  # an action already there may keep the date it had
        problems["due_date"] = DUE_IN_PAST
    if problems:
        raise ActionEditError(problems)
    if action is None:
        action = PlanAction(
            establishment_id=establishment_id,
            template_id=key,
            status=ActionStatus.TODO,
            cost=0,
            effort_days=0.0,
            created_at=utcnow(),
        )
        session.add(action)
    action.title = title.strip()[:300]
    action.owner = owner.strip()
    action.due_date = due_date
    action.quarter = quarter_of(due_date)
    action.notes = (notes or "").strip() or None
    session.flush()
    return action


def get_action(session: Session, establishment_id: int, action_id: int) -> PlanAction:
    """One action of the establishment's plan (cancelled included); another's is "not found"."""
    action = session.get(PlanAction, action_id)
    if action is None or action.establishment_id != establishment_id:
        raise NotFoundError(f"no action {action_id} in the plan of establishment {establishment_id}")
    return action


def set_status(session: Session, establishment_id: int, action_id: int, status: ActionStatus) -> PlanAction:
    """Moves an action; a done action raises its controls' current levels from now on."""
    action = get_action(session, establishment_id, action_id)
    action.status = status
    action.done_at = utcnow() if status == ActionStatus.DONE else None
    session.flush()
    return action


MAX_OWNER = 100
MAX_NOTES = 4000
MAX_YEARS_AHEAD = 10  # a due date further away is a typo, not a plan
# Shown to the user next to the field (translated where shown: msgids are English).
OWNER_REQUIRED = N_("Give the owner: a person or a role, 100 characters at most.")
DUE_IN_PAST = N_("The due date cannot be in the past.")
DUE_TOO_FAR = N_("The due date is more than ten years away.")
NOTES_TOO_LONG = N_("The notes are limited to 4000 characters.")


class ActionEditError(ValidationError):
    """An edit of an action refused; ``problems`` maps each field to what is wrong with it."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__("; ".join(f"{name}: {message}" for name, message in self.problems.items()))


def edit_problems(
    action: PlanAction,
    *,
    owner: str | None = None,
    due_date: date | None = None,
    notes: str | None = None,
    on: date | None = None,
) -> dict[str, str]:
    """What is wrong with an edit of ``action`` (empty: nothing); None leaves a field unchanged.

    The due date is checked only when it changes: an overdue action keeps its date until someone
    gives it a new one, which must not be in the past (``on``: today by default).
    """
    problems: dict[str, str] = {}
    if owner is not None and not 0 < len(owner.strip()) <= MAX_OWNER:
        problems["owner"] = OWNER_REQUIRED
    if due_date is not None and due_date != action.due_date:
        now = on or today()
        if due_date < now:
            problems["due_date"] = DUE_IN_PAST
        elif (due_date.year, due_date.month, due_date.day) > (now.year + MAX_YEARS_AHEAD, now.month, now.day):
            problems["due_date"] = DUE_TOO_FAR
    if notes is not None and len(notes.strip()) > MAX_NOTES:
        problems["notes"] = NOTES_TOO_LONG
    return problems


def update_action(
    session: Session,
    establishment_id: int,
    action_id: int,
    *,
    status: ActionStatus | None = None,
    owner: str | None = None,
    due_date: date | None = None,
    notes: str | None = None,
    on: date | None = None,
) -> tuple[PlanAction, dict[str, tuple[str | None, str | None]]]:
    """Changes what is given of an action (None: unchanged; empty notes remove them).

    Checked by ``edit_problems`` (ActionEditError, nothing changed); the quarter follows the due
    date; the status moves as with ``set_status``. Returns the action and, for the audit trail,
    each changed field with its value before and after (dates as ISO text).
    """
    action = get_action(session, establishment_id, action_id)
    problems = edit_problems(action, owner=owner, due_date=due_date, notes=notes, on=on)
    if problems:
        raise ActionEditError(problems)
    changes: dict[str, tuple[str | None, str | None]] = {}
    if status is not None and status != action.status:
        changes["status"] = (action.status.value, status.value)
        set_status(session, establishment_id, action_id, status)
    if owner is not None and owner.strip() != action.owner:
        changes["owner"] = (action.owner, owner.strip())
        action.owner = owner.strip()
    if due_date is not None and due_date != action.due_date:
        changes["due_date"] = (action.due_date.isoformat(), due_date.isoformat())
        action.due_date = due_date
        action.quarter = quarter_of(due_date)
    if notes is not None and (notes.strip() or None) != action.notes:
        changes["notes"] = (action.notes, notes.strip() or None)
        action.notes = notes.strip() or None
    session.flush()
    return action, changes


def audit_of_changes(changes: Mapping[str, tuple[str | None, str | None]]) -> tuple[str, dict[str, Any]]:
    """The audit verb and details of an edit (``update_action``'s changes), the same from the API, the
    pages and the CLI: a change of the status alone as the board records it (``plan_action.status``,
    from and to); any other change as ``plan_action.update`` with every field before and after."""
    if set(changes) == {"status"}:
        before, after = changes["status"]
        return "plan_action.status", {"from": before, "to": after}
    return "plan_action.update", {k: {"from": b, "to": a} for k, (b, a) in changes.items()}


def list_actions(
    session: Session, establishment_id: int, include_cancelled: bool = False
) -> list[PlanAction]:
    query = select(PlanAction).where(PlanAction.establishment_id == establishment_id)
    if not include_cancelled:
        query = query.where(PlanAction.status != ActionStatus.CANCELLED)
    return list(session.scalars(query.order_by(PlanAction.due_date, PlanAction.id)))


# --- Budget indicator ------------------------------------------------------------------------


class NationalReference(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_share: float = Field(gt=0, lt=1)
    max_share: float = Field(gt=0, lt=1)
    source: str
    verified: bool
    note: str | None = None


class PeerRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_count: int = Field(ge=1)


class BudgetReference(BaseModel):
    model_config = ConfigDict(extra="forbid")

    national: NationalReference
    peers: PeerRule


@lru_cache(maxsize=1)
def budget_reference() -> BudgetReference:
    with BUDGET_REFERENCE.open(encoding="utf-8") as handle:
        return BudgetReference.model_validate(yaml.safe_load(handle))


def _percent(share: float, lang: str) -> str:
    return fmt_percent(100 * share, lang, digits=1)


def plan_annual_cost(actions: Iterable[PlanAction]) -> int | None:
    """Cost of the adopted plan per year: total cost over the number of years its due dates span."""
    kept = [a for a in actions if a.status != ActionStatus.CANCELLED]
    if not kept:
        return None
    years = {a.due_date.year for a in kept}
    return sum(a.cost for a in kept) // (max(years) - min(years) + 1)


def budget_position(session: Session, establishment_id: int) -> BudgetPosition:
    """Security spending as a share of the IT budget, against the national range and similar peers."""
    establishment = org_service.get_establishment(session, establishment_id)
    reference = budget_reference()
    spending: int | None = establishment.security_budget
    spending_source = "security_budget"
    if spending is None:
        spending = plan_annual_cost(list_actions(session, establishment_id))
        spending_source = "plan" if spending is not None else "unknown"
    share = spending / establishment.it_budget if spending is not None and establishment.it_budget else None

    peers = [
        e.security_budget / e.it_budget
        for e in org_service.list_establishments(session)
        if e.id != establishment.id
        and e.kind == establishment.kind
        and e.security_budget is not None
        and e.it_budget > 0
    ]
    median: float | None = None
    peer_note: Text | None = None
    if len(peers) >= reference.peers.min_count:
        median = statistics.median(peers)
    else:
        peer_note = Text(
            fr=(
                f"Trop peu d'établissements du même type ({establishment.kind}) avec un budget sécurité "
                f"connu dans cette instance : {len(peers)}, il en faut au moins {reference.peers.min_count}."
            ),
            en=(
                f"Too few establishments of the same kind ({establishment.kind}) with a known security "
                f"budget in this instance: {len(peers)}, at least {reference.peers.min_count} are needed."
            ),
        )
    national = reference.national
    return BudgetPosition(
        security_spending=spending,
        spending_source=spending_source,
        it_budget=establishment.it_budget,
        share=share,
        reference_min=national.min_share,
        reference_max=national.max_share,
        reference_source=national.source,
        reference_verified=national.verified,
        peer_median=median,
        peer_count=len(peers),
        peer_note=peer_note,
        verdict=_verdict(share, spending_source, national, median),
    )


def _verdict(
    share: float | None, spending_source: str, national: NationalReference, median: float | None
) -> Text:
    if share is None:
        return Text(
            fr="Impossible de situer l'effort de sécurité : budget informatique ou dépenses inconnus.",
            en="The security effort cannot be placed: the IT budget or the security spending is unknown.",
        )
    lo_fr, hi_fr = _percent(national.min_share, "fr"), _percent(national.max_share, "fr")
    lo_en, hi_en = _percent(national.min_share, "en"), _percent(national.max_share, "en")
    basis_fr = " (coût annuel du plan adopté)" if spending_source == "plan" else ""
    basis_en = " (annual cost of the adopted plan)" if spending_source == "plan" else ""
    if share < national.min_share:
        fr = f"La sécurité représente {_percent(share, 'fr')} du budget informatique{basis_fr}, sous la "
        fr += f"recommandation nationale de {lo_fr} à {hi_fr}."
        en = f"Security is {_percent(share, 'en')} of the IT budget{basis_en}, below the national "
        en += f"recommendation of {lo_en} to {hi_en}."
    elif share <= national.max_share:
        fr = f"La sécurité représente {_percent(share, 'fr')} du budget informatique{basis_fr}, dans la "
        fr += f"fourchette nationale recommandée de {lo_fr} à {hi_fr}."
        en = f"Security is {_percent(share, 'en')} of the IT budget{basis_en}, within the recommended "
        en += f"national range of {lo_en} to {hi_en}."
    else:
        fr = f"La sécurité représente {_percent(share, 'fr')} du budget informatique{basis_fr}, au-dessus "
        fr += f"de la fourchette nationale de {lo_fr} à {hi_fr}."
        en = f"Security is {_percent(share, 'en')} of the IT budget{basis_en}, above the national "
        en += f"range of {lo_en} to {hi_en}."
    if median is not None:
        position_fr = "au-dessus de" if share > median else "en dessous de" if share < median else "égale à"
        position_en = "above" if share > median else "below" if share < median else "equal to"
        fr += f" Elle est {position_fr} la médiane des établissements comparables ({_percent(median, 'fr')})."
        en += f" It is {position_en} the median of similar establishments ({_percent(median, 'en')})."
    return Text(fr=fr, en=en)
