"""Continuity gaps as findings of the plan, tied to the library's continuity controls. Pure: it reads
the facts ``service.refresh_findings`` gathers and returns ``FindingIn``s.

- an application without a backup policy (CON-BACKUP);
- each 3-2-1-1-0 rule a policy misses: copies, media, off site (CON-BACKUP), offline or immutable
  (CON-BACKUP-OFFLINE), zero errors: restore never tested, failed or overdue (CON-RESTORE-TEST), or
  the last job failed (CON-BACKUP-MONITOR);
- a care service whose tested restores take longer than its RTO (CON-RESTORE-TEST, CON-BIA);
- a degraded-mode procedure missing or not reviewed for 12 months (CON-DEGRADED);
- no exercise for 12 months (CON-EXERCISE), crisis cell not trained for 12 months (INC-CRISIS);
- a lesson learned that names a control and whose action is not done yet (that control).

Titles are French (the default language of the reports), the English one is in the evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from hygie.continuity import backups, impact
from hygie.continuity.models import Application, ApplicationKind, CareService, Lesson
from hygie.plan.models import Severity
from hygie.plan.schemas import FindingIn

RULE_CONTROLS = {
    backups.Rule.THREE_COPIES: "CON-BACKUP",
    backups.Rule.TWO_MEDIA: "CON-BACKUP",
    backups.Rule.ONE_OFFSITE: "CON-BACKUP",
    backups.Rule.ONE_OFFLINE: "CON-BACKUP-OFFLINE",
    backups.Rule.ZERO_ERRORS: "CON-RESTORE-TEST",
}
RULE_TITLES = {
    backups.Rule.THREE_COPIES: ("moins de trois copies des données", "fewer than three copies of the data"),
    backups.Rule.TWO_MEDIA: ("copies sur un seul type de support", "copies on one kind of media only"),
    backups.Rule.ONE_OFFSITE: ("aucune copie hors site", "no copy off site"),
    backups.Rule.ONE_OFFLINE: ("aucune copie hors ligne ou immuable", "no copy offline or immutable"),
    backups.Rule.ZERO_ERRORS: (
        "restauration non vérifiée (jamais testée, échouée ou trop ancienne)",
        "restore not verified (never tested, failed or too old)",
    ),
}
# Applications that are infrastructure rather than data: no backup policy is expected of them.
NO_BACKUP_EXPECTED = {ApplicationKind.NETWORK}


@dataclass(frozen=True)
class Facts:
    on: date
    applications: Sequence[Application]
    statuses: Sequence[backups.Score | None]  # per application, in the same order (None: no policy)
    services: Sequence[tuple[CareService, impact.Readiness, bool]]  # readiness, procedure overdue
    last_exercise: date | None
    last_crisis_cell: date | None
    exercise_overdue: bool
    crisis_cell_overdue: bool
    open_lessons: Sequence[Lesson]  # naming a control, action not done
    assets: dict[int, list[int]]  # application id → asset ids


def _backup_findings(facts: Facts) -> list[FindingIn]:
    result: list[FindingIn] = []
    for app, score in zip(facts.applications, facts.statuses, strict=True):
        refs = [str(a) for a in facts.assets.get(app.id, [])]
        if score is None:
            if app.kind in NO_BACKUP_EXPECTED:
                continue
            result.append(
                FindingIn(
                    key=f"backup:{app.id}:none",
                    title=f"Sauvegarde : aucune politique pour « {app.name} »"[:500],
                    severity=Severity.HIGH,
                    control_ids=["CON-BACKUP"],
                    asset_refs=refs,
                    evidence={"application": app.name, "title_en": f"Backup: no policy for {app.name!r}"},
                )
            )
            continue
        for check in score.missed:
            fr, en = RULE_TITLES[check.rule]
            controls = [RULE_CONTROLS[check.rule]]
            if check.reason == backups.JOB_FAILED:
                controls = ["CON-BACKUP-MONITOR", "CON-RESTORE-TEST"]
            serious = check.rule in (backups.Rule.ONE_OFFLINE, backups.Rule.ZERO_ERRORS)
            result.append(
                FindingIn(
                    key=f"backup:{app.id}:{check.rule.value}",
                    title=f"Sauvegarde de « {app.name} » : {fr} (règle 3-2-1-1-0)"[:500],
                    severity=Severity.HIGH if serious else Severity.MEDIUM,
                    control_ids=controls,
                    asset_refs=refs,
                    evidence={
                        "application": app.name,
                        "rule": check.rule.value,
                        "reason": check.reason,
                        "params": dict(check.params),
                        "title_en": f"Backup of {app.name!r}: {en} (3-2-1-1-0 rule)",
                    },
                )
            )
    return result


def _service_findings(facts: Facts) -> list[FindingIn]:
    result: list[FindingIn] = []
    for row, ready, procedure_overdue in facts.services:
        if ready.verdict == impact.Verdict.OVER and ready.tested_hours is not None:
            result.append(
                FindingIn(
                    key=f"rto:{row.id}",
                    title=(
                        f"« {row.name} » : la restauration testée ({ready.tested_hours:g} h) dépasse "
                        f"la durée maximale d'interruption admissible ({row.rto_hours:g} h)"
                    )[:500],
                    severity=Severity.HIGH,
                    control_ids=["CON-RESTORE-TEST", "CON-BIA"],
                    care_services=[row.name],
                    evidence={
                        "restore_hours": ready.tested_hours,
                        "rto_hours": row.rto_hours,
                        "title_en": (
                            f"{row.name}: the tested restore ({ready.tested_hours:g} h) exceeds the RTO "
                            f"({row.rto_hours:g} h)"
                        ),
                    },
                )
            )
        if procedure_overdue:
            reviewed = row.procedure_reviewed_on.isoformat() if row.procedure_reviewed_on else None
            result.append(
                FindingIn(
                    key=f"procedure:{row.id}",
                    title=(f"« {row.name} » : procédure de mode dégradé absente ou non revue depuis 12 mois")[
                        :500
                    ],
                    severity=Severity.MEDIUM,
                    control_ids=["CON-DEGRADED"],
                    care_services=[row.name],
                    evidence={
                        "procedure": row.procedure_ref,
                        "reviewed_on": reviewed,
                        "title_en": (
                            f"{row.name}: degraded-mode procedure missing or not reviewed for 12 months"
                        ),
                    },
                )
            )
    return result


def _exercise_findings(facts: Facts) -> list[FindingIn]:
    result: list[FindingIn] = []
    if facts.exercise_overdue:
        last = facts.last_exercise.isoformat() if facts.last_exercise else None
        result.append(
            FindingIn(
                key="exercise:none",
                title="Aucun exercice de crise depuis 12 mois",
                severity=Severity.HIGH,
                control_ids=["CON-EXERCISE"],
                evidence={"last_exercise": last, "title_en": "No crisis exercise for 12 months"},
            )
        )
    if facts.crisis_cell_overdue:
        last = facts.last_crisis_cell.isoformat() if facts.last_crisis_cell else None
        result.append(
            FindingIn(
                key="exercise:crisis-cell",
                title="Cellule de crise non entraînée depuis 12 mois",
                severity=Severity.MEDIUM,
                control_ids=["INC-CRISIS", "CON-EXERCISE"],
                evidence={"last_training": last, "title_en": "Crisis cell not trained for 12 months"},
            )
        )
    for lesson in facts.open_lessons:
        if lesson.control_id is None:
            continue
        result.append(
            FindingIn(
                key=f"lesson:{lesson.id}",
                title=f"Retour d'expérience d'exercice : {lesson.text}"[:500],
                severity=Severity.MEDIUM,
                control_ids=[lesson.control_id],
                evidence={
                    "exercise_id": lesson.exercise_id,
                    "action_id": lesson.action_id,
                    "title_en": f"Lesson learned from an exercise: {lesson.text}",
                },
            )
        )
    return result


def findings(facts: Facts) -> list[FindingIn]:
    """Every continuity gap the facts show, keyed so that the next refresh finds it again."""
    return [*_backup_findings(facts), *_service_findings(facts), *_exercise_findings(facts)]
