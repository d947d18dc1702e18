"""The demo hospital's group (GHT Loire-Aurèle): two more establishments, at both ends of maturity.

- The Centre hospitalier du Val-d'Aurèle, a small local hospital (medicine, geriatrics, rehabilitation and a
  nursing home): one computer technician, Windows 7 and Windows Server 2008 R2 still in service, a flat
  network, backups on a disk beside the servers and never restored, no exercise, a first phishing test that
  one agent in three clicked. (A GHT groups public hospitals only: its low end is a small hospital, not a
  private clinic.)
- The CHU d'Aurèle, the group's university hospital and support establishment: a security team, a
  segmented network, immutable and offline backups restored every quarter, exercises, trained staff.

Both are smaller than the demo hospital in the demo (a few hundred assets each, no logs), so that
``hygie demo`` stays quick; they go through the same builder (:func:`hygie.demo.service.build`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hygie.assets.models import ClinicalCriticality
from hygie.awareness.models import StaffCategory, TrainingFormat
from hygie.continuity.models import ApplicationKind, Criticality, ExerciseKind, MediaKind, ServiceKind
from hygie.continuity.schemas import ExerciseIn, PolicyIn
from hygie.demo import inventory as inv
from hygie.demo import network as net
from hygie.demo.awareness import Awareness
from hygie.demo.continuity import LAST_NIGHT, Drill, Facts
from hygie.demo.hospital import HOSPITAL, DemoEstablishment
from hygie.demo.incidents import Incident
from hygie.demo.profiles import Maturity, Profile
from hygie.incidents.models import Answer, CareService, Category, Severity
from hygie.incidents.schemas import CaseIn, ReviewIn
from hygie.org.models import EstablishmentKind

GROUP = HOSPITAL.group
B, D = Criticality.BLOCKING, Criticality.DEGRADED
# The jobs' last night: the end of the demo hospital's week of logs (their reports are current).
LAST_WEEK_NIGHT = LAST_NIGHT + timedelta(days=7)
_PLACEHOLDER = datetime(2026, 1, 1, tzinfo=UTC)  # replaced by the build's own time (see Incident)


def _zones(*names: str) -> tuple[net.Zone, ...]:
    """The demo hospital's zones of these names, with the internet and the unassigned addresses."""
    wanted = {"Internet", "Adresses internes non affectées", *names}
    return tuple(zone for zone in net.ZONES if zone[0] in wanted)


def _rules(*lines: str) -> str:
    head = ("*filter", ":INPUT DROP [0:0]", ":FORWARD DROP [0:0]", ":OUTPUT ACCEPT [0:0]")
    established = "-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"
    return "\n".join((*head, established, *lines, "COMMIT", ""))


# --- The small local hospital: low maturity ----------------------------------------------------------

