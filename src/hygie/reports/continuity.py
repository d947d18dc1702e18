"""The continuity-of-care section of the management report, from the continuity and awareness
services and the levels measured from their facts. Read-only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy.orm import Session

from hygie.assess import evidence
from hygie.awareness import rates as awareness_rates
from hygie.awareness import service as awareness_service
from hygie.continuity import backups
from hygie.continuity import service as continuity_service
from hygie.frameworks.loader import Library
from hygie.reports import schemas as r


def _t(lang: str, fr: str, en: str) -> str:
    return en if lang == "en" else fr


def _overdue(session: Session, establishment_id: int, on: dt.date, lang: str) -> list[str]:
    result = []
    for alarm in continuity_service.alarms(session, establishment_id, on):
        if alarm.kind == "restore_never_tested":
            result.append(
                _t(
                    lang,
                    f"{alarm.application} : restauration jamais testée",
                    f"{alarm.application}: restore never tested",
                )
            )
        elif alarm.kind == "restore_overdue" and alarm.since is not None:
            day = alarm.since.isoformat()
            result.append(
                _t(
                    lang,
                    f"{alarm.application} : test de restauration en retard depuis le {day}",
                    f"{alarm.application}: restore test overdue since {day}",
                )
            )
    status = continuity_service.exercise_status(session, establishment_id, on)
    if status.exercise_overdue:
        result.append(_t(lang, "Aucun exercice depuis 12 mois", "No exercise within 12 months"))
    if status.crisis_cell_overdue:
        result.append(
            _t(
                lang,
                "Cellule de crise non exercée depuis 12 mois",
                "Crisis cell not trained within 12 months",
            )
        )
    for row in continuity_service.list_services(session, establishment_id):
        if continuity_service.procedure_overdue(row, on):
            result.append(
                _t(
                    lang,
                    f"{row.name} : procédure de mode dégradé absente ou non revue depuis 12 mois",
                    f"{row.name}: degraded-mode procedure missing or not reviewed within 12 months",
                )
            )
    return result


SECTION_SOURCES = ("continuity", "awareness")


def continuity_section(
    session: Session,
    establishment_id: int,
    library: Library,
    levels: Mapping[str, int | None],
    *,
    lang: str,
    on: dt.date,
) -> r.ContinuitySection | None:
    """The section, or None when the establishment has recorded no continuity or awareness fact.

    ``levels`` are the levels the report uses for its index: the measured ones are shown beside
    them, never in their place."""
    services = continuity_service.readiness(session, establishment_id)
    statuses = continuity_service.backup_statuses(session, establishment_id, on)
    exercises = continuity_service.exercise_status(session, establishment_id, on)
    awareness = awareness_service.facts(session, establishment_id, on)
    if not (
        services or statuses or exercises.last_exercise or awareness.last_campaign or awareness.last_training
    ):
        return None
    latest = awareness_rates.rates(awareness_rates.total(awareness.latest.values()))
    invited = sum(c.invited for c in awareness.completion.values())
    completed = sum(c.completed for c in awareness.completion.values())
    # Only the continuity and awareness measures: the other domains' have their own sections.
    own = [
        c.id
        for c in library.controls.values()
        if c.evidence is not None and c.evidence.metric.split(".")[0] in SECTION_SOURCES
    ]
    rows = evidence.compare(levels, evidence.measured_levels(session, establishment_id, on, library, own))
    return r.ContinuitySection(
        services=[
            r.ServiceReadiness(
                name=row.name,
                rto_hours=row.rto_hours,
                restore_hours=ready.restore_hours,
                verdict=ready.verdict.value,
            )
            for row, ready in services
        ],
        policies=[
            r.PolicyScore(
                application=status.application.name,
                met=status.score.met,
                missed=[backups.reason_text(check, lang) for check in status.score.missed],
            )
            for status in statuses
        ],
        last_exercise=exercises.last_exercise,
        last_crisis_cell=exercises.last_crisis_cell,
        overdue=_overdue(session, establishment_id, on, lang),
        phishing_campaign=awareness.last_campaign_name,
        phishing_on=awareness.last_campaign,
        click_rate=latest.clicked,
        report_rate=latest.reported,
        training_completion=awareness_rates.percent(completed, invited),
        measured=[
            r.MeasuredControl(
                control=row.control_id,
                title=library.controls[row.control_id].title.get(lang)
                if row.control_id in library.controls
                else row.control_id,
                declared=row.declared,
                measured=row.measured.level,
                basis=row.measured.basis.get(lang),
                gap=row.gap,
            )
            for row in rows
        ],
    )
