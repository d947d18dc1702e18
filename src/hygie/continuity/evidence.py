"""Continuity metrics read from the continuity facts (the ``continuity`` provider).

Read as of the day ``on``; the catalogue (``controls.yaml``) turns each into the level of its control.
The applications counted are those a care service needs through a blocking dependency ("critical"),
or every application when no service is mapped yet.

* ``backup_321_share`` (CON-BACKUP): critical applications with a backup policy of 3 copies, one off site.
* ``offline_copy_share`` (CON-BACKUP-OFFLINE): critical applications with an offline or immutable copy.
* ``restore_tested_share`` (CON-RESTORE-TEST): critical applications whose last successful restore
  test is within the policy's interval and took no longer than the shortest RTO of the services
  that need it.
* ``backup_jobs_ok_share`` (CON-BACKUP-MONITOR, once job reports are imported): policies whose last
  job, within the last 7 days, did not fail.
* ``degraded_procedure_share`` (CON-DEGRADED): care services with a degraded-mode procedure reviewed
  within 12 months.
* ``impact_analysis_share`` (CON-BIA): care services with an RTO, an RPO, at least one dependency
  and a degraded-mode procedure reviewed within 12 months.
* ``exercise_points`` (CON-EXERCISE, once an exercise is recorded; the facts date from it): 1 for
  the exercise, 1 if the crisis cell trained within 12 months, 1 if no lesson learned is still open.
* ``crisis_cell_trained`` (INC-CRISIS, same condition): 1 once the crisis cell has trained (the
  facts date from its last session), else 0.
No application, service or exercise recorded: nothing is read.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from hygie.assess.evidence import register
from hygie.assess.evidence_rules import Reading, share_summary
from hygie.continuity import service
from hygie.continuity.models import JobResult
from hygie.frameworks.schema import Text

SOURCE = "continuity"
JOB_FRESH_DAYS = 7


def _share(metric: str, done: list[str], missing: list[str], what: Text, on: date) -> Reading:
    value, summary, items = share_summary(done, missing, what)
    return Reading(f"{SOURCE}.{metric}", value, on, summary, items)


def measure(session: Session, establishment_id: int, on: date) -> list[Reading]:
    result: list[Reading] = []
    ready = service.readiness(session, establishment_id)
    applications = {a.id: a.name for a in service.list_applications(session, establishment_id)}
    rto: dict[int, float] = {}
    for row, readiness in ready:
        for app_id in readiness.applications:
            rto[app_id] = min(rto.get(app_id, row.rto_hours), row.rto_hours)
    critical = sorted(rto) or sorted(applications)
    statuses = {s.application.id: s for s in service.backup_statuses(session, establishment_id, on)}
    if critical:
        backed, offline, restored = [], [], []
        for app_id in critical:
            status = statuses.get(app_id)
            facts = status.facts if status is not None else None
            backed.append(facts is not None and facts.copies >= 3 and facts.offsite_copies >= 1)
            offline.append(facts is not None and (facts.offline_copy or facts.immutable_copy))
            restored.append(
                facts is not None
                and status is not None
                and facts.last_success is not None
                and not status.overdue
                and facts.last_success.duration_hours <= rto.get(app_id, float("inf"))
            )
        names = [applications[a] for a in critical]
        for control_id, flags, what in (
            (
                "backup_321_share",
                backed,
                Text(
                    fr="applications critiques sauvegardées en 3 copies dont une hors site",
                    en="critical applications backed up in 3 copies, one off site",
                ),
            ),
            (
                "offline_copy_share",
                offline,
                Text(
                    fr="applications critiques avec une copie hors ligne ou immuable",
                    en="critical applications with an offline or immutable copy",
                ),
            ),
            (
                "restore_tested_share",
                restored,
                Text(
                    fr="applications critiques restaurées avec succès dans l'intervalle prévu "
                    "et dans leur DMIA",
                    en="critical applications restored successfully within their interval and their RTO",
                ),
            ),
        ):
            done = [n for n, ok in zip(names, flags, strict=True) if ok]
            missing = [n for n, ok in zip(names, flags, strict=True) if not ok]
            result.append(_share(control_id, done, missing, what, on))
    monitored = [s for s in statuses.values() if s.facts.last_job_on is not None]
    if monitored:
        fresh = on - timedelta(days=JOB_FRESH_DAYS)
        ok = [
            s.application.name
            for s in monitored
            if s.facts.last_job_on is not None
            and s.facts.last_job_on >= fresh
            and s.facts.last_job_result != JobResult.FAILED
        ]
        bad = [s.application.name for s in statuses.values() if s.application.name not in ok]
        what = Text(
            fr="sauvegardes dont le dernier job de moins de 7 jours a réussi",
            en="backups whose last job, less than 7 days old, did not fail",
        )
        result.append(_share("backup_jobs_ok_share", ok, bad, what, on))
    if ready:
        result.append(_bia(session, establishment_id, on))
        reviewed = [row.name for row, _r in ready if not service.procedure_overdue(row, on)]
        stale = [row.name for row, _r in ready if service.procedure_overdue(row, on)]
        what = Text(
            fr="services de soins avec une procédure dégradée revue depuis moins de 12 mois",
            en="care services with a degraded-mode procedure reviewed within 12 months",
        )
        result.append(_share("degraded_procedure_share", reviewed, stale, what, on))
    result.extend(_exercises(session, establishment_id, on))
    return result


def _bia(session: Session, establishment_id: int, on: date) -> Reading:
    built = service.graph(session, establishment_id)
    done: list[str] = []
    missing: list[str] = []
    for row in service.list_services(session, establishment_id):
        mapped = bool(built.needs("service", row.id, blocking_only=False))
        complete = row.rto_hours > 0 and row.rpo_hours >= 0 and mapped
        (done if complete and not service.procedure_overdue(row, on) else missing).append(row.name)
    what = Text(
        fr="services de soins avec DMIA, PDMA, dépendances et procédure dégradée revue "
        "depuis moins de 12 mois",
        en="care services with an RTO, an RPO, their dependencies and a degraded-mode procedure "
        "reviewed within 12 months",
    )
    return _share("impact_analysis_share", done, missing, what, on)


def _exercises(session: Session, establishment_id: int, on: date) -> list[Reading]:
    status = service.exercise_status(session, establishment_id, on)
    if status.last_exercise is None:
        return []
    held = status.last_exercise
    last = held.isoformat()
    trained = not status.crisis_cell_overdue
    open_lessons = len(service.gap_facts(session, establishment_id, on).open_lessons)
    points = 1 + trained + (open_lessons == 0)
    summary = Text(
        fr=f"exercice le {last} ; cellule de crise entraînée depuis moins de 12 mois : "
        f"{'oui' if trained else 'non'} ; retours d'expérience ouverts : {open_lessons}",
        en=f"exercise on {last}; crisis cell trained within 12 months: {'yes' if trained else 'no'}; "
        f"open lessons: {open_lessons}",
    )
    items = (Text(fr=f"dernier exercice : {last}", en=f"last exercise: {last}"),)
    result = [Reading(f"{SOURCE}.exercise_points", float(points), held, summary, items)]
    cell = status.last_crisis_cell
    if cell is None:
        crisis = Reading(
            f"{SOURCE}.crisis_cell_trained",
            0.0,
            on,
            Text(fr="cellule de crise jamais exercée", en="crisis cell never trained"),
        )
    else:
        day = cell.isoformat()
        crisis = Reading(
            f"{SOURCE}.crisis_cell_trained",
            1.0,
            cell,
            Text(fr=f"cellule de crise exercée le {day}", en=f"crisis cell trained on {day}"),
            (
                Text(
                    fr=f"dernière session de la cellule de crise : {day}",
                    en=f"last crisis cell session: {day}",
                ),
            ),
        )
    result.append(crisis)
    return result


register(SOURCE, measure)
