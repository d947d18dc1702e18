"""The university hospital of the demo's group (high maturity): the CHU d'Aurèle, support establishment
of the GHT. A security team, a segmented network, immutable and offline backups restored every quarter,
exercises, trained staff.
"""

from __future__ import annotations

from datetime import date

from hygie.assets.models import ClinicalCriticality
from hygie.awareness.models import StaffCategory, TrainingFormat
from hygie.continuity.models import ApplicationKind, Criticality, ExerciseKind, MediaKind, ServiceKind
from hygie.continuity.schemas import ExerciseIn, PolicyIn
from hygie.demo import inventory as inv
from hygie.demo import network as net
from hygie.demo import tuning as demo_tuning
from hygie.demo.awareness import Awareness
from hygie.demo.continuity import Drill, Facts
from hygie.demo.hospital import DemoEstablishment
from hygie.demo.incidents import Incident
from hygie.demo.profiles import GROUP, LAST_WEEK_NIGHT, PLACEHOLDER, Maturity, Profile, rules, zones
from hygie.incidents.models import Answer, CareService, Category, Severity
from hygie.incidents.schemas import CaseIn, ReviewIn
from hygie.org.models import EstablishmentKind

B, D = Criticality.BLOCKING, Criticality.DEGRADED


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
    zones=zones(
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
            rules(
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
            detected_at=PLACEHOLDER,
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
    tuning=demo_tuning.CHU_TUNING,
)
