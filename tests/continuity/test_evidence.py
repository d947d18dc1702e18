"""The continuity controls measured from the continuity facts (metrics in hygie.continuity.evidence,
levels by the rules of controls.yaml)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from hygie.assess import evidence
from hygie.assess import service as assess_service
from hygie.assess.evidence_rules import MeasuredLevel
from hygie.assess.schemas import AnswerIn
from hygie.continuity import evidence as continuity_evidence
from hygie.continuity import service
from hygie.continuity.models import Criticality, ExerciseKind, ServiceKind
from hygie.continuity.schemas import DependencyIn, ExerciseIn, LessonIn, ServiceIn
from hygie.frameworks.service import get_library
from hygie.plan import service as plan_service
from hygie.plan.models import FindingSource, FindingStatus
from tests.continuity.builders import build
from tests.factories import make_establishment

ON = date(2026, 11, 1)


def measure(session: Session, establishment_id: int, on: date) -> list[MeasuredLevel]:
    return list(evidence.measured_levels(session, establishment_id, on, get_library()).values())


def levels(session: Session, establishment_id: int, on: date = ON) -> dict[str, int]:
    return {m.control_id: m.level for m in measure(session, establishment_id, on)}


def test_no_continuity_data_measures_nothing(session: Session) -> None:
    eid = make_establishment(session).id
    assert continuity_evidence.measure(session, eid, ON) == []
    assert measure(session, eid, ON) == []


def test_backups_restores_procedures_from_the_facts(session: Session) -> None:
    s = build(session)
    measured = {m.control_id: m for m in measure(session, s.establishment_id, ON)}
    # Critical: DPI and Annuaire (emergency, RTO 4 h), SIL (laboratory, 8 h). Only the DPI has 3
    # copies with one off site and an offline copy: 1/3 → 1. Its restore (6 h) is over 4 h, the SIL
    # is never tested, the directory has no policy: 0/3 → 0. One service in two has a procedure
    # reviewed within 12 months: 50 % → 2; the same service is the only one whose impact analysis
    # is complete (both have dependencies, the laboratory no procedure): 1/2 → 2. No job report, no
    # exercise: not measured.
    assert {k: m.level for k, m in measured.items()} == {
        "CON-BACKUP": 1,
        "CON-BACKUP-OFFLINE": 1,
        "CON-RESTORE-TEST": 0,
        "CON-DEGRADED": 2,
        "CON-BIA": 2,
    }
    restore = measured["CON-RESTORE-TEST"]
    assert restore.basis.en.startswith("0/3 critical applications restored")
    assert "Annuaire, DPI, SIL" in restore.basis.fr
    assert (restore.source, restore.measured_at) == ("continuity", ON)


def test_exercises_and_crisis_cell(session: Session) -> None:
    s = build(session)
    eid = s.establishment_id
    exercise = service.create_exercise(
        session,
        eid,
        ExerciseIn(
            title="Rançongiciel", kind=ExerciseKind.TABLE_TOP, held_on=date(2026, 6, 10), crisis_cell=True
        ),
    )
    got = levels(session, eid)
    assert (got["CON-EXERCISE"], got["INC-CRISIS"]) == (5, 4)
    service.add_lesson(
        session, eid, exercise.id, LessonIn(text="Kits papier", control_id="CON-DEGRADED"), get_library()
    )
    assert levels(session, eid)["CON-EXERCISE"] == 4  # a lesson still open
    later = levels(session, eid, date(2027, 7, 1))
    assert (later["CON-EXERCISE"], later["INC-CRISIS"]) == (1, 2)


def test_a_declaration_two_levels_above_the_evidence_is_a_finding(session: Session) -> None:
    s = build(session)
    eid = s.establishment_id
    library = get_library()
    declared: dict[str, int | None] = {"CON-RESTORE-TEST": 3, "CON-BACKUP": 2, "CON-DEGRADED": 4}
    rows = evidence.compare(declared, evidence.measured_levels(session, eid, ON))
    assert {r.control_id for r in rows if r.gap} == {"CON-RESTORE-TEST", "CON-DEGRADED"}
    assert next(r for r in rows if r.control_id == "CON-BACKUP-OFFLINE").declared is None
    found = evidence.refresh_findings(session, eid, library, declared, ON)
    by_key = {f.key: f for f in found}
    assert set(by_key) == {"evidence:CON-RESTORE-TEST", "evidence:CON-DEGRADED"}
    restore = by_key["evidence:CON-RESTORE-TEST"]
    assert restore.title.startswith("CON-RESTORE-TEST : niveau déclaré 3, mesuré 0 — 0/3 applications")
    assert (restore.evidence["declared"], restore.evidence["measured"]) == (3, 0)
    # Declared lower now: the restore finding is resolved, the other stays open.
    evidence.refresh_findings(session, eid, library, {**declared, "CON-RESTORE-TEST": 1}, ON)
    status = {
        f.key: f.status
        for f in plan_service.list_findings(session, eid, status=None, source=FindingSource.EVIDENCE)
    }
    assert status == {
        "evidence:CON-RESTORE-TEST": FindingStatus.RESOLVED,
        "evidence:CON-DEGRADED": FindingStatus.OPEN,
    }


def test_impact_analysis_needs_dependencies_and_a_reviewed_procedure(session: Session) -> None:
    s = build(session)
    eid = s.establishment_id
    service.update_service(
        session,
        eid,
        s.labo,
        ServiceIn(
            name="Laboratoire",
            kind=ServiceKind.LABORATORY,
            rto_hours=8,
            rpo_hours=4,
            procedure_ref="PROC-LAB",
            procedure_reviewed_on=date(2026, 10, 1),
        ),
    )
    maternite = service.create_service(
        session,
        eid,
        ServiceIn(name="Maternité", rto_hours=4, rpo_hours=1, procedure_ref="P", procedure_reviewed_on=ON),
    )
    # Urgences and Laboratoire complete; Maternité has no dependency: 2/3 (67 %) → 2.
    bia = next(m for m in measure(session, eid, ON) if m.control_id == "CON-BIA")
    assert bia.level == 2 and bia.basis.fr.startswith("2/3 ") and "manquent : Maternité" in bia.basis.fr
    service.add_dependency(
        session,
        eid,
        DependencyIn(service_id=maternite.id, on_application_id=s.dpi, criticality=Criticality.DEGRADED),
    )
    assert levels(session, eid)["CON-BIA"] == 5  # a degraded dependency is a declared dependency
    # A year and a half later every procedure is overdue for review: 0/3 → 0.
    assert levels(session, eid, date(2028, 5, 1))["CON-BIA"] == 0


def test_refresh_latest_takes_the_declarations_of_the_latest_campaign(session: Session) -> None:
    s = build(session)
    eid = s.establishment_id
    library = get_library()
    assert evidence.refresh_latest(session, eid, library, ON)  # measured, but nothing declared
    assert plan_service.list_findings(session, eid, source=FindingSource.EVIDENCE) == []
    campaign = assess_service.create_campaign(
        session, eid, name="2026", assessed_on=date(2026, 10, 1), library=library
    )
    for control_id, level in (("CON-BIA", 4), ("CON-DEGRADED", 3)):
        assess_service.record_answer(
            session, campaign, control_id, AnswerIn(status="level", level=level), "t"
        )
    rows = {r.control_id: r for r in evidence.refresh_latest(session, eid, library, ON)}
    # CON-BIA declared 4, measured 2 (1/2 services complete): a gap; CON-DEGRADED 3 against 2 is not.
    assert (rows["CON-BIA"].declared, rows["CON-BIA"].measured.level, rows["CON-BIA"].gap) == (4, 2, True)
    assert rows["CON-DEGRADED"].gap is False
    found = plan_service.list_findings(session, eid, source=FindingSource.EVIDENCE)
    assert [f.key for f in found] == ["evidence:CON-BIA"]
