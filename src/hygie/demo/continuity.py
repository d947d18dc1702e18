"""The demo hospital's continuity of care: its care services with the RTO/RPO it set itself, the
applications they need, on the servers of the demo inventory, backups (the laboratory system never
restore-tested, the PACS without an offline copy and its last job failed), two exercises.

Built through ``hygie.continuity.service`` as a user's commands would. Without the inventory
(``build(..., inventory=False)``) the applications are declared without their servers. The facts are
data (:class:`Facts`): the group's other establishments have their own (:mod:`hygie.demo.ght`).

The backup server's job report imported here covers the three nights before the week of logs (the
nights of 13 to 15 November): from Monday 16 the week's own report, written with the logs, takes over
(:mod:`hygie.demo.logs`), so that the detectors, judging on Monday 23, see every night up to theirs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from hygie.assets import service as assets_service
from hygie.continuity import service
from hygie.continuity.models import (
    ApplicationKind,
    Criticality,
    ExerciseKind,
    JobReportFormat,
    JobResult,
    MediaKind,
    ServiceKind,
)
from hygie.continuity.schemas import (
    ApplicationIn,
    DependencyIn,
    ExerciseIn,
    JobRecord,
    LessonIn,
    PolicyIn,
    RestoreTestIn,
    ServiceIn,
)
from hygie.demo.logrecords import WEEK, local
from hygie.frameworks.loader import Library

DOMAIN = "ch-saint-aurele.local"
B, D = Criticality.BLOCKING, Criticality.DEGRADED

# name, kind, RTO h, RPO h, degraded-mode procedure, last review
SERVICES = (
    ("Urgences", ServiceKind.EMERGENCY, 2, 0.5, "PCRA-URG v3", date(2026, 3, 12)),
    ("Bloc opératoire", ServiceKind.OPERATING_THEATRE, 4, 1, "PCRA-BLOC v2", date(2025, 6, 20)),
    ("Réanimation", ServiceKind.INTENSIVE_CARE, 1, 0.25, "PCRA-REA v4", date(2026, 9, 1)),
    ("Maternité", ServiceKind.MATERNITY, 4, 1, None, None),
    ("Laboratoire", ServiceKind.LABORATORY, 4, 1, "PCRA-LABO v1", date(2025, 2, 3)),
    ("Imagerie médicale", ServiceKind.IMAGING, 8, 4, "PCRA-IMG v2", date(2026, 5, 15)),
    ("Pharmacie", ServiceKind.PHARMACY, 8, 4, "PCRA-PUI v2", date(2026, 1, 10)),
    ("Admissions", ServiceKind.ADMISSIONS, 24, 8, "PCRA-ADM v1", date(2026, 4, 1)),
)
# name, kind, hostnames of the demo inventory it runs on
APPLICATIONS = (
    ("Dossier patient (DPI)", ApplicationKind.PATIENT_RECORD, ("dpi-app01", "dpi-app02", "dpi-db01")),
    ("Annuaire (AD)", ApplicationKind.IDENTITY, ("dc01", "dc02")),
    ("PACS", ApplicationKind.PACS, ("pacs-srv01", "pacs-srv02")),
    ("RIS", ApplicationKind.RIS, ("ris01",)),
    ("SIL", ApplicationKind.LIS, ("sil01",)),
    ("Circuit du médicament", ApplicationKind.PHARMACY, ("pharma01",)),
    ("Messagerie", ApplicationKind.EMAIL, ("mail01", "mss-relay01")),
    ("Gestion administrative (GAP)", ApplicationKind.ADMISSIONS, ("vm-app-01",)),
)
SERVICE_NEEDS = {
    "Urgences": (("Dossier patient (DPI)", B), ("PACS", D), ("SIL", D), ("Messagerie", D)),
    "Bloc opératoire": (("Dossier patient (DPI)", B), ("PACS", B), ("Circuit du médicament", D)),
    "Réanimation": (("Dossier patient (DPI)", B), ("SIL", B), ("Circuit du médicament", B)),
    "Maternité": (("Dossier patient (DPI)", B), ("SIL", D)),
    "Laboratoire": (("SIL", B), ("Dossier patient (DPI)", D)),
    "Imagerie médicale": (("PACS", B), ("RIS", B)),
    "Pharmacie": (("Circuit du médicament", B), ("Dossier patient (DPI)", D)),
    "Admissions": (("Gestion administrative (GAP)", B), ("Dossier patient (DPI)", D)),
}
APP_NEEDS = {
    "Dossier patient (DPI)": (("Annuaire (AD)", B),),
    "SIL": (("Annuaire (AD)", B), ("Dossier patient (DPI)", D)),
    "PACS": (("Annuaire (AD)", B),),
    "RIS": (("PACS", B), ("Dossier patient (DPI)", D)),
    "Circuit du médicament": (("Dossier patient (DPI)", B), ("Annuaire (AD)", B)),
    "Gestion administrative (GAP)": (("Annuaire (AD)", B),),
    "Messagerie": (("Annuaire (AD)", B),),
}
# application: policy, restore tests (day, hours, success)
BACKUPS: dict[str, tuple[PolicyIn, tuple[tuple[date, float, bool], ...]]] = {
    "Dossier patient (DPI)": (
        PolicyIn(copies=3, media=[MediaKind.DISK, MediaKind.TAPE], offsite_copies=1, immutable_copy=True,
                 job_name="DPI - base"),
        ((date(2026, 3, 10), 7.5, True), (date(2026, 9, 18), 5.0, True)),
    ),
    "Annuaire (AD)": (
        PolicyIn(copies=3, media=[MediaKind.DISK, MediaKind.OBJECT_STORAGE], offsite_copies=1,
                 offline_copy=True, job_name="AD - controleurs"),
        ((date(2026, 6, 5), 3.0, True),),
    ),
    "PACS": (
        PolicyIn(copies=2, media=[MediaKind.DISK], job_name="PACS - archives"),
        ((date(2026, 2, 14), 16.0, True),),
    ),
    "SIL": (  # never restore-tested
        PolicyIn(copies=3, media=[MediaKind.DISK, MediaKind.TAPE], offsite_copies=1, offline_copy=True,
                 job_name="SIL"),
        (),
    ),
    "Circuit du médicament": (
        PolicyIn(copies=3, media=[MediaKind.DISK, MediaKind.CLOUD], offsite_copies=1, immutable_copy=True,
                 job_name="Pharmacie"),
        ((date(2026, 10, 20), 2.0, True),),
    ),
    "Messagerie": (
        PolicyIn(copies=2, media=[MediaKind.DISK, MediaKind.CLOUD], offsite_copies=1, job_name="Messagerie"),
        ((date(2026, 8, 1), 6.0, True),),
    ),
    "Gestion administrative (GAP)": (
        PolicyIn(copies=3, media=[MediaKind.DISK, MediaKind.TAPE], offsite_copies=1, offline_copy=True,
                 job_name="GAP"),
        ((date(2026, 7, 1), 3.0, True),),
    ),
    "RIS": (
        PolicyIn(copies=3, media=[MediaKind.DISK, MediaKind.TAPE], offsite_copies=1, offline_copy=True,
                 job_name="RIS"),
        ((date(2026, 5, 20), 2.5, True),),
    ),
}  # fmt: skip
LAST_NIGHT = local(WEEK - timedelta(days=1), 22)
"""The last night of the job report imported here: Sunday 15 November, the eve of the week of logs."""
JOBS_FILE = "veeam-sessions-2026-11-16.csv"
NIGHTS = 3

Service = tuple[str, ServiceKind, float, float, str | None, date | None]
Needs = Mapping[str, tuple[tuple[str, Criticality], ...]]


@dataclass(frozen=True)
class Drill:
    """An exercise and its lessons (text, control): the lessons tied to a control become findings."""

    exercise: ExerciseIn
    lessons: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Facts:
    """One establishment's continuity: care services, applications (with the hostnames of its inventory
    they run on), dependencies, backup policies with their restore tests, nightly job runs, exercises."""

    domain: str
    services: tuple[Service, ...]
    applications: tuple[tuple[str, ApplicationKind, tuple[str, ...]], ...]
    service_needs: Needs
    app_needs: Needs
    backups: Mapping[str, tuple[PolicyIn, tuple[tuple[date, float, bool], ...]]]
    drills: tuple[Drill, ...]
    last_night: datetime = LAST_NIGHT
    failed_job: str | None = None  # the job whose last night failed
    jobs_file: str = JOBS_FILE


def _asset_ids(session: Session, establishment_id: int, domain: str, hostnames: tuple[str, ...]) -> list[int]:
    found: list[int] = []
    for short in hostnames:
        wanted = f"{short}.{domain}"
        query = assets_service.assets_query(establishment_id, text=wanted)
        found.extend(a.id for a in session.scalars(query) if a.hostname == wanted)
    return found


def _jobs(facts: Facts) -> list[JobRecord]:
    """Three nights of each job up to ``facts.last_night``; the failed job's last night failed."""
    records: list[JobRecord] = []
    for _app, (policy, _tests) in facts.backups.items():
        for night in range(NIGHTS):
            started = facts.last_night - timedelta(days=night)
            failed = policy.job_name == facts.failed_job and night == 0
            records.append(
                JobRecord(
                    job_name=str(policy.job_name),
                    started_at=started,
                    ended_at=started + timedelta(hours=1, minutes=40),
                    result=JobResult.FAILED if failed else JobResult.SUCCESS,
                    message="Dépôt de sauvegarde plein" if failed else None,
                )
            )
    return records


