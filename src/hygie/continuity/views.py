"""The continuity facts in the shapes the CLI, the API and the pages show (no web or CLI import here)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hygie.continuity import backups, impact, service
from hygie.continuity.models import Exercise, MediaKind
from hygie.continuity.schemas import (
    ApplicationOut,
    ExerciseOut,
    ImpactOut,
    LessonOut,
    PolicyOut,
    ReachedZoneOut,
    RuleOut,
    ServiceImpactOut,
)


def policy_out(status: service.PolicyStatus, lang: str) -> PolicyOut:
    policy = status.policy
    success = status.facts.last_success
    return PolicyOut(
        id=policy.id,
        application_id=status.application.id,
        application=status.application.name,
        job_name=policy.job_name,
        copies=policy.copies,
        media=[MediaKind(m) for m in policy.media],
        offsite_copies=policy.offsite_copies,
        offline_copy=policy.offline_copy,
        immutable_copy=policy.immutable_copy,
        test_every_days=policy.test_every_days,
        score=status.score.met,
        out_of=status.score.out_of,
        rules=[
            RuleOut(rule=c.rule.value, met=c.met, reason=backups.reason_text(c, lang) or None)
            for c in status.score.checks
        ],
        last_restore_on=success.tested_on if success else None,
        last_restore_hours=success.duration_hours if success else None,
        restore_due_on=status.due_on,
        restore_overdue=status.overdue,
    )


def impact_out(
    result: impact.Impact, graph: impact.Graph, lang: str, reached: dict[str, int] | None = None
) -> ImpactOut:
    return ImpactOut(
        reached_zones=[ReachedZoneOut(zone=z, hops=h) for z, h in (reached or {}).items()],
        lost_assets=list(result.lost_assets),
        lost_applications=[graph.applications[a].name for a in result.lost_applications],
        services=[
            ServiceImpactOut(
                service_id=s.service_id,
                name=s.name,
                effect=s.effect.value,
                path=list(s.path),
                rto_hours=s.rto_hours,
                restore_hours=s.restore_hours,
                verdict=s.verdict.value,
            )
            for s in result.services
        ],
    )


def applications_out(session: Session, establishment_id: int) -> list[ApplicationOut]:
    linked = service.assets_of(session, establishment_id)
    return [
        ApplicationOut(id=a.id, name=a.name, kind=a.kind, asset_ids=linked.get(a.id, []))
        for a in service.list_applications(session, establishment_id)
    ]


def exercise_out(session: Session, establishment_id: int, exercise: Exercise) -> ExerciseOut:
    out = ExerciseOut.model_validate(exercise)
    out.lessons = [
        LessonOut.model_validate(lesson)
        for lesson in service.lessons_of(session, establishment_id, exercise.id)
    ]
    return out
