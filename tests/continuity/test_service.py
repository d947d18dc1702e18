"""The continuity service on the database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from hygie.continuity import service
from hygie.continuity.backups import Rule
from hygie.continuity.impact import Effect, Verdict
from hygie.continuity.models import ExerciseKind, JobReportFormat, JobResult
from hygie.continuity.schemas import (
    ApplicationIn,
    DependencyIn,
    ExerciseIn,
    JobRecord,
    LessonIn,
    RestoreTestIn,
    ServiceIn,
)
from hygie.core.errors import NotFoundError, ValidationError
from hygie.core.time import today
from hygie.frameworks.service import get_library
from hygie.plan import service as plan_service
from hygie.plan.models import ActionStatus, FindingSource, FindingStatus
from tests.continuity.builders import assets, build
from tests.factories import make_establishment

ON = date(2026, 11, 1)


def test_losing_the_domain_controller_stops_the_emergency_department_through_the_patient_record(
    session: Session,
) -> None:
    s = build(session)
    result = service.impact_of(session, s.establishment_id, asset_id=s.dc)
    assert result.lost_applications == (s.ad,)
    assert [(i.name, i.effect, i.path) for i in result.services] == [
        ("Laboratoire", Effect.DEGRADED, ("Laboratoire", "SIL", "DPI", "Annuaire")),
        ("Urgences", Effect.STOPPED, ("Urgences", "DPI", "Annuaire")),
    ][::-1]
    # The directory's backup was never restore-tested (it has no policy at all): unknown.
    assert result.services[0].verdict == Verdict.UNKNOWN
    zone = service.impact_of(session, s.establishment_id, zone="serveurs")
    assert zone.lost_applications == (s.dpi,)
    urg = zone.services[0]
    assert (urg.name, urg.restore_hours, urg.verdict) == ("Urgences", 6, Verdict.OVER)  # 6 h > RTO 4 h
    with pytest.raises(ValidationError):
        service.impact_of(session, s.establishment_id, asset_id=s.dc, zone="Serveurs")


def test_another_establishments_asset_application_or_service_is_not_found(session: Session) -> None:
    s = build(session)
    other = make_establishment(session).id
    (foreign,) = assets(session, other, ("srv-autre", "Serveurs"))
    with pytest.raises(NotFoundError):
        service.link_asset(session, s.establishment_id, s.dpi, foreign)
    with pytest.raises(NotFoundError):
        service.impact_of(session, s.establishment_id, asset_id=foreign)
    with pytest.raises(NotFoundError):
        service.get_service(session, other, s.urgences)
    with pytest.raises(NotFoundError):
        service.add_dependency(session, other, DependencyIn(service_id=s.urgences, on_application_id=s.dpi))


def test_names_are_unique_per_establishment_and_a_dependency_is_kept_once(session: Session) -> None:
    s = build(session)
    with pytest.raises(ValidationError, match="already exists"):
        service.create_service(
            session, s.establishment_id, ServiceIn(name="Urgences", rto_hours=1, rpo_hours=1)
        )
    other = make_establishment(session).id
    service.create_application(session, other, ApplicationIn(name="DPI"))  # fine elsewhere
    before = len(service.list_dependencies(session, s.establishment_id))
    service.add_dependency(
        session, s.establishment_id, DependencyIn(service_id=s.urgences, on_application_id=s.dpi)
    )
    assert len(service.list_dependencies(session, s.establishment_id)) == before
    with pytest.raises(ValidationError):
        service.add_dependency(
            session, s.establishment_id, DependencyIn(application_id=s.dpi, on_application_id=s.dpi)
        )
    assert service.find_service(session, s.establishment_id, "urgences").id == s.urgences
    service.delete_application(session, s.establishment_id, s.ad)
    assert len(service.list_dependencies(session, s.establishment_id)) == before - 1


def test_backup_scores_restore_tests_and_the_business_impact(session: Session) -> None:
    s = build(session)
    statuses = {st.application.name: st for st in service.backup_statuses(session, s.establishment_id, ON)}
    assert statuses["DPI"].score.met == 5
    assert statuses["DPI"].due_on == date(2027, 3, 14)  # 2026-09-15 + 180 days
    sil = statuses["SIL"].score
    assert sil.met == 0
    assert [c.rule for c in sil.missed] == list(Rule)
    ready = {row.name: r for row, r in service.readiness(session, s.establishment_id)}
    # The DPI's tested restore (6 h) is over the emergency department's RTO (4 h), whatever the
    # untested directory takes; the laboratory needs only the never-tested SIL.
    assert (ready["Urgences"].verdict, ready["Urgences"].slowest) == (Verdict.OVER, s.ad)
    assert ready["Laboratoire"].verdict == Verdict.UNKNOWN
    with pytest.raises(ValidationError, match="future"):
        service.log_restore_test(
            session,
            s.establishment_id,
            s.dpi,
            RestoreTestIn(tested_on=today() + timedelta(days=1), duration_hours=1),
        )
    with pytest.raises(NotFoundError, match="no backup policy"):
        service.log_restore_test(
            session, s.establishment_id, s.ad, RestoreTestIn(tested_on=ON, duration_hours=1)
        )


def test_job_reports_are_stored_once_matched_by_job_name_and_raise_alarms(session: Session) -> None:
    s = build(session)
    start = datetime(2026, 10, 30, 21, 0, tzinfo=UTC)
    records = [
        JobRecord(job_name="dpi - BASE", started_at=start, result=JobResult.SUCCESS),
        JobRecord(
            job_name="DPI - base", started_at=start + timedelta(days=1), result=JobResult.FAILED, message="x"
        ),
        JobRecord(job_name="Inconnu", started_at=start, result=JobResult.SUCCESS),
    ]
    first = service.import_jobs(session, s.establishment_id, records, JobReportFormat.HYGIE, "jobs.csv")
    assert (first.created, first.already_known, first.unmatched_jobs) == (3, 0, ["Inconnu"])
    again = service.import_jobs(session, s.establishment_id, records, JobReportFormat.HYGIE, "jobs.csv")
    assert (again.created, again.already_known) == (0, 3)
    alarms = {(a.kind, a.application) for a in service.alarms(session, s.establishment_id, ON)}
    assert alarms == {("job_failed", "DPI"), ("restore_never_tested", "SIL")}
    dpi = next(
        st for st in service.backup_statuses(session, s.establishment_id, ON) if st.application.id == s.dpi
    )
    assert dpi.score.check(Rule.ZERO_ERRORS).reason is not None  # the failed job
    later = date(2027, 4, 1)  # past the DPI's test interval
    assert ("restore_overdue", "DPI") in {
        (a.kind, a.application) for a in service.alarms(session, s.establishment_id, later)
    }


def test_exercises_lessons_to_actions_and_what_is_overdue(session: Session) -> None:
    s = build(session)
    status = service.exercise_status(session, s.establishment_id, ON)
    assert (status.exercise_overdue, status.crisis_cell_overdue) == (True, True)
    with pytest.raises(NotFoundError):
        service.create_exercise(
            session,
            s.establishment_id,
            ExerciseIn(title="x", kind=ExerciseKind.TABLE_TOP, held_on=ON, scenario_id="nope"),
        )
    exercise = service.create_exercise(
        session,
        s.establishment_id,
        ExerciseIn(
            title="Rançongiciel DPI",
            kind=ExerciseKind.TABLE_TOP,
            held_on=date(2026, 6, 10),
            scenario_id="ransomware-patient-record",
            participants=["Directeur", " RSSI ", ""],
            crisis_cell=True,
        ),
    )
    assert exercise.participants == ["Directeur", "RSSI"]
    status = service.exercise_status(session, s.establishment_id, ON)
    assert (status.last_exercise, status.exercise_overdue, status.crisis_cell_overdue) == (
        date(2026, 6, 10),
        False,
        False,
    )
    assert service.exercise_status(session, s.establishment_id, date(2027, 6, 11)).exercise_overdue
    library = get_library()
    with pytest.raises(ValidationError, match="no control"):
        service.add_lesson(
            session, s.establishment_id, exercise.id, LessonIn(text="x", control_id="NOPE"), library
        )
    lesson = service.add_lesson(
        session,
        s.establishment_id,
        exercise.id,
        LessonIn(text="Imprimer les kits de mode dégradé", control_id="CON-DEGRADED"),
        library,
    )
    action = service.lesson_to_action(
        session, s.establishment_id, lesson.id, owner="Cadre de santé", due_date=today() + timedelta(days=60)
    )
    assert (action.template_id, action.title, action.cost) == (f"lesson:{lesson.id}", lesson.text, 0)
    assert lesson.action_id == action.id
    again = service.lesson_to_action(
        session, s.establishment_id, lesson.id, owner="Autre", due_date=today() + timedelta(days=90)
    )
    assert again.id == action.id


def test_gaps_become_continuity_findings_tied_to_the_controls(session: Session) -> None:
    s = build(session)
    found = {f.key: f for f in service.refresh_findings(session, s.establishment_id, ON)}
    assert set(found) == {
        f"backup:{s.ad}:none",
        *(f"backup:{s.lis}:{rule.value}" for rule in Rule),
        f"procedure:{s.labo}",
        f"rto:{s.urgences}",
        "exercise:none",
        "exercise:crisis-cell",
    }
    assert found[f"backup:{s.lis}:1_offline"].control_ids == ["CON-BACKUP-OFFLINE"]
    assert found[f"backup:{s.lis}:0_errors"].control_ids == ["CON-RESTORE-TEST"]
    assert found[f"backup:{s.ad}:none"].asset_refs == [str(s.dc)]
    assert found[f"procedure:{s.labo}"].care_services == ["Laboratoire"]
    assert found["exercise:crisis-cell"].control_ids == ["INC-CRISIS", "CON-EXERCISE"]
    assert found[f"rto:{s.urgences}"].care_services == ["Urgences"]
    # A policy for the directory resolves its finding.
    from hygie.continuity.models import MediaKind
    from hygie.continuity.schemas import PolicyIn

    service.set_policy(
        session,
        s.establishment_id,
        s.ad,
        PolicyIn(copies=3, media=[MediaKind.DISK, MediaKind.CLOUD], offsite_copies=1, immutable_copy=True),
    )
    service.log_restore_test(
        session, s.establishment_id, s.ad, RestoreTestIn(tested_on=date(2026, 10, 1), duration_hours=2)
    )
    keys = {f.key for f in service.refresh_findings(session, s.establishment_id, ON)}
    assert f"backup:{s.ad}:none" not in keys
    resolved = plan_service.list_findings(
        session, s.establishment_id, FindingStatus.RESOLVED, FindingSource.CONTINUITY
    )
    assert [f.key for f in resolved] == [f"backup:{s.ad}:none"]
    # A lesson naming a control is a finding until its action is done.
    exercise = service.create_exercise(
        session,
        s.establishment_id,
        ExerciseIn(title="Exercice", kind=ExerciseKind.TECHNICAL, held_on=date(2026, 10, 2)),
    )
    lesson = service.add_lesson(
        session, s.establishment_id, exercise.id, LessonIn(text="Tester l'AD", control_id="CON-RESTORE-TEST")
    )
    assert f"lesson:{lesson.id}" in {f.key for f in service.refresh_findings(session, s.establishment_id, ON)}
    action = service.lesson_to_action(
        session, s.establishment_id, lesson.id, owner="DSI", due_date=today() + timedelta(days=30)
    )
    plan_service.set_status(session, s.establishment_id, action.id, ActionStatus.DONE)
    assert f"lesson:{lesson.id}" not in {
        f.key for f in service.refresh_findings(session, s.establishment_id, ON)
    }


def test_a_new_plan_does_not_cancel_an_action_made_from_a_lesson(session: Session) -> None:
    from hygie.plan.models import ActionStatus as Status
    from hygie.plan.schemas import CostBasis, OptimisationResult, Roadmap

    s = build(session)
    exercise = service.create_exercise(
        session, s.establishment_id, ExerciseIn(title="Exercice", kind=ExerciseKind.TECHNICAL, held_on=ON)
    )
    lesson = service.add_lesson(session, s.establishment_id, exercise.id, LessonIn(text="Tester le SIL"))
    action = service.lesson_to_action(
        session, s.establishment_id, lesson.id, owner="DSI", due_date=today() + timedelta(days=30)
    )
    empty = OptimisationResult(
        method="greedy", cost_basis=CostBasis.MID, budget=0, days=None, chosen=[], total_cost=0, total_days=0,
        objective=0, index_before=0, index_after=0, dimensions=[], levels_after={},
    )  # fmt: skip
    plan_service.adopt_plan(
        session, s.establishment_id, empty, Roadmap(start=ON, capacity_per_quarter=1, items=[])
    )
    assert plan_service.get_action(session, s.establishment_id, action.id).status == Status.TODO