VAL = "Centre hospitalier du Val-d'Aurèle"
VAL_DEPARTMENTS = ("Médecine interne", "Gériatrie", "Soins de suite et réadaptation", "Imagerie médicale")
VAL_SHAPE = inv.Shape(
    domain="ch-val-aurele.local",
    rng_name="inventory-val-aurele",
    care_departments=VAL_DEPARTMENTS,
    devices=(
        ("Médecine interne", inv.PUMP_OLD, 16, ClinicalCriticality.SUPPORT),
        ("Médecine interne", inv.MONITOR_OLD, 6, ClinicalCriticality.DIAGNOSTIC),
        ("Médecine interne", inv.ECG, 2, ClinicalCriticality.DIAGNOSTIC),
        ("Gériatrie", inv.PUMP_OLD, 12, ClinicalCriticality.SUPPORT),
        ("Soins de suite et réadaptation", inv.PUMP_OLD, 6, ClinicalCriticality.SUPPORT),
        ("Imagerie médicale", inv.XRAY, 2, ClinicalCriticality.DIAGNOSTIC),
        ("Imagerie médicale", inv.ULTRASOUND, 1, ClinicalCriticality.DIAGNOSTIC),
    ),
    servers=(
        (
            "dc01",
            "Contrôleur de domaine",
            "Microsoft Windows Server",
            "2012 R2",
            inv.CPE_2012R2,
            inv.WIN2012R2_EOS,
            False,
            inv.AD_PORTS,
        ),
        (
            "dpi-app01",
            "Dossier patient informatisé",
            "Microsoft Windows Server",
            "2008 R2",
            inv.CPE_2008R2,
            inv.WIN2008R2_EOS,
            False,
            ((443, "https", None, None, None), (1433, "ms-sql-s", None, None, None)),
        ),
        (
            "pharma01",
            "Circuit du médicament",
            "Microsoft Windows Server",
            "2008 R2",
            inv.CPE_2008R2,
            inv.WIN2008R2_EOS,
            False,
            ((1433, "ms-sql-s", None, None, None),),
        ),
        (
            "gap01",
            "Gestion administrative des patients",
            "CentOS Linux",
            "7",
            inv.CPE_CENTOS7,
            inv.CENTOS7_EOS,
            False,
            ((22, "ssh", "OpenSSH", "7.4", "cpe:2.3:a:openbsd:openssh:7.4:*:*:*:*:*:*:*"),),
        ),
        (
            "file01",
            "Partages de fichiers",
            "Microsoft Windows Server",
            "2008 R2",
            inv.CPE_2008R2,
            inv.WIN2008R2_EOS,
            False,
            ((445, "microsoft-ds", None, None, None),),
        ),
        (
            "backup01",
            "Sauvegardes (disque local)",
            "Microsoft Windows Server",
            "2012 R2",
            inv.CPE_2012R2,
            inv.WIN2012R2_EOS,
            False,
            ((445, "microsoft-ds", None, None, None),),
        ),
        (
            "rdp-prestataire",
            "Bureau à distance de l'éditeur du DPI",
            "Microsoft Windows Server",
            "2008 R2",
            inv.CPE_2008R2,
            inv.WIN2008R2_EOS,
            True,
            ((3389, "ms-wbt-server", None, None, None),),
        ),
    ),
    virtual_hosts=4,
    old_virtual_every=2,
    network=(
        ("fw", "Box pare-feu (opérateur)", "UTM-60", 1, "DMZ", True),
        ("sw", "Commutateurs (fournisseur C)", "AS-2960", 8, "Administration réseau", False),
        ("ap", "Wi-Fi (fournisseur D)", "AP-120", 10, "Administration réseau", False),
    ),
    iot=(
        ("cam", "Vidéoprotection", "Caméra IP", 8, "IoT et bâtiment"),
        ("appel-malade", "Appel malade", "Centrale d'appel", 4, "IoT et bâtiment"),
    ),
    printers=12,
    workstations=110,
    win7_workstations=24,
    win10_share=0.7,
    shadow=3,
    inventory_file="inventaire-val-aurele-2026-11.csv",
    scan_file="scan-nmap-val-aurele-2026-11-12.xml",
)
VAL_LAYOUT = net.Layout(
    zones=_zones(
        "DMZ", "Serveurs", "Postes de travail", "Wi-Fi soins", "Biomédical", "Imagerie", "Wi-Fi invités"
    ),
    # One box for everything: workstations reach the servers and the medical devices directly, the pumps
    # and the guest Wi-Fi get out or in too far, the editor's RDP comes in from the internet.
    firewalls=(
        net.Firewall(
            "fw-val-aurele",
            _rules(
                '-A FORWARD -i wan0 -d 10.0.0.2 -p tcp --dport 3389 -m comment --comment "editeur DPI"'
                " -j ACCEPT",
                "-A FORWARD -s 10.10.0.0/16 -d 10.1.0.0/16 -p tcp -m multiport --dports 443,445,1433,3389"
                ' -m comment --comment "postes vers les serveurs" -j ACCEPT',
                "-A FORWARD -s 10.10.0.0/16 -d 10.20.0.0/16"
                ' -m comment --comment "postes vers biomedical" -j ACCEPT',
                "-A FORWARD -s 10.50.0.0/16 -d 10.1.0.0/16 -p tcp --dport 3389 -j ACCEPT",
                "-A FORWARD -s 10.20.0.0/16 -o wan0"
                ' -m comment --comment "pompes vers le fabricant" -j ACCEPT',
                "-A FORWARD -s 10.10.0.0/16 -o wan0 -p tcp -m multiport --dports 80,443 -j ACCEPT",
            ),
            (("wan0", "Internet"),),
        ),
    ),
    outside_scan=(("10.0.0.2", None, ((3389, "ms-wbt-server"),)),),
)
VAL_CONTINUITY = Facts(
    domain=VAL_SHAPE.domain,
    services=(
        ("Médecine", ServiceKind.WARD, 8, 4, None, None),
        ("Gériatrie et EHPAD", ServiceKind.WARD, 24, 8, "Classeur papier 2019", date(2019, 5, 2)),
        ("Pharmacie", ServiceKind.PHARMACY, 8, 4, None, None),
    ),
    applications=(
        ("Dossier patient (DPI)", ApplicationKind.PATIENT_RECORD, ("dpi-app01",)),
        ("Annuaire (AD)", ApplicationKind.IDENTITY, ("dc01",)),
        ("Circuit du médicament", ApplicationKind.PHARMACY, ("pharma01",)),
        ("Gestion administrative (GAP)", ApplicationKind.ADMISSIONS, ("gap01",)),
    ),
    service_needs={
        "Médecine": (("Dossier patient (DPI)", B), ("Circuit du médicament", B)),
        "Gériatrie et EHPAD": (("Dossier patient (DPI)", D),),
        "Pharmacie": (("Circuit du médicament", B),),
    },
    app_needs={"Dossier patient (DPI)": (("Annuaire (AD)", B),)},
    # One copy on a disk of the backup server, in the same room, on the domain; never restored.
    backups={
        name: (PolicyIn(copies=2, media=[MediaKind.DISK], job_name=job), ())
        for name, job in (
            ("Dossier patient (DPI)", "DPI"),
            ("Annuaire (AD)", "AD"),
            ("Circuit du médicament", "Pharmacie"),
            ("Gestion administrative (GAP)", "GAP"),
        )
    },
    drills=(),
    last_night=LAST_WEEK_NIGHT,
    failed_job="GAP",
    jobs_file="sauvegardes-val-aurele-2026-11-23.csv",
)
VAL_AWARENESS = Awareness(
    trainings=(
        (
            date(2026, 6, 16),
            "Charte informatique",
            TrainingFormat.CLASSROOM,
            "Médecine interne",
            StaffCategory.NURSING,
            40,
            14,
        ),
    ),
    campaigns=(("Votre colis n'a pas pu être livré", date(2026, 9, 29)),),
    # recipients, opened, clicked, submitted, reported: one in three clicks, few report it
    results={
        "Médecine interne": ((40, 33, 15, 8, 1),),
        "Gériatrie": ((35, 27, 12, 6, 0),),
        "Soins de suite et réadaptation": ((20, 16, 7, 3, 1),),
        "Admissions": ((12, 10, 4, 2, 0),),
    },
    trainings_file="formations-val-aurele-2026.csv",
)
VAL_INCIDENTS = (
    Incident(
        CaseIn(
            title="Poste de l'accueil infecté par une clé USB",
            category=Category.MALWARE,
            severity=Severity.MEDIUM,
            detected_at=_PLACEHOLDER,
            description=(
                "Un maliciel (vol d'identifiants) apporté par une clé USB personnelle sur un poste Windows 7 "
                "de l'accueil ; découvert par l'éditeur du DPI lors d'une télémaintenance."
            ),
            care_services=[CareService.ADMISSIONS],
            malicious=Answer.YES,
            significant=Answer.NO,
            measures="Poste débranché et réinstallé ; mots de passe de l'accueil changés.",
            root_cause="Ports USB ouverts, poste sous Windows 7 sans antivirus à jour.",
        ),
        days_ago=40,
        closed_after=3,
        review=ReviewIn(
            what_happened="Maliciel sur un poste de l'accueil via une clé USB personnelle.",
            what_worked="L'éditeur a signalé l'anomalie.",
            what_failed="Aucune détection locale ; pas de procédure d'incident écrite.",
        ),
        lessons=(("Bloquer les supports amovibles sur les postes", ("TEC-USB",)),),
        author="Julien Perrot (technicien informatique)",
    ),
)
VAL_AURELE = Profile(
    key="val-aurele",
    establishment=DemoEstablishment(
        name=VAL,
        finess="490000213",
        kind=EstablishmentKind.CH,
        beds=120,
        staff=380,
        annual_budget=31_000_000,
        it_budget=450_000,
        security_budget=9_000,
        group=GROUP,
    ),
    campaigns=(("Évaluation 2026", date(2026, 10, 22)),),
    maturity=Maturity(
        baseline={"governance": 1, "technical": 1, "awareness": 1, "continuity": 1, "incident_response": 1},
        story={
            "GOV-RSSI": (0,),
            "GOV-PSSI": (1,),
            "TEC-EOL": (0,),
            "TEC-PATCH": (1,),
            "TEC-MFA": (0,),
            "TEC-SEGMENT": (0,),
            "TEC-USB": (0,),
            "TEC-EDR": (1,),
            "TEC-REMOTE-MAINT": (0,),
            "AWA-PHISHING": (0,),
            "AWA-TRAINING": (0,),
            "CON-BACKUP": (2,),
            "CON-BACKUP-OFFLINE": (0,),
            "CON-RESTORE-TEST": (0,),
            "CON-EXERCISE": (0,),
            "INC-PROCEDURE": (0,),
        },
        unknown=("GOV-PROCUREMENT", "TEC-NAC", "INC-LESSONS", "CON-BIA"),
    ),
    plan_budget=40_000,
    plan_days=60,
    authors=("Julien Perrot (technicien informatique)", "Julien Perrot (technicien informatique)"),
    inventory=VAL_SHAPE,
    network=VAL_LAYOUT,
    continuity=VAL_CONTINUITY,
    awareness=VAL_AWARENESS,
    incidents=VAL_INCIDENTS,
    actions_started=1,
)


