"""Continuity controls measured from the continuity facts (registered as the ``continuity`` provider).

Rules, as of the day ``on``; a share is turned into a level by ``share_level`` (100 % → 5, ≥ 90 % → 4,
≥ 75 % → 3, ≥ 50 % → 2, some → 1, none → 0). The applications counted are those a care service needs
through a blocking dependency ("critical"), or every application when no service is mapped yet.

* CON-BACKUP: share of critical applications with a backup policy of 3 copies, one off site.
* CON-BACKUP-OFFLINE: share of critical applications with an offline or immutable copy.
* CON-RESTORE-TEST: share of critical applications whose last successful restore test is within
  the policy's interval and took no longer than the shortest RTO of the services that need it.
* CON-BACKUP-MONITOR (only once job reports are imported): share of policies whose last job, within
  the last 7 days, did not fail.
* CON-DEGRADED: share of care services with a degraded-mode procedure reviewed within 12 months.
* CON-BIA: share of care services whose impact analysis is complete: an RTO and an RPO, at least one
  dependency declared (blocking or degraded), and a degraded-mode procedure reviewed within 12 months.
* CON-EXERCISE (only once an exercise is recorded): held within 12 months → 3, plus 1 if the crisis
  cell trained within 12 months, plus 1 if no lesson learned is still open; older → 1.
* INC-CRISIS (same condition): the crisis cell trained within 12 months → 4, earlier → 2, never → 1.
No application, service or exercise recorded: the control is not measured.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from hygie.assess.evidence import MeasuredLevel, register, share_level
from hygie.continuity import service
from hygie.continuity.models import JobResult
from hygie.frameworks.schema import Text

SOURCE = "continuity"
JOB_FRESH_DAYS = 7


def _names(names: list[str]) -> str:
    return ", ".join(sorted(names)[:5]) + ("…" if len(names) > 5 else "")


def _share(control_id: str, done: list[str], missing: list[str], what: Text, on: date) -> MeasuredLevel:
    total = len(done) + len(missing)
    fr = f"{len(done)}/{total} {what.fr}"
    en = f"{len(done)}/{total} {what.en}"
    if missing:
        fr += f" ; manquent : {_names(missing)}"
        en += f"; missing: {_names(missing)}"
    return MeasuredLevel(control_id, share_level(len(done), total), Text(fr=fr, en=en), SOURCE, on)


def measure(session: Session, establishment_id: int, on: date) -> list[MeasuredLevel]:
    result: list[MeasuredLevel] = []
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
                "CON-BACKUP",
                backed,
                Text(
                    fr="applications critiques sauvegardées en 3 copies dont une hors site",
                    en="critical applications backed up in 3 copies, one off site",
                ),
            ),
            (
                "CON-BACKUP-OFFLINE",
                offline,
                Text(
                    fr="applications critiques avec une copie hors ligne ou immuable",
                    en="critical applications with an offline or immutable copy",
                ),
            ),
            (
                "CON-RESTORE-TEST",
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
        result.append(_share("CON-BACKUP-MONITOR", ok, bad, what, on))
    if ready:
        result.append(_bia(session, establishment_id, on))
        reviewed = [row.name for row, _r in ready if not service.procedure_overdue(row, on)]
        stale = [row.name for row, _r in ready if service.procedure_overdue(row, on)]
        what = Text(
            fr="services de soins avec une procédure dégradée revue depuis moins de 12 mois",
            en="care services with a degraded-mode procedure reviewed within 12 months",
        )
        result.append(_share("CON-DEGRADED", reviewed, stale, what, on))
    result.extend(_exercises(session, establishment_id, on))
    return result


def _bia(session: Session, establishment_id: int, on: date) -> MeasuredLevel:
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
    return _share("CON-BIA", done, missing, what, on)


def _exercises(session: Session, establishment_id: int, on: date) -> list[MeasuredLevel]:
    status = service.exercise_status(session, establishment_id, on)
    if status.last_exercise is None:
        return []
    last = status.last_exercise.isoformat()
    if status.exercise_overdue:
        level = 1
        fr, en = (
            f"dernier exercice le {last}, il y a plus de 12 mois",
            f"last exercise on {last}, over 12 months ago",
        )
    else:
        open_lessons = len(service.gap_facts(session, establishment_id, on).open_lessons)
        level = 3 + (not status.crisis_cell_overdue) + (open_lessons == 0)
        trained = not status.crisis_cell_overdue
        fr = (
            f"exercice le {last} ; cellule de crise entraînée : {'oui' if trained else 'non'} ; "
            f"retours d'expérience ouverts : {open_lessons}"
        )
        en = (
            f"exercise on {last}; crisis cell trained: {'yes' if trained else 'no'}; "
            f"open lessons: {open_lessons}"
        )
    result = [MeasuredLevel("CON-EXERCISE", level, Text(fr=fr, en=en), SOURCE, on)]
    cell = status.last_crisis_cell
    if cell is None:
        crisis = MeasuredLevel(
            "INC-CRISIS",
            1,
            Text(fr="cellule de crise jamais exercée", en="crisis cell never trained"),
            SOURCE,
            on,
        )
    elif status.crisis_cell_overdue:
        crisis = MeasuredLevel(
            "INC-CRISIS",
            2,
            Text(
                fr=f"cellule de crise exercée le {cell.isoformat()}, il y a plus de 12 mois",
                en=f"crisis cell trained on {cell.isoformat()}, over 12 months ago",
            ),
            SOURCE,
            on,
        )
    else:
        crisis = MeasuredLevel(
            "INC-CRISIS",
            4,
            Text(
                fr=f"cellule de crise exercée le {cell.isoformat()}",
                en=f"crisis cell trained on {cell.isoformat()}",
            ),
            SOURCE,
            on,
        )
    result.append(crisis)
    return result


register(SOURCE, measure)
