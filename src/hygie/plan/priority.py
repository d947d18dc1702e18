"""Risk reduction and priority of the candidate actions; the maturity index they move.

Pure functions on plain inputs: the controls in scope with their current level (``ControlState``)
and the action templates. The maturity index is the mean over the dimensions in scope of
``100 · Σ weight·level / Σ weight·5``; an action's gain on a control is capped at level 5, and the
part of it above the control's target counts for a quarter only, so that closing gaps comes first.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping

from hygie.core.errors import ContentError
from hygie.frameworks.loader import Library
from hygie.frameworks.schema import Dimension, Text
from hygie.plan.schemas import (
    MAX_LEVEL,
    ActionCatalogue,
    ActionTemplate,
    Candidate,
    ControlState,
    CostBasis,
    Priority,
)

ABOVE_TARGET_CREDIT = 0.25
QUICK_WIN_MAX_COST = 5_000
QUICK_WIN_MAX_DAYS = 5.0
# Floors so that an action with no external cost (internal work only) ranks high, not infinitely high.
COST_FLOOR_KEUR = 0.5
DAYS_FLOOR = 0.5


def control_states(library: Library, levels: Mapping[str, int | None]) -> dict[str, ControlState]:
    """The controls in scope (the keys of ``levels``) with target, weight and dimension from the library.

    ``None`` means not answered yet: counted as level 0, since what is not shown is not in place.
    """
    states: dict[str, ControlState] = {}
    for control_id, level in levels.items():
        control = library.control(control_id)
        if level is not None and not 0 <= level <= MAX_LEVEL:
            raise ContentError(f"control {control_id}: level {level} is outside 0..{MAX_LEVEL}")
        states[control_id] = ControlState(
            control_id=control_id,
            dimension=control.dimension,
            weight=control.weight,
            target=control.target,
            level=0 if level is None else level,
            assessed=level is not None,
        )
    return states


def current_levels(levels: Mapping[str, int | None], raises: Mapping[str, int]) -> dict[str, int | None]:
    """Answered levels plus the levels raised by done actions, capped at 5, for the controls in scope."""
    result: dict[str, int | None] = {}
    for control_id, level in levels.items():
        extra = raises.get(control_id, 0)
        if level is None and extra == 0:
            result[control_id] = None
        else:
            result[control_id] = min(MAX_LEVEL, (level or 0) + extra)
    return result


def dimension_weights(states: Iterable[ControlState]) -> dict[Dimension, int]:
    totals: dict[Dimension, int] = defaultdict(int)
    for state in states:
        totals[state.dimension] += state.weight
    return dict(totals)


def dimension_scores(states: Mapping[str, ControlState], levels: Mapping[str, int]) -> dict[Dimension, float]:
    """Score 0..100 of each dimension in scope, for the given levels (default: the states' levels)."""
    weighted: dict[Dimension, float] = defaultdict(float)
    totals = dimension_weights(states.values())
    for control_id, state in states.items():
        weighted[state.dimension] += state.weight * levels.get(control_id, state.level)
    return {d: 100.0 * weighted[d] / (MAX_LEVEL * total) for d, total in totals.items() if total}


def maturity_index(states: Mapping[str, ControlState], levels: Mapping[str, int] | None = None) -> float:
    scores = dimension_scores(states, levels or {})
    return sum(scores.values()) / len(scores) if scores else 0.0


def index_coefficients(states: Mapping[str, ControlState]) -> dict[str, float]:
    """Index points gained per level on each control: 100·w / (5 · W_dimension · number of dimensions)."""
    totals = dimension_weights(states.values())
    n_dims = len(totals)
    return {cid: 100.0 * s.weight / (MAX_LEVEL * totals[s.dimension] * n_dims) for cid, s in states.items()}


def split_gain(state: ControlState, gain: int) -> tuple[int, int]:
    """A gain capped at level 5, split into the part that closes the gap to target and the rest."""
    gain = max(0, min(gain, MAX_LEVEL - state.level))
    below = min(gain, max(0, state.target - state.level))
    return below, gain - below


def levels_after(states: Mapping[str, ControlState], templates: Iterable[ActionTemplate]) -> dict[str, int]:
    """The levels once every given action is done (raises add up, capped at 5)."""
    levels = {cid: s.level for cid, s in states.items()}
    for template in templates:
        for cid, raise_ in template.raises.items():
            if cid in levels:
                levels[cid] = min(MAX_LEVEL, levels[cid] + raise_)
    return levels


def reduction(template: ActionTemplate, states: Mapping[str, ControlState]) -> float:
    """Σ over raised controls in scope of weight · (gap closed + ¼ of the gain above target) / 5."""
    total = 0.0
    for cid, raise_ in template.raises.items():
        state = states.get(cid)
        if state is None:
            continue
        below, above = split_gain(state, raise_)
        total += state.weight * (below + ABOVE_TARGET_CREDIT * above) / MAX_LEVEL
    return total


def is_candidate(template: ActionTemplate, states: Mapping[str, ControlState]) -> bool:
    return any(cid in states and states[cid].level < MAX_LEVEL for cid in template.raises)


def at_target(template: ActionTemplate, states: Mapping[str, ControlState]) -> bool:
    """True when every control the action raises (in scope) already meets its target."""
    return all(states[cid].level >= states[cid].target for cid in template.raises if cid in states)


def _fmt(value: float, lang: str) -> str:
    text = f"{value:,.2f}" if lang == "en" else f"{value:,.2f}".replace(",", " ").replace(".", ",")
    return text


def _explain(
    template: ActionTemplate, states: Mapping[str, ControlState], p: Priority, basis: CostBasis
) -> Text:
    parts_fr: list[str] = []
    parts_en: list[str] = []
    for cid, raise_ in sorted(template.raises.items()):
        state = states.get(cid)
        if state is None or state.level >= MAX_LEVEL:
            continue
        new = min(MAX_LEVEL, state.level + raise_)
        parts_fr.append(f"{cid} de {state.level} à {new} (cible {state.target})")
        parts_en.append(f"{cid} from {state.level} to {new} (target {state.target})")
    cost_keur = template.cost(basis) / 1000
    fr = (
        f"Relève {', '.join(parts_fr)}. Réduction de risque {_fmt(p.reduction, 'fr')} "
        f"pour {_fmt(cost_keur, 'fr')} k€ et {_fmt(template.effort_days, 'fr')} j-h : "
        f"{_fmt(p.per_keur, 'fr')} par k€, {_fmt(p.per_day, 'fr')} par jour ; rang {p.rank}."
    )
    en = (
        f"Raises {', '.join(parts_en)}. Risk reduction {_fmt(p.reduction, 'en')} "
        f"for {_fmt(cost_keur, 'en')} k€ and {_fmt(template.effort_days, 'en')} person-days: "
        f"{_fmt(p.per_keur, 'en')} per k€, {_fmt(p.per_day, 'en')} per day; rank {p.rank}."
    )
    if p.quick_win:
        fr += " Gain rapide : au plus 5 000 € et 5 jours."
        en += " Quick win: at most €5,000 and 5 days."
    return Text(fr=fr, en=en)


def prioritise(
    templates: Iterable[ActionTemplate],
    states: Mapping[str, ControlState],
    basis: CostBasis = CostBasis.MID,
) -> list[Priority]:
    """Priorities, best first: reduction per k€ and per person-day, combined by geometric mean."""
    rows: list[tuple[float, ActionTemplate, float, float, float]] = []
    for template in templates:
        value = reduction(template, states)
        per_keur = value / max(template.cost(basis) / 1000, COST_FLOOR_KEUR)
        per_day = value / max(template.effort_days, DAYS_FLOOR)
        rows.append((math.sqrt(per_keur * per_day), template, value, per_keur, per_day))
    rows.sort(key=lambda row: (-row[0], row[1].id))
    result: list[Priority] = []
    for rank, (score, template, value, per_keur, per_day) in enumerate(rows, start=1):
        quick = (
            template.cost_max <= QUICK_WIN_MAX_COST
            and template.effort_days <= QUICK_WIN_MAX_DAYS
            and value > 0
        )
        priority = Priority(
            template_id=template.id,
            reduction=value,
            per_keur=per_keur,
            per_day=per_day,
            score=score,
            rank=rank,
            quick_win=quick,
            explanation=Text(fr="-", en="-"),
        )
        priority.explanation = _explain(template, states, priority, basis)
        result.append(priority)
    return result


def find_candidates(
    catalogue: ActionCatalogue,
    states: Mapping[str, ControlState],
    done: Iterable[str] = (),
    basis: CostBasis = CostBasis.MID,
) -> list[Candidate]:
    """Templates not done yet that raise a control in scope below level 5, ranked by priority.

    A prerequisite is satisfied when it is done, is no candidate, or its controls all meet their target.
    """
    done_ids = set(done)
    templates = [t for t in catalogue.actions if t.id not in done_ids and is_candidate(t, states)]
    by_id = {t.id: t for t in templates}
    priorities = {p.template_id: p for p in prioritise(templates, states, basis)}
    result: list[Candidate] = []
    for template in templates:
        satisfied = [
            pid for pid in template.prerequisites if pid not in by_id or at_target(by_id[pid], states)
        ]
        result.append(
            Candidate(template=template, priority=priorities[template.id], satisfied_prerequisites=satisfied)
        )
    result.sort(key=lambda c: c.priority.rank)
    return result


def open_prerequisites(candidate: Candidate) -> list[str]:
    """The prerequisites the optimiser must choose along with this candidate."""
    return [p for p in candidate.template.prerequisites if p not in candidate.satisfied_prerequisites]
