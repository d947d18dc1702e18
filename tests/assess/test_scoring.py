"""Scores computed by hand on the small library of ``builders`` (see its docstring)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hygie.assess import scoring
from hygie.assess.schemas import AnswerStatus, AnswerValue, RequirementStatus
from hygie.frameworks.schema import Dimension
from tests.assess.builders import ALT, ANSWERS, NA, UNKNOWN, library, lvl

LIB = library()
ALL = list(LIB.controls)


def test_dimension_scores_weighted_alternative_counts_as_target() -> None:
    result = scoring.score(LIB, ANSWERS, ALL)
    # governance: GOV-A w2 level 2, GOV-B w1 alternative -> its target 4: (4 + 4) / (3 x 5)
    gov = result.dimension(Dimension.GOVERNANCE)
    assert gov.score == pytest.approx(100 * 8 / 15)
    assert (gov.scored, gov.total) == (2, 2)
    # technical: TEC-A w3 level 3 only (TEC-B not applicable): 9 / 15
    tec = result.dimension(Dimension.TECHNICAL)
    assert tec.score == pytest.approx(60.0)
    assert (tec.scored, tec.total) == (1, 2)
    # awareness: AWA-A unknown is excluded, AWA-B level 0 scores 0 (not None)
    awa = result.dimension(Dimension.AWARENESS)
    assert awa.score == 0.0
    assert (awa.scored, awa.total) == (1, 2)
    assert result.dimension(Dimension.CONTINUITY).score == pytest.approx(20.0)  # 2x1 / 2x5
    inc = result.dimension(Dimension.INCIDENT_RESPONSE)
    assert inc.score is None and (inc.scored, inc.total) == (0, 1)
    # mean of the four scored dimensions: (53.33 + 60 + 0 + 20) / 4
    assert result.global_index == pytest.approx((800 / 15 + 80) / 4)


def test_knowledge_gaps_completion_and_levels() -> None:
    result = scoring.score(LIB, ANSWERS, ALL)
    assert result.knowledge_gaps == ["AWA-A"]
    assert (result.answered, result.in_scope) == (7, 8)
    assert result.completion == pytest.approx(87.5)
    assert result.levels == {"GOV-A": 2, "GOV-B": 4, "TEC-A": 3, "AWA-B": 0, "CON-A": 1}


def test_referential_compliance_equal_versus_superset_and_intersect() -> None:
    ref = scoring.score(LIB, ANSWERS, ALL).referential("ref-one")
    degrees = {r.id: (r.status, r.degree) for r in ref.requirements}
    assert degrees["R1"] == (RequirementStatus.PARTIAL, pytest.approx(2 / 3))
    # superset + intersect: no full mapping, the mean of f: (1 + 0.25) / 2
    assert degrees["R2"] == (RequirementStatus.PARTIAL, pytest.approx(0.625))
    # the same controls with TEC-A mapped "equal": TEC-A at target fulfils the requirement
    assert degrees["R3"] == (RequirementStatus.COMPLIANT, 1.0)
    assert degrees["R4"] == (RequirementStatus.NOT_APPLICABLE, None)
    assert degrees["R5"] == (RequirementStatus.NOT_ASSESSED, None)  # unknown
    assert degrees["R6"] == (RequirementStatus.COMPLIANT, 1.0)  # alternative on a subset mapping
    assert degrees["R7"] == (RequirementStatus.NOT_ASSESSED, None)  # unanswered
    assert degrees["R8"] == (RequirementStatus.NON_COMPLIANT, 0.0)
    assert (ref.compliant, ref.partial, ref.non_compliant, ref.not_applicable, ref.not_assessed) == (
        2,
        2,
        1,
        1,
        2,
    )
    assert ref.not_assessed_ids == ["R5", "R7"]
    assert ref.percent == pytest.approx(100 * (2 / 3 + 0.625 + 1 + 1 + 0) / 5)
    assert ref.rule == scoring.COMPLIANCE_RULE


def test_referential_compliance_per_tier() -> None:
    ref = scoring.score(LIB, ANSWERS, ALL).referential("ref-one")
    tiers = {t.tier: t for t in ref.per_tier}
    standard = tiers["S"]  # R1, R2, R5, R7, R8
    assert standard.percent == pytest.approx(100 * (2 / 3 + 0.625 + 0) / 3)
    counts = (standard.compliant, standard.partial, standard.non_compliant)
    assert (*counts, standard.not_applicable, standard.not_assessed) == (0, 2, 1, 0, 2)
    reinforced = tiers["R"]  # R3, R4, R5, R6
    assert reinforced.percent == pytest.approx(100.0)
    assert (reinforced.compliant, reinforced.not_applicable, reinforced.not_assessed) == (2, 1, 1)
    assert scoring.score(LIB, ANSWERS, ALL).referential("ref-two").per_tier == []


def test_one_answer_moves_every_mapped_referential() -> None:
    before = scoring.score(LIB, ANSWERS, ALL)
    assert before.referential("ref-two").percent == pytest.approx(62.5)  # Q1 1, Q2 0.25
    after = scoring.score(LIB, {**ANSWERS, "CON-A": lvl(4)}, ALL)
    assert after.referential("ref-two").percent == pytest.approx(100.0)
    assert after.referential("ref-one").percent == pytest.approx(100 * (2 / 3 + 1 + 1 + 1 + 0) / 5)
    assert after.dimension(Dimension.CONTINUITY).score == pytest.approx(80.0)


def test_all_not_applicable_versus_partly() -> None:
    # R2 with CON-A not applicable and TEC-A unanswered: not all N/A, none scored -> not assessed
    answers = {"CON-A": NA}
    ref = scoring.score(LIB, answers, ALL).referential("ref-one")
    status = {r.id: r.status for r in ref.requirements}
    assert status["R2"] == RequirementStatus.NOT_ASSESSED
    assert ref.percent is None
    two = scoring.score(LIB, {"TEC-A": NA, "CON-A": NA}, ALL).referential("ref-two")
    assert two.not_applicable == 2 and two.percent is None


def test_scope_limits_answers_and_completion() -> None:
    short = [c.id for c in LIB.short_path()]
    assert short == ["TEC-A", "GOV-A", "CON-A"]
    result = scoring.score(LIB, ANSWERS, short)
    assert (result.answered, result.in_scope, result.completion) == (3, 3, 100.0)
    gov = result.dimension(Dimension.GOVERNANCE)
    assert gov.score == pytest.approx(40.0) and gov.total == 1  # GOV-A only: 2x2 / 2x5
    assert result.knowledge_gaps == []
    assert scoring.score(LIB, {}, ALL).global_index is None


def test_compare_deltas_and_level_changes() -> None:
    before = scoring.score(LIB, ANSWERS, ALL)
    after_answers = {**ANSWERS, "CON-A": lvl(4), "GOV-A": lvl(1), "INC-A": lvl(3), "AWA-B": UNKNOWN}
    after = scoring.score(LIB, after_answers, ALL)
    diff = scoring.compare(before, after)
    assert [(c.control_id, c.before, c.after) for c in diff.raised] == [("CON-A", 1, 4)]
    assert [(c.control_id, c.before, c.after) for c in diff.lowered] == [("GOV-A", 2, 1)]
    assert [c.control_id for c in diff.newly_scored] == ["INC-A"]
    assert [c.control_id for c in diff.no_longer_scored] == ["AWA-B"]
    dims = {d.dimension: d for d in diff.dimensions}
    assert dims[Dimension.CONTINUITY].delta == pytest.approx(60.0)
    assert dims[Dimension.GOVERNANCE].delta == pytest.approx(100 * 6 / 15 - 100 * 8 / 15)
    assert dims[Dimension.AWARENESS].after is None and dims[Dimension.AWARENESS].delta is None
    refs = {r.id: r for r in diff.referentials}
    assert refs["ref-two"].delta == pytest.approx(37.5)


def test_level_used_rules() -> None:
    gov_b = LIB.controls["GOV-B"]
    assert scoring.level_used(gov_b, ALT) == 4
    assert scoring.level_used(gov_b, lvl(2)) == 2
    assert scoring.level_used(gov_b, NA) is None
    assert scoring.level_used(gov_b, UNKNOWN) is None
    assert scoring.level_used(gov_b, None) is None
    for rule in scoring.RULES.values():
        assert rule.fr and rule.en and rule.fr != rule.en


def test_answer_value_level_only_with_status_level() -> None:
    with pytest.raises(ValueError, match="needs a level"):
        AnswerValue(status=AnswerStatus.LEVEL)
    with pytest.raises(ValueError, match="only with status"):
        AnswerValue(status=AnswerStatus.UNKNOWN, level=2)
    with pytest.raises(ValueError):
        AnswerValue.of_level(6)


ANSWER_VALUES = st.one_of(
    st.integers(0, 5).map(AnswerValue.of_level),
    st.sampled_from([ALT, NA, UNKNOWN]),
)


@given(st.dictionaries(st.sampled_from(ALL), ANSWER_VALUES), st.sampled_from(ALL), st.integers(0, 4))
def test_scores_in_bounds_and_never_fall_when_a_level_rises(
    answers: dict[str, AnswerValue], control_id: str, level: int
) -> None:
    before = scoring.score(LIB, {**answers, control_id: lvl(level)}, ALL)
    after = scoring.score(LIB, {**answers, control_id: lvl(level + 1)}, ALL)
    for result in (before, after):
        for value in [d.score for d in result.dimensions] + [r.percent for r in result.referentials]:
            assert value is None or 0 <= value <= 100
    dimension = LIB.controls[control_id].dimension
    old_score, new_score = before.dimension(dimension).score, after.dimension(dimension).score
    assert old_score is not None and new_score is not None and new_score > old_score
    for old_ref, new_ref in zip(before.referentials, after.referentials, strict=True):
        for old_req, new_req in zip(old_ref.requirements, new_ref.requirements, strict=True):
            assert (old_req.degree or 0) <= (new_req.degree or 0) + 1e-12
