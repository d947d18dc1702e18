"""The continuity controls measured from the continuity facts (rules in hygie.continuity.evidence)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from hygie.assess import evidence
from hygie.continuity import evidence as continuity_evidence
from hygie.continuity import service
from hygie.continuity.models import ExerciseKind
from hygie.continuity.schemas import ExerciseIn, LessonIn
from hygie.frameworks.service import get_library
from hygie.plan import service as plan_service
from hygie.plan.models import FindingSource, FindingStatus
from tests.continuity.builders import build
from tests.factories import make_establishment

ON = date(2026, 11, 1)


def levels(session: Session, establishment_id: int, on: date = ON) -> dict[str, int]:
    return {m.control_id: m.level for m in continuity_evidence.measure(session, establishment_id, on)}


def test_no_continuity_data_measures_nothing(session: Session) -> None:
    eid = make_establishment(session).id
    assert continuity_evidence.measure(session, eid, ON) == []


def test_backups_restores_procedures_from_the_facts(session: Session) -> None:
    s = build(session)
    measured = {m.control_id: m for m in continuity_evidence.measure(session, s.establishment_id, ON)}
    # Critical: DPI and Annuaire (emergency, RTO 4 h), SIL (laboratory, 8 h). Only the DPI has 3
    # copies with one off site and an offline copy: 1/3 → 1. Its restore (6 h) is over 4 h, the SIL
    # is never tested, the directory has no policy: 0/3 → 0. One service in two has a procedure
    # reviewed within 12 months: 50 % → 2. No job report, no exercise: not measured.
    assert {k: m.level for k, m in measured.items()} == {
        "CON-BACKUP": 1,
        "CON-BACKUP-OFFLINE": 1,
        "CON-RESTORE-TEST": 0,
        "CON-DEGRADED": 2,
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
