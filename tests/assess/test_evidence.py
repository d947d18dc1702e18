"""Declared and measured: the plan works from the measured level, the index is given both ways."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from hygie.assess import evidence, evidence_cache
from hygie.assess import service as assess_service
from hygie.assess.evidence_rules import Reading
from hygie.assess.schemas import AnswerIn
from hygie.core.time import today
from hygie.frameworks.schema import Dimension, Text
from hygie.frameworks.service import get_library
from hygie.plan import service as plan_service
from hygie.plan.models import FindingSource
from tests.factories import make_establishment


@pytest.fixture
def half_patched(monkeypatch: pytest.MonkeyPatch) -> list[date]:
    """One provider only, reading half the assets patched; the date of its facts can be moved."""
    facts_on = [today()]

    def measure(session: Session, establishment_id: int, on: date) -> list[Reading]:
        summary = Text(fr="5/10 actifs à jour", en="5/10 assets up to date")
        return [Reading("vulns.patched_share", 0.5, facts_on[0], summary, (Text(fr="srv-1", en="srv-1"),))]

    monkeypatch.setattr(evidence, "PROVIDER_MODULES", ())
    monkeypatch.setattr(evidence, "_PROVIDERS", {"vulns": measure})
    return facts_on


def declared(session: Session) -> int:
    """TEC-PATCH declared 4, GOV-PSSI 2, in a full campaign."""
    eid = make_establishment(session).id
    campaign = assess_service.create_campaign(
        session, eid, name="2026", assessed_on=date(2026, 10, 1), library=get_library()
    )
    for control_id, level in (("TEC-PATCH", 4), ("GOV-PSSI", 2)):
        assess_service.record_answer(
            session, campaign, control_id, AnswerIn(status="level", level=level), "t"
        )
    return eid


def test_the_plan_takes_the_measured_level(session: Session, half_patched: list[date]) -> None:
    eid = declared(session)
    library = get_library()
    since, levels = plan_service.levels_from_assessment(session, eid, library)
    assert levels == {"TEC-PATCH": 4, "GOV-PSSI": 2}  # the declaration itself is kept
    # 0.5 < 0.7 in TEC-PATCH's rule: ≥ 0.001 → 1.
    assert evidence.effective_levels(session, eid, library) == {"TEC-PATCH": 1, "GOV-PSSI": 2}
    states, _candidates = plan_service.plan_inputs(session, eid, library, levels, since=since)
    assert (states["TEC-PATCH"].level, states["GOV-PSSI"].level) == (1, 2)
    declared_only, _ = plan_service.plan_inputs(session, eid, library, levels, since=since, measured={})
    assert declared_only["TEC-PATCH"].level == 4
    # The findings of the assessment too: TEC-PATCH 1 for a target of 4 (gap 3 × weight 3 → high).
    plan_service.refresh_from_assessment(session, eid, library)
    found = {f.key: f for f in plan_service.list_findings(session, eid, source=FindingSource.ASSESSMENT)}
    assert found["control:TEC-PATCH"].evidence["level"] == 1
    assert found["control:TEC-PATCH"].severity.value == "high"


def test_the_measured_index_beside_the_declared_one(session: Session, half_patched: list[date]) -> None:
    eid = declared(session)
    library = get_library()
    measured = evidence.measured_score(session, eid, library)
    assert measured is not None and measured.measured == ["TEC-PATCH"]
    # Technical: TEC-PATCH alone is scored (weight 3): declared 100·3·4/15 = 80, measured 100·3·1/15 = 20.
    technical = next(d for d in measured.dimensions if d.dimension == Dimension.TECHNICAL)
    assert technical.score == pytest.approx(20.0)
    governance = next(d for d in measured.dimensions if d.dimension == Dimension.GOVERNANCE)
    assert governance.score == pytest.approx(40.0)  # GOV-PSSI 2 declared, not measured
    assert measured.global_index == pytest.approx(30.0)
    current = plan_service.current_maturity(session, eid, library)
    assert current.levels["TEC-PATCH"] == 4  # the declared maturity is untouched


def test_a_gap_is_a_finding_that_says_why_and_stale_evidence_says_so(
    session: Session, half_patched: list[date]
) -> None:
    eid = declared(session)
    library = get_library()
    rows = {r.control_id: r for r in evidence.refresh_latest(session, eid, library)}
    assert (rows["TEC-PATCH"].declared, rows["TEC-PATCH"].measured.level, rows["TEC-PATCH"].gap) == (
        4,
        1,
        True,
    )
    found = plan_service.list_findings(session, eid, source=FindingSource.EVIDENCE)
    assert [f.key for f in found] == ["evidence:TEC-PATCH"]
    assert found[0].title == "TEC-PATCH : niveau déclaré 4, mesuré 1 — 5/10 actifs à jour"
    out = evidence.row_out(rows["TEC-PATCH"])
    assert (out.metric, out.value, out.stale, [i.fr for i in out.items]) == (
        "vulns.patched_share",
        0.5,
        False,
        ["srv-1"],
    )
    # The same facts 40 days old: over TEC-PATCH's 30 days, and 1 - 1 = 0. They change outside the
    # database, where the readings kept for the transaction cannot see it: forgotten by hand.
    half_patched[0] = today() - timedelta(days=40)
    evidence_cache.forget(session)
    stale = evidence.measured_levels(session, eid, None, library)["TEC-PATCH"]
    assert (stale.level, stale.rule_level, stale.stale) == (0, 1, True)
    assert stale.basis.en.endswith(f"evidence of {half_patched[0].isoformat()}, over 30 days old: -1 level")
