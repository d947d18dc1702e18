"""The demo hospital's incidents, through the incidents' service: a phishing that compromised accounts,
closed months ago with its reports sent and its lessons learned turned into actions and findings; and
a ransomware attack on the imaging servers, open, whose clocks are running (one of them overdue).

Times are relative to the moment the demo is built, so that the open incident's clocks always run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from hygie.core.time import today, utcnow
from hygie.incidents import service
from hygie.incidents.models import Answer, CareService, Case, Category, ClockKind, EntryKind, Severity
from hygie.incidents.schemas import (
    CaseIn,
    ConclusionIn,
    EntryIn,
    IndicatorIn,
    ReviewIn,
    SentIn,
    TaskIn,
)

RSSI = "Claire Martin (RSSI)"
DSI = "Paul Bernard (DSI)"
DPO = "Sophie Leroy (DPO)"


def _closed_phishing(session: Session, establishment_id: int, now: datetime) -> Case:
    detected = (now - timedelta(days=75)).replace(hour=8, minute=40, second=0, microsecond=0)
    case = service.open_case(
        session,
        establishment_id,
        CaseIn(
            title="Hameçonnage et compromission de comptes de messagerie",
            category=Category.ACCOUNT_COMPROMISE,
            severity=Severity.HIGH,
            detected_at=detected,
            aware_at=detected + timedelta(hours=1, minutes=20),
            started_at=detected - timedelta(hours=14),
            description=(
                "Campagne d'hameçonnage imitant la DSI (« renouvellement du mot de passe ») : 23 agents ont "
                "saisi leurs identifiants, 4 boîtes de messagerie ont servi à relayer le message vers "
                "d'autres établissements du GHT."
            ),
            care_services=[CareService.ADMISSIONS, CareService.OUTPATIENT],
            patient_data=Answer.YES,
            persons_affected=310,
            significant=Answer.YES,
            malicious=Answer.YES,
            cross_border=Answer.NO,
            high_risk_to_persons=Answer.NO,
            care_impact="Aucun impact sur les soins ; messagerie coupée 6 heures pour les secrétariats.",
            measures=(
                "Mots de passe réinitialisés, sessions révoquées, règles de transfert supprimées, "
                "domaine bloqué sur la passerelle de messagerie."
            ),
            root_cause="Pas d'authentification multifacteur ; agents peu sensibilisés à l'hameçonnage.",
            alert_refs=["SOC-GHT-2026-0412"],
        ),
        RSSI,
    )
    for value, comment in (
        ("renouvellement-dsi[.]com", "domaine de l'expéditeur"),
        ("hxxps://renouvellement-dsi[.]com/owa/login", "page de collecte"),
        ("185.220.101.47", "connexions aux boîtes compromises"),
    ):
        service.add_indicator(session, case, IndicatorIn(value=value, comment=comment), RSSI)
    entries = (
        (1.5, EntryKind.DECISION, "Cellule de crise réduite réunie (RSSI, DSI, DPO, direction)."),
        (2, EntryKind.ACTION, "Réinitialisation des 23 comptes et révocation des sessions."),
        (5, EntryKind.COMMUNICATION, "Message d'alerte aux agents et aux établissements du GHT."),
    )
    for hours, entry_kind, text in entries:
        service.add_entry(
            session, case, EntryIn(text=text, kind=entry_kind, at=detected + timedelta(hours=hours)), RSSI
        )
    task = service.add_task(session, case, TaskIn(title="Purger le message des boîtes", owner=DSI))
    service.set_task_done(session, case, task.id, True, DSI)
    sent = (
        (ClockKind.NIS2_EARLY_WARNING, 9, "CERTFR-2026-ALE-0311"),
        (ClockKind.CERT_SANTE, 10, "SIG-ARS-2026-1187"),
        (ClockKind.CNIL, 46, "CNIL-NOTIF-2026-55120"),
        (ClockKind.NIS2_NOTIFICATION, 50, "CERTFR-2026-NOT-0311"),
        (ClockKind.NIS2_FINAL, 24 * 28, "CERTFR-2026-RAP-0311"),
    )
    for kind, hours, reference in sent:
        service.mark_sent(
            session, case, kind, SentIn(sent_at=detected + timedelta(hours=hours), reference=reference), RSSI
        )
    service.close_case(session, case, RSSI, detected + timedelta(days=30))
    service.set_review(
        session,
        case,
        ReviewIn(
            what_happened="Hameçonnage ciblé, 23 comptes compromis, relais vers le GHT ; pas d'accès au DPI.",
            what_worked="Signalement rapide par un agent des admissions ; réinitialisation en deux heures.",
            what_failed="Pas de MFA sur la messagerie ; annuaire des contacts de crise incomplet.",
        ),
    )
    for text, controls, owner, days in (
        ("Activer l'authentification multifacteur sur la messagerie", ["TEC-MFA"], DSI, 90),
        ("Campagne de sensibilisation à l'hameçonnage des secrétariats", ["AWA-PHISHING"], RSSI, 60),
        ("Tenir à jour l'annuaire des contacts de crise", ["INC-CONTACTS"], None, None),
    ):
        service.add_conclusion(
            session,
            case,
            ConclusionIn(
                text=text,
                control_ids=controls,
                owner=owner,
                due_date=today() + timedelta(days=days) if days else None,
            ),
        )
    return case


def _open_ransomware(session: Session, establishment_id: int, now: datetime) -> Case:
    detected = (now - timedelta(hours=30)).replace(second=0, microsecond=0)
    case = service.open_case(
        session,
        establishment_id,
        CaseIn(
            title="Rançongiciel sur les serveurs d'imagerie (PACS)",
            category=Category.RANSOMWARE,
            severity=Severity.CRITICAL,
            detected_at=detected,
            aware_at=detected + timedelta(minutes=45),
            description=(
                "Fichiers chiffrés sur deux serveurs du PACS, note de rançon ; l'EDR a bloqué la propagation "
                "vers le DPI."
            ),
            care_services=[CareService.IMAGING, CareService.EMERGENCY],
            malicious=Answer.YES,
            significant=Answer.YES,
            care_impact="Imagerie en mode dégradé : comptes rendus sur papier, 4 transferts vers le CHU.",
            measures="VLAN imagerie isolé, comptes de service désactivés.",
            alert_refs=["EDR-7781"],
        ),
        RSSI,
    )
    service.add_indicator(
        session, case, IndicatorIn(value="a" * 8 + "3f1c9e" + "0" * 50, comment="chiffreur"), RSSI
    )
    service.add_entry(
        session,
        case,
        EntryIn(text="Isolement du VLAN imagerie.", kind=EntryKind.ACTION, at=detected + timedelta(hours=1)),
        DSI,
    )
    service.add_task(
        session, case, TaskIn(title="Restaurer le PACS depuis la sauvegarde hors ligne", owner=DSI)
    )
    service.add_task(session, case, TaskIn(title="Évaluer l'exfiltration de données patients", owner=DPO))
    service.mark_sent(
        session,
        case,
        ClockKind.NIS2_EARLY_WARNING,
        SentIn(sent_at=detected + timedelta(hours=20), reference="CERTFR-ALE-DEMO"),
        RSSI,
    )
    return case


def build(session: Session, establishment_id: int, now: datetime | None = None) -> list[int]:
    """The two incidents; their ids, the closed one first."""
    now = now or utcnow()
    return [
        _closed_phishing(session, establishment_id, now).id,
        _open_ransomware(session, establishment_id, now).id,
    ]


@dataclass(frozen=True)
class Incident:
    """A smaller incident of the group's other establishments: detected ``days_ago`` days before the build
    (``case.detected_at`` is replaced), closed after ``closed_after`` days (with its review and lessons) or
    still open when None."""

    case: CaseIn
    days_ago: float
    closed_after: float | None = None
    review: ReviewIn | None = None
    lessons: tuple[tuple[str, tuple[str, ...]], ...] = ()  # text, controls
    sent: tuple[tuple[ClockKind, float, str], ...] = ()  # clock, hours after detection, reference
    author: str = "RSSI"
    tasks: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # title, owner


def build_incidents(
    session: Session, establishment_id: int, incidents: tuple[Incident, ...], now: datetime | None = None
) -> list[int]:
    """The incidents, each detected relative to ``now`` so that the open ones' clocks run; their ids."""
    now = now or utcnow()
    ids = []
    for incident in incidents:
        detected = (now - timedelta(days=incident.days_ago)).replace(second=0, microsecond=0)
        data = incident.case.model_copy(update={"detected_at": detected})
        case = service.open_case(session, establishment_id, data, incident.author)
        for title, owner in incident.tasks:
            service.add_task(session, case, TaskIn(title=title, owner=owner))
        for kind, hours, reference in incident.sent:
            sent = SentIn(sent_at=detected + timedelta(hours=hours), reference=reference)
            service.mark_sent(session, case, kind, sent, incident.author)
        if incident.closed_after is not None:
            service.close_case(
                session, case, incident.author, detected + timedelta(days=incident.closed_after)
            )
            if incident.review is not None:
                service.set_review(session, case, incident.review)
            for text, controls in incident.lessons:
                service.add_conclusion(session, case, ConclusionIn(text=text, control_ids=list(controls)))
        ids.append(case.id)
    return ids
