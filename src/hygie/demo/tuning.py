"""The demo establishments' detection tuning, as their RSSIs set it, each choice with its reason.

The demo hospital's on-call administrator is paged twice at night in its week of logs
(:func:`hygie.demo.activity.on_call`): the off-hours detector flags it, and the RSSI, who knows the on-call
rota, excludes that account from that rule, so the alerts left are the attacker's (the stolen
administrator's account at night stays flagged). The RSSI also raises the Sigma rule on failed backup jobs
to high: its recovery plan rests on them. The other two establishments have no logs in the demo; their
tuning is there to be seen (``hygie rules tuning``, the Detection rules page), and takes effect on their
first logs: the CHU's IT team works 7 h to 19 h, Monday to Saturday.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from hygie.detect import tuning
from hygie.detect.detectors import config
from hygie.detect.detectors.base import WorkingHours
from hygie.detect.models import AlertLevel, EntityField

BACKUP_JOB_FAILED = "c22df0b3-dc55-5188-8625-ce4456674988"
"""Hygie's Sigma rule "Backup job failed" (src/hygie/detect/rules/backup_job_failed.yml)."""
OFF_HOURS = "hygie-stat-offhours-admin"
FIRST_LOGON = "hygie-stat-first-logon"
MASS_WRITES = "hygie-stat-mass-file-writes"


@dataclass(frozen=True)
class EntityExclusion:
    """A host or user excluded from a detector rule (every one when ``rule_id`` is empty)."""

    field: EntityField
    value: str
    rule_id: str
    reason: str


@dataclass(frozen=True)
class LevelChange:
    rule_id: str
    level: AlertLevel
    reason: str


@dataclass(frozen=True)
class Tuning:
    """One establishment's tuning, set by ``author`` (who answers for its security) before its first
    detection run."""

    author: str = ""
    exclusions: tuple[EntityExclusion, ...] = ()
    levels: tuple[LevelChange, ...] = ()
    hours: WorkingHours | None = None  # None: the default (7 h to 20 h, Monday to Friday)


NONE = Tuning()

HOSPITAL_TUNING = Tuning(
    author="Claire Martin (RSSI)",
    exclusions=(
        EntityExclusion(
            EntityField.USER,
            "adm-astreinte",
            OFF_HOURS,
            "Compte de l'astreinte informatique : ses connexions de nuit et de week-end sont prévues par le "
            "planning d'astreinte et tracées dans la main courante de la DSI. Les autres comptes "
            "d'administration restent surveillés hors des heures ouvrées.",
        ),
    ),
    levels=(
        LevelChange(
            BACKUP_JOB_FAILED,
            AlertLevel.HIGH,
            "Notre plan de reprise repose sur les sauvegardes Veeam : une tâche en échec se traite dans la "
            "journée (décision du comité de sécurité d'octobre 2026).",
        ),
    ),
)
"""The demo hospital's: the on-call account off the off-hours rule, failed backup jobs raised to high."""

VAL_TUNING = Tuning(
    author="Julien Perrot (technicien informatique)",
    levels=(
        LevelChange(
            FIRST_LOGON,
            AlertLevel.INFORMATIONAL,
            "Postes partagés aux urgences et à l'EHPAD : une première connexion n'est pas un signal à elle "
            "seule chez nous ; nous la consultons lors de la revue hebdomadaire.",
        ),
    ),
)

CHU_TUNING = Tuning(
    author="Thomas Garnier (RSSI)",
    exclusions=(
        EntityExclusion(
            EntityField.HOST,
            "backup01.chu-aurele.local",
            MASS_WRITES,
            "Serveur de sauvegarde : il écrit des milliers de fichiers chaque nuit pendant les sauvegardes. "
            "Les noms de fichiers de rançongiciel y restent surveillés.",
        ),
    ),
    hours=WorkingHours(start=7, end=19, days=(0, 1, 2, 3, 4, 5)),
)
"""The CHU's IT team works 7 h to 19 h, Monday to Saturday (a Saturday morning team for the wards)."""


def apply(session: Session, establishment_id: int, chosen: Tuning) -> None:
    """Store ``chosen`` for the establishment through the tuning's own services (what ``hygie rules
    exclude-entity|level`` and ``hygie detect hours`` call)."""
    for exclusion in chosen.exclusions:
        tuning.add_entity_exclusion(
            session,
            establishment_id,
            exclusion.field,
            exclusion.value,
            rule_id=exclusion.rule_id,
            author=chosen.author,
            reason=exclusion.reason,
        )
    for change in chosen.levels:
        tuning.set_level(
            session,
            establishment_id,
            change.rule_id,
            change.level,
            author=chosen.author,
            reason=change.reason,
        )
    if chosen.hours is not None:
        config.set_working_hours(session, establishment_id, chosen.hours)
