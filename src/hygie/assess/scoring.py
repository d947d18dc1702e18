"""Maturity scores, from a library and answers. Pure functions: no database, no I/O.

The input is a mapping ``control_id -> AnswerValue`` (status and level). The action plan calls
``score`` with levels raised by its completed actions, the assessment with the stored answers.

Rules (the same text, in French and English, is exposed in ``RULES`` for the reports):

* Level used for a control: status ``level`` → that level; ``alternative`` → the control's target
  (a justified compensating measure counts as reaching it); ``not_applicable`` → excluded;
  ``unknown`` → excluded and listed as a knowledge gap; no answer → excluded, counts against
  completion.
* Dimension score (0–100) = 100 × Σ weight·level / Σ weight·5 over the scored controls of the
  dimension; none when no control of it is scored.
* Global index = mean of the dimension scores that exist.
* Referential compliance: for a control, f(c) = min(level / target, 1). A requirement whose mapped
  controls are all not applicable is not applicable; one with no scored mapped control is not
  assessed; otherwise its degree is the larger of the best f(c) over scored controls mapped
  ``equal`` or ``subset`` (fulfilling one fulfils the requirement) and the mean f(c) over every
  scored mapped control. Compliant at degree 1, partial between 0 and 1, non-compliant at 0.
  Percent = 100 × Σ degree / number of assessed requirements, also per tier.
* Completion = answered controls / controls in the campaign path.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from statistics import fmean

from hygie.assess.schemas import (
    MAX_LEVEL,
    AnswerStatus,
    AnswerValue,
    Delta,
    DimensionDelta,
    DimensionResult,
    LevelChange,
    MaturityScore,
    MeasuredScore,
    ReferentialDelta,
    ReferentialResult,
    RequirementResult,
    RequirementStatus,
    ScoreComparison,
    TierCompliance,
)
from hygie.frameworks.loader import Library
from hygie.frameworks.schema import FULL_RELATIONSHIPS, Control, Dimension, Referential, Requirement, Text

LEVEL_RULE = Text(
    fr="Niveau retenu : le niveau déclaré ; une mesure alternative justifiée compte comme la cible ; "
    "« non applicable » est exclu ; « je ne sais pas » est exclu et signalé comme lacune de connaissance ; "
    "une question sans réponse est exclue et compte dans le taux de complétude.",
    en="Level used: the level given; a justified alternative measure counts as the target; "
    "'not applicable' is excluded; 'don't know' is excluded and listed as a knowledge gap; "
    "an unanswered question is excluded and counts against completion.",
)
DIMENSION_RULE = Text(
    fr="Score d'une dimension = 100 × Σ poids × niveau / Σ poids × 5 sur ses mesures évaluées.",
    en="Dimension score = 100 × Σ weight × level / Σ weight × 5 over its scored controls.",
)
INDEX_RULE = Text(
    fr="Indice global = moyenne des scores des dimensions évaluées.",
    en="Global index = mean of the scores of the dimensions that are scored.",
)
COMPLIANCE_RULE = Text(
    fr="Pour chaque mesure, f = min(niveau / cible, 1). Une exigence est conforme à 100 % dès qu'une "
    "mesure qui la couvre entièrement (égale ou plus large) atteint sa cible ; sinon son degré est la "
    "moyenne de f sur ses mesures évaluées. Conforme si degré = 1, partielle entre 0 et 1, non conforme "
    "à 0 ; non applicable si toutes ses mesures le sont, non évaluée si aucune ne l'est. "
    "Pourcentage = 100 × Σ degrés / exigences évaluées.",
    en="For each control, f = min(level / target, 1). A requirement is fully met as soon as a control "
    "that covers it whole (equal or broader) reaches its target; otherwise its degree is the mean of f "
    "over its scored controls. Compliant at degree 1, partial between 0 and 1, non-compliant at 0; "
    "not applicable when all its controls are, not assessed when none is scored. "
    "Percent = 100 × Σ degrees / assessed requirements.",
)
COMPLETION_RULE = Text(
    fr="Complétude = mesures répondues / mesures du parcours de la campagne.",
    en="Completion = answered controls / controls in the campaign path.",
)
RULES: dict[str, Text] = {
    "level": LEVEL_RULE,
    "dimension": DIMENSION_RULE,
    "index": INDEX_RULE,
    "compliance": COMPLIANCE_RULE,
    "completion": COMPLETION_RULE,
}


def level_used(control: Control, answer: AnswerValue | None) -> int | None:
    """The level a control counts for, or None when it is excluded (N/A, unknown, unanswered)."""
    if answer is None:
        return None
    if answer.status == AnswerStatus.LEVEL:
        return answer.level
    if answer.status == AnswerStatus.ALTERNATIVE:
        return control.target
    return None


def scored_levels(
    library: Library, answers: Mapping[str, AnswerValue], controls_in_scope: Iterable[str]
) -> dict[str, int]:
    """The level used for every scored control in scope."""
    levels: dict[str, int] = {}
    for control_id in controls_in_scope:
        control = library.controls.get(control_id)
        if control is None:
            continue
        level = level_used(control, answers.get(control_id))
        if level is not None:
            levels[control_id] = level
    return levels


def dimension_scores(
    library: Library, levels: Mapping[str, int], controls_in_scope: Collection[str]
) -> list[DimensionResult]:
    """100 × Σ weight·level / Σ weight·5 per dimension over its scored controls; None if none is."""
    results = []
    for dimension in Dimension:
        in_scope = [
            library.controls[c]
            for c in controls_in_scope
            if c in library.controls and library.controls[c].dimension == dimension
        ]
        scored = [c for c in in_scope if c.id in levels]
        denominator = sum(c.weight * MAX_LEVEL for c in scored)
        score = 100 * sum(c.weight * levels[c.id] for c in scored) / denominator if denominator else None
        results.append(
            DimensionResult(dimension=dimension, score=score, scored=len(scored), total=len(in_scope))
        )
    return results


def global_index(dimensions: Iterable[DimensionResult]) -> float | None:
    """Mean of the dimension scores that are not None."""
    scores = [d.score for d in dimensions if d.score is not None]
    return fmean(scores) if scores else None


def fulfilment(control: Control, level: int) -> float:
    """f(c) = min(level / target, 1)."""
    return min(level / control.target, 1.0)


def requirement_result(
    library: Library, requirement: Requirement, levels: Mapping[str, int], answers: Mapping[str, AnswerValue]
) -> RequirementResult:
    """The degree of one requirement; see the module docstring for the rule."""
    mapped = requirement.mappings
    if all(
        (a := answers.get(m.control)) is not None and a.status == AnswerStatus.NOT_APPLICABLE for m in mapped
    ):
        return RequirementResult(id=requirement.id, status=RequirementStatus.NOT_APPLICABLE, degree=None)
    scored = [
        (m, fulfilment(library.controls[m.control], levels[m.control])) for m in mapped if m.control in levels
    ]
    if not scored:
        return RequirementResult(id=requirement.id, status=RequirementStatus.NOT_ASSESSED, degree=None)
    full = [f for m, f in scored if m.relationship in FULL_RELATIONSHIPS]
    degree = max(max(full, default=0.0), fmean(f for _, f in scored))
    if degree >= 1:
        status = RequirementStatus.COMPLIANT
    elif degree > 0:
        status = RequirementStatus.PARTIAL
    else:
        status = RequirementStatus.NON_COMPLIANT
    return RequirementResult(id=requirement.id, status=status, degree=min(degree, 1.0))


def _tally(results: list[RequirementResult]) -> dict[str, int | float | None]:
    counts = {status: 0 for status in RequirementStatus}
    for result in results:
        counts[result.status] += 1
    assessed = [r.degree for r in results if r.degree is not None]
    return {
        "percent": 100 * sum(assessed) / len(assessed) if assessed else None,
        "compliant": counts[RequirementStatus.COMPLIANT],
        "partial": counts[RequirementStatus.PARTIAL],
        "non_compliant": counts[RequirementStatus.NON_COMPLIANT],
        "not_applicable": counts[RequirementStatus.NOT_APPLICABLE],
        "not_assessed": counts[RequirementStatus.NOT_ASSESSED],
    }


def referential_compliance(
    library: Library,
    referential: Referential,
    levels: Mapping[str, int],
    answers: Mapping[str, AnswerValue],
) -> ReferentialResult:
    """Compliance with one referential, overall and per tier."""
    results = [requirement_result(library, r, levels, answers) for r in referential.requirements]
    per_tier = []
    for tier in referential.tiers:
        in_tier = [
            res for req, res in zip(referential.requirements, results, strict=True) if tier.id in req.tiers
        ]
        per_tier.append(
            TierCompliance.model_validate({"tier": tier.id, "name": tier.name, **_tally(in_tier)})
        )
    return ReferentialResult.model_validate(
        {
            "id": referential.id,
            "short_name": referential.short_name,
            "name": referential.name,
            **_tally(results),
            "not_assessed_ids": [r.id for r in results if r.status == RequirementStatus.NOT_ASSESSED],
            "per_tier": per_tier,
            "requirements": results,
            "rule": COMPLIANCE_RULE,
        }
    )


def score(
    library: Library, answers: Mapping[str, AnswerValue], controls_in_scope: Iterable[str]
) -> MaturityScore:
    """Every figure of a maturity assessment. Answers outside ``controls_in_scope`` are ignored."""
    scope = list(dict.fromkeys(c for c in controls_in_scope if c in library.controls))
    in_scope = set(scope)
    answers = {c: a for c, a in answers.items() if c in in_scope}
    levels = scored_levels(library, answers, scope)
    dimensions = dimension_scores(library, levels, scope)
    return MaturityScore(
        dimensions=dimensions,
        global_index=global_index(dimensions),
        referentials=[
            referential_compliance(library, library.referentials[r], levels, answers)
            for r in sorted(library.referentials)
        ],
        knowledge_gaps=[
            c for c in scope if (a := answers.get(c)) is not None and a.status == AnswerStatus.UNKNOWN
        ],
        levels=levels,
        answered=len(answers),
        in_scope=len(scope),
        completion=100 * len(answers) / len(scope) if scope else 0.0,
    )


MEASURED_RULE = Text(
    fr="Indice mesuré : le même calcul, avec le niveau mesuré à partir des données (audit, réseau, "
    "sauvegardes, exercices, hameçonnage…) à la place du niveau déclaré partout où il existe.",
    en="Measured index: the same computation, with the level measured from the data (audit, network, "
    "backups, exercises, phishing…) in place of the declared level wherever there is one.",
)


def measured_score(
    library: Library,
    levels: Mapping[str, int],
    measured: Mapping[str, int],
    controls_in_scope: Iterable[str],
) -> MeasuredScore:
    """Dimension scores and index with ``measured`` in place of ``levels`` for the scored controls in
    scope (as the plan counts them: an unanswered or "don't know" control stays out of both)."""
    scope = list(dict.fromkeys(c for c in controls_in_scope if c in library.controls))
    used = {c: levels[c] for c in scope if c in levels}
    taken = sorted(c for c in used if c in measured)
    used.update({c: measured[c] for c in taken})
    dimensions = dimension_scores(library, used, scope)
    return MeasuredScore(
        dimensions=dimensions, global_index=global_index(dimensions), levels=used, measured=taken
    )


def _delta(before: float | None, after: float | None) -> dict[str, float | None]:
    delta = after - before if before is not None and after is not None else None
    return {"before": before, "after": after, "delta": delta}


def compare(before: MaturityScore, after: MaturityScore) -> ScoreComparison:
    """What changed between two scores: per dimension, per referential, and control by control."""
    before_refs = {r.id: r for r in before.referentials}
    changes: dict[str, list[LevelChange]] = {
        "raised": [],
        "lowered": [],
        "newly_scored": [],
        "no_longer_scored": [],
    }
    for control_id in sorted(set(before.levels) | set(after.levels)):
        old, new = before.levels.get(control_id), after.levels.get(control_id)
        change = LevelChange(control_id=control_id, before=old, after=new)
        if old is None:
            changes["newly_scored"].append(change)
        elif new is None:
            changes["no_longer_scored"].append(change)
        elif new > old:
            changes["raised"].append(change)
        elif new < old:
            changes["lowered"].append(change)
    return ScoreComparison(
        global_index=Delta.model_validate(_delta(before.global_index, after.global_index)),
        dimensions=[
            DimensionDelta.model_validate(
                {"dimension": d.dimension, **_delta(before.dimension(d.dimension).score, d.score)}
            )
            for d in after.dimensions
        ],
        referentials=[
            ReferentialDelta.model_validate(
                {
                    "id": r.id,
                    "short_name": r.short_name,
                    **_delta(before_refs[r.id].percent if r.id in before_refs else None, r.percent),
                }
            )
            for r in after.referentials
        ],
        completion=Delta.model_validate(_delta(before.completion, after.completion)),
        **changes,
    )


__all__ = [
    "COMPLIANCE_RULE",
    "DIMENSION_RULE",
    "INDEX_RULE",
    "LEVEL_RULE",
    "MEASURED_RULE",
    "RULES",
    "compare",
    "dimension_scores",
    "fulfilment",
    "global_index",
    "level_used",
    "measured_score",
    "referential_compliance",
    "requirement_result",
    "score",
    "scored_levels",
]
