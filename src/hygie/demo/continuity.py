"""The demo hospital's continuity of care: its care services with the RTO/RPO it set itself, the
applications they need, on the servers of the demo inventory, backups (the laboratory system never
restore-tested, the PACS without an offline copy and its last job failed), two exercises.

Built through ``hygie.continuity.service`` as a user's commands would. Without the inventory
(``build(..., inventory=False)``) the applications are declared without their servers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

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
JOBS_FILE = "veeam-sessions-2026-11-10.csv"
LAST_NIGHT = datetime(2026, 11, 9, 21, 0, tzinfo=UTC)


def _asset_ids(session: Session, establishment_id: int, hostnames: tuple[str, ...]) -> list[int]:
    found: list[int] = []
    for short in hostnames:
        wanted = f"{short}.{DOMAIN}"
        query = assets_service.assets_query(establishment_id, text=wanted)
        found.extend(a.id for a in session.scalars(query) if a.hostname == wanted)
    return found


def _jobs() -> list[JobRecord]:
    """Three nights of each job; the PACS archive's last night failed."""
    records: list[JobRecord] = []
    for _app, (policy, _tests) in BACKUPS.items():
        for night in range(3):
            started = LAST_NIGHT - timedelta(days=night)
            failed = policy.job_name == "PACS - archives" and night == 0
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


def build(session: Session, establishment_id: int, library: Library, *, with_assets: bool = True) -> None:
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
        for name, kind, rto, rpo, procedure, reviewed in SERVICES
    }
    apps: dict[str, int] = {}
    for name, kind, hostnames in APPLICATIONS:
        apps[name] = service.create_application(
            session, establishment_id, ApplicationIn(name=name, kind=kind)
        ).id
        if with_assets:
            for asset_id in _asset_ids(session, establishment_id, hostnames):
                service.link_asset(session, establishment_id, apps[name], asset_id)
    for name, needs in SERVICE_NEEDS.items():
        for app_name, criticality in needs:
            service.add_dependency(
                session,
                establishment_id,
                DependencyIn(
                    service_id=services[name], on_application_id=apps[app_name], criticality=criticality
                ),
            )
    for name, needs in APP_NEEDS.items():
        for app_name, criticality in needs:
            service.add_dependency(
                session,
                establishment_id,
                DependencyIn(
                    application_id=apps[name], on_application_id=apps[app_name], criticality=criticality
                ),
            )
    for name, (policy, tests) in BACKUPS.items():
        service.set_policy(session, establishment_id, apps[name], policy)
        for day, duration, success in tests:
            service.log_restore_test(
                session,
                establishment_id,
                apps[name],
                RestoreTestIn(tested_on=day, duration_hours=duration, success=success, data_loss_hours=0.5),
            )
    service.import_jobs(session, establishment_id, _jobs(), JobReportFormat.VEEAM, JOBS_FILE)
    _exercises(session, establishment_id, library)
    service.refresh_findings(session, establishment_id)


def _exercises(session: Session, establishment_id: int, library: Library) -> None:
    tabletop = service.create_exercise(
        session,
        establishment_id,
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
    )
    # Lessons tied to a control are findings; the team makes them actions of the plan from the
    # exercise's page (the demo's plan holds only the adopted catalogue actions).
    lessons = (
        ("Compléter les kits papier des urgences (prescriptions, étiquettes patients)", "CON-DEGRADED"),
        ("Tenir un annuaire de crise imprimé et hors ligne", "INC-CRISIS"),
        ("Ajouter une copie hors ligne des archives du PACS", "CON-BACKUP-OFFLINE"),
    )
    for text, control in lessons:
        service.add_lesson(
            session, establishment_id, tabletop.id, LessonIn(text=text, control_id=control), library
        )
    technical = service.create_exercise(
        session,
        establishment_id,
        ExerciseIn(
            title="Restauration du DPI depuis la copie immuable",
            kind=ExerciseKind.TECHNICAL,
            held_on=date(2026, 9, 18),
            participants=["DSI", "Équipe infrastructure", "Éditeur du DPI"],
            objectives=["Mesurer la durée réelle de restauration du DPI"],
            observations="Restauration complète en 5 h, perte de données de 30 minutes.",
        ),
    )
    service.add_lesson(
        session,
        establishment_id,
        technical.id,
        LessonIn(
            text=(
                "La restauration du DPI (5 h) dépasse la DMIA des urgences (2 h) : prévoir une copie de "
                "consultation"
            ),
            control_id="CON-RESTORE-TEST",
        ),
        library,
    )
