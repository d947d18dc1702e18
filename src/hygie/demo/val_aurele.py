"""The small local hospital of the demo's group (low maturity): the Centre hospitalier du Val-d'Aurèle.

Medicine, geriatrics, rehabilitation and a nursing home; one computer technician, Windows 7 and Windows
Server 2008 R2 still in service, a flat network, backups on a disk beside the servers and never restored, no
exercise, a first phishing test that one agent in three clicked. (A GHT groups public hospitals only: its
low end is a small hospital, not a private clinic.)
"""

from __future__ import annotations

from datetime import date

from hygie.assets.models import ClinicalCriticality
from hygie.awareness.models import StaffCategory, TrainingFormat
from hygie.continuity.models import ApplicationKind, Criticality, MediaKind, ServiceKind
from hygie.continuity.schemas import PolicyIn
from hygie.demo import inventory as inv
from hygie.demo import network as net
from hygie.demo import tuning as demo_tuning
from hygie.demo.awareness import Awareness
from hygie.demo.continuity import Facts
from hygie.demo.hospital import DemoEstablishment
from hygie.demo.incidents import Incident
from hygie.demo.profiles import GROUP, LAST_WEEK_NIGHT, PLACEHOLDER, Maturity, Profile, rules, zones
from hygie.incidents.models import Answer, CareService, Category, Severity
from hygie.incidents.schemas import CaseIn, ReviewIn
from hygie.org.models import EstablishmentKind

B, D = Criticality.BLOCKING, Criticality.DEGRADED


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
    zones=zones(
        "DMZ", "Serveurs", "Postes de travail", "Wi-Fi soins", "Biomédical", "Imagerie", "Wi-Fi invités"
    ),
    # One box for everything: workstations reach the servers and the medical devices directly, the pumps
    # and the guest Wi-Fi get out or in too far, the editor's RDP comes in from the internet.
    firewalls=(
        net.Firewall(
            "fw-val-aurele",
            rules(
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
            detected_at=PLACEHOLDER,
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
    tuning=demo_tuning.VAL_TUNING,
    actions_started=1,
)
