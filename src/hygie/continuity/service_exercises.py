"""Exercises and their lessons learned: when the crisis cell last trained, and the actions of
the plan the lessons became. Written only through ``hygie.continuity.service`` (which re-exports
these functions); every read and write is filtered by establishment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hygie.continuity.models import Exercise, Lesson
from hygie.continuity.scenarios import get_scenario
from hygie.continuity.schemas import ExerciseIn, LessonIn
from hygie.continuity.service_care import months_before
from hygie.core.errors import NotFoundError, ValidationError
from hygie.core.time import today
from hygie.frameworks.loader import Library
from hygie.org import service as org_service
from hygie.plan import service as plan_service
from hygie.plan.models import PlanAction

EXERCISE_MONTHS = 12  # no exercise (or no crisis-cell training) for a year is overdue


def _exercise_values(data: ExerciseIn) -> dict[str, object]:
    if data.scenario_id:
        get_scenario(data.scenario_id)
    values = data.model_dump()
    values["participants"] = [p.strip() for p in data.participants if p.strip()]
    values["objectives"] = [o.strip() for o in data.objectives if o.strip()]
    return values


def create_exercise(session: Session, establishment_id: int, data: ExerciseIn) -> Exercise:
    org_service.get_establishment(session, establishment_id)
    row = Exercise(establishment_id=establishment_id, **_exercise_values(data))
    session.add(row)
    session.flush()
    return row


def update_exercise(session: Session, establishment_id: int, exercise_id: int, data: ExerciseIn) -> Exercise:
    row = get_exercise(session, establishment_id, exercise_id)
    for name, value in _exercise_values(data).items():
        setattr(row, name, value)
    session.flush()
    return row


def delete_exercise(session: Session, establishment_id: int, exercise_id: int) -> None:
    """The exercise and its lessons; the plan's actions made from them stay in the plan."""
    row = get_exercise(session, establishment_id, exercise_id)
    session.execute(delete(Lesson).where(Lesson.exercise_id == row.id))
    session.delete(row)
    session.flush()


def get_exercise(session: Session, establishment_id: int, exercise_id: int) -> Exercise:
    row = session.get(Exercise, exercise_id)
    if row is None or row.establishment_id != establishment_id:
        raise NotFoundError(f"no exercise {exercise_id} in establishment {establishment_id}")
    return row


def list_exercises(session: Session, establishment_id: int) -> list[Exercise]:
    query = select(Exercise).where(Exercise.establishment_id == establishment_id)
    return list(session.scalars(query.order_by(Exercise.held_on.desc(), Exercise.id.desc())))


def add_lesson(
    session: Session, establishment_id: int, exercise_id: int, data: LessonIn, library: Library | None = None
) -> Lesson:
    """A lesson learned; its control, when given, must be one of the library's."""
    get_exercise(session, establishment_id, exercise_id)
    control_id = (data.control_id or "").strip() or None
    if control_id is not None and library is not None and control_id not in library.controls:
        raise ValidationError(f"no control {control_id!r} in the library")
    row = Lesson(
        establishment_id=establishment_id, exercise_id=exercise_id, text=data.text, control_id=control_id
    )
    session.add(row)
    session.flush()
    return row


def delete_lesson(session: Session, establishment_id: int, lesson_id: int) -> Lesson:
    row = get_lesson(session, establishment_id, lesson_id)
    session.delete(row)
    session.flush()
    return row


def lessons_of(session: Session, establishment_id: int, exercise_id: int | None = None) -> list[Lesson]:
    query = select(Lesson).where(Lesson.establishment_id == establishment_id)
    if exercise_id is not None:
        query = query.where(Lesson.exercise_id == exercise_id)
    return list(session.scalars(query.order_by(Lesson.id)))


def get_lesson(session: Session, establishment_id: int, lesson_id: int) -> Lesson:
    row = session.get(Lesson, lesson_id)
    if row is None or row.establishment_id != establishment_id:
        raise NotFoundError(f"no lesson {lesson_id} in establishment {establishment_id}")
    return row


def lesson_to_action(
    session: Session, establishment_id: int, lesson_id: int, *, owner: str, due_date: date
) -> PlanAction:
    """The lesson becomes an action of the plan (once: again gives the same action)."""
    lesson = get_lesson(session, establishment_id, lesson_id)
    exercise = get_exercise(session, establishment_id, lesson.exercise_id)
    action = plan_service.add_action(
        session,
        establishment_id,
        key=f"lesson:{lesson.id}",
        title=lesson.text,
        owner=owner,
        due_date=due_date,
        notes=f"Exercice « {exercise.title} » du {exercise.held_on.isoformat()}",
    )
    lesson.action_id = action.id
    session.flush()
    return action


@dataclass(frozen=True)
class ExerciseStatus:
    last_exercise: date | None
    last_crisis_cell: date | None
    exercise_overdue: bool
    crisis_cell_overdue: bool


def exercise_status(session: Session, establishment_id: int, on: date | None = None) -> ExerciseStatus:
    """When the establishment last held an exercise, and its crisis cell last trained (12 months)."""
    day = on or today()
    held = [e for e in list_exercises(session, establishment_id) if e.held_on <= day]
    last = max((e.held_on for e in held), default=None)
    cell = max((e.held_on for e in held if e.crisis_cell), default=None)
    limit = months_before(day, EXERCISE_MONTHS)
    return ExerciseStatus(
        last_exercise=last,
        last_crisis_cell=cell,
        exercise_overdue=last is None or last < limit,
        crisis_cell_overdue=cell is None or cell < limit,
    )