def build(
    session: Session,
    establishment_id: int,
    library: Library,
    *,
    with_assets: bool = True,
    facts: Facts | None = None,
) -> None:
    """The services, applications, dependencies, backups, job runs and exercises, then the findings."""
    facts = facts or HOSPITAL_FACTS
    services = {
        name: service.create_service(
            session,
            establishment_id,
            ServiceIn(
                name=name,
                kind=kind,
                rto_hours=rto,
                rpo_hours=rpo,
                procedure_ref=procedure,
                procedure_reviewed_on=reviewed,
            ),
        ).id
        for name, kind, rto, rpo, procedure, reviewed in facts.services
    }
    apps: dict[str, int] = {}
    for name, kind, hostnames in facts.applications:
        apps[name] = service.create_application(
            session, establishment_id, ApplicationIn(name=name, kind=kind)
        ).id
        if with_assets:
            for asset_id in _asset_ids(session, establishment_id, facts.domain, hostnames):
                service.link_asset(session, establishment_id, apps[name], asset_id)
    for name, needs in facts.service_needs.items():
        for app_name, criticality in needs:
            service.add_dependency(
                session,
                establishment_id,
                DependencyIn(
                    service_id=services[name], on_application_id=apps[app_name], criticality=criticality
                ),
            )
    for name, needs in facts.app_needs.items():
        for app_name, criticality in needs:
            service.add_dependency(
                session,
                establishment_id,
                DependencyIn(
                    application_id=apps[name], on_application_id=apps[app_name], criticality=criticality
                ),
            )
    for name, (policy, tests) in facts.backups.items():
        service.set_policy(session, establishment_id, apps[name], policy)
        for day, duration, success in tests:
            service.log_restore_test(
                session,
                establishment_id,
                apps[name],
                RestoreTestIn(tested_on=day, duration_hours=duration, success=success, data_loss_hours=0.5),
            )
    service.import_jobs(session, establishment_id, _jobs(facts), JobReportFormat.VEEAM, facts.jobs_file)
    for drill in facts.drills:
        exercise = service.create_exercise(session, establishment_id, drill.exercise)
        for text, control in drill.lessons:
            service.add_lesson(
                session, establishment_id, exercise.id, LessonIn(text=text, control_id=control), library
            )
    service.refresh_findings(session, establishment_id)