# --- The university hospital: high maturity ----------------------------------------------------------

CHU = "CHU d'Aurèle"
CHU_SHAPE = inv.Shape(
    domain="chu-aurele.local",
    rng_name="inventory-chu-aurele",
    devices=(
        ("Réanimation", inv.PUMP_NEW, 20, ClinicalCriticality.LIFE_SUSTAINING),
        ("Réanimation", inv.MONITOR, 16, ClinicalCriticality.LIFE_SUSTAINING),
        ("Réanimation", inv.VENTILATOR, 10, ClinicalCriticality.LIFE_SUSTAINING),
        ("Bloc opératoire", inv.ANAESTHESIA, 10, ClinicalCriticality.LIFE_SUSTAINING),
        ("Bloc opératoire", inv.MONITOR, 14, ClinicalCriticality.LIFE_SUSTAINING),
        ("Urgences", inv.PUMP_NEW, 12, ClinicalCriticality.SUPPORT),
        ("Urgences", inv.MONITOR, 12, ClinicalCriticality.DIAGNOSTIC),
        ("Imagerie médicale", inv.MRI, 3, ClinicalCriticality.DIAGNOSTIC),
        ("Imagerie médicale", inv.ULTRASOUND, 8, ClinicalCriticality.DIAGNOSTIC),
        ("Imagerie médicale", inv.PACS_STATION, 6, ClinicalCriticality.DIAGNOSTIC),
        ("Laboratoire", inv.LAB_NEW, 12, ClinicalCriticality.DIAGNOSTIC),
        ("Néphrologie et dialyse", inv.DIALYSIS, 8, ClinicalCriticality.LIFE_SUSTAINING),
        ("Cardiologie", inv.MONITOR_OLD, 4, ClinicalCriticality.DIAGNOSTIC),  # replacement ordered
        ("Cardiologie", inv.ECG, 10, ClinicalCriticality.DIAGNOSTIC),
    ),
    servers=(
        (
            "dc01",
            "Contrôleur de domaine",
            "Microsoft Windows Server",
            "2022",
            inv.CPE_2022,
            None,
            False,
            inv.AD_PORTS,
        ),
        (
            "dc02",
            "Contrôleur de domaine",
            "Microsoft Windows Server",
            "2022",
            inv.CPE_2022,
            None,
            False,
            inv.AD_PORTS,
        ),
        (
            "dpi-app01",
            "Dossier patient informatisé (application)",
            "Microsoft Windows Server",
            "2022",
            inv.CPE_2022,
            None,
            False,
            ((443, "https", None, None, None),),
        ),
        (
            "dpi-db01",
            "Dossier patient informatisé (base)",
            "Red Hat Enterprise Linux",
            "8",
            inv.CPE_RHEL8,
            None,
            False,
            ((1521, "oracle-tns", None, None, None),),
        ),
        (
            "pacs-srv01",
            "PACS",
            "Microsoft Windows Server",
            "2019",
            inv.CPE_2019,
            None,
            False,
            ((104, "dicom", None, None, None), (443, "https", None, None, None)),
        ),
        (
            "sil01",
            "Système d'information du laboratoire",
            "Red Hat Enterprise Linux",
            "8",
            inv.CPE_RHEL8,
            None,
            False,
            ((443, "https", None, None, None),),
        ),
        (
            "pharma01",
            "Circuit du médicament",
            "Microsoft Windows Server",
            "2019",
            inv.CPE_2019,
            None,
            False,
            ((443, "https", None, None, None),),
        ),
        (
            "backup01",
            "Sauvegardes",
            "Microsoft Windows Server",
            "2022",
            inv.CPE_2022,
            None,
            False,
            ((443, "https", None, None, None),),
        ),
        (
            "backup02",
            "Sauvegardes (copie hors ligne)",
            "Red Hat Enterprise Linux",
            "8",
            inv.CPE_RHEL8,
            None,
            False,
            (),
        ),
        (
            "portail-patients",
            "Portail patients",
            "Red Hat Enterprise Linux",
            "8",
            inv.CPE_RHEL8,
            None,
            True,
            ((443, "https", None, None, None),),
        ),
        (
            "siem01",
            "Journalisation (SOC)",
            "Red Hat Enterprise Linux",
            "8",
            inv.CPE_RHEL8,
            None,
            False,
            ((514, "syslog", None, None, None),),
        ),
    ),
    virtual_hosts=10,
    old_virtual_every=100,
    network=(
        ("fw-ext", "Pare-feu (fournisseur A)", "FW-4200", 2, "DMZ", True),
        ("fw-int", "Pare-feu (fournisseur A)", "FW-2200", 2, "Administration réseau", False),
        ("sw-etage", "Commutateurs (fournisseur C)", "CS-9300", 20, "Administration réseau", False),
        ("ap", "Wi-Fi (fournisseur D)", "AP-650", 20, "Administration réseau", False),
    ),
    iot=(("cam", "Vidéoprotection", "Caméra IP", 12, "IoT et bâtiment"),),
    printers=16,
    workstations=80,
    win7_workstations=0,
    win10_share=0.05,
    shadow=1,
    inventory_file="inventaire-chu-aurele-2026-11.csv",
    scan_file="scan-nmap-chu-aurele-2026-11-09.xml",
)
CHU_LAYOUT = net.Layout(
    zones=_zones(
        "DMZ",
        "Serveurs",
        "Administration réseau",
        "Sauvegardes",
        "Postes de travail",
        "Wi-Fi soins",
        "Biomédical",
        "Imagerie",
        "Laboratoire",
        "IoT et bâtiment",
        "Impression",
        "Wi-Fi invités",
    ),
    # One core firewall between every zone: only the flows each application needs.
    firewalls=(
        net.Firewall(
            "fw-coeur",
            _rules(
                '-A FORWARD -i wan0 -d 10.0.0.2 -p tcp --dport 443 -m comment --comment "portail patients"'
                " -j ACCEPT",
                "-A FORWARD -s 10.0.0.2 -d 10.1.0.4 -p tcp --dport 443 -j ACCEPT",
                "-A FORWARD -s 10.10.0.0/16 -d 10.1.0.4 -p tcp --dport 443 -j ACCEPT",
                "-A FORWARD -s 10.12.0.0/16 -d 10.1.0.4 -p tcp --dport 443 -j ACCEPT",
                "-A FORWARD -s 10.10.0.0/16 -d 10.1.0.2 -p tcp -m multiport --dports 88,389 -j ACCEPT",
                "-A FORWARD -s 10.21.0.0/16 -d 10.1.0.6 -p tcp --dport 104 -j ACCEPT",
                "-A FORWARD -s 10.22.0.0/16 -d 10.1.0.7 -p tcp --dport 443 -j ACCEPT",
                "-A FORWARD -s 10.1.0.0/16 -d 10.5.0.10 -p tcp --dport 10000 -j ACCEPT",
                "-A FORWARD -s 10.50.0.0/16 -o wan0 -p tcp -m multiport --dports 80,443 -j ACCEPT",
            ),
            (("wan0", "Internet"),),
        ),
    ),
    outside_scan=(("10.0.0.2", "portail.chu-aurele.example", ((443, "https"),)),),
)
_TESTED = ((date(2026, 6, 10), 3.0, True), (date(2026, 9, 22), 2.5, True))
CHU_CONTINUITY = Facts(
    domain=CHU_SHAPE.domain,
    services=(
        ("Urgences", ServiceKind.EMERGENCY, 2, 0.5, "PCRA-URG v6", date(2026, 6, 1)),
        ("Réanimation", ServiceKind.INTENSIVE_CARE, 1, 0.25, "PCRA-REA v5", date(2026, 5, 12)),
        ("Bloc opératoire", ServiceKind.OPERATING_THEATRE, 4, 1, "PCRA-BLOC v4", date(2026, 4, 20)),
        ("Laboratoire", ServiceKind.LABORATORY, 4, 1, "PCRA-LABO v3", date(2026, 3, 3)),
        ("Imagerie médicale", ServiceKind.IMAGING, 8, 4, "PCRA-IMG v4", date(2026, 2, 9)),
    ),
    applications=(
        ("Dossier patient (DPI)", ApplicationKind.PATIENT_RECORD, ("dpi-app01", "dpi-db01")),
        ("Annuaire (AD)", ApplicationKind.IDENTITY, ("dc01", "dc02")),
        ("PACS", ApplicationKind.PACS, ("pacs-srv01",)),
        ("SIL", ApplicationKind.LIS, ("sil01",)),
    ),
    service_needs={
        "Urgences": (("Dossier patient (DPI)", B), ("PACS", D), ("SIL", D)),
        "Réanimation": (("Dossier patient (DPI)", B), ("SIL", B)),
        "Bloc opératoire": (("Dossier patient (DPI)", B), ("PACS", D)),
        "Laboratoire": (("SIL", B),),
        "Imagerie médicale": (("PACS", B),),
    },
    app_needs={
        "Dossier patient (DPI)": (("Annuaire (AD)", B),),
        "SIL": (("Annuaire (AD)", B),),
        "PACS": (("Annuaire (AD)", B),),
    },
    # 3-2-1 with an immutable and an offline copy, restored in a test every quarter.
    backups={
        name: (
            PolicyIn(
                copies=3,
                media=[MediaKind.DISK, MediaKind.TAPE],
                offsite_copies=1,
                offline_copy=True,
                immutable_copy=True,
                test_every_days=120,
                job_name=job,
            ),
            _TESTED,
        )
        for name, job in (
            ("Dossier patient (DPI)", "DPI"),
            ("Annuaire (AD)", "AD"),
            ("PACS", "PACS"),
            ("SIL", "SIL"),
        )
    },
    drills=(
        Drill(
            ExerciseIn(
                title="Cyberattaque sur le DPI avec les établissements du GHT",
                kind=ExerciseKind.FULL_SCALE,
                held_on=date(2026, 6, 18),
                scenario_id="ransomware-patient-record",
                participants=["Directeur général", "Directrice des soins", "RSSI", "DSI", "SAMU", "ARS"],
                crisis_cell=True,
                objectives=["Basculer les urgences en mode dégradé", "Coordonner le GHT"],
                observations="Cellule de crise réunie en 40 minutes ; bascule en mode dégradé en 1 h 30.",
            ),
            (("Partager l'annuaire de crise avec les établissements du GHT", "INC-CRISIS"),),
        ),
    ),
    last_night=LAST_WEEK_NIGHT,
    jobs_file="sauvegardes-chu-aurele-2026-11-23.csv",
)
CHU_AWARENESS = Awareness(
    trainings=(
        (
            date(2026, 2, 2),
            "Hameçonnage et signalement",
            TrainingFormat.E_LEARNING,
            "Urgences",
            StaffCategory.NURSING,
            120,
            112,
        ),
        (
            date(2026, 3, 9),
            "Hameçonnage et signalement",
            TrainingFormat.E_LEARNING,
            "Réanimation",
            StaffCategory.NURSING,
            90,
            86,
        ),
        (
            date(2026, 4, 13),
            "Gestion de crise cyber",
            TrainingFormat.WORKSHOP,
            "Direction",
            StaffCategory.MANAGEMENT,
            14,
            14,
        ),
        (
            date(2026, 5, 18),
            "Administration sécurisée",
            TrainingFormat.CLASSROOM,
            "DSI",
            StaffCategory.TECHNICAL,
            30,
            29,
        ),
    ),
    campaigns=(("Facture en attente", date(2026, 4, 7)), ("Prime de fin d'année", date(2026, 10, 13))),
    results={
        "Urgences": ((80, 52, 10, 3, 30), (80, 48, 5, 1, 44)),
        "Réanimation": ((60, 37, 6, 2, 25), (60, 35, 3, 1, 33)),
        "Laboratoire": ((40, 24, 4, 1, 18), (40, 22, 2, 0, 24)),
        "Admissions": ((50, 36, 8, 3, 15), (50, 33, 4, 1, 26)),
    },
    trainings_file="formations-chu-aurele-2026.csv",
)
CHU_INCIDENTS = (
    Incident(
        CaseIn(
            title="Déni de service sur le portail patients",
            category=Category.DDOS,
            severity=Severity.MEDIUM,
            detected_at=_PLACEHOLDER,
            description="Saturation du portail patients pendant deux heures ; filtrage par l'opérateur.",
            care_services=[CareService.OUTPATIENT],
            malicious=Answer.YES,
            significant=Answer.NO,
            patient_data=Answer.NO,
            measures="Filtrage anti-DDoS de l'opérateur activé, page d'attente publiée.",
        ),
        days_ago=120,
        closed_after=1,
        review=ReviewIn(
            what_happened="Déni de service volumétrique sur le portail patients.",
            what_worked="Détection par le SOC en 6 minutes ; filtrage en 40 minutes.",
            what_failed="Le contrat anti-DDoS n'était pas activé par défaut.",
        ),
        author="Thomas Garnier (RSSI)",
    ),
)
CHU_AURELE = Profile(
    key="chu-aurele",
    establishment=DemoEstablishment(
        name=CHU,
        finess="490000122",
        kind=EstablishmentKind.CHU,
        beds=1450,
        staff=7800,
        annual_budget=780_000_000,
        it_budget=18_000_000,
        security_budget=720_000,
        group=GROUP,
    ),
    campaigns=(("Évaluation 2026", date(2026, 10, 8)),),
    maturity=Maturity(
        baseline={"governance": 3, "technical": 3, "awareness": 3, "continuity": 3, "incident_response": 3},
        story={
            "GOV-RSSI": (4,),
            "TEC-MFA": (4,),
            "TEC-EOL": (2,),  # four cardiology monitors past their end of support, replacement ordered
            "TEC-BIOMED": (2,),
            "CON-BACKUP-OFFLINE": (4,),
            "CON-RESTORE-TEST": (3,),
            "CON-EXERCISE": (3,),
            "AWA-PHISHING": (3,),
            "INC-DETECT": (4,),
        },
        unknown=("GOV-PROCUREMENT",),
    ),
    plan_budget=400_000,
    plan_days=400,
    authors=("Thomas Garnier (RSSI)", "Thomas Garnier (RSSI)"),
    inventory=CHU_SHAPE,
    network=CHU_LAYOUT,
    continuity=CHU_CONTINUITY,
    awareness=CHU_AWARENESS,
    incidents=CHU_INCIDENTS,
)

OTHERS = (VAL_AURELE, CHU_AURELE)
"""The group's establishments beside the demo hospital, least mature first."""