# Lessons tied to a control are findings; the team makes them actions of the plan from the exercise's
# page (the demo's plan holds only the adopted catalogue actions).
DRILLS = (
    Drill(
        ExerciseIn(
            title="Rançongiciel sur le DPI",
            kind=ExerciseKind.TABLE_TOP,
            held_on=date(2026, 3, 24),
            scenario_id="ransomware-patient-record",
            participants=[
                "Directeur général",
                "Directrice des soins",
                "Président de la CME",
                "RSSI",
                "DSI",
                "Cadre supérieur des urgences",
                "Chargée de communication",
            ],
            crisis_cell=True,
            objectives=[
                "Réunir la cellule de crise en moins d'une heure",
                "Basculer les urgences et le bloc en mode dégradé papier",
                "Notifier le CERT Santé et l'ARS dans les délais",
            ],
            observations=(
                "La cellule de crise s'est réunie en 2 h, faute d'annuaire de crise disponible hors ligne. "
                "Les kits papier des urgences étaient incomplets. La décision d'isoler le réseau a été prise "
                "rapidement, mais personne ne savait que le PACS n'avait aucune copie hors ligne."
            ),
        ),
        (
            ("Compléter les kits papier des urgences (prescriptions, étiquettes patients)", "CON-DEGRADED"),
            ("Tenir un annuaire de crise imprimé et hors ligne", "INC-CRISIS"),
            ("Ajouter une copie hors ligne des archives du PACS", "CON-BACKUP-OFFLINE"),
        ),
    ),
    Drill(
        ExerciseIn(
            title="Restauration du DPI depuis la copie immuable",
            kind=ExerciseKind.TECHNICAL,
            held_on=date(2026, 9, 18),
            participants=["DSI", "Équipe infrastructure", "Éditeur du DPI"],
            objectives=["Mesurer la durée réelle de restauration du DPI"],
            observations="Restauration complète en 5 h, perte de données de 30 minutes.",
        ),
        (
            (
                "La restauration du DPI (5 h) dépasse la DMIA des urgences (2 h) : prévoir une copie de "
                "consultation",
                "CON-RESTORE-TEST",
            ),
        ),
    ),
)

HOSPITAL_FACTS = Facts(
    domain=DOMAIN,
    services=SERVICES,
    applications=APPLICATIONS,
    service_needs=SERVICE_NEEDS,
    app_needs=APP_NEEDS,
    backups=BACKUPS,
    drills=DRILLS,
    failed_job="PACS - archives",
)
